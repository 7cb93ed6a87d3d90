/* The transport core through connect(share 'none'): states, resume, fallback,
 * probe, gaps, backoff, ping latency. Fake sockets and a fake clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, backoffDelay } from '../../www/cryptopulse.js';
import { fakeOptions, record, flush, bulk, fire } from './fakes.mjs';

const URL_ = 'http://prices.test/cp/';

async function start(extra) {
  const f = fakeOptions(extra);
  const cp = connect(URL_, f.opts);
  const log = record(cp);
  await flush();
  return { ...f, cp, log };
}

test('state machine: connecting, live, stale, live, reconnecting, live, offline, closed', async () => {
  const { cp, log, clock, WebSocket, setOnline } = await start({ transport: 'websocket', staleAfterMs: 3500 });
  assert.equal(cp.state, 'connecting');
  const ws = WebSocket.last;
  assert.equal(ws.url, 'ws://prices.test/cp/ws?symbols=*');
  ws.welcome();
  assert.equal(cp.state, 'live');
  assert.equal(cp.transport, 'websocket');
  assert.deepEqual(log.of('welcome')[0][0], { symbols: ['BTC', 'ETH', 'SOL'], intervalMs: 1000, server: 'cryptopulse/test' });
  assert.equal(cp.server, 'cryptopulse/test');
  assert.equal(cp.intervalMs, 1000);
  ws.emit('price-update-bulk', bulk('1700000000000-0'));
  clock.advance(3400);
  assert.equal(cp.state, 'live');
  clock.advance(200);
  assert.equal(cp.state, 'stale');
  ws.emit('price-update-bulk', bulk('1700000001000-0'));
  assert.equal(cp.state, 'live');
  ws.serverClose();
  assert.equal(cp.state, 'reconnecting');
  assert.equal(cp.transport, null);
  const detail = log.of('state').find((e) => e[0] === 'reconnecting' && e[1]);
  assert.equal(detail[1].delayMs, 375); // 500 × (0.5 + 0.5 × 0.5)
  clock.advance(375);
  const ws2 = WebSocket.last;
  assert.notEqual(ws2, ws);
  ws2.welcome();
  assert.equal(cp.state, 'live');
  setOnline(false);
  fire('offline');
  assert.equal(cp.state, 'offline');
  assert.ok(ws2.closed);
  setOnline(true);
  fire('online');
  assert.equal(cp.state, 'reconnecting');
  WebSocket.last.welcome();
  assert.equal(cp.state, 'live');
  cp.close();
  assert.equal(cp.state, 'closed');
  assert.ok(WebSocket.last.closed);
  // lost, waiting {delayMs}, trying again
  assert.deepEqual(log.states(), ['connecting', 'live', 'stale', 'live', 'reconnecting', 'reconnecting', 'reconnecting', 'live',
    'offline', 'reconnecting', 'live', 'closed']);
});

test('offline at start waits for the online event', async () => {
  const f = fakeOptions({ transport: 'websocket' });
  f.setOnline(false);
  const cp = connect(URL_, f.opts);
  await flush();
  assert.equal(cp.state, 'offline');
  assert.equal(f.WebSocket.instances.length, 0);
  f.setOnline(true);
  fire('online');
  assert.equal(f.WebSocket.instances.length, 1);
  cp.close();
});

test('an online event keeps a live connection', async () => {
  const f = fakeOptions({ transport: 'websocket' });
  const cp = connect(URL_, f.opts);
  await flush();
  f.WebSocket.last.welcome();
  fire('online');
  assert.equal(f.WebSocket.instances.length, 1);
  assert.ok(!f.WebSocket.last.closed);
  assert.equal(cp.state, 'live');
  cp.close();
});

test('WebSocket resubscribes in its URL with since = the last tick id after a reconnect', async () => {
  const { cp, clock, WebSocket } = await start({ transport: 'websocket' });
  const ws = WebSocket.last;
  assert.equal(ws.url, 'ws://prices.test/cp/ws?symbols=*');
  ws.welcome();
  assert.equal(ws.sent.length, 0); // the URL was the subscribe
  ws.emit('price-update-bulk', bulk('1700000000000-0'));
  ws.emit('price-update-bulk', bulk('1700000001000-0'));
  assert.equal(cp.lastTickId, '1700000001000-0');
  ws.serverClose();
  clock.advance(10000);
  const ws2 = WebSocket.last;
  assert.equal(ws2.url, 'ws://prices.test/cp/ws?symbols=*&since=1700000001000-0');
  ws2.welcome();
  assert.equal(ws2.sent.length, 0);
  cp.close();
});

test('auto: SSE at once when WebSocket never welcomes, resuming with ?lastEventId=', async () => {
  const { cp, log, clock, WebSocket, EventSource } = await start();
  const ws = WebSocket.last;
  ws.welcome();
  ws.emit('price-update-bulk', bulk('1700000000000-5'));
  ws.serverClose(); // cut: straight to SSE
  const es = EventSource.last;
  assert.equal(es.url, 'http://prices.test/cp/events?symbols=*&lastEventId=1700000000000-5');
  es.open();
  assert.equal(cp.state, 'live');
  assert.equal(cp.transport, 'sse');
  es.emit('price-update-bulk', bulk('1700000001000-0'), '1700000001000-0');
  assert.equal(cp.lastTickId, '1700000001000-0');
  // a WebSocket that opens but never welcomes: SSE after welcomeTimeoutMs
  es.fail(false);
  assert.equal(cp.state, 'reconnecting');
  clock.advance(375);
  const black = WebSocket.last;
  assert.notEqual(black, ws);
  black.open();
  clock.advance(4999);
  assert.equal(EventSource.instances.length, 1);
  clock.advance(1);
  assert.ok(black.closed);
  assert.equal(EventSource.instances.length, 2);
  assert.equal(EventSource.last.url, 'http://prices.test/cp/events?symbols=*&lastEventId=1700000001000-0');
  assert.deepEqual(log.of('transport').map((e) => e[0]), ['websocket', null, 'sse', null]);
  cp.close();
});

test('auto: a refused WebSocket falls back to SSE; SSE latency is a GET health', async () => {
  const { cp, WebSocket, EventSource, fetch, clock } = await start();
  WebSocket.last.serverClose(); // refused before welcome
  assert.equal(EventSource.instances.length, 1);
  assert.equal(EventSource.last.url, 'http://prices.test/cp/events?symbols=*');
  EventSource.last.open();
  clock.t += 7; // the health request takes 7 ms
  await flush();
  assert.deepEqual(fetch.urls, ['http://prices.test/cp/health']);
  assert.equal(cp.latencyMs, 7);
  cp.close();
});

test('the SSE browser reconnect keeps the EventSource; a snapshot event is a gap', async () => {
  const { cp, log, WebSocket, EventSource } = await start({ transport: 'sse' });
  assert.equal(WebSocket.instances.length, 0);
  const es = EventSource.last;
  es.open();
  es.emit('price-update-bulk', bulk('1700000000000-0'), '1700000000000-0');
  es.fail(true);
  assert.equal(cp.state, 'reconnecting');
  assert.equal(EventSource.instances.length, 1);
  es.open();
  es.emit('snapshot', bulk('1700000090000-0'), '1700000090000-0');
  assert.equal(log.of('gap').length, 1);
  assert.equal(cp.lastTickId, '1700000090000-0');
  assert.equal(log.of('tick').length, 2);
  cp.close();
});

test('on SSE, WebSocket is probed after 15 s (doubling) and taken when it welcomes', async () => {
  const { cp, clock, WebSocket, EventSource } = await start();
  WebSocket.last.serverClose();
  const es = EventSource.last;
  es.open();
  es.emit('price-update-bulk', bulk('1700000000000-0'), '1700000000000-0');
  clock.advance(14999);
  assert.equal(WebSocket.instances.length, 1);
  clock.advance(1);
  assert.equal(WebSocket.instances.length, 2);
  WebSocket.last.serverClose(); // probe refused: next one in 30 s
  clock.advance(29999);
  assert.equal(WebSocket.instances.length, 2);
  clock.advance(1);
  const probe = WebSocket.last;
  probe.welcome();
  assert.ok(es.closed);
  assert.equal(cp.transport, 'websocket');
  assert.equal(cp.state, 'live');
  assert.deepEqual(probe.sent[0], { event: 'subscribe', data: { symbols: ['*'], since: '1700000000000-0' } });
  cp.close();
});

test('WebSocket resume: replayed ticks pass, repeats are dropped, a snapshot is a gap', async () => {
  const { cp, log, clock, WebSocket } = await start({ transport: 'websocket' });
  WebSocket.last.welcome();
  WebSocket.last.emit('price-update-bulk', bulk('1700000000000-0'));
  WebSocket.last.serverClose();
  clock.advance(500);
  let ws = WebSocket.last;
  ws.welcome();
  ws.emit('price-update-bulk', bulk('1700000000000-0')); // already had it
  ws.emit('price-update-bulk', bulk('1700000001000-0')); // the replay's next tick
  assert.deepEqual(log.of('tick').map((e) => e[0].id), ['1700000000000-0', '1700000001000-0']);
  assert.equal(log.of('gap').length, 0);
  ws.serverClose();
  clock.advance(500);
  ws = WebSocket.last;
  ws.welcome();
  ws.emit('price-update-bulk', bulk('1700000600000-0')); // a replayed tick long after: no gap
  assert.equal(log.of('gap').length, 0);
  ws.serverClose();
  clock.advance(500);
  ws = WebSocket.last;
  ws.welcome();
  ws.emit('price-update-bulk', { ...bulk('1700000900000-0'), snapshot: true }); // resume refused
  assert.equal(log.of('gap').length, 1);
  assert.equal(cp.lastTickId, '1700000900000-0');
  ws.emit('price-update-bulk', bulk('1700000901000-0'));
  assert.equal(log.of('gap').length, 1);
  cp.close();
});

test('WebSocket: a snapshot-marked bulk is a gap even right after the resume point', async () => {
  const { cp, log, clock, WebSocket } = await start({ transport: 'websocket' });
  WebSocket.last.welcome();
  WebSocket.last.emit('price-update-bulk', bulk('1700000000000-0'));
  WebSocket.last.serverClose();
  clock.advance(500);
  const ws = WebSocket.last;
  ws.welcome();
  ws.emit('price-update-bulk', { ...bulk('1700000001500-0'), snapshot: true });
  assert.equal(cp.lastTickId, '1700000001500-0');
  cp.close();
});

test('backoff grows exponentially with equal jitter, within bounds', () => {
  for (let a = 0; a < 8; a++) {
    const base = Math.min(10000, 500 * 2 ** a);
    assert.equal(backoffDelay(a, 500, 10000, () => 0), base / 2);
    assert.equal(backoffDelay(a, 500, 10000, () => 0.999999), base);
  }
  assert.equal(backoffDelay(30, 500, 10000, () => 0.5), 7500);
});

test('retries back off: delays double to backoffMaxMs, reset once live', async () => {
  const { cp, log, clock, WebSocket } = await start({ transport: 'websocket', backoffStartMs: 100, backoffMaxMs: 1000, random: () => 0 });
  for (let i = 0; i < 6; i++) {
    WebSocket.last.serverClose();
    clock.advance(1000);
  }
  const delays = log.of('state').filter((e) => e[1]).map((e) => e[1].delayMs);
  assert.deepEqual(delays, [50, 100, 200, 400, 500, 500]);
  WebSocket.last.welcome();
  WebSocket.last.serverClose();
  assert.equal(log.of('state').at(-1)[1].delayMs, 50);
  cp.close();
});

test('ping measures latency; a silent socket is taken as dead', async () => {
  const { cp, clock, WebSocket, EventSource } = await start({ pingIntervalMs: 4000 });
  const ws = WebSocket.last;
  ws.welcome();
  clock.advance(600);
  const ping = ws.sent.find((m) => m.event === 'ping');
  assert.deepEqual(ping.data, { id: 1, ts: clock.t });
  clock.advance(42);
  ws.emit('pong', { id: 1, ts: ping.data.ts, server_ts: 0 });
  assert.equal(cp.latencyMs, 42);
  // no message for three ping periods: closed, and SSE takes over
  clock.advance(4000 * 4);
  assert.ok(ws.closed);
  assert.equal(EventSource.instances.length, 1);
  assert.equal(cp.latencyMs, null);
  cp.close();
});

test('server error events reach the error handlers', async () => {
  const { cp, log, WebSocket } = await start();
  WebSocket.last.welcome();
  WebSocket.last.emit('error', { code: 'rate_limited', message: 'slow down' });
  assert.deepEqual(log.of('error'), [[{ code: 'rate_limited', message: 'slow down' }]]);
  cp.close();
});

test("share 'none': the clients of one page share one connection, closed with the last", async () => {
  const f = fakeOptions({ transport: 'websocket' });
  const a = connect(URL_, { ...f.opts, symbols: ['BTC'] });
  const b = connect(URL_, { ...f.opts, symbols: ['ETH'] });
  await flush();
  assert.equal(f.WebSocket.instances.length, 1);
  const ws = f.WebSocket.last;
  ws.welcome();
  ws.emit('price-update-bulk', bulk('1700000000000-0'));
  await flush();
  assert.equal(a.prices.get('BTC').symbol, 'BTC');
  assert.equal(b.prices.get('ETH').symbol, 'ETH');
  a.close();
  assert.notEqual(ws.readyState, 3, 'closing one client keeps the connection of the other');
  b.close();
  await flush();
  assert.equal(ws.readyState, 3);
});

test('no WebSocket and no EventSource (Node 20): one no_transport error, then closed', async () => {
  const f = fakeOptions();
  const cp = connect(URL_, { ...f.opts, WebSocket: null, EventSource: null });
  const log = record(cp);
  await flush();
  assert.equal(log.of('error').length, 1);
  assert.equal(log.of('error')[0][0].code, 'no_transport');
  assert.match(log.of('error')[0][0].message, /ws package/);
  assert.equal(cp.state, 'closed');
  f.clock.advance(60000);
  assert.equal(log.of('error').length, 1, 'no retries');
});

test('a server that never answers: one unreachable error after three failed attempts, retries go on', async () => {
  const { cp, log, clock, WebSocket } = await start({ transport: 'websocket' });
  for (let i = 0; i < 5; i++) {
    WebSocket.last.serverClose();
    clock.advance(20000);
  }
  const errs = log.of('error').map((e) => e[0].code);
  assert.deepEqual(errs, ['unreachable']);
  assert.match(log.of('error')[0][0].message, /CORS_ORIGINS/);
  assert.ok(WebSocket.instances.length >= 6, 'it keeps trying');
  WebSocket.last.welcome(); // back: a later outage may report again
  WebSocket.last.serverClose();
  for (let i = 0; i < 3; i++) {
    clock.advance(20000);
    WebSocket.last.serverClose();
  }
  assert.equal(log.of('error').length, 2);
  cp.close();
});
