/* CryptoPulse dashboard: live cards, watchlist and the detail chart.  Plain
 * ES modules, no build step; the candlestick chart uses the vendored
 * lightweight-charts (candles.js).  Every server string reaches the DOM
 * through textContent only. */

import { CandleChart, RANGES } from './candles.js';
import { Sparkline } from './chart.js';
import { connect } from './cryptopulse.js';
import {
  coinName, formatCompact, formatInt, formatPercent, formatPrice, formatTime,
} from './format.js';
import { Watchlist } from './watchlist.js';

const SPARK_POINTS = 120;
const FLASH_MS = 900;

const $ = (id) => document.getElementById(id);
const dom = {
  status: $('status'), statusText: $('status-text'), transport: $('transport'),
  latency: $('latency'), ticks: $('ticks'), cards: $('cards'), empty: $('empty'),
  count: $('count'), search: $('search'), server: $('server'), updated: $('updated'),
  stale: $('stale'), staleText: $('stale-text'), detail: $('detail'),
};

const state = {
  symbols: [], // known symbols, server order
  cards: new Map(),
  ticks: 0,
  gaps: 0, // resumes that could not replay the missed ticks (SSE "snapshot")
  lastTickId: null,
  lastTickAt: 0,
  intervalMs: 1500,
  filter: 'all',
  query: '',
  detailSymbol: '',
  detailRange: RANGES[0].label,
  stale: false,
};
const watchlist = new Watchlist();

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function hue(symbol) {
  let h = 0;
  for (const ch of symbol) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

/* ---------- header ---------- */

const STATUS_TEXT = { connecting: 'Connecting', connected: 'Live', reconnecting: 'Reconnecting', offline: 'Offline' };

let retryCountdown = 0;

// While reconnecting, the status counts down to the next attempt once a
// second.  The status is an aria-live region: aria-busy keeps screen readers
// from announcing every second of it.
function setStatus(name, delayMs) {
  clearInterval(retryCountdown);
  retryCountdown = 0;
  dom.status.dataset.state = name;
  dom.status.removeAttribute('aria-busy');
  document.body.dataset.connection = name;
  dom.statusText.textContent = STATUS_TEXT[name] || name;
  if (name !== 'reconnecting' || !delayMs) return;
  const until = Date.now() + delayMs;
  const show = () => {
    const left = Math.ceil((until - Date.now()) / 1000);
    dom.statusText.textContent = left > 0 ? `Retry in ${left} s` : STATUS_TEXT.reconnecting;
    if (left <= 0) {
      clearInterval(retryCountdown);
      retryCountdown = 0;
      dom.status.removeAttribute('aria-busy');
    }
  };
  dom.status.setAttribute('aria-busy', 'true');
  show();
  retryCountdown = setInterval(show, 250);
}

function setTransport(name) {
  dom.transport.textContent = name || '–';
  document.body.dataset.transport = name ? name.toLowerCase() : '';
}

function setLatency(ms) {
  dom.latency.textContent = Number.isFinite(ms) ? `${formatInt(ms)} ms` : '–';
}

/* ---------- cards ---------- */

function stat(list, label) {
  const wrap = el('div', 'stat');
  const dd = el('dd', 'num', '–');
  wrap.append(el('dt', '', label), dd);
  list.append(wrap);
  return dd;
}

function buildCard(symbol) {
  const card = el('article', 'card pending');
  card.dataset.symbol = symbol;
  card.tabIndex = 0;
  card.draggable = true;
  card.style.setProperty('--coin-hue', String(hue(symbol)));
  card.setAttribute('aria-roledescription', 'price card');
  card.setAttribute('aria-keyshortcuts', 'Enter P Alt+ArrowLeft Alt+ArrowRight');

  const head = el('div', 'card-head');
  const badge = el('span', 'badge', symbol.slice(0, 1));
  badge.setAttribute('aria-hidden', 'true');
  const ident = el('div', 'ident');
  const sym = el('h2', 'sym', symbol);
  const name = el('span', 'coin', coinName(symbol));
  ident.append(sym, name);
  const pin = el('button', 'pin');
  pin.type = 'button';
  pin.innerHTML = '<svg viewBox="0 0 20 20" aria-hidden="true" focusable="false"><path d="m10 2.5 2.3 4.8 5.2.7-3.8 3.6.9 5.2-4.6-2.5-4.6 2.5.9-5.2L2.5 8l5.2-.7z"/></svg>';
  pin.addEventListener('click', (e) => { e.stopPropagation(); togglePin(symbol); });
  head.append(badge, ident, pin);

  const quote = el('div', 'quote');
  const price = el('div', 'price num', '–');
  const change = el('span', 'change num flat', '–');
  quote.append(price, change);

  const spark = new Sparkline();
  const stats = el('dl', 'stats');
  const high = stat(stats, 'High');
  const low = stat(stats, 'Low');
  const vol = stat(stats, 'Vol');
  const range = el('div', 'range');
  range.setAttribute('aria-hidden', 'true');
  const marker = el('span', 'range-marker');
  range.append(marker);
  const staleTag = el('span', 'stale-tag', 'stale');
  staleTag.setAttribute('aria-hidden', 'true');

  card.append(head, quote, spark.el, range, stats, staleTag);
  card.addEventListener('click', () => openDetail(symbol));
  const c = {
    symbol, card, pin, price, change, spark, high, low, vol, marker, name, sources: '',
    last: null, lastChange: 0, points: [], flashTimer: 0, historyLoaded: false,
  };
  renderPin(c);
  return c;
}

function renderPin(c) {
  const on = watchlist.isPinned(c.symbol);
  c.pin.setAttribute('aria-pressed', String(on));
  c.pin.setAttribute('aria-label', `${on ? 'Unpin' : 'Pin'} ${c.symbol}`);
  c.pin.title = on ? 'Unpin' : 'Pin to the top';
  c.card.classList.toggle('pinned', on);
}

function ensureCard(symbol) {
  let c = state.cards.get(symbol);
  if (!c) {
    c = buildCard(symbol);
    state.cards.set(symbol, c);
    if (!state.symbols.includes(symbol)) state.symbols.push(symbol);
    loadSparkHistory(c);
  }
  return c;
}

function matches(c) {
  const q = state.query;
  if (q && !c.symbol.toLowerCase().includes(q) && !coinName(c.symbol).toLowerCase().includes(q)) return false;
  switch (state.filter) {
    case 'pinned': return watchlist.isPinned(c.symbol);
    case 'gainers': return c.lastChange > 0;
    case 'losers': return c.lastChange < 0;
    default: return true;
  }
}

/* Put the cards in watchlist order and hide those the filter leaves out.
 * Nodes are only moved when the order changed, so focus stays put. */
function layout() {
  const order = watchlist.arrange(state.symbols);
  let shown = 0;
  order.forEach((s, i) => {
    const c = state.cards.get(s);
    if (dom.cards.children[i] !== c.card) dom.cards.insertBefore(c.card, dom.cards.children[i] || null);
    const visible = matches(c);
    c.card.hidden = !visible;
    if (visible) shown += 1;
  });
  for (const sk of dom.cards.querySelectorAll('.skeleton')) sk.remove();
  dom.empty.hidden = shown > 0 || state.symbols.length === 0;
  dom.count.textContent = state.symbols.length ? `${shown} of ${state.symbols.length}` : '';
}

function displayed() {
  return watchlist.arrange(state.symbols);
}

function togglePin(symbol) {
  watchlist.togglePin(symbol);
  renderPin(state.cards.get(symbol));
  layout();
}

function flash(c, up) {
  const cls = up ? 'flash-up' : 'flash-down';
  c.price.classList.remove('flash-up', 'flash-down');
  void c.price.offsetWidth; // restart the animation
  c.price.classList.add(cls);
  clearTimeout(c.flashTimer);
  c.flashTimer = setTimeout(() => c.price.classList.remove(cls), FLASH_MS);
}

function renderChange(node, pct) {
  if (!Number.isFinite(pct)) return 'flat';
  const dir = pct > 0 ? 'up' : pct < 0 ? 'down' : 'flat';
  const arrow = dir === 'up' ? '▲' : dir === 'down' ? '▼' : '▬';
  node.className = `change num ${dir}`;
  node.textContent = `${arrow} ${formatPercent(pct)}`;
  node.setAttribute('aria-label', `24 hour change ${formatPercent(pct)}`);
  return dir;
}

/* Live prices name the exchanges they came from, and are marked stale
 * when none is sending (README "Live prices"); the line under the symbol
 * keeps its height, so nothing moves. */
function renderSources(c, p) {
  const list = Array.isArray(p.sources) ? p.sources.filter((s) => typeof s === 'string') : [];
  const text = list.join(' · ');
  if (text !== c.sources) {
    c.sources = text;
    c.name.textContent = text ? `${coinName(c.symbol)} · ${text}` : coinName(c.symbol);
    c.name.title = text ? `Price from ${list.join(', ')}` : '';
  }
  c.card.classList.toggle('source-stale', p.stale === true);
}

function applyPrice(p, ts) {
  if (!p || typeof p.symbol !== 'string' || !Number.isFinite(p.price)) return;
  const c = ensureCard(p.symbol);
  const v = p.price;
  if (c.last !== null && v !== c.last) flash(c, v > c.last);
  const text = formatPrice(p.symbol, v);
  // The font fits the digits to the card (style.css): only a new length
  // changes it, and the box keeps its height, so nothing moves.
  if (text.length !== c.priceLen) {
    c.priceLen = text.length;
    c.price.style.setProperty('--len', String(text.length));
  }
  c.price.textContent = text;
  c.card.classList.remove('pending');
  c.card.dataset.trend = renderChange(c.change, p.change24h);
  const changed = Math.sign(p.change24h || 0) !== Math.sign(c.lastChange);
  c.lastChange = Number.isFinite(p.change24h) ? p.change24h : 0;
  c.high.textContent = formatPrice(p.symbol, p.high24h);
  c.low.textContent = formatPrice(p.symbol, p.low24h);
  c.vol.textContent = formatCompact(p.volume24h);
  if (Number.isFinite(p.volume24h)) c.vol.title = formatInt(p.volume24h);
  if ([p.low24h, p.high24h].every(Number.isFinite) && p.high24h > p.low24h) {
    const pos = Math.min(1, Math.max(0, (v - p.low24h) / (p.high24h - p.low24h)));
    c.marker.style.transform = `translateX(${(pos * 100).toFixed(2)}%)`;
  }
  renderSources(c, p);
  c.card.setAttribute('aria-label',
    `${coinName(p.symbol)} ${formatPrice(p.symbol, v)}, 24 hour change ${formatPercent(c.lastChange)}`
    + (p.stale ? ', stale: no exchange is sending this price' : '')
    + (c.sources ? `, from ${c.sources}` : ''));
  const t = Number.isFinite(p.ts) ? p.ts : ts;
  const lastPt = c.points[c.points.length - 1];
  if (Number.isFinite(t) && (!lastPt || t > lastPt[0])) {
    c.points.push([t, v]);
    if (c.points.length > SPARK_POINTS) c.points.splice(0, c.points.length - SPARK_POINTS);
    c.spark.draw(c.points);
  }
  c.last = v;
  c.data = p;
  if (state.detailSymbol === p.symbol) updateDetailQuote(c, t, v);
  if (changed && (state.filter === 'gainers' || state.filter === 'losers')) layout();
}

async function fetchHistory(symbol, limit) {
  const j = await client.history(symbol, { limit });
  return Array.isArray(j.points)
    ? j.points.filter((pt) => Array.isArray(pt) && Number.isFinite(pt[0]) && Number.isFinite(pt[1])) : [];
}

/* History first, then the live points that arrived while it loaded. */
function merge(history, live) {
  const end = history.length ? history[history.length - 1][0] : -Infinity;
  return history.concat(live.filter((pt) => pt[0] > end));
}

function loadSparkHistory(c) {
  fetchHistory(c.symbol, SPARK_POINTS).then((pts) => {
    c.historyLoaded = true;
    c.points = merge(pts, c.points).slice(-SPARK_POINTS);
    c.spark.draw(c.points);
  }).catch(() => { /* the sparkline fills from live ticks instead */ });
}

/* ---------- ticks and staleness ---------- */

function onTick({ id, ts, prices }) {
  /* A snapshot of a feed that has not ticked yet carries no prices and no
   * id: it is not a tick. */
  if (!prices.length && !id) return;
  if (id !== undefined && id !== null && id !== state.lastTickId) {
    state.lastTickId = id;
    state.ticks += 1;
    dom.ticks.textContent = formatInt(state.ticks);
  }
  const fresh = state.symbols.length;
  for (const p of prices) applyPrice(p, ts);
  if (state.symbols.length !== fresh) layout();
  state.lastTickAt = Date.now();
  if (Number.isFinite(ts)) dom.updated.textContent = `Last tick ${formatTime(ts)}`;
  setStale(false);
  const first = displayed()[0];
  const fc = first && state.cards.get(first);
  if (fc && fc.last !== null) document.title = `${first} ${formatPrice(first, fc.last)} · CryptoPulse`;
}

function setStale(on) {
  if (on === state.stale) return;
  state.stale = on;
  document.body.classList.toggle('is-stale', on);
  dom.stale.hidden = !on;
}

/* Ticks come every interval: three missed ones make the board stale. */
function watchdog() {
  if (!state.lastTickAt) return;
  const age = Date.now() - state.lastTickAt;
  if (age > state.intervalMs * 3 + 500) {
    setStale(true);
    dom.staleText.textContent = `Prices are stale: last update ${Math.round(age / 1000)} s ago`;
  }
}

/* ---------- detail chart ---------- */

/* ?transport=sse|websocket and ?share=none|broadcast|worker in the page's
 * address choose the library's options (README, "Troubleshooting"). */
function pageOptions() {
  const q = new URLSearchParams(location.search);
  const o = {};
  for (const k of ['transport', 'share']) if (q.get(k)) o[k] = q.get(k);
  return o;
}

/* All networking (the shared price stream, history) goes through the client
 * library, www/cryptopulse.js: one connection per browser for all tabs. */
const client = connect(undefined, pageOptions());
const chart = new CandleChart($('chart'), $('tooltip'), $('chart-note'), client);
Object.defineProperty(window, 'cpChart', { get: () => chart.debug(), enumerable: true });

function buildRanges() {
  const box = document.querySelector('.ranges');
  box.replaceChildren();
  for (const r of RANGES) {
    const b = el('button', '', r.label);
    b.type = 'button';
    b.dataset.range = r.label;
    b.setAttribute('role', 'radio');
    b.setAttribute('aria-checked', String(r.label === state.detailRange));
    b.setAttribute('aria-label', `${r.label}: ${r.name}`);
    b.title = r.name;
    b.addEventListener('click', () => {
      if (state.detailRange === r.label) return;
      state.detailRange = r.label;
      for (const o of box.children) o.setAttribute('aria-checked', String(o === b));
      loadDetail();
    });
    box.append(b);
  }
}

function updateDetailQuote(c, t, v) {
  const p = c.data;
  $('detail-price').textContent = formatPrice(c.symbol, v);
  if (p) {
    renderChange($('detail-change'), p.change24h);
    $('detail-high').textContent = formatPrice(c.symbol, p.high24h);
    $('detail-low').textContent = formatPrice(c.symbol, p.low24h);
    $('detail-vol').textContent = formatCompact(p.volume24h);
  }
  if (Number.isFinite(t)) chart.tick(v);
}

function loadDetail() {
  chart.open(state.detailSymbol, state.detailRange);
}

function openDetail(symbol) {
  const c = state.cards.get(symbol);
  if (!c) return;
  state.detailSymbol = symbol;
  $('detail-title').textContent = symbol;
  $('detail-name').textContent = `${coinName(symbol)} · USD`;
  const badge = $('detail-badge');
  badge.textContent = symbol.slice(0, 1);
  dom.detail.style.setProperty('--coin-hue', String(hue(symbol)));
  buildRanges();
  if (c.last !== null) updateDetailQuote(c, NaN, c.last);
  if (!dom.detail.open) dom.detail.showModal();
  loadDetail();
  $('chart').focus();
}

dom.detail.addEventListener('close', () => {
  const c = state.cards.get(state.detailSymbol);
  state.detailSymbol = '';
  chart.close();
  const lost = document.activeElement === document.body || dom.detail.contains(document.activeElement);
  if (lost && c && !c.card.hidden) c.card.focus();
});
$('detail-close').addEventListener('click', () => dom.detail.close());
dom.detail.addEventListener('click', (e) => { if (e.target === dom.detail) dom.detail.close(); });

/* ---------- watchlist controls and keyboard ---------- */

dom.search.addEventListener('input', () => {
  state.query = dom.search.value.trim().toLowerCase();
  layout();
});

for (const b of document.querySelectorAll('.filters button')) {
  b.addEventListener('click', () => {
    state.filter = b.dataset.filter;
    for (const o of document.querySelectorAll('.filters button')) {
      o.setAttribute('aria-checked', String(o === b));
    }
    layout();
  });
}

/* Arrow keys inside a radio group move the choice, as native radios do. */
for (const group of document.querySelectorAll('[role="radiogroup"]')) {
  group.addEventListener('keydown', (e) => {
    const dir = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
    if (!dir) return;
    const items = [...group.querySelectorAll('[role="radio"]')];
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    const next = items[(i + dir + items.length) % items.length];
    next.focus();
    next.click();
  });
}

function visibleCards() {
  return [...dom.cards.children].filter((n) => n.classList.contains('card') && !n.hidden && n.dataset.symbol);
}

/* Cards per row, read from the grid itself so it follows the breakpoints. */
function columns() {
  const cards = visibleCards();
  if (cards.length < 2) return 1;
  const top = cards[0].offsetTop;
  const n = cards.findIndex((c) => c.offsetTop !== top);
  return n < 0 ? cards.length : n;
}

dom.cards.addEventListener('keydown', (e) => {
  const card = e.target.closest('.card');
  if (!card || e.target !== card) return;
  const symbol = card.dataset.symbol;
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    openDetail(symbol);
  } else if (e.key === 'p' || e.key === 'P') {
    togglePin(symbol);
    card.focus();
  } else if (e.altKey && ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(e.key)) {
    e.preventDefault();
    const delta = { ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1 }[e.key];
    if (watchlist.move(displayed(), symbol, delta)) { layout(); card.focus(); }
  } else if (['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End'].includes(e.key)) {
    e.preventDefault();
    const cards = visibleCards();
    const i = cards.indexOf(card);
    const cols = columns();
    const j = {
      ArrowLeft: i - 1, ArrowRight: i + 1, ArrowUp: i - cols, ArrowDown: i + cols,
      Home: 0, End: cards.length - 1,
    }[e.key];
    if (j >= 0 && j < cards.length) cards[j].focus();
  }
});

/* Drag and drop reordering (mouse); the keyboard has Alt+arrows. */
let dragged = '';
dom.cards.addEventListener('dragstart', (e) => {
  const card = e.target.closest('.card');
  if (!card) return;
  dragged = card.dataset.symbol;
  card.classList.add('dragging');
  e.dataTransfer.effectAllowed = 'move';
  e.dataTransfer.setData('text/plain', dragged);
});
dom.cards.addEventListener('dragover', (e) => {
  if (dragged && e.target.closest('.card')) e.preventDefault();
});
dom.cards.addEventListener('drop', (e) => {
  const card = e.target.closest('.card');
  if (!card || !dragged) return;
  e.preventDefault();
  const r = card.getBoundingClientRect();
  const after = e.clientX > r.left + r.width / 2;
  if (watchlist.place(displayed(), dragged, card.dataset.symbol, after)) {
    renderPin(state.cards.get(dragged));
    layout();
  }
});
dom.cards.addEventListener('dragend', () => {
  for (const c of dom.cards.querySelectorAll('.dragging')) c.classList.remove('dragging');
  dragged = '';
});

document.addEventListener('keydown', (e) => {
  if (e.key === '/' && document.activeElement !== dom.search && !dom.detail.open) {
    e.preventDefault();
    dom.search.focus();
    dom.search.select();
  } else if (e.key === 'Escape' && document.activeElement === dom.search && dom.search.value) {
    dom.search.value = '';
    dom.search.dispatchEvent(new Event('input'));
  }
});

/* ---------- start ---------- */

function skeletons(n) {
  for (let i = 0; i < n; i++) {
    const sk = el('div', 'card skeleton');
    sk.setAttribute('aria-hidden', 'true');
    dom.cards.append(sk);
  }
}

const TRANSPORT_NAME = { websocket: 'WebSocket', sse: 'SSE' };
/* The library's states, as the header names them: "stale" (connected, no
 * tick for a while) is shown by the stale marker, the connection is still up. */
const HEADER_STATE = { live: 'connected', stale: 'connected' };

client.on('state', (name, detail) => {
  if (name === 'closed') return;
  setStatus(HEADER_STATE[name] || name, detail && detail.delayMs);
});
client.on('transport', (name) => setTransport(TRANSPORT_NAME[name] || ''));
client.on('latency', setLatency);
client.on('welcome', ({ symbols, intervalMs, server }) => {
  state.intervalMs = intervalMs;
  if (server) dom.server.textContent = server;
  for (const s of symbols) ensureCard(s);
  layout();
});
client.on('tick', onTick);
client.on('error', (e) => console.warn('CryptoPulse:', e.code, e.message));
client.on('gap', () => {
  /* Sparklines are built from ticks, some of which never came: load them
   * again from history, and the candles too. */
  state.gaps += 1;
  for (const c of state.cards.values()) loadSparkHistory(c);
  if (state.detailSymbol) chart.reload();
});

skeletons(8);
setInterval(watchdog, 1000);
window.cryptopulse = { state, client }; // for the browser test and the console
