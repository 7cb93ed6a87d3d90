/* Sharing one Connection (cryptopulse-connection.js) between the tabs of a
 * browser, per (server URL, transport) key:
 * - WorkerHub: a SharedWorker runs the Connection (serveWorker below, in the
 *   same module graph); each tab's hub is one MessagePort with heartbeats
 *   and a 'bye' on pagehide, so the worker drops dead tabs and closes the
 *   connection a short grace after the last one left.
 * - BroadcastHub: the tabs elect a leader (a Web Lock held for the leader's
 *   life, else heartbeats on the channel); the leader runs the Connection and
 *   broadcasts its messages, followers repeat them to their clients. A
 *   follower that becomes leader resumes from the last tick id it heard.
 * - DirectHub: a Connection of one's own.
 * A hub fans the Connection's messages out to the Clients of its tab. */

import { Connection, compareTickIds } from './cryptopulse-connection.js';

const WORKER_HEARTBEAT_MS = 5000;
// Hidden tabs may run their timers once a minute (Chrome's intensive
// throttling): only a tab silent for longer than that is taken as gone.
const WORKER_PORT_TIMEOUT_MS = 150000;
const WORKER_GRACE_MS = 2000;
const LEADER_HEARTBEAT_MS = 1000;
const LEADER_TIMEOUT_MS = 3500;
const CLAIM_WAIT_MS = 250;
const FIRST_WATCH_MS = 300; // a leader answers a newcomer's hello at once

class Hub {
  constructor(env) {
    this.env = env;
    this.clients = new Set();
    this.onEmpty = null;
    this.lastSync = null;
  }

  deliver(msg) {
    for (const c of [...this.clients]) c._message(msg);
  }

  add(client) {
    this.clients.add(client);
  }

  /** Let the connection go: the last client left (each kind of hub its own way). */
  shutdown() {}

  remove(client) {
    this.clients.delete(client);
    if (this.clients.size === 0) {
      this.shutdown();
      if (this.onEmpty) this.onEmpty();
    }
  }
}

export class DirectHub extends Hub {
  constructor(cfg, env) {
    super(env);
    this.conn = new Connection(cfg, env);
    this.port = (msg) => this.deliver(msg);
    this.started = false;
  }

  add(client) {
    super.add(client);
    if (!this.started) {
      this.started = true;
      this.conn.attach(this.port);
      this.conn.start();
    }
  }

  shutdown() {
    this.conn.detach(this.port);
    this.conn.close();
  }
}

/* ---------- SharedWorker ---------- */

export class WorkerHub extends Hub {
  constructor(cfg, env, key, scriptUrl) {
    super(env);
    this.cfg = cfg;
    const w = new env.SharedWorker(scriptUrl, { type: 'module', name: 'cryptopulse:' + key });
    this.port = w.port;
    this.port.onmessage = (ev) => this.fromWorker(ev.data);
    if (this.port.start) this.port.start();
    this.hello();
    this.hb = env.setInterval(() => this.post({ t: 'hb', cfg }), WORKER_HEARTBEAT_MS);
    const g = globalThis;
    this.onPageHide = () => this.post({ t: 'bye' });
    this.onPageShow = (ev) => { if (ev && ev.persisted) this.hello(); };
    if (typeof g.addEventListener === 'function') {
      g.addEventListener('pagehide', this.onPageHide);
      g.addEventListener('pageshow', this.onPageShow);
    }
  }

  hello() {
    this.post({ t: 'hello', cfg: this.cfg });
  }

  post(msg) {
    try { this.port.postMessage(msg); } catch (_) { /* worker gone */ }
  }

  fromWorker(msg) {
    if (msg && typeof msg.t === 'string') this.deliver(msg);
  }

  add(client) {
    super.add(client);
    if (this.lastSync) client._message(this.lastSync);
    else this.post({ t: 'resync' });
  }

  deliver(msg) {
    if (msg.t === 'sync') this.lastSync = msg;
    else if (this.lastSync) this.lastSync = null; // stale: the next add asks again
    super.deliver(msg);
  }

  shutdown() {
    this.env.clearInterval(this.hb);
    this.post({ t: 'bye' });
    const g = globalThis;
    if (typeof g.removeEventListener === 'function') {
      g.removeEventListener('pagehide', this.onPageHide);
      g.removeEventListener('pageshow', this.onPageShow);
    }
    try { this.port.close(); } catch (_) { /* already closed */ }
  }
}

/** Runs inside the SharedWorker: one Connection for the ports of every tab.
 * @param {object} scope the SharedWorkerGlobalScope @param {object} env */
export function serveWorker(scope, env) {
  let conn = null;
  let cfg = null;
  let grace = 0;
  const ports = new Map(); // port -> {seen, fn}
  const drop = (port) => {
    const p = ports.get(port);
    if (!p) return;
    ports.delete(port);
    if (conn) conn.detach(p.fn);
    if (ports.size === 0 && conn && !grace) {
      grace = env.setTimeout(() => {
        grace = 0;
        if (ports.size === 0 && conn) { conn.close(); conn = null; }
      }, WORKER_GRACE_MS);
    }
  };
  const join = (port, c) => {
    if (!cfg) cfg = c;
    if (!cfg) return;
    env.clearTimeout(grace);
    grace = 0;
    const fn = (msg) => port.postMessage(msg);
    ports.set(port, { seen: env.now(), fn });
    if (!conn) {
      conn = new Connection(cfg, env);
      conn.attach(fn);
      conn.start();
    } else {
      conn.attach(fn);
    }
  };
  scope.onconnect = (ev) => {
    const port = ev.ports[0];
    port.onmessage = (m) => {
      const msg = m.data || {};
      const p = ports.get(port);
      if (msg.t === 'bye') drop(port);
      else if (!p && (msg.t === 'hello' || msg.t === 'hb' || msg.t === 'resync')) join(port, msg.cfg);
      else if (p && msg.t === 'resync' && conn) port.postMessage({ t: 'sync', snap: conn.snapshot() });
      else if (p) p.seen = env.now();
    };
    if (port.start) port.start();
  };
  env.setInterval(() => {
    const now = env.now();
    for (const [port, p] of ports) if (now - p.seen > WORKER_PORT_TIMEOUT_MS) drop(port);
  }, WORKER_HEARTBEAT_MS);
}

/* ---------- BroadcastChannel ---------- */

export class BroadcastHub extends Hub {
  constructor(cfg, env, key) {
    super(env);
    this.cfg = cfg;
    this.name = 'cryptopulse:' + key;
    this.id = Math.floor(env.random() * 2 ** 48).toString(36) + '.' + env.now().toString(36);
    this.channel = new env.BroadcastChannel(this.name);
    this.channel.onmessage = (ev) => this.fromChannel(ev.data);
    /** @type {Connection|null} the leader's connection */
    this.conn = null;
    this.lastId = null;
    this.snap = null; // the latest state heard, for this tab's newcomers
    this.closed = false;
    this.timers = { hb: 0, watch: 0, claim: 0 };
    this.claiming = false;
    // Until the leader's answer to our hello, its broadcasts wait here, so
    // that the clients get the state before the ticks (bounded: the answer
    // is one round trip away).
    /** @type {any[]|null} */
    this.early = [];
    /** @type {((value?: any) => void)|null} ends the held Web Lock */
    this.release = null;
    this.onPageHide = () => this.shutdown();
    if (typeof globalThis.addEventListener === 'function') globalThis.addEventListener('pagehide', this.onPageHide);
    if (env.locks) this.electByLock();
    else this.watchLeader(FIRST_WATCH_MS);
    this.helloAt = -Infinity;
    this.hello();
  }

  hello() {
    if (this.env.now() - this.helloAt < 1000) return;
    this.helloAt = this.env.now();
    this.channel.postMessage({ t: 'hello', from: this.id });
  }

  get leader() {
    return this.conn !== null;
  }

  electByLock() {
    this.abort = typeof AbortController === 'function' ? new AbortController() : null;
    const opts = this.abort ? { signal: this.abort.signal } : {};
    Promise.resolve(this.env.locks.request(this.name, opts, () => {
      if (this.closed) return undefined;
      return new Promise((resolve) => {
        this.release = resolve;
        this.lead();
      });
    })).catch(() => { /* aborted at shutdown */ });
  }

  /* Heartbeat election: a leader says so every second; a tab that hears
   * none for a while claims, and the lowest id among claimants wins. */
  watchLeader(ms = LEADER_TIMEOUT_MS) {
    const e = this.env;
    e.clearTimeout(this.timers.watch);
    this.timers.watch = e.setTimeout(() => this.claim(), ms);
  }

  claim() {
    if (this.closed || this.leader) return;
    this.claiming = true;
    this.channel.postMessage({ t: 'claim', from: this.id });
    this.timers.claim = this.env.setTimeout(() => {
      if (!this.claiming) return;
      this.claiming = false;
      this.lead();
    }, CLAIM_WAIT_MS);
  }

  lead() {
    if (this.closed || this.conn) return;
    this.early = null;
    const e = this.env;
    e.clearTimeout(this.timers.watch);
    this.conn = new Connection(this.cfg, e, this.lastId);
    // What the old leader had, for this leader's newcomers until the next tick.
    for (const p of (this.snap && this.snap.prices) || []) this.conn.prices.set(p.symbol, p);
    this.port = (msg) => {
      this.note(msg);
      this.deliver(msg);
      this.channel.postMessage({ t: 'ev', from: this.id, msg });
    };
    this.conn.attach(this.port);
    if (!e.locks) {
      this.timers.hb = e.setInterval(() => this.channel.postMessage({ t: 'leader', from: this.id }), LEADER_HEARTBEAT_MS);
      this.channel.postMessage({ t: 'leader', from: this.id });
    }
    this.conn.start();
  }

  stepDown() {
    if (!this.conn) return;
    this.conn.detach(this.port);
    this.conn.close();
    this.conn = null;
    this.env.clearInterval(this.timers.hb);
    this.watchLeader();
  }

  /* Keep what a newcomer (or a future leader) needs: the last tick id and
   * the latest state, prices merged in (one per symbol). */
  note(msg) {
    if (msg.t === 'sync') {
      this.snap = { ...msg.snap, prices: [...msg.snap.prices] };
      if (msg.snap.lastTickId) this.lastId = msg.snap.lastTickId;
      return;
    }
    if (!this.snap) this.snap = { state: 'connecting', transport: null, latencyMs: null, lastTickId: null, welcome: null, prices: [] };
    const s = this.snap;
    if (msg.t === 'tick') {
      if (msg.tick.id) this.lastId = s.lastTickId = msg.tick.id;
      const m = new Map(s.prices.map((p) => [p.symbol, p]));
      for (const p of msg.tick.prices) m.set(p.symbol, p);
      s.prices = [...m.values()];
    } else if (msg.t === 'state') { s.state = msg.state; s.detail = msg.detail; }
    else if (msg.t === 'transport') s.transport = msg.name;
    else if (msg.t === 'latency') s.latencyMs = msg.ms;
    else if (msg.t === 'welcome') s.welcome = msg.welcome;
  }

  fromChannel(m) {
    if (!m || this.closed || m.from === this.id) return;
    if (m.t === 'ev' && !this.leader && this.early) {
      if (m.msg.t === 'tick') this.early.push(m.msg);
      this.hello(); // sent before there was a leader to answer it
      if (this.early.length > 20) this.early.shift();
    } else if (m.t === 'ev' && !this.leader) {
      this.note(m.msg);
      this.deliver(m.msg);
    } else if (m.t === 'hello' && this.leader) {
      if (this.conn) this.channel.postMessage({ t: 'sync', from: this.id, to: m.from, snap: this.conn.snapshot() });
    } else if (m.t === 'sync' && m.to === this.id && !this.leader) {
      const msg = { t: 'sync', snap: m.snap };
      this.note(msg);
      this.deliver(msg);
      const early = this.early || [];
      this.early = null;
      for (const t of early) {
        if (m.snap.lastTickId && !(compareTickIds(t.tick.id, m.snap.lastTickId) > 0)) continue;
        this.note(t);
        this.deliver(t);
      }
    }
    if (!this.env.locks) this.heartbeatMessage(m);
  }

  heartbeatMessage(m) {
    if (m.t === 'leader' || m.t === 'ev' || m.t === 'sync') {
      if (this.leader && m.from < this.id) this.stepDown(); // two leaders: the lower id stays
      if (!this.leader) { this.claiming = false; this.watchLeader(); }
    } else if (m.t === 'claim' && this.claiming && m.from < this.id) {
      this.claiming = false;
      this.watchLeader();
    } else if (m.t === 'claim' && this.leader) {
      this.channel.postMessage({ t: 'leader', from: this.id });
    } else if (m.t === 'bye' && !this.leader) {
      this.claim();
    }
  }

  add(client) {
    super.add(client);
    if (this.leader && this.conn) client._message({ t: 'sync', snap: this.conn.snapshot() });
    else if (this.snap) client._message({ t: 'sync', snap: this.snap });
  }

  shutdown() {
    if (this.closed) return;
    const wasLeader = this.leader;
    if (this.conn) { this.conn.detach(this.port); this.conn.close(); }
    this.conn = null;
    this.closed = true;
    const e = this.env;
    e.clearInterval(this.timers.hb);
    e.clearTimeout(this.timers.watch);
    e.clearTimeout(this.timers.claim);
    if (wasLeader) this.channel.postMessage({ t: 'bye', from: this.id });
    if (this.release) this.release();
    if (this.abort) this.abort.abort();
    if (typeof globalThis.removeEventListener === 'function') globalThis.removeEventListener('pagehide', this.onPageHide);
    this.channel.close();
  }
}
