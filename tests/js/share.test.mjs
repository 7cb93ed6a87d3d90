/* Sharing one connection: BroadcastChannel leader election (Web Locks, and
 * heartbeats without them) with hand-over, and the SharedWorker's ports. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { connect } from '../../www/cryptopulse.js';
import { serveWorker } from '../../www/cryptopulse-share.js';
import { fakeOptions, record, flush, bulk, makeBus, makeLocks, makeWebSocket } from './fakes.mjs';

const URL_ = 'http://prices.test/';

/* Tabs of one browser: one bus, one lock manager, one clock; each tab its
 * own BroadcastChannel constructor (so its own hub). */
function browser(withLocks) {
  const bus = makeBus();
  const locks = withLocks ? makeLocks() : null;
  const base = fakeOptions({ share: 'broadcast', locks });
  base.WebSocket = makeWebSocket();
  const tab = (extra) => {
    const cp = connect(URL_, { ...base.opts, WebSocket: base.WebSocket, BroadcastChannel: bus.tab(), ...extra });
    return { cp, log: record(cp) };
  };
  return { ...base, tab, bus };
}

for (const withLocks of [true, false]) {
  test(`broadcast (${withLocks ? 'Web Locks' : 'heartbeats'}): one connection; the new leader resumes with no gap`, async () => {
    const b = browser(withLocks);
    const settle = async () => { for (let i = 0; i < 8; i++) { b.clock.advance(100); await flush(); } };
    const A = b.tab();
    await settle();
    const B = b.tab({ symbols: ['BTC'] });
    await settle();
    await settle();
    assert.equal(A.cp.shared, 'broadcast');
    assert.equal(b.WebSocket.instances.length, 1, 'one connection for two tabs');
    const ws = b.WebSocket.last;
    ws.welcome();
    ws.emit('price-update-bulk', bulk('1700000000000-0'));
    ws.emit('price-update-bulk', bulk('1700000001000-0'));
    await flush();
    assert.equal(A.cp.state, 'live');
    assert.equal(B.cp.state, 'live');
    assert.equal(B.cp.transport, 'websocket');
    assert.equal(B.cp.server, 'cryptopulse/test');
    assert.deepEqual(B.log.of('tick').map((e) => [e[0].id, e[0].prices.length]), [['1700000000000-0', 1], ['1700000001000-0', 1]]);
    assert.equal(B.cp.lastTickId, '1700000001000-0');
    // a newcomer gets the state and the latest prices from the leader
    const C = b.tab({ symbols: ['ETH'] });
    await settle();
    assert.equal(C.cp.state, 'live');
    assert.deepEqual(C.log.of('price').map((e) => [e[0].symbol, e[0].id]), [['ETH', '1700000001000-0']]);
    assert.equal(b.WebSocket.instances.length, 1);
    // the leader tab goes: another takes over, resuming from the last id it heard
    A.cp.close();
    await settle();
    for (let i = 0; i < 40 && b.WebSocket.instances.length < 2; i++) await settle();
    assert.equal(b.WebSocket.instances.length, 2, 'a follower took over');
    assert.ok(ws.closed);
    const ws2 = b.WebSocket.last;
    assert.equal(new URL(ws2.url).searchParams.get('since'), '1700000001000-0');
    ws2.welcome();
    assert.equal(ws2.sent.filter((m) => m.event === 'subscribe').length, 0);
    // the new leader answers newcomers with the prices it heard before
    const D = b.tab({ symbols: ['SOL'] });
    await settle();
    assert.deepEqual(D.log.of('price').map((e) => [e[0].symbol, e[0].id]), [['SOL', '1700000001000-0']]);
    D.cp.close();
    ws2.emit('price-update-bulk', bulk('1700000002000-0'));
    await flush();
    assert.deepEqual(B.log.of('tick').map((e) => e[0].id), ['1700000000000-0', '1700000001000-0', '1700000002000-0']);
    assert.deepEqual(C.log.of('tick').map((e) => e[0].id), ['1700000002000-0']);
    assert.equal(B.log.of('gap').length + C.log.of('gap').length, 0);
    assert.equal(B.cp.state, 'live');
    assert.equal(C.cp.state, 'live');
    assert.deepEqual(B.log.states().slice(-3), ['live', 'reconnecting', 'live'], 'the hand-over is a reconnect');
    B.cp.close();
    C.cp.close();
    await settle();
    assert.ok(ws2.closed, 'the last tab closed the connection');
    assert.equal(b.bus.open.size, 0);
  });
}

/* A SharedWorker whose scope runs serveWorker() in this process over real
 * MessagePorts. */
function fakeSharedWorker(env) {
  const scopes = new Map();
  return class FakeSharedWorker {
    constructor(url, opts) {
      FakeSharedWorker.made.push([String(url), opts]);
      let scope = scopes.get(opts.name);
      if (!scope) {
        scope = {};
        serveWorker(scope, env);
        scopes.set(opts.name, scope);
      }
      const { port1, port2 } = new MessageChannel();
      this.port = port1;
      scope.onconnect({ ports: [port2] });
    }

    static made = [];
  };
}

test('worker: the tabs share the worker\'s connection; it closes after the last tab leaves', async () => {
  const f = fakeOptions();
  const workerEnv = { ...f.opts };
  const SharedWorker = fakeSharedWorker(workerEnv);
  globalThis.location = new URL('http://prices.test/page.html');
  try {
    const a = connect(URL_, { ...f.opts, share: 'worker', SharedWorker, workerUrl: 'http://prices.test/cryptopulse.js' });
    const la = record(a);
    const b = connect(URL_, { ...f.opts, share: 'auto', SharedWorker: null, symbols: ['ETH'] });
    assert.equal(b.shared, 'none'); // no SharedWorker and no tabs: its own
    b.close();
    const c = connect(URL_, { ...f.opts, share: 'worker', SharedWorker, workerUrl: 'http://other.test/cryptopulse.js', BroadcastChannel: null });
    assert.equal(c.shared, 'none', 'a cross-origin worker script is not used');
    c.close();
    assert.equal(a.shared, 'worker');
    await flush(10);
    assert.deepEqual(SharedWorker.made[0][1], { type: 'module', name: 'cryptopulse:auto http://prices.test/' });
    assert.equal(f.WebSocket.instances.length, 1);
    const ws = f.WebSocket.last;
    ws.welcome();
    ws.emit('price-update-bulk', bulk('1700000000000-0'));
    await flush(10);
    assert.equal(a.state, 'live');
    assert.deepEqual(la.of('tick').map((e) => e[0].id), ['1700000000000-0']);
    // a second tab: same worker, same connection, gets the cached prices
    const d = connect(URL_, { ...f.opts, share: 'worker', SharedWorker, workerUrl: 'http://prices.test/cryptopulse.js', symbols: ['SOL'] });
    const ld = record(d);
    await flush(10);
    assert.equal(f.WebSocket.instances.length, 1);
    assert.equal(d.state, 'live');
    assert.deepEqual(ld.of('price').map((e) => e[0].symbol), ['SOL']);
    a.close();
    await flush(10);
    f.clock.advance(5000);
    assert.ok(!ws.closed, 'still one tab');
    d.close();
    await flush(10);
    f.clock.advance(1999);
    assert.ok(!ws.closed, 'grace');
    f.clock.advance(1);
    assert.ok(ws.closed, 'closed after the grace');
  } finally {
    delete globalThis.location;
  }
});
