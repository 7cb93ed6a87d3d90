/* <cryptopulse-ticker>: a live price widget for any HTML page (README,
 * "Embedding a live price").
 *
 *   <script type="module" src="https://prices.example.com/cryptopulse-ticker.js"></script>
 *   <cryptopulse-ticker symbols="BTC,ETH"></cryptopulse-ticker>
 *
 * Attributes (all optional, all reacted to when they change):
 *   symbols    comma-separated symbols, default every symbol the server has
 *              ("*"; then the box size is known only after the welcome)
 *   server     base URL of the CryptoPulse server; default the folder this
 *              module was loaded from, so no host is written into the page
 *   variant    "card" (default): a grid of cards; "strip": one line that
 *              scrolls horizontally when it does not fit
 *   transport  "auto" (default), "websocket" or "sse" (cryptopulse.js)
 *   share      "auto" (default), "worker", "broadcast" or "none": how tabs
 *              share one connection (cryptopulse.js)
 *
 * Theming: CSS custom properties set on the element or any ancestor
 * (they inherit into the shadow tree):
 *   --cp-bg, --cp-fg, --cp-muted (secondary text), --cp-border,
 *   --cp-up, --cp-down (change colours and flash), --cp-font,
 *   --cp-font-size, --cp-radius, --cp-gap, --cp-item-width (card width),
 *   --cp-flash-ms (flash length).  Shadow parts: root, item, price, change,
 *   status.
 *
 * Accessibility: every item has an accessible name that reads as a
 * sentence ("Bitcoin 97,123.45 US dollars, up 1.23 percent"); prices are
 * not a live region (a tick per second would drown everything else), only
 * connection state changes are announced, politely (role=status).  With
 * prefers-reduced-motion: reduce there is no flash animation and no
 * transition.
 *
 * Layout: every size is fixed before the first price arrives (placeholders,
 * min-widths, fixed line heights, tabular figures), so the page around the
 * widget never moves. */

import { connect, VERSION } from './cryptopulse.js';
import { tickDecimals, coinName, formatPrice } from './format.js';

export { VERSION };

const CSS = `
:host {
  display: block; height: 9.25rem;
  --_bg: var(--cp-bg, #0f172a);
  --_fg: var(--cp-fg, #e2e8f0);
  --_muted: var(--cp-muted, #94a3b8);
  --_border: var(--cp-border, rgba(148, 163, 184, 0.25));
  --_up: var(--cp-up, #34d399);
  --_down: var(--cp-down, #fb7185);
  --_gap: var(--cp-gap, 0.5rem);
  --_radius: var(--cp-radius, 0.5rem);
  --_flash: var(--cp-flash-ms, 900ms);
  font-family: var(--cp-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  font-size: var(--cp-font-size, 1rem);
  line-height: 1.25;
  contain: layout paint;
}
:host([variant="strip"]) { height: 2.25rem; }
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.root {
  height: 100%; overflow: hidden;
  background: var(--_bg); color: var(--_fg);
  border: 1px solid var(--_border); border-radius: var(--_radius);
  padding: var(--_gap);
}
.head {
  display: flex; justify-content: space-between; align-items: center;
  height: 1.25rem; margin-bottom: var(--_gap);
  font-size: 0.75em; color: var(--_muted); white-space: nowrap; overflow: hidden;
}
/* A fixed box with the dot first: a new state text moves nothing. */
.status { display: inline-flex; align-items: center; gap: 0.35em; width: 8.5em; flex: none; overflow: hidden; }
.dot { width: 0.55em; height: 0.55em; border-radius: 50%; background: var(--_muted); flex: none; }
.root[data-state="live"] .dot { background: var(--_up); }
.root[data-state="stale"] .dot, .root[data-state="reconnecting"] .dot,
.root[data-state="offline"] .dot { background: var(--_down); }
.items { list-style: none; margin: 0; padding: 0; }
.items:focus-visible { outline: 2px solid var(--_muted); outline-offset: 2px; }
.item { white-space: nowrap; transition: opacity 0.3s, filter 0.3s; }
.name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; }
.sym { color: var(--_muted); font-size: 0.8em; }
.price {
  font-variant-numeric: tabular-nums; font-weight: 600; border-radius: 0.25em;
  padding: 0 0.15em; overflow: hidden; text-overflow: ellipsis;
}
.change { font-variant-numeric: tabular-nums; font-size: 0.85em; color: var(--_muted); }
.change.up { color: var(--_up); }
.change.down { color: var(--_down); }
.price.flash-up { animation: cp-flash-up var(--_flash) ease-out; }
.price.flash-down { animation: cp-flash-down var(--_flash) ease-out; }
@keyframes cp-flash-up {
  0% { background: color-mix(in srgb, var(--_up) 35%, transparent); } 100% { background: transparent; }
}
@keyframes cp-flash-down {
  0% { background: color-mix(in srgb, var(--_down) 35%, transparent); } 100% { background: transparent; }
}
.root[data-state="stale"] .item, .root[data-state="reconnecting"] .item,
.root[data-state="offline"] .item { opacity: 0.55; filter: grayscale(1); }
.item.unknown { opacity: 0.55; }
.root[data-state="stale"] .status, .root[data-state="reconnecting"] .status,
.root[data-state="offline"] .status { color: var(--_fg); font-weight: 600; }

/* card: one row of fixed-size cards; scrolls sideways when too narrow
 * (a wrapping grid would change the height with the page's width). */
.card .items {
  display: grid; gap: var(--_gap); grid-auto-flow: column; align-items: start;
  grid-auto-columns: minmax(var(--cp-item-width, 12.5rem), 1fr);
  height: calc(100% - 1.25rem - var(--_gap)); padding-bottom: 0.75rem;
  overflow-x: auto; overflow-y: hidden; scrollbar-width: thin; scroll-snap-type: x proximity;
}
.card .item {
  display: grid; grid-template-rows: 1.25rem 1.75rem 1.25rem; align-items: center;
  padding: 0.5rem 0.75rem; border: 1px solid var(--_border); border-radius: var(--_radius);
  min-width: 0; overflow: hidden; scroll-snap-align: start;
}
.card .title { display: flex; gap: 0.4em; align-items: baseline; min-width: 0; overflow: hidden; }
.card .price { font-size: 1.3em; line-height: 1.75rem; justify-self: start; max-width: 100%; }

/* strip: one line of fixed-width cells, scrolls sideways when too narrow */
.strip { display: flex; align-items: center; gap: var(--_gap); padding: 0 var(--_gap); }
.strip .head { order: 2; margin: 0; flex: none; }
.strip .brand { display: none; }
.strip .items {
  display: flex; gap: calc(var(--_gap) * 2); flex: 1 1 auto; min-width: 0; height: 100%;
  align-items: center; overflow-x: auto; overflow-y: hidden; scrollbar-width: none;
}
.strip .item { display: inline-flex; gap: 0.4em; align-items: baseline; flex: none; line-height: 1.5rem; }
.strip .title { display: inline-block; width: 3.4em; }
.strip .name { display: none; }
.strip .sym { font-size: 0.85em; font-weight: 600; color: var(--_fg); }
.strip .price { display: inline-block; width: 8em; text-align: right; }
.strip .change { display: inline-block; width: 5.6em; text-align: right; }

.sr { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }

@media (prefers-reduced-motion: reduce) {
  .price.flash-up, .price.flash-down { animation: none; }
  .item { transition: none; }
}
`;

const STATE_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  stale: 'Stale',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  closed: 'Closed',
};

const numberFmts = new Map();
function plainNumber(symbol, value) {
  const d = tickDecimals(symbol, value);
  let f = numberFmts.get(d);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
    numberFmts.set(d, f);
  }
  return f.format(value);
}
const pctAbs = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/* The change as shown ("▲ +1.23%") and as read ("up 1.23 percent"). */
function describeChange(pct) {
  if (!Number.isFinite(pct)) return { text: '—', spoken: 'change unknown', dir: '' };
  const abs = pctAbs.format(Math.abs(pct));
  if (abs === '0.00') return { text: '▬ 0.00%', spoken: 'unchanged', dir: '' };
  return pct > 0
    ? { text: `▲ +${abs}%`, spoken: `up ${abs} percent`, dir: 'up' }
    : { text: `▼ −${abs}%`, spoken: `down ${abs} percent`, dir: 'down' };
}

function parseSymbols(attr) {
  const list = String(attr || '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  return list.length && !list.includes('*') ? [...new Set(list)] : ['*'];
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const TRANSPORTS = ['auto', 'websocket', 'sse'];
const SHARES = ['auto', 'worker', 'broadcast', 'none'];

/** @type {typeof HTMLElement} (Node has no HTMLElement: importing there defines nothing) */
const base = typeof HTMLElement === 'undefined' ? /** @type {any} */ (class {}) : HTMLElement;

export class CryptoPulseTicker extends base {
  static get observedAttributes() { return ['symbols', 'server', 'variant', 'transport', 'share']; }

  constructor() {
    super();
    this._client = null;
    this._off = [];
    this._items = new Map(); // symbol -> {li, price, change, last}
    this._state = 'connecting';
    const root = this.attachShadow({ mode: 'open' });
    root.appendChild(el('style', '', CSS));
    this._root = el('div', 'root');
    this._root.setAttribute('part', 'root');
    const head = el('div', 'head');
    head.appendChild(el('span', 'brand', 'Live prices'));
    this._status = el('span', 'status');
    this._status.setAttribute('part', 'status');
    this._status.setAttribute('role', 'status');
    this._status.setAttribute('aria-live', 'polite');
    this._status.appendChild(el('span', 'dot')).setAttribute('aria-hidden', 'true');
    this._statusText = this._status.appendChild(el('span', 'text'));
    head.appendChild(this._status);
    this._list = el('ul', 'items');
    this._list.setAttribute('role', 'list');
    this._list.tabIndex = 0; // the scrolling list is reachable by keyboard
    this._list.setAttribute('aria-label', 'Prices');
    this._root.append(head, this._list);
    root.appendChild(this._root);
  }

  /* The cryptopulse.js Client of this element (null while detached). */
  get client() { return this._client; }
  get state() { return this._state; }

  connectedCallback() {
    this._applyVariant();
    this._start();
  }

  disconnectedCallback() {
    this._stop();
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (oldValue === newValue || !this.isConnected) return;
    if (name === 'variant') this._applyVariant();
    else if (name === 'symbols') this._changeSymbols();
    else this._restart(); // server, transport, share: a new client
  }

  _applyVariant() {
    const v = this.getAttribute('variant') === 'strip' ? 'strip' : 'card';
    this._root.classList.toggle('strip', v === 'strip');
    this._root.classList.toggle('card', v === 'card');
  }

  _wanted() { return parseSymbols(this.getAttribute('symbols')); }

  _start() {
    if (this._client) return;
    const symbols = this._wanted();
    this._layout(symbols[0] === '*' ? [] : symbols);
    const opts = { symbols };
    // A value the library does not know is not worth a blank widget: warn
    // and use the default.
    /** @type {Array<[string, string[]]>} */
    const choices = [['transport', TRANSPORTS], ['share', SHARES]];
    for (const [name, allowed] of choices) {
      const v = this.getAttribute(name);
      if (v && allowed.includes(v)) opts[name] = v;
      else if (v) console.warn(`<cryptopulse-ticker>: ${name}="${v}" is not one of ${allowed.join(', ')}; using auto`);
    }
    const server = this.getAttribute('server');
    const c = connect(server || undefined, opts);
    this._client = c;
    this._off = [
      c.on('state', (s) => this._setState(s)),
      c.on('welcome', (w) => this._welcome(w)),
      c.on('price', (p) => this._price(p)),
    ];
    this._setState(c.state || 'connecting');
    for (const p of (c.prices ? c.prices.values() : [])) this._price(p);
  }

  _stop() {
    for (const off of this._off) if (typeof off === 'function') off();
    this._off = [];
    if (this._client) this._client.close();
    this._client = null;
  }

  _restart() {
    this._stop();
    this._start();
  }

  _changeSymbols() {
    if (!this._client) return;
    const wanted = this._wanted();
    const old = this._client.symbols || [];
    const gone = old.filter((s) => !wanted.includes(s));
    if (gone.length) this._client.unsubscribe(gone);
    this._layout(wanted[0] === '*' ? (this._known || []) : wanted);
    this._client.subscribe(wanted);
  }

  _welcome(w) {
    this._known = w.symbols || [];
    if (this._wanted()[0] === '*') this._layout(this._known);
    for (const [symbol, item] of this._items) {
      // A symbol the feed does not carry says so instead of waiting forever.
      const unknown = !this._known.includes(symbol);
      item.li.classList.toggle('unknown', unknown);
      if (unknown) {
        item.price.textContent = 'n/a';
        item.change.textContent = 'not in feed';
        item.li.setAttribute('aria-label', `${symbol}: not in this price feed`);
      }
    }
  }

  /* One item per symbol, in order, with placeholders of the final size. */
  _layout(symbols) {
    const keep = new Map();
    for (const s of symbols) {
      keep.set(s, this._items.get(s) || this._makeItem(s));
    }
    this._items = keep;
    this._list.replaceChildren(...[...keep.values()].map((i) => i.li));
  }

  _makeItem(symbol) {
    const li = el('li', 'item');
    li.setAttribute('part', 'item');
    li.dataset.symbol = symbol;
    const title = el('span', 'title');
    title.append(el('span', 'name', coinName(symbol)), el('span', 'sym', symbol));
    const price = el('span', 'price', '–');
    price.setAttribute('part', 'price');
    const change = el('span', 'change', '—');
    change.setAttribute('part', 'change');
    for (const e of [title, price, change]) e.setAttribute('aria-hidden', 'true');
    li.append(title, price, change);
    li.setAttribute('aria-label', `${coinName(symbol)}, no price yet`);
    price.addEventListener('animationend', () => price.classList.remove('flash-up', 'flash-down'));
    return { li, price, change, last: null };
  }

  _price(p) {
    const item = this._items.get(p.symbol);
    if (!item || !Number.isFinite(p.price)) return;
    const ch = describeChange(p.change24h);
    item.price.textContent = formatPrice(p.symbol, p.price);
    item.change.textContent = ch.text;
    item.change.className = `change ${ch.dir}`.trim();
    item.li.setAttribute('aria-label',
      `${coinName(p.symbol)} ${plainNumber(p.symbol, p.price)} US dollars, ${ch.spoken}`);
    if (item.last !== null && p.price !== item.last) this._flash(item, p.price > item.last ? 'up' : 'down');
    item.last = p.price;
  }

  /* Restart the flash animation (a class removed and added in the same
   * frame would not restart it).  Under reduced motion the style sheet
   * turns the animation off; the class still marks the direction. */
  _flash(item, dir) {
    const e = item.price;
    e.classList.remove('flash-up', 'flash-down');
    void e.offsetWidth; // eslint-disable-line no-void
    e.classList.add(`flash-${dir}`);
    this._flashes = (this._flashes || 0) + 1;
    clearTimeout(item.timer);
    item.timer = setTimeout(() => e.classList.remove('flash-up', 'flash-down'), 2000);
  }

  _setState(s) {
    this._state = s;
    this._root.dataset.state = s;
    const text = STATE_TEXT[s] || s;
    // Only a change of text is announced: no repeat of "Live" on every tick.
    if (this._statusText.textContent !== text) this._statusText.textContent = text;
    this.dispatchEvent(new CustomEvent('cryptopulse-state', { detail: { state: s } }));
  }
}

if (typeof customElements !== 'undefined' && !customElements.get('cryptopulse-ticker')) {
  customElements.define('cryptopulse-ticker', CryptoPulseTicker);
}

export default CryptoPulseTicker;
