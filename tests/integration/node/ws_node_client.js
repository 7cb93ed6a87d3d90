'use strict';
// A third-party WebSocket client (Node.js and the npm package `ws`) walking
// through the gateway's WebSocket protocol (docs/PROTOCOL.md section 2).
//
// Usage: node ws_node_client.js URL deflate|plain
// With "deflate" the client offers permessage-deflate and compresses even
// its small messages (threshold 0), so both directions are compressed; it
// fails unless the server accepted the extension.  With "plain" it offers
// nothing and fails if an extension was negotiated anyway.  Prints one line
// per check passed; exits 0 when all passed, 1 on the first failure.  Each
// wait has WAIT_MS; the whole walk has OVERALL_MS, so messages that keep
// coming (live prices) cannot stretch a wait for an answer forever.

const WebSocket = require('ws');

const [url, mode] = process.argv.slice(2);
if (!url || !['deflate', 'plain'].includes(mode)) {
  console.error('usage: ws_node_client.js URL deflate|plain');
  process.exit(2);
}
const WAIT_MS = 5000;
const OVERALL_MS = 60000;
const SUBSCRIBED = ['BTC', 'ETH'];

// What the walk waits for now, for the overall deadline's message.
let awaiting = 'the connection';
setTimeout(() => {
  console.error(`FAIL: ${mode}: overall deadline of ${OVERALL_MS / 1000} s passed waiting for ${awaiting}`);
  process.exit(1);
}, OVERALL_MS).unref();

function check(cond, what, detail) {
  if (!cond) {
    throw new Error(`${mode}: ${what}` + (detail === undefined ? '' : `: ${JSON.stringify(detail)}`));
  }
}

function same(a, b) {
  return JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
}

// Every text message goes to a queue as soon as it arrives; the checks take
// them off in order with a deadline.
const queue = [];
let waiter = null;
let closed = null;

function deliver() {
  if (waiter && (queue.length || closed)) {
    const w = waiter;
    waiter = null;
    w();
  }
}

function next(what, ms = WAIT_MS) {
  awaiting = what;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiter = null;
      reject(new Error(`${mode}: timed out waiting for ${what}`));
    }, ms);
    waiter = () => {
      clearTimeout(timer);
      if (queue.length) resolve(queue.shift());
      else reject(new Error(`${mode}: connection closed (${closed.code}) waiting for ${what}`));
    };
    deliver();
  });
}

// Live prices may arrive between any request and its answer: they must be
// for the subscribed symbols only.  Returns the next other message.
let allowed = new Set(SUBSCRIBED);
const seen = {};
function checkPrice(p, from) {
  check(p && typeof p.symbol === 'string' && typeof p.price === 'number' &&
        typeof p.ts === 'number' && typeof p.id === 'string', `${from}: malformed price object`, p);
  check(allowed.has(p.symbol), `${from} for ${p.symbol}, not subscribed to`, p);
  seen[p.symbol] = (seen[p.symbol] || 0) + 1;
}
async function answer(what) {
  for (;;) {
    const msg = await next(what);
    if (msg.event === 'price-update') checkPrice(msg.data, 'price-update');
    else return msg;
  }
}

async function main() {
  const ws = new WebSocket(url, {
    perMessageDeflate: mode === 'deflate' ? { threshold: 0 } : false,
    handshakeTimeout: WAIT_MS,
  });
  let upgradeExtensions;
  ws.on('upgrade', (res) => { upgradeExtensions = res.headers['sec-websocket-extensions']; });
  ws.on('message', (data, isBinary) => {
    if (isBinary) queue.push({ event: '<binary frame>' });
    else {
      try { queue.push(JSON.parse(data.toString('utf8'))); }
      catch (e) { queue.push({ event: '<not JSON>', data: data.toString('utf8') }); }
    }
    deliver();
  });
  ws.on('close', (code, reason) => { closed = { code, reason: reason.toString() }; deliver(); });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('error', (e) => console.error(`${mode}: ws error: ${e.message}`));

  // The extension the server accepted, as ws sees it and in the 101 answer.
  if (mode === 'deflate') {
    check(/^permessage-deflate\b/.test(ws.extensions), 'permessage-deflate not negotiated', ws.extensions);
    check(/^permessage-deflate\b/.test(upgradeExtensions || ''),
          'no permessage-deflate in Sec-WebSocket-Extensions', upgradeExtensions);
  } else {
    check(ws.extensions === '', 'an extension was negotiated though none was offered', ws.extensions);
    check(upgradeExtensions === undefined, 'Sec-WebSocket-Extensions answered to no offer', upgradeExtensions);
  }
  console.log(`${mode}: extensions "${ws.extensions}"`);

  const send = (event, data) => ws.send(JSON.stringify({ event, data }));

  // welcome comes first.
  const welcome = await next('welcome');
  check(welcome.event === 'welcome', 'first message is not welcome', welcome);
  check(/^cryptopulse\//.test(welcome.data.server), 'welcome names no cryptopulse server', welcome);
  check(SUBSCRIBED.every((s) => welcome.data.symbols.includes(s)), 'welcome lacks BTC or ETH', welcome);
  console.log(`${mode}: welcome from ${welcome.data.server}`);

  // subscribe: the full set, then at once a snapshot of those symbols.
  send('subscribe', { symbols: SUBSCRIBED });
  let msg = await next('subscribed');
  check(msg.event === 'subscribed' && same(msg.data.symbols, SUBSCRIBED), 'subscribe not answered subscribed [BTC, ETH]', msg);
  msg = await next('snapshot');
  check(msg.event === 'price-update-bulk', 'subscribed not followed by price-update-bulk', msg);
  check(typeof msg.data.id === 'string' && typeof msg.data.ts === 'number', 'snapshot has no tick id or ts', msg);
  msg.data.prices.forEach((p) => checkPrice(p, 'snapshot'));
  check(same(msg.data.prices.map((p) => p.symbol), SUBSCRIBED), 'snapshot is not one price each of BTC and ETH', msg);
  console.log(`${mode}: subscribed [BTC, ETH], snapshot of ${msg.data.prices.length} prices`);

  // Live prices for both symbols and no other.
  for (const s of SUBSCRIBED) seen[s] = 0;
  let updates = 0;
  while (updates < 8 || SUBSCRIBED.some((s) => seen[s] === 0)) {
    msg = await next('price-update');
    check(msg.event === 'price-update', 'unexpected message among live prices', msg);
    checkPrice(msg.data, 'price-update');
    updates++;
  }
  console.log(`${mode}: ${updates} live price-updates (BTC ${seen.BTC}, ETH ${seen.ETH})`);

  // Application-level ping.
  const ts = Date.now();
  send('ping', { id: 4242, ts });
  msg = await answer('pong');
  check(msg.event === 'pong' && msg.data.id === 4242 && msg.data.ts === ts, 'ping not answered pong echoing id and ts', msg);
  check(typeof msg.data.server_ts === 'number' && Math.abs(msg.data.server_ts - Date.now()) < 5000,
        'pong server_ts missing or not the time now', msg);
  console.log(`${mode}: app ping -> pong id ${msg.data.id}, server_ts ${msg.data.server_ts}`);

  // Protocol-level ping (RFC 6455 opcode 9): pong with the same payload.
  const payload = Buffer.from(`node-ping-${ts}`);
  awaiting = 'a protocol pong';
  const pong = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${mode}: no pong to a protocol ping`)), WAIT_MS);
    ws.once('pong', (data) => { clearTimeout(timer); resolve(data); });
    ws.ping(payload);
  });
  check(Buffer.compare(pong, payload) === 0, 'protocol pong payload differs', pong.toString());
  console.log(`${mode}: protocol ping -> pong "${pong}"`);

  // unsubscribe ETH: the set becomes [BTC] and ETH stops.  ETH prices
  // already on the way before the answer are allowed.
  send('unsubscribe', { symbols: ['ETH'] });
  msg = await answer('subscribed after unsubscribe');
  check(msg.event === 'subscribed' && same(msg.data.symbols, ['BTC']), 'unsubscribe not answered subscribed [BTC]', msg);
  allowed = new Set(['BTC']);
  seen.BTC = 0;
  while (seen.BTC < 5) {
    msg = await next('BTC price-update after unsubscribe');
    check(msg.event === 'price-update', 'unexpected message among live prices', msg);
    checkPrice(msg.data, 'price-update after unsubscribing ETH');
  }
  console.log(`${mode}: unsubscribed ETH, then ${seen.BTC} BTC updates and no ETH`);

  // Errors, none of which closes the connection.
  send('no-such-event', {});
  msg = await answer('error unknown_event');
  check(msg.event === 'error' && msg.data.code === 'unknown_event', 'unknown event not answered unknown_event', msg);
  check(typeof msg.data.message === 'string' && msg.data.message.length > 0, 'error without message', msg);
  ws.send('{"event": "subscribe", "data": {');
  msg = await answer('error bad_json');
  check(msg.event === 'error' && msg.data.code === 'bad_json', 'invalid JSON not answered bad_json', msg);
  console.log(`${mode}: unknown_event and bad_json errors`);

  // An unknown symbol: unknown_symbol, while ETH is still added.
  const unknown = 'NOSUCHCOIN';
  check(!welcome.data.symbols.includes(unknown), 'welcome lists the "unknown" symbol', welcome);
  send('subscribe', { symbols: [unknown, 'ETH'] });
  let error = null;
  let subscribed = null;
  while (!error || !subscribed) {
    msg = await answer('unknown_symbol and subscribed');
    if (msg.event === 'error' && !error) error = msg;
    else if (msg.event === 'subscribed' && !subscribed) {
      subscribed = msg;
      allowed = new Set(SUBSCRIBED);
    } else if (msg.event === 'price-update-bulk' && subscribed) {
      msg.data.prices.forEach((p) => checkPrice(p, 'snapshot'));
    } else check(false, 'unexpected answer to a subscribe with an unknown symbol', msg);
  }
  check(error.data.code === 'unknown_symbol', 'unknown symbol not answered unknown_symbol', error);
  check(same(subscribed.data.symbols, SUBSCRIBED), 'the known symbol of the request was not applied', subscribed);
  console.log(`${mode}: unknown_symbol, and ETH subscribed again`);

  // history: the newest points of BTC, oldest first.
  send('history', { symbol: 'BTC', limit: 5 });
  for (;;) {
    msg = await answer('history');
    if (msg.event !== 'price-update-bulk') break;
    msg.data.prices.forEach((p) => checkPrice(p, 'snapshot'));
  }
  check(msg.event === 'history' && msg.data.symbol === 'BTC', 'history event not answered history of BTC', msg);
  const points = msg.data.points;
  check(Array.isArray(points) && points.length === 5, 'history has not 5 points', msg);
  check(points.every((p) => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number'),
        'history points are not [ts, price]', msg);
  check(points.every((p, i) => i === 0 || points[i - 1][0] <= p[0]), 'history points not oldest first', msg);
  console.log(`${mode}: history of ${points.length} BTC points`);

  // Normal close: the server echoes 1000.
  awaiting = 'the close';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${mode}: the server did not answer the close`)), WAIT_MS);
    ws.once('close', (code) => { clearTimeout(timer); resolve(); });
    ws.close(1000, 'bye');
  });
  check(closed.code === 1000, 'close code seen by the client is not 1000', closed);
  console.log(`${mode}: closed with ${closed.code}`);
}

main().then(() => process.exit(0), (e) => {
  console.error(`FAIL: ${e.message}`);
  process.exit(1);
});
