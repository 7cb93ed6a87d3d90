/* The watchlist: which symbols are pinned and the order of the cards, kept in
 * localStorage so a reload (or another tab) shows the same board.  Pinned
 * symbols come first, each group in the user's order; symbols the user never
 * moved follow in the server's order. */

const KEY = 'cryptopulse.watchlist.v1';

function readStore() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || '{}');
    const strings = (a) => (Array.isArray(a) ? a.filter((s) => typeof s === 'string') : []);
    return { pinned: strings(v.pinned), order: strings(v.order) };
  } catch (_) {
    return { pinned: [], order: [] }; // storage disabled or corrupt: start afresh
  }
}

export class Watchlist {
  constructor() {
    const v = readStore();
    this.pinned = new Set(v.pinned);
    this.order = v.order;
  }

  save() {
    try {
      localStorage.setItem(KEY, JSON.stringify({ pinned: [...this.pinned], order: this.order }));
    } catch (_) { /* private mode: keep it for this page only */ }
  }

  isPinned(symbol) {
    return this.pinned.has(symbol);
  }

  togglePin(symbol) {
    if (this.pinned.has(symbol)) this.pinned.delete(symbol);
    else this.pinned.add(symbol);
    this.save();
    return this.pinned.has(symbol);
  }

  /* Cards in display order for the known symbols (server order as default). */
  arrange(known) {
    const rank = new Map(this.order.map((s, i) => [s, i]));
    const base = known.map((s, i) => [s, rank.has(s) ? rank.get(s) : this.order.length + i]);
    base.sort((a, b) => a[1] - b[1]);
    const sorted = base.map((x) => x[0]);
    return sorted.filter((s) => this.pinned.has(s)).concat(sorted.filter((s) => !this.pinned.has(s)));
  }

  /* Move symbol by delta places among the displayed list, within its group
   * (pinned or not).  Returns true when it moved. */
  move(displayed, symbol, delta) {
    const group = displayed.filter((s) => this.pinned.has(s) === this.pinned.has(symbol));
    const i = group.indexOf(symbol);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= group.length) return false;
    return this.place(displayed, symbol, group[j], delta > 0);
  }

  /* Put symbol just before (or after) target; pins follow the target's group. */
  place(displayed, symbol, target, after) {
    if (symbol === target) return false;
    if (this.pinned.has(target) !== this.pinned.has(symbol)) {
      if (this.pinned.has(target)) this.pinned.add(symbol);
      else this.pinned.delete(symbol);
    }
    const list = displayed.filter((s) => s !== symbol);
    const at = list.indexOf(target) + (after ? 1 : 0);
    list.splice(at, 0, symbol);
    this.order = list.concat(this.order.filter((s) => !list.includes(s)));
    this.save();
    return true;
  }
}
