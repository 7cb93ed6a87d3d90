/* Fakes for the unit tests of www/cryptopulse.js: a manual clock with timers,
 * WebSocket and EventSource driven by the test, fetch, a BroadcastChannel bus
 * and a Web Locks manager. No network. */

/* A window-like global for the online/offline and pagehide events. */
const target = new EventTarget();
globalThis.addEventListener = target.addEventListener.bind(target);
globalThis.removeEventListener = target.removeEventListener.bind(target);
export function fire(type) {
  target.dispatchEvent(new Event(type));
}

/** Let queued promises and channel messages run. */
export async function flush(turns = 5) {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

export class Clock {
  constructor(t = 1_700_000_000_000) {
    this.t = t;
    this.seq = 0;
    this.timers = new Map();
    this.setTimeout = (fn, ms = 0) => this.add(fn, ms, 0);
    this.setInterval = (fn, ms = 0) => this.add(fn, ms, Math.max(1, ms));
    this.clearTimeout = this.clearInterval = (id) => { this.timers.delete(id); };
    this.now = () => this.t;
  }

  add(fn, ms, every) {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn, every });
    return id;
  }

  /** Advance by ms, running every timer due in time order. */
  advance(ms) {
    const end = this.t + ms;
    for (;;) {
      let next = null;
      for (const [id, tm] of this.timers) if (tm.at <= end && (!next || tm.at < next[1].at || (tm.at === next[1].at && id < next[0]))) next = [id, tm];
      if (!next) break;
      const [id, tm] = next;
      this.t = tm.at;
      if (tm.every) tm.at += tm.every;
      else this.timers.delete(id);
      tm.fn();
    }
    this.t = end;
  }
}

export function makeWebSocket() {
  class FakeWebSocket {
    static OPEN = 1;
    static instances = [];
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      this.closed = false;
      FakeWebSocket.instances.push(this);
    }

    send(text) { this.sent.push(JSON.parse(text)); }
    close() { this.closed = true; this.readyState = 3; }
    open() { this.readyState = 1; if (this.onopen) this.onopen({}); }
    emit(event, data) { if (this.onmessage) this.onmessage({ data: JSON.stringify({ event, data }) }); }
    welcome(data = {}) {
      this.open();
      this.emit('welcome', { server: 'cryptopulse/test', symbols: ['BTC', 'ETH', 'SOL'], interval_ms: 1000, ...data });
    }

    serverClose() { this.readyState = 3; if (this.onclose) this.onclose({ code: 1006 }); }
    static get last() { return FakeWebSocket.instances[FakeWebSocket.instances.length - 1]; }
  }
  return FakeWebSocket;
}

export function makeEventSource() {
  class FakeEventSource {
    static CONNECTING = 0;
    static instances = [];
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.listeners = new Map();
      this.closed = false;
      FakeEventSource.instances.push(this);
    }

    addEventListener(type, fn) {
      if (!this.listeners.has(type)) this.listeners.set(type, []);
      this.listeners.get(type).push(fn);
    }

    close() { this.closed = true; this.readyState = 2; }
    open() { this.readyState = 1; if (this.onopen) this.onopen({}); }
    emit(type, data, lastEventId = '') {
      for (const fn of this.listeners.get(type) || []) fn({ type, data: JSON.stringify(data), lastEventId });
    }

    /** A network error: reconnecting (the browser retries) or failed. */
    fail(reconnecting) { this.readyState = reconnecting ? 0 : 2; if (this.onerror) this.onerror({}); }
    static get last() { return FakeEventSource.instances[FakeEventSource.instances.length - 1]; }
  }
  return FakeEventSource;
}

/** fetch answering from a function (url) -> {status, body}; records the URLs. */
export function makeFetch(answer) {
  const f = async (url) => {
    f.urls.push(url);
    const { status = 200, body = {} } = answer(url) || {};
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return {
      status, ok: status < 400,
      json: async () => JSON.parse(text),
      arrayBuffer: async () => new TextEncoder().encode(text).buffer,
    };
  };
  f.urls = [];
  return f;
}

/** One browser's BroadcastChannel: tab() gives each tab its own constructor. */
export function makeBus() {
  const open = new Set();
  return {
    open,
    tab() {
      return class FakeBroadcastChannel {
        constructor(name) { this.name = name; open.add(this); }
        postMessage(msg) {
          const copy = structuredClone(msg);
          for (const ch of open) {
            if (ch !== this && ch.name === this.name) queueMicrotask(() => { if (open.has(ch) && ch.onmessage) ch.onmessage({ data: copy }); });
          }
        }

        close() { open.delete(this); }
      };
    },
  };
}

/** navigator.locks: exclusive locks granted in request order. */
export function makeLocks() {
  const held = new Map();
  const queues = new Map();
  const grant = (name) => {
    if (held.get(name)) return;
    const q = queues.get(name) || [];
    const req = q.shift();
    if (!req) return;
    held.set(name, true);
    Promise.resolve(req.cb({ name })).then(req.resolve, req.reject).finally(() => {
      held.set(name, false);
      grant(name);
    });
  };
  return {
    request(name, opts, cb) {
      return new Promise((resolve, reject) => {
        const req = { cb, resolve, reject };
        if (!queues.has(name)) queues.set(name, []);
        queues.get(name).push(req);
        if (opts && opts.signal) {
          opts.signal.addEventListener('abort', () => {
            const q = queues.get(name);
            const i = q.indexOf(req);
            if (i >= 0) { q.splice(i, 1); reject(new Error('AbortError')); }
          });
        }
        grant(name);
      });
    },
  };
}

/** A price object of tick id. */
export function price(symbol, id, value = 100) {
  return { symbol, price: value, change24h: 0, volume24h: 1, high24h: value, low24h: value, ts: Number(id.split('-')[0]), id };
}

export function bulk(id, symbols = ['BTC', 'ETH', 'SOL']) {
  return { id, ts: Number(id.split('-')[0]), prices: symbols.map((s) => price(s, id)) };
}

/** Options for connect() with every global faked; returns them with the fakes. */
export function fakeOptions(extra = {}) {
  const clock = new Clock();
  const WebSocket = makeWebSocket();
  const EventSource = makeEventSource();
  const fetch = makeFetch(() => ({ body: { status: 'ok' } }));
  let online = true;
  const opts = {
    share: 'none', WebSocket, EventSource, fetch,
    setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout,
    setInterval: clock.setInterval, clearInterval: clock.clearInterval,
    now: clock.now, random: () => 0.5, online: () => online,
    ...extra,
  };
  return { opts, clock, WebSocket, EventSource, fetch, setOnline(v) { online = v; } };
}

/** Record a client's events as [name, ...args]. */
export function record(client, names = ['state', 'welcome', 'tick', 'price', 'gap', 'latency', 'transport', 'error']) {
  const log = [];
  for (const n of names) client.on(n, (...a) => log.push([n, ...a]));
  log.of = (n) => log.filter((e) => e[0] === n).map((e) => e.slice(1));
  log.states = () => log.of('state').map((e) => e[0]);
  return log;
}
