/* The transport core of www/cryptopulse.js: one connection to a CryptoPulse
 * server (docs/PROTOCOL.md sections 2-3) and the ports that hear it.
 * No DOM: it runs in a page, a SharedWorker or Node, with its timers,
 * sockets and clock injected (env), so tests drive it with fakes.
 *
 * - WebSocket first ('auto'): a socket that cannot connect, never says
 *   "welcome" or is cut moves to SSE at once, resuming after the last whole
 *   tick id; SSE failing too waits with exponential backoff ("equal jitter")
 *   and starts over; while on SSE, WebSocket is probed now and then.
 * - Every reconnect resumes: WebSocket `?symbols=*&since=` in the URL (a
 *   probe from SSE: `subscribe` with `since` once adopted), SSE
 *   `?lastEventId=`. Ticks not after the last id are dropped, so none is
 *   repeated, and a resume answered by a snapshot (SSE `snapshot`, WebSocket
 *   `"snapshot": true`) is reported as a gap.
 * - Ports are functions taking plain, structured-cloneable messages
 *   ({t: 'state' | 'welcome' | 'tick' | 'gap' | 'latency' | 'transport' |
 *   'error' | 'sync', ...}), so a worker or a channel can carry them as is. */

const UNREACHABLE_AFTER = 3; // failed attempts in a row before an 'unreachable' error
const WS_PROBE_START_MS = 15000;
const WS_PROBE_MAX_MS = 120000;
const FIRST_PING_MS = 600;
const DEFAULT_INTERVAL_MS = 1500;

/** Exponential backoff with "equal jitter": half fixed, half random, never zero.
 * @param {number} attempt 0 for the first retry
 * @param {number} startMs @param {number} maxMs @param {() => number} random
 * @returns {number} ms */
export function backoffDelay(attempt, startMs = 500, maxMs = 10000, random = Math.random) {
  const base = Math.min(maxMs, startMs * 2 ** Math.min(attempt, 20));
  return Math.round(base * (0.5 + random() * 0.5));
}

/** Compare two tick ids `<ms>-<seq>` (Redis stream ids, PROTOCOL.md section 4).
 * @returns {number} < 0, 0 or > 0; NaN when either is malformed */
export function compareTickIds(a, b) {
  const pa = parseId(a);
  const pb = parseId(b);
  if (!pa || !pb) return NaN;
  return pa[0] - pb[0] || pa[1] - pb[1];
}

function parseId(id) {
  const m = typeof id === 'string' && /^(\d+)-(\d+)$/.exec(id);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch (_) {
    return null;
  }
}

/** The base URL as the WebSocket URL of `ws` below it; with `sub`
 * ({symbols, since}), the subscription in its query, which the server
 * answers behind its welcome (PROTOCOL.md section 2, "Subscribing in the URL"). */
export function wsUrlOf(base, sub) {
  const u = new URL('ws', base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  if (sub) {
    u.searchParams.set('symbols', sub.symbols.join(','));
    if (sub.since) u.searchParams.set('since', sub.since);
  }
  return u.href;
}

export class Connection {
  /**
   * @param {object} cfg {url, transport, staleAfterMs, backoffStartMs, backoffMaxMs,
   *   pingIntervalMs, welcomeTimeoutMs}; url is the resolved base URL string
   * @param {object} env {WebSocket, EventSource, fetch, setTimeout, clearTimeout,
   *   setInterval, clearInterval, now, random, online}
   * @param {string|null} lastId resume after this tick id (a new broadcast leader)
   */
  constructor(cfg, env, lastId = null) {
    this.cfg = cfg;
    this.env = env;
    this.ports = new Set();
    this.lastId = lastId;
    this.everLive = false;
    this.state = lastId ? 'reconnecting' : 'connecting'; // a new leader takes over
    this.detail = undefined;
    this.transport = null;
    this.latencyMs = null;
    this.welcome = null;
    this.prices = new Map(); // latest price per symbol: bounded by the feed's symbols
    this.ws = this.es = this.probe = null;
    this.attempt = 0;
    this.probeDelay = WS_PROBE_START_MS;
    this.timers = { retry: 0, ping: 0, probe: 0, rtt: 0, stale: 0 };
    this.pingId = 0;
    this.lastMessageAt = 0;
    this.closed = false;
    // Back online: retry now rather than after the backoff; a live
    // connection (the event may come without a prior offline) is kept.
    this.onOnline = () => { if (this.state !== 'live' && this.state !== 'stale') this.restart(); };
    this.onOffline = () => { this.stop(); this.setState('offline'); };
    const g = globalThis;
    if (!env.noWindowEvents && typeof g.addEventListener === 'function') {
      g.addEventListener('online', this.onOnline);
      g.addEventListener('offline', this.onOffline);
    }
  }

  /* ---------- ports ---------- */

  /** Add a port (msg => void); it gets a 'sync' of the current state first. */
  attach(port) {
    this.ports.add(port);
    port({ t: 'sync', snap: this.snapshot() });
  }

  detach(port) {
    this.ports.delete(port);
  }

  /** The state a newcomer needs: structured-cloneable. */
  snapshot() {
    return {
      state: this.state, detail: this.detail, transport: this.transport, latencyMs: this.latencyMs,
      lastTickId: this.lastId, welcome: this.welcome, prices: [...this.prices.values()],
    };
  }

  post(msg) {
    for (const p of [...this.ports]) p(msg);
  }

  setState(state, detail) {
    if (state === this.state && detail === this.detail) return;
    this.state = state;
    this.detail = detail;
    if (state === 'live') this.everLive = true;
    this.post({ t: 'state', state, detail });
  }

  setTransport(name) {
    if (name === this.transport) return;
    this.transport = name;
    this.post({ t: 'transport', name });
  }

  setLatency(ms) {
    if (ms === this.latencyMs) return;
    this.latencyMs = ms;
    this.post({ t: 'latency', ms });
  }

  /* ---------- life cycle ---------- */

  start() {
    const { WebSocket: WS, EventSource: ES } = this.env;
    const t = this.cfg.transport;
    if ((t === 'sse' && !ES) || (t === 'websocket' && !WS) || (!WS && !ES)) {
      // Nothing to connect with (Node 20 has no WebSocket): say so, once.
      this.post({ t: 'error', error: { code: 'no_transport',
        message: `this host has no ${t === 'sse' ? 'EventSource' : t === 'websocket' ? 'WebSocket' : 'WebSocket or EventSource'}: pass one in the options (in Node: { WebSocket } from the ws package)` } });
      this.close();
      return;
    }
    if (t === 'sse') this.connectSse();
    else this.connectWs();
  }

  restart() {
    if (this.closed) return;
    this.stop();
    this.attempt = 0;
    this.start();
  }

  close() {
    if (this.closed) return;
    this.stop();
    this.closed = true;
    const g = globalThis;
    if (typeof g.removeEventListener === 'function') {
      g.removeEventListener('online', this.onOnline);
      g.removeEventListener('offline', this.onOffline);
    }
    this.setTransport(null);
    this.setState('closed');
    this.ports.clear();
  }

  stop() {
    const e = this.env;
    for (const k of Object.keys(this.timers)) {
      e.clearTimeout(this.timers[k]);
      e.clearInterval(this.timers[k]);
      this.timers[k] = 0;
    }
    this.closeWs(this.ws);
    this.closeWs(this.probe);
    this.ws = this.probe = null;
    if (this.es) this.es.close();
    this.es = null;
    this.setLatency(null);
  }

  closeWs(ws) {
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try { ws.close(); } catch (_) { /* already gone */ }
  }

  connectingState() {
    return this.everLive || this.lastId ? 'reconnecting' : 'connecting';
  }

  offline() {
    if (this.env.online()) return false;
    this.setTransport(null);
    this.setState('offline');
    return true;
  }

  /* ---------- ticks and staleness ---------- */

  tick(id, ts, prices, snapshot) {
    if (this.lastId && typeof id === 'string' && !(compareTickIds(id, this.lastId) > 0)) {
      this.markAlive();
      return; // already had it (a resume overlap or a leader hand-over)
    }
    if (typeof id === 'string') this.lastId = id;
    const clean = prices.filter((p) => p && typeof p.symbol === 'string');
    for (const p of clean) this.prices.set(p.symbol, p);
    this.markAlive();
    if (snapshot) this.post({ t: 'gap' });
    this.post({ t: 'tick', tick: { id, ts, prices: clean } });
  }

  intervalMs() {
    return (this.welcome && this.welcome.intervalMs) || DEFAULT_INTERVAL_MS;
  }

  staleAfterMs() {
    return this.cfg.staleAfterMs || 3 * this.intervalMs() + 500;
  }

  markAlive() {
    const e = this.env;
    e.clearTimeout(this.timers.stale);
    this.timers.stale = e.setTimeout(() => {
      this.timers.stale = 0;
      if (this.state === 'live') this.setState('stale');
    }, this.staleAfterMs());
    if (this.state === 'stale') this.setState('live');
  }

  goLive(name) {
    this.attempt = 0;
    this.setTransport(name);
    this.setState('live');
    this.markAlive();
  }

  /* ---------- WebSocket ---------- */

  /** What this connection subscribes to: every symbol, from the last tick id. */
  subscription() {
    const sub = { symbols: ['*'] };
    if (this.lastId) sub.since = this.lastId;
    return sub;
  }

  openWs(onWelcome, onFail, sub) {
    const e = this.env;
    let ws;
    try {
      ws = new e.WebSocket(wsUrlOf(this.cfg.url, sub));
    } catch (_) {
      const t = e.setTimeout(onFail, 0);
      return { close() { e.clearTimeout(t); } };
    }
    let welcomed = false;
    const timer = e.setTimeout(() => { this.closeWs(ws); onFail(); }, this.cfg.welcomeTimeoutMs);
    ws.onmessage = (ev) => {
      const msg = parse(ev.data);
      if (!welcomed && msg && msg.event === 'welcome') {
        welcomed = true;
        e.clearTimeout(timer);
        onWelcome(ws, msg.data || {});
      }
    };
    ws.onclose = () => { e.clearTimeout(timer); if (!welcomed) onFail(); };
    return ws;
  }

  connectWs() {
    if (this.closed || this.offline()) return;
    this.setState(this.connectingState());
    // Nothing else is live meanwhile, so lastId cannot move before the
    // welcome: the URL carries the subscription and the resume point.
    this.ws = this.openWs((ws, data) => this.adoptWs(ws, data, true), () => {
      this.ws = null;
      if (this.cfg.transport === 'websocket') this.scheduleRetry();
      else this.connectSse(); // refused or black-holed: SSE right away
    }, this.subscription());
  }

  /** `subscribed`: the URL held the subscription (connectWs); else (a probe,
   * while SSE moved lastId on) it is sent now, with the last id as `since`. */
  adoptWs(ws, data, subscribed) {
    const e = this.env;
    this.ws = ws;
    this.probeDelay = WS_PROBE_START_MS;
    this.lastMessageAt = e.now();
    ws.onmessage = (ev) => this.wsMessage(ev);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPings();
      this.setTransport(null);
      this.setLatency(null);
      this.setState('reconnecting');
      if (this.cfg.transport === 'websocket') this.scheduleRetry();
      else this.connectSse(); // cut by a proxy, or the gateway went away
    };
    this.welcome = {
      symbols: Array.isArray(data.symbols) ? data.symbols.filter((s) => typeof s === 'string') : [],
      intervalMs: Number.isFinite(data.interval_ms) && data.interval_ms > 0 ? data.interval_ms : DEFAULT_INTERVAL_MS,
      server: typeof data.server === 'string' ? data.server : '',
    };
    this.post({ t: 'welcome', welcome: this.welcome });
    this.goLive('websocket');
    if (!subscribed) this.send('subscribe', this.subscription());
    // The first ping waits for the snapshot, to measure the network rather
    // than the page's start.
    this.stopPings();
    this.timers.ping = e.setTimeout(() => {
      this.ping();
      this.timers.ping = e.setInterval(() => this.ping(), this.cfg.pingIntervalMs);
    }, FIRST_PING_MS);
  }

  send(event, data) {
    const ws = this.ws;
    const open = this.env.WebSocket.OPEN ?? 1;
    if (ws && ws.readyState === open) ws.send(JSON.stringify({ event, data }));
  }

  ping() {
    const now = this.env.now();
    if (now - this.lastMessageAt > this.cfg.pingIntervalMs * 3) {
      const ws = this.ws; // silent for three ping periods: treat it as dead
      if (ws && ws.onclose) ws.onclose();
      this.closeWs(ws);
      return;
    }
    this.pingId += 1;
    this.send('ping', { id: this.pingId, ts: now });
  }

  stopPings() {
    this.env.clearTimeout(this.timers.ping);
    this.env.clearInterval(this.timers.ping);
    this.timers.ping = 0;
  }

  wsMessage(ev) {
    this.lastMessageAt = this.env.now();
    const msg = parse(ev.data);
    if (!msg || typeof msg.event !== 'string') return;
    const d = msg.data;
    if (msg.event === 'price-update-bulk' && d && Array.isArray(d.prices)) {
      // "snapshot": true: a resume the gateway could not replay, the
      // current prices in place of the missed ticks (PROTOCOL.md section 3).
      this.tick(d.id, d.ts, d.prices, d.snapshot === true);
    } else if (msg.event === 'price-update' && d) {
      this.tick(d.id, d.ts, [d], false);
    } else if (msg.event === 'pong' && d && Number.isFinite(d.ts)) {
      this.setLatency(Math.max(0, this.lastMessageAt - d.ts));
    } else if (msg.event === 'error' && d) {
      this.post({ t: 'error', error: { code: String(d.code || 'error'), message: String(d.message || '') } });
    }
  }

  /* ---------- Server-Sent Events ---------- */

  connectSse() {
    if (this.es || this.closed || this.offline()) return;
    const ES = this.env.EventSource;
    if (!ES) { this.scheduleRetry(); return; }
    this.setState(this.connectingState());
    const u = new URL('events', this.cfg.url);
    u.searchParams.set('symbols', '*');
    if (this.lastId) u.searchParams.set('lastEventId', this.lastId);
    const es = new ES(u.href.replace('symbols=%2A', 'symbols=*'));
    this.es = es;
    let opened = false;
    const onEvent = (ev) => {
      if (this.es !== es) return;
      const d = parse(ev.data);
      if (!d) return;
      const id = ev.lastEventId || d.id;
      if (ev.type === 'snapshot' && Array.isArray(d.prices)) {
        // The resume point could not be used (PROTOCOL.md section 3).
        this.lastId = null;
        this.tick(id, d.ts, d.prices, true);
      } else if (ev.type === 'price-update-bulk' && Array.isArray(d.prices)) {
        this.tick(id, d.ts, d.prices, false);
      } else if (ev.type === 'price-update') {
        this.tick(id, d.ts, [d], false);
      }
    };
    es.addEventListener('snapshot', onEvent);
    es.addEventListener('price-update-bulk', onEvent);
    es.addEventListener('price-update', onEvent);
    es.addEventListener('error', (ev) => {
      if (this.es !== es || typeof ev.data !== 'string') return;
      const d = parse(ev.data); // a server "error" event, not a network error
      if (d) this.post({ t: 'error', error: { code: String(d.code || d.error || 'error'), message: String(d.message || '') } });
    });
    es.onopen = () => {
      if (this.es !== es) return;
      opened = true;
      this.goLive('sse');
      this.measureRtt();
      if (this.cfg.transport === 'auto') this.scheduleProbe();
    };
    es.onerror = () => {
      if (this.es !== es) return;
      const connecting = ES.CONNECTING ?? 0;
      if (opened && es.readyState === connecting) {
        // Lost after working: the browser reconnects once by itself,
        // sending Last-Event-ID (PROTOCOL.md section 3).
        opened = false;
        this.env.clearTimeout(this.timers.rtt);
        this.setTransport(null);
        this.setLatency(null);
        this.setState('reconnecting');
        return;
      }
      es.close();
      this.es = null;
      this.env.clearTimeout(this.timers.rtt);
      this.env.clearTimeout(this.timers.probe);
      this.scheduleRetry();
    };
  }

  /* No ping on SSE: time a small request instead, as the round trip. */
  measureRtt() {
    const e = this.env;
    e.clearTimeout(this.timers.rtt);
    if (!this.es || !e.fetch) return;
    const es = this.es;
    const t0 = e.now();
    Promise.resolve()
      .then(() => e.fetch(new URL('health', this.cfg.url).href, { cache: 'no-store' }))
      .then((r) => r.arrayBuffer())
      .then(() => { if (this.es === es) this.setLatency(Math.round(e.now() - t0)); })
      .catch(() => {});
    this.timers.rtt = e.setTimeout(() => this.measureRtt(), this.cfg.pingIntervalMs);
  }

  scheduleProbe() {
    const e = this.env;
    e.clearTimeout(this.timers.probe);
    this.timers.probe = e.setTimeout(() => {
      if (!this.es || this.probe) return;
      this.probe = this.openWs((ws, data) => {
        this.probe = null;
        e.clearTimeout(this.timers.rtt);
        if (this.es) this.es.close();
        this.es = null;
        this.adoptWs(ws, data);
      }, () => {
        this.probe = null;
        this.probeDelay = Math.min(WS_PROBE_MAX_MS, this.probeDelay * 2);
        if (this.es) this.scheduleProbe();
      });
    }, this.probeDelay);
  }

  scheduleRetry() {
    const e = this.env;
    this.setTransport(null);
    this.setLatency(null);
    if (this.timers.retry || this.closed) return;
    const delayMs = backoffDelay(this.attempt, this.cfg.backoffStartMs, this.cfg.backoffMaxMs, e.random);
    this.attempt += 1;
    if (this.attempt === UNREACHABLE_AFTER) {
      // Browsers do not tell a page why a WebSocket or EventSource failed
      // (a 404, a 403 from CORS_ORIGINS, nobody listening): say that it
      // keeps failing, once per outage, and keep trying.
      this.post({ t: 'error', error: { code: 'unreachable',
        message: `no answer from ${this.cfg.url} after ${this.attempt} attempts: check the URL, the proxy and the server's CORS_ORIGINS` } });
    }
    this.setState('reconnecting', { delayMs });
    this.timers.retry = e.setTimeout(() => {
      this.timers.retry = 0;
      this.start();
    }, delayMs);
  }
}
