/* The price feed: WebSocket first (docs/PROTOCOL.md section 2), Server-Sent Events
 * on /events as the fallback (section 3), with reconnects.
 *
 * - WebSocket cannot connect, never says "welcome", or is cut: try SSE at
 *   once, resuming after the last tick id seen (?lastEventId=, and the
 *   browser's own Last-Event-ID header on its reconnects).
 * - SSE fails too (the gateway is down): wait with exponential backoff and
 *   jitter, then start over with WebSocket.
 * - While on SSE, probe WebSocket now and then and move back when it works.
 * URLs are relative to the page, so the dashboard works under any prefix
 * behind a proxy. */

const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 10000;
const WELCOME_TIMEOUT_MS = 5000;
const PING_INTERVAL_MS = 4000;
const WS_PROBE_START_MS = 15000;
const WS_PROBE_MAX_MS = 120000;

export function backoffDelay(attempt) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.5 + Math.random() * 0.5)); // "equal jitter": spread, never zero
}

function wsUrl() {
  const u = new URL('ws', location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch (_) {
    return null;
  }
}

export class Feed {
  /* h: onStatus(state, detail), onTransport(name), onLatency(ms or null),
   * onWelcome({symbols, intervalMs, server}), onTick({id, ts, prices}),
   * onGap(): ticks were missed (the resume point was too old), so anything
   * built from the stream of ticks, such as sparklines, should reload. */
  constructor(h) {
    this.h = h;
    this.ws = null;
    this.es = null;
    this.probe = null;
    this.lastId = null;
    this.attempt = 0;
    this.probeDelay = WS_PROBE_START_MS;
    this.timers = { retry: 0, ping: 0, welcome: 0, probe: 0, rtt: 0 };
    this.pingId = 0;
    this.lastMessageAt = 0;
    window.addEventListener('online', () => this.restart());
    window.addEventListener('offline', () => { this.stop(); this.h.onStatus('offline'); });
  }

  start() {
    this.connectWs();
  }

  restart() {
    this.stop();
    this.attempt = 0;
    this.connectWs();
  }

  stop() {
    for (const k of Object.keys(this.timers)) {
      clearTimeout(this.timers[k]);
      clearInterval(this.timers[k]);
      this.timers[k] = 0;
    }
    this.closeWs(this.ws);
    this.closeWs(this.probe);
    this.ws = this.probe = null;
    if (this.es) this.es.close();
    this.es = null;
    this.h.onLatency(null);
  }

  closeWs(ws) {
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try { ws.close(); } catch (_) { /* already gone */ }
  }

  /* ---------- WebSocket ---------- */

  openWs(onWelcome, onFail) {
    let ws;
    try {
      ws = new WebSocket(wsUrl());
    } catch (_) {
      setTimeout(onFail, 0);
      return null;
    }
    let welcomed = false;
    const timer = setTimeout(() => { this.closeWs(ws); onFail(); }, WELCOME_TIMEOUT_MS);
    ws.onmessage = (ev) => {
      const msg = parse(ev.data);
      if (!welcomed && msg && msg.event === 'welcome') {
        welcomed = true;
        clearTimeout(timer);
        onWelcome(ws, msg.data || {});
      }
    };
    ws.onclose = () => { clearTimeout(timer); if (!welcomed) onFail(); };
    return ws;
  }

  connectWs() {
    if (!navigator.onLine) { this.h.onStatus('offline'); return; }
    this.h.onStatus(this.attempt === 0 && !this.lastId ? 'connecting' : 'reconnecting');
    this.ws = this.openWs((ws, data) => this.adoptWs(ws, data), () => {
      this.ws = null;
      this.connectSse(); // WebSocket refused or black-holed: SSE right away
    });
  }

  adoptWs(ws, data) {
    this.ws = ws;
    this.attempt = 0;
    this.probeDelay = WS_PROBE_START_MS;
    this.lastMessageAt = Date.now();
    ws.onmessage = (ev) => this.wsMessage(ev);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPings();
      this.h.onStatus('reconnecting');
      this.connectSse(); // cut (by a proxy, or the gateway went away)
    };
    this.h.onTransport('WebSocket');
    this.h.onStatus('connected');
    this.h.onWelcome({
      symbols: Array.isArray(data.symbols) ? data.symbols.filter((s) => typeof s === 'string') : [],
      intervalMs: Number.isFinite(data.interval_ms) && data.interval_ms > 0 ? data.interval_ms : 1500,
      server: typeof data.server === 'string' ? data.server : '',
    });
    const sub = { symbols: ['*'] };
    if (this.lastId) sub.since = this.lastId;
    this.send('subscribe', sub);
    // The first ping waits until the snapshot and history requests are
    // handled, so that it measures the network rather than the page's start.
    this.stopPings();
    this.timers.ping = setTimeout(() => {
      this.ping();
      this.timers.ping = setInterval(() => this.ping(), PING_INTERVAL_MS);
    }, 600);
  }

  send(event, data) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ event, data }));
  }

  ping() {
    if (Date.now() - this.lastMessageAt > PING_INTERVAL_MS * 3) {
      const ws = this.ws; // silent for three ping periods: treat it as dead
      if (ws && ws.onclose) ws.onclose();
      this.closeWs(ws);
      return;
    }
    this.pingId += 1;
    this.send('ping', { id: this.pingId, ts: Date.now() });
  }

  stopPings() {
    clearTimeout(this.timers.ping);
    clearInterval(this.timers.ping);
    this.timers.ping = 0;
  }

  wsMessage(ev) {
    this.lastMessageAt = Date.now();
    const msg = parse(ev.data);
    if (!msg || typeof msg.event !== 'string') return;
    const d = msg.data;
    if (msg.event === 'price-update-bulk' && d && Array.isArray(d.prices)) {
      this.tick(d.id, d.ts, d.prices);
    } else if (msg.event === 'price-update' && d) {
      this.tick(d.id, d.ts, [d]);
    } else if (msg.event === 'pong' && d && Number.isFinite(d.ts)) {
      this.h.onLatency(Math.max(0, Date.now() - d.ts));
    } else if (msg.event === 'error' && d) {
      console.warn('CryptoPulse server error:', d.code, d.message);
    }
  }

  tick(id, ts, prices) {
    if (typeof id === 'string') this.lastId = id;
    this.h.onTick({ id, ts, prices });
  }

  /* ---------- Server-Sent Events ---------- */

  connectSse() {
    if (this.es) return;
    if (!navigator.onLine) { this.h.onStatus('offline'); return; }
    let url = 'events?symbols=*';
    if (this.lastId) url += `&lastEventId=${encodeURIComponent(this.lastId)}`;
    const es = new EventSource(url);
    this.es = es;
    let opened = false;
    const onEvent = (ev) => {
      const d = parse(ev.data);
      if (!d) return;
      if (ev.lastEventId) this.lastId = ev.lastEventId;
      if (ev.type === 'snapshot' && Array.isArray(d.prices)) {
        // The resume point could not be used (docs/PROTOCOL.md section 3): the
        // current prices, and the ticks between are lost.
        this.tick(d.id, d.ts, d.prices);
        if (this.h.onGap) this.h.onGap();
      } else if (ev.type === 'price-update-bulk' && Array.isArray(d.prices)) {
        this.tick(d.id, d.ts, d.prices);
      } else if (ev.type === 'price-update') {
        this.tick(d.id, d.ts, [d]);
      }
    };
    es.addEventListener('snapshot', onEvent);
    es.addEventListener('price-update-bulk', onEvent);
    es.addEventListener('price-update', onEvent);
    es.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.h.onTransport('SSE');
      this.h.onStatus('connected');
      this.measureRtt();
      this.scheduleProbe();
    };
    es.onerror = () => {
      if (this.es !== es) return;
      if (opened && es.readyState === EventSource.CONNECTING) {
        // Lost after working: let the browser reconnect once by itself,
        // which sends Last-Event-ID (docs/PROTOCOL.md section 3).
        opened = false;
        clearTimeout(this.timers.rtt);
        this.h.onTransport('');
        this.h.onLatency(null);
        this.h.onStatus('reconnecting');
        return;
      }
      es.close();
      this.es = null;
      clearTimeout(this.timers.rtt);
      this.scheduleRetry();
    };
  }

  /* No ping on SSE: time a small request instead, as the round trip. */
  measureRtt() {
    clearTimeout(this.timers.rtt);
    if (!this.es) return;
    const t0 = performance.now();
    fetch('health', { cache: 'no-store' })
      .then((r) => r.arrayBuffer())
      .then(() => { if (this.es) this.h.onLatency(Math.round(performance.now() - t0)); })
      .catch(() => {});
    this.timers.rtt = setTimeout(() => this.measureRtt(), PING_INTERVAL_MS);
  }

  scheduleProbe() {
    clearTimeout(this.timers.probe);
    this.timers.probe = setTimeout(() => {
      if (!this.es || this.probe) return;
      this.probe = this.openWs((ws, data) => {
        this.probe = null;
        clearTimeout(this.timers.rtt);
        if (this.es) this.es.close();
        this.es = null;
        this.adoptWs(ws, data);
      }, () => {
        this.probe = null;
        this.probeDelay = Math.min(WS_PROBE_MAX_MS, this.probeDelay * 2);
        this.scheduleProbe();
      });
    }, this.probeDelay);
  }

  scheduleRetry() {
    this.h.onTransport('');
    this.h.onLatency(null);
    if (this.timers.retry) return;
    const delay = backoffDelay(this.attempt);
    this.attempt += 1;
    this.h.onStatus('reconnecting', delay);
    this.timers.retry = setTimeout(() => {
      this.timers.retry = 0;
      this.connectWs();
    }, delay);
  }
}
