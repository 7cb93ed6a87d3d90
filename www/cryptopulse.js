/* CryptoPulse client library: live prices from a CryptoPulse server over
 * WebSocket (SSE as the fallback), one connection per browser shared by its
 * tabs, with resume by tick id. ES module, no dependencies, no build step;
 * importable in Node 20 (nothing global is touched at import time).
 *
 *   import { connect } from './cryptopulse.js';
 *   const cp = connect();                       // the server this file came from
 *   cp.on('price', (p) => console.log(p.symbol, p.price));
 *
 * The API is README.md's "Client library"; the wire is docs/PROTOCOL.md.
 * Evaluated as a SharedWorker (share 'worker'), the same file serves the
 * tabs' ports instead (cryptopulse-share.js). */

import { Connection, backoffDelay, compareTickIds } from './cryptopulse-connection.js';
import { BroadcastHub, DirectHub, WorkerHub, serveWorker } from './cryptopulse-share.js';

/** The package version; equal to configure.ac's AC_INIT version (tests/js checks). */
export const VERSION = '0.1.0';

/**
 * @typedef {'connecting'|'live'|'stale'|'reconnecting'|'offline'|'closed'} State
 * @typedef {'websocket'|'sse'} TransportName
 * @typedef {object} Price one symbol's price (PROTOCOL.md section 2)
 * @property {string} symbol @property {number} price @property {number} change24h percent
 * @property {number} volume24h @property {number} high24h @property {number} low24h
 * @property {number} ts ms since the epoch, when the feeder made it
 * @property {string} id the tick id, `<ms>-<seq>`
 * @property {string[]} [sources] exchanges (live data) @property {boolean} [stale]
 * @typedef {object} Tick a whole tick, its prices filtered to the client's symbols
 * @property {string} id @property {number} ts @property {Price[]} prices
 * @typedef {object} Welcome
 * @property {string[]} symbols every symbol of the feed @property {number} intervalMs
 * @property {string} server e.g. "cryptopulse/0.1.0"
 * @typedef {object} ServerError @property {string} code @property {string} message
 * @typedef {object} StateDetail @property {number} [delayMs] the wait before the next retry
 * @typedef {object} Options
 * @property {string[]} [symbols] what this client's handlers see; default ['*'] (all)
 * @property {'auto'|'websocket'|'sse'} [transport] default 'auto'
 * @property {'auto'|'worker'|'broadcast'|'none'} [share] default 'auto'
 * @property {number} [staleAfterMs] default 3 × the server's interval + 500
 * @property {number} [backoffStartMs] default 500 @property {number} [backoffMaxMs] default 10000
 * @property {number} [pingIntervalMs] default 4000 @property {number} [welcomeTimeoutMs] default 5000
 * @property {any} [WebSocket] tests and non-browser hosts: replacements for the globals
 * @property {any} [EventSource] @property {typeof fetch} [fetch] @property {any} [SharedWorker]
 * @property {any} [BroadcastChannel] @property {any} [locks] a LockManager (navigator.locks)
 * @property {() => number} [now] @property {() => number} [random] @property {() => boolean} [online]
 * @property {Function} [setTimeout] @property {Function} [clearTimeout]
 * @property {Function} [setInterval] @property {Function} [clearInterval]
 * @property {string|URL} [workerUrl] the SharedWorker script; default this module
 * @typedef {object} HistoryOptions
 * @property {'1m'|'5m'|'1h'|'1d'} [interval] candles; without it, [ts, price] points
 * @property {number} [from] ms @property {number} [to] ms @property {number} [limit]
 * @typedef {object} ClientEvents
 * @property {(state: State, detail?: StateDetail) => void} state
 * @property {(w: Welcome) => void} welcome
 * @property {(t: Tick) => void} tick
 * @property {(p: Price) => void} price
 * @property {() => void} gap ticks were missed: reload what was built from them
 * @property {(ms: number|null) => void} latency
 * @property {(name: TransportName|null) => void} transport
 * @property {(e: ServerError) => void} error
 */

/** What history() rejects with on HTTP ≥ 400: the server's message, the
 * status and its error code (PROTOCOL.md section 1, e.g. "unknown_symbol"). */
export class HttpError extends Error {
  /** @param {string} message @param {number} status @param {string} code */
  constructor(message, status, code) {
    super(message);
    this.name = 'HttpError';
    /** @type {number} */ this.status = status;
    /** @type {string} */ this.code = code;
  }
}

const DEFAULTS = { backoffStartMs: 500, backoffMaxMs: 10000, pingIntervalMs: 4000, welcomeTimeoutMs: 5000 };
const TRANSPORTS = ['auto', 'websocket', 'sse'];
const SHARES = ['auto', 'worker', 'broadcast', 'none'];
const hubsByCtor = new WeakMap(); // sharing constructor -> Map key -> hub (one per tab)

function bind(g, name) {
  return typeof g[name] === 'function' ? g[name].bind(g) : undefined;
}

/** The host's globals, each replaceable through the options (null: none). */
function makeEnv(o = {}) {
  const g = globalThis;
  const nav = g.navigator;
  const pick = (k, dflt) => (k in o ? o[k] || undefined : dflt);
  return {
    WebSocket: pick('WebSocket', g.WebSocket),
    EventSource: pick('EventSource', g.EventSource),
    fetch: pick('fetch', bind(g, 'fetch')),
    SharedWorker: pick('SharedWorker', g.SharedWorker),
    BroadcastChannel: pick('BroadcastChannel', g.BroadcastChannel),
    locks: pick('locks', 'BroadcastChannel' in o ? undefined : nav && nav.locks),
    setTimeout: pick('setTimeout', bind(g, 'setTimeout')),
    clearTimeout: pick('clearTimeout', bind(g, 'clearTimeout')),
    setInterval: pick('setInterval', bind(g, 'setInterval')),
    clearInterval: pick('clearInterval', bind(g, 'clearInterval')),
    now: pick('now', () => Date.now()),
    random: pick('random', Math.random),
    online: pick('online', () => !(nav && nav.onLine === false)),
    // Node has a BroadcastChannel too, but no tabs to share with.
    tabs: !!g.document || 'BroadcastChannel' in o,
  };
}

function pageUrl() {
  const g = globalThis;
  if (g.document && g.document.baseURI) return g.document.baseURI;
  if (g.location && g.location.href) return g.location.href;
  return import.meta.url;
}

/** The base URL (a folder: a missing final / is added), resolved against the page. */
function resolveBase(url) {
  const u = new URL(url == null || url === '' ? new URL('./', import.meta.url) : url, pageUrl());
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  u.search = u.hash = '';
  return u.href;
}

function sameOrigin(a) {
  const loc = globalThis.location;
  try {
    return !!loc && new URL(a, loc.href).origin === loc.origin;
  } catch (_) {
    return false;
  }
}

/** @returns {'worker'|'broadcast'|'none'} */
function chooseShare(share, env, workerUrl) {
  if (share === 'none') return 'none';
  if ((share === 'auto' || share === 'worker') && env.SharedWorker && sameOrigin(workerUrl)) return 'worker';
  if (env.BroadcastChannel && (share === 'broadcast' || env.tabs)) return 'broadcast';
  return 'none';
}

function hubFor(mode, cfg, env, workerUrl) {
  // 'none' shares within the tab: one connection per page, whatever the
  // number of clients (keyed by the socket constructor, as tests swap it).
  const ctor = mode === 'worker' ? env.SharedWorker
    : mode === 'broadcast' ? env.BroadcastChannel : env.WebSocket || env.EventSource;
  if (!ctor) return new DirectHub(cfg, env);
  let hubs = hubsByCtor.get(ctor);
  if (!hubs) hubsByCtor.set(ctor, (hubs = new Map()));
  const key = cfg.transport + ' ' + cfg.url;
  let hub = hubs.get(key);
  if (!hub) {
    hub = mode === 'worker' ? new WorkerHub(cfg, env, key, workerUrl)
      : mode === 'broadcast' ? new BroadcastHub(cfg, env, key) : new DirectHub(cfg, env);
    hub.onEmpty = () => { if (hubs.get(key) === hub) hubs.delete(key); };
    hubs.set(key, hub);
  }
  return hub;
}

function symbolList(symbols) {
  const list = typeof symbols === 'string' ? [symbols] : Array.isArray(symbols) ? symbols : [];
  return list.filter((s) => typeof s === 'string' && s !== '').map((s) => (s === '*' ? s : s.toUpperCase()));
}

export class Client {
  /** Prefer connect(). @param {string|URL} [url] @param {Options} [options] */
  constructor(url, options = {}) {
    const o = options || {};
    const transport = o.transport || 'auto';
    const share = o.share || 'auto';
    if (!TRANSPORTS.includes(transport)) throw new TypeError(`cryptopulse: unknown transport "${transport}"`);
    if (!SHARES.includes(share)) throw new TypeError(`cryptopulse: unknown share "${share}"`);
    this._env = makeEnv(o);
    this._url = resolveBase(url);
    this._handlers = new Map();
    this._all = false;
    this._include = new Set();
    this._exclude = new Set();
    // Asked for but left out as unknown: taken back when the feed turns out
    // to carry them (_reknow()).
    this._unknown = new Set();
    /** @type {State} */
    this._state = 'connecting';
    this._detail = undefined;
    this._transport = null;
    this._latency = null;
    this._lastTickId = null;
    this._welcome = null;
    this._cache = new Map(); // latest price of every symbol of the feed
    this._synced = false;
    this._closed = false;
    this._setSymbols(o.symbols === undefined ? ['*'] : symbolList(o.symbols));
    const cfg = { url: this._url, transport, staleAfterMs: o.staleAfterMs || 0 };
    for (const k of Object.keys(DEFAULTS)) cfg[k] = Number.isFinite(o[k]) && o[k] > 0 ? o[k] : DEFAULTS[k];
    const workerUrl = String(o.workerUrl || import.meta.url);
    this._shared = chooseShare(share, this._env, workerUrl);
    // Handlers are added after connect() returns: start on the next turn.
    this._hub = null;
    Promise.resolve().then(() => {
      if (this._closed) return;
      this._hub = hubFor(this._shared, cfg, this._env, workerUrl);
      this._hub.add(this);
    });
  }

  /** @template {keyof ClientEvents} K @param {K} event @param {ClientEvents[K]} fn
   * @returns {() => void} removes the handler */
  on(event, fn) {
    if (!this._handlers.has(event)) this._handlers.set(event, new Set());
    this._handlers.get(event).add(fn);
    return () => this.off(event, fn);
  }

  /** @template {keyof ClientEvents} K @param {K} event @param {ClientEvents[K]} fn */
  off(event, fn) {
    const set = this._handlers.get(event);
    if (set) set.delete(fn);
  }

  _emit(event, ...args) {
    const set = this._handlers.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (err) {
        // Reported (window.onerror in a page) without stopping the other handlers.
        if (typeof globalThis.reportError === 'function') globalThis.reportError(err);
        else console.error(err);
      }
    }
  }

  _sees(symbol) {
    return (this._all && !this._exclude.has(symbol)) || this._include.has(symbol);
  }

  _setSymbols(list) {
    this._all = list.includes('*');
    this._include = new Set(list.filter((s) => s !== '*'));
    this._exclude = new Set();
    this._unknown = new Set();
  }

  /** Add symbols ('*' = all) to what this client's handlers see; emits the
   * latest known prices of the new ones, and 'error' unknown_symbol for
   * symbols not in the feed (which are left out, as the gateway leaves them
   * out of a subscription, until a later welcome or tick shows the feed
   * carrying them: a gateway that has just started may welcome before it
   * has read the feed's list). Over the wire the shared connection always
   * takes every symbol. @param {string|string[]} symbols */
  subscribe(symbols) {
    const list = symbolList(symbols);
    const before = new Set([...this._cache.keys()].filter((s) => this._sees(s)));
    for (const s of list) {
      if (s === '*') { this._all = true; this._exclude.clear(); } else { this._include.add(s); this._exclude.delete(s); }
    }
    this._checkKnown(list);
    for (const [s, p] of this._cache) if (!before.has(s) && this._sees(s)) this._emit('price', p);
  }

  /** Remove symbols ('*' = all) from what this client's handlers see. @param {string|string[]} symbols */
  unsubscribe(symbols) {
    for (const s of symbolList(symbols)) {
      if (s === '*') { this._all = false; this._include.clear(); this._exclude.clear(); this._unknown.clear(); } else {
        this._include.delete(s);
        this._unknown.delete(s);
        if (this._all) this._exclude.add(s);
      }
    }
  }

  _checkKnown(list) {
    if (!this._welcome) return;
    const known = new Set(this._welcome.symbols);
    for (const s of list) {
      if (s !== '*' && !known.has(s)) {
        // As the gateway does: the rest of the request still applies.
        this._include.delete(s);
        this._unknown.add(s);
        this._emit('error', { code: 'unknown_symbol', message: `unknown symbol ${s}` });
      }
    }
  }

  /** GET history below the base URL (PROTOCOL.md section 1).
   * @param {string} symbol @param {HistoryOptions} [opts]
   * @returns {Promise<any>} the JSON body; rejects with an Error with .status and .code on HTTP >= 400 */
  async history(symbol, opts = {}) {
    if (typeof symbol !== 'string' || symbol === '') throw new TypeError('cryptopulse: history() needs a symbol');
    const u = new URL('history', this._url);
    u.searchParams.set('symbol', symbol);
    for (const k of ['interval', 'from', 'to', 'limit']) {
      if (opts && opts[k] !== undefined && opts[k] !== null) u.searchParams.set(k, String(opts[k]));
    }
    const res = await this._env.fetch(u.href, { headers: { Accept: 'application/json' } });
    if (res.status >= 400) {
      let body = null;
      try { body = await res.json(); } catch (_) { /* not JSON */ }
      throw new HttpError((body && body.message) || `HTTP ${res.status}`, res.status,
        (body && body.error) || 'http_error');
    }
    return res.json();
  }

  /** Stop this client; the shared connection closes when its last client is gone. */
  close() {
    if (this._closed) return;
    this._closed = true;
    if (this._hub) this._hub.remove(this);
    this._transport = null;
    this._state = 'closed';
    this._emit('state', 'closed', undefined);
  }

  /* Messages of the Connection, through the hub (cryptopulse-connection.js). */
  _message(msg) {
    if (this._closed) return;
    switch (msg.t) {
      case 'sync': this._sync(msg.snap); break;
      case 'state': this._setState(msg.state, msg.detail); break;
      case 'welcome': this._setWelcome(msg.welcome); break;
      case 'tick': this._tick(msg.tick); break;
      case 'gap': this._emit('gap'); break;
      case 'latency': this._latency = msg.ms; this._emit('latency', msg.ms); break;
      case 'transport': this._transport = msg.name; this._emit('transport', msg.name); break;
      case 'error': this._emit('error', msg.error); break;
      default: break;
    }
  }

  _sync(snap) {
    if (snap.welcome && JSON.stringify(snap.welcome) !== JSON.stringify(this._welcome)) this._setWelcome(snap.welcome);
    if (snap.transport !== this._transport) { this._transport = snap.transport; this._emit('transport', snap.transport); }
    if (snap.latencyMs !== this._latency) { this._latency = snap.latencyMs; this._emit('latency', snap.latencyMs); }
    if (snap.lastTickId && !(compareTickIds(snap.lastTickId, this._lastTickId) <= 0)) this._lastTickId = snap.lastTickId;
    for (const p of snap.prices || []) this._cache.set(p.symbol, p);
    if (snap.state !== this._state || !this._synced) this._setState(snap.state, snap.detail);
    if (!this._synced) {
      this._synced = true;
      for (const [s, p] of this._cache) if (this._sees(s)) this._emit('price', p);
    }
  }

  /** @param {State} state @param {StateDetail} [detail] */
  _setState(state, detail) {
    this._state = state;
    this._detail = detail;
    this._emit('state', state, detail);
  }

  _setWelcome(w) {
    this._welcome = w;
    this._emit('welcome', w);
    this._reknow(w.symbols);
    this._checkKnown([...this._include]);
  }

  /* Symbols left out as unknown that the feed does carry (in a welcome's
   * list, or priced in a tick) are this client's again. */
  _reknow(symbols) {
    for (const s of symbols) {
      if (this._unknown.delete(s)) this._include.add(s);
    }
  }

  _tick(tick) {
    if (tick.id) this._lastTickId = tick.id;
    if (this._unknown.size > 0) this._reknow(tick.prices.map((p) => p.symbol)); // none on most ticks
    for (const p of tick.prices) this._cache.set(p.symbol, p);
    const prices = tick.prices.filter((p) => this._sees(p.symbol));
    if (prices.length === 0) return;
    this._emit('tick', { id: tick.id, ts: tick.ts, prices });
    for (const p of prices) this._emit('price', p);
  }

  /** @returns {State} */ get state() { return this._state; }
  /** @returns {TransportName|null} */ get transport() { return this._transport; }
  /** @returns {string|null} the last whole tick id */ get lastTickId() { return this._lastTickId; }
  /** @returns {number|null} */ get latencyMs() { return this._latency; }
  /** @returns {Map<string, Price>} the latest price of each of this client's symbols */
  get prices() { return new Map([...this._cache].filter(([s]) => this._sees(s))); }
  /** @returns {string[]} ['*'] for every symbol */
  get symbols() {
    if (!this._all) return [...this._include];
    if (this._exclude.size === 0) return ['*'];
    const all = this._welcome ? this._welcome.symbols : [...this._cache.keys()];
    return [...new Set([...all, ...this._include])].filter((s) => this._sees(s));
  }
  /** @returns {string} from the welcome, e.g. "cryptopulse/0.1.0" */ get server() { return this._welcome ? this._welcome.server : ''; }
  /** @returns {number|null} the server's tick interval */ get intervalMs() { return this._welcome ? this._welcome.intervalMs : null; }
  /** @returns {'worker'|'broadcast'|'none'} */ get shared() { return this._shared; }
  /** @returns {string} the resolved base URL */ get url() { return this._url; }
}

/** Connect to a CryptoPulse server (default: the folder this module was loaded from).
 * @param {string|URL} [url] @param {Options} [options] @returns {Client} */
export function connect(url, options) {
  return new Client(url, options);
}

export { Connection, backoffDelay, compareTickIds };
export default { connect, VERSION, Client, HttpError };

// Evaluated as the SharedWorker of share 'worker': serve the tabs.
{
  const g = globalThis;
  if (typeof g.SharedWorkerGlobalScope === 'function' && g instanceof g.SharedWorkerGlobalScope) serveWorker(g, makeEnv());
}
