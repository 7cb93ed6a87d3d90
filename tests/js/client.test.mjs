/* The Client: symbol filter, subscribe(), history(), URLs, VERSION. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import cryptopulse, { connect, VERSION, Client, HttpError } from '../../www/cryptopulse.js';
import { fakeOptions, record, flush, bulk, makeFetch } from './fakes.mjs';

const URL_ = 'http://prices.test/cp/';

test('VERSION is configure.ac\'s AC_INIT version, and package.json\'s', () => {
  const ac = readFileSync(new URL('../../configure.ac', import.meta.url), 'utf8');
  const m = /AC_INIT\(\[[^\]]*\],\s*\[([^\]]+)\]/.exec(ac);
  assert.ok(m, 'AC_INIT with a version');
  assert.equal(VERSION, m[1]);
  const pkg = JSON.parse(readFileSync(new URL('../../www/package.json', import.meta.url), 'utf8'));
  assert.equal(pkg.version, m[1]);
  assert.equal(pkg.name, 'cryptopulse-client');
  assert.equal(pkg.exports['.'], './cryptopulse.js');
  assert.deepEqual(cryptopulse, { connect, VERSION, Client, HttpError });
});

test('the client sees only its symbols: ticks filtered, none when empty', async () => {
  const f = fakeOptions();
  const cp = connect(URL_, { ...f.opts, symbols: ['btc', 'SOL'] });
  const log = record(cp);
  await flush();
  assert.deepEqual(cp.symbols, ['BTC', 'SOL']);
  const ws = f.WebSocket.last;
  ws.welcome();
  assert.equal(ws.url, 'ws://prices.test/cp/ws?symbols=*'); // the shared wire takes every symbol
  ws.emit('price-update-bulk', bulk('1700000000000-0'));
  ws.emit('price-update-bulk', bulk('1700000001000-0', ['ETH']));
  assert.deepEqual(log.of('tick').map((e) => [e[0].id, e[0].prices.map((p) => p.symbol)]), [['1700000000000-0', ['BTC', 'SOL']]]);
  assert.deepEqual(log.of('price').map((e) => e[0].symbol), ['BTC', 'SOL']);
  assert.deepEqual([...cp.prices.keys()], ['BTC', 'SOL']);
  assert.equal(cp.lastTickId, '1700000001000-0');
  cp.close();
});

test('subscribe() emits cached prices of new symbols and unknown_symbol; unsubscribe() filters', async () => {
  const f = fakeOptions();
  const cp = connect(URL_, { ...f.opts, symbols: ['BTC'] });
  const log = record(cp);
  await flush();
  const ws = f.WebSocket.last;
  ws.welcome();
  ws.emit('price-update-bulk', bulk('1700000000000-0'));
  log.length = 0;
  cp.subscribe(['ETH', 'BTC', 'DOGE']);
  assert.deepEqual(log.of('price').map((e) => e[0].symbol), ['ETH']);
  assert.deepEqual(log.of('error'), [[{ code: 'unknown_symbol', message: 'unknown symbol DOGE' }]]);
  assert.deepEqual(cp.symbols.sort(), ['BTC', 'ETH'], 'an unknown symbol is left out');
  cp.unsubscribe('BTC');
  log.length = 0;
  ws.emit('price-update-bulk', bulk('1700000001000-0'));
  assert.deepEqual(log.of('price').map((e) => e[0].symbol), ['ETH']);
  cp.subscribe('*');
  cp.unsubscribe(['SOL']);
  assert.deepEqual(cp.symbols.sort(), ['BTC', 'ETH']);
  log.length = 0;
  ws.emit('price-update-bulk', bulk('1700000002000-0'));
  assert.deepEqual(log.of('price').map((e) => e[0].symbol), ['BTC', 'ETH']);
  cp.close();
});

test('a symbol left out as unknown comes back when the feed carries it (a welcome before the feed\'s list)', async () => {
  const f = fakeOptions();
  const cp = connect(URL_, { ...f.opts, symbols: ['BTC', 'DOGE'] });
  const log = record(cp);
  await flush();
  const ws = f.WebSocket.last;
  // A gateway just started: it knows only the symbols it has a price of.
  ws.welcome({ symbols: ['ETH'] });
  assert.deepEqual(log.of('error').map((e) => e[0].message).sort(), ['unknown symbol BTC', 'unknown symbol DOGE']);
  assert.deepEqual(cp.symbols, [], 'both left out for now');
  ws.emit('price-update-bulk', bulk('1700000000000-0', ['BTC', 'ETH']));
  assert.deepEqual(log.of('tick').map((e) => e[0].prices.map((p) => p.symbol)), [['BTC']], 'BTC is priced: back');
  assert.deepEqual(cp.symbols, ['BTC']);
  ws.emit('price-update-bulk', bulk('1700000001000-0', ['BTC', 'DOGE', 'ETH']));
  assert.deepEqual(log.of('tick').at(-1)[0].prices.map((p) => p.symbol), ['BTC', 'DOGE'], 'DOGE too');
  assert.deepEqual(cp.symbols.sort(), ['BTC', 'DOGE']);
  // Unsubscribed while unknown: a tick of it does not bring it back.
  cp.subscribe('XRP');
  assert.deepEqual(log.of('error').at(-1), [{ code: 'unknown_symbol', message: 'unknown symbol XRP' }]);
  cp.unsubscribe('XRP');
  ws.emit('price-update-bulk', bulk('1700000002000-0', ['XRP']));
  assert.deepEqual(cp.symbols.sort(), ['BTC', 'DOGE']);
  assert.equal(log.of('tick').length, 2);
  cp.close();
});

test('on() returns a remover; off() removes; a throwing handler does not stop the rest', async () => {
  const f = fakeOptions();
  const cp = connect(URL_, f.opts);
  const seen = [];
  const reported = [];
  const saved = console.error;
  console.error = (e) => reported.push(e.message);
  cp.on('welcome', () => { throw new Error('handler bug'); });
  cp.on('welcome', () => seen.push('welcome'));
  const off = cp.on('price', (p) => seen.push('a' + p.symbol));
  const fb = (p) => seen.push('b' + p.symbol);
  cp.on('price', fb);
  await flush();
  f.WebSocket.last.welcome();
  console.error = saved;
  assert.deepEqual(reported, ['handler bug']);
  off();
  f.WebSocket.last.emit('price-update-bulk', bulk('1700000000000-0', ['BTC']));
  cp.off('price', fb);
  f.WebSocket.last.emit('price-update-bulk', bulk('1700000001000-0', ['BTC']));
  assert.deepEqual(seen, ['welcome', 'bBTC']);
  cp.close();
});

test('history() builds the URL below the base and rejects with status and code', async () => {
  const fetch = makeFetch((url) => (url.includes('NOPE')
    ? { status: 400, body: { error: 'unknown_symbol', message: 'unknown symbol NOPE' } }
    : url.includes('limit=0') ? { status: 503, body: 'down' } : { body: { symbol: 'BTC', interval: '1h', candles: [], last_open: false } }));
  const f = fakeOptions({ fetch, transport: 'websocket' });
  const cp = connect(URL_, f.opts);
  const body = await cp.history('BTC', { interval: '1h', from: 1000, to: 2000, limit: 24 });
  assert.deepEqual(body, { symbol: 'BTC', interval: '1h', candles: [], last_open: false });
  assert.equal(fetch.urls[0], 'http://prices.test/cp/history?symbol=BTC&interval=1h&from=1000&to=2000&limit=24');
  await cp.history('ETH');
  assert.equal(fetch.urls[1], 'http://prices.test/cp/history?symbol=ETH');
  await assert.rejects(cp.history('NOPE', { limit: 5 }), (err) => err instanceof HttpError && err.status === 400 && err.code === 'unknown_symbol' && err.message === 'unknown symbol NOPE');
  await assert.rejects(cp.history('BTC', { limit: 0 }), (err) => err.status === 503 && err.code === 'http_error');
  await assert.rejects(cp.history(''), TypeError);
  cp.close();
});

test('URLs: a folder without its final /, https to wss, the default is the module\'s folder', async () => {
  const f = fakeOptions();
  const a = connect('https://h.test/prices', f.opts);
  assert.equal(a.url, 'https://h.test/prices/');
  await flush();
  assert.equal(f.WebSocket.last.url, 'wss://h.test/prices/ws?symbols=*');
  a.close();
  const b = connect(undefined, { ...f.opts, transport: 'sse' });
  assert.equal(b.url, new URL('../../www/', import.meta.url).href);
  b.close();
  assert.throws(() => connect(URL_, { transport: 'carrier-pigeon' }), TypeError);
  assert.throws(() => connect(URL_, { share: 'everything' }), TypeError);
});

test('share auto without SharedWorker or BroadcastChannel is none; close before start opens nothing', async () => {
  const f = fakeOptions({ share: 'auto' });
  const cp = connect(URL_, f.opts);
  assert.equal(cp.shared, 'none');
  cp.close();
  await flush();
  assert.equal(f.WebSocket.instances.length, 0);
  assert.equal(cp.state, 'closed');
});
