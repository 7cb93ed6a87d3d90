// The original stack, for bench/run.sh's node-sio-* scenarios only: a
// Socket.IO 4 server with @socket.io/redis-adapter (as the original
// dashboard's server ran it, for several instances behind a balancer) that
// relays the feeder's ticks.  Each tick published on the Redis channel
// (REDIS_PREFIX + "ticks", docs/PROTOCOL.md section 4) goes out as
// price-update-bulk to the clients on "*" (every client until it
// subscribes) and as price-update per price to the rooms of its symbols;
// subscribe joins rooms as the original did.
//
//   node server.js PORT REDIS_PORT [CHANNEL]
//
// Listens on 127.0.0.1:PORT, path /socket.io/; stops on SIGTERM or SIGINT.
'use strict';
const http = require('http');
const { Server } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');
const Redis = require('ioredis');

const port = Number(process.argv[2]);
const redisPort = Number(process.argv[3]);
const channel = process.argv[4] || 'cryptopulse:ticks';
if (!port || !redisPort) {
  console.error('usage: node server.js PORT REDIS_PORT [CHANNEL]');
  process.exit(2);
}

const redis = (name) =>
  new Redis({ host: '127.0.0.1', port: redisPort, connectionName: name, lazyConnect: false });
const pub = redis('sio-pub');
const sub = redis('sio-sub');
const ticks = redis('sio-ticks');

const server = http.createServer((req, res) => {
  res.writeHead(req.url === '/health' ? 200 : 404, { 'Content-Type': 'text/plain' });
  res.end(req.url === '/health' ? 'ok\n' : 'not found\n');
});
const io = new Server(server, { cors: { origin: '*' } });
io.adapter(createAdapter(pub, sub));

const symbolsOf = (data) => {
  const list = Array.isArray(data) ? data : data && Array.isArray(data.symbols) ? data.symbols : [];
  return list.filter((s) => typeof s === 'string' && /^[A-Z0-9*]{1,16}$/.test(s));
};

io.on('connection', (socket) => {
  socket.join('*');
  socket.on('subscribe', (data, ack) => {
    const symbols = symbolsOf(data);
    socket.leave('*');
    for (const s of symbols) socket.join(s);
    const reply = { symbols: [...socket.rooms].filter((r) => r !== socket.id) };
    socket.emit('subscribed', reply);
    if (typeof ack === 'function') ack(reply);
  });
  socket.on('unsubscribe', (data) => {
    for (const s of symbolsOf(data)) socket.leave(s);
  });
  socket.on('ping', (data, ack) => {
    const reply = { server_ts: Date.now() };
    if (typeof data === 'number') reply.ts = data;
    else if (data && typeof data === 'object') Object.assign(reply, { id: data.id, ts: data.ts });
    socket.emit('pong', reply);
    if (typeof ack === 'function') ack(reply);
  });
});

ticks.subscribe(channel, (err) => {
  if (err) {
    console.error(`subscribe ${channel}: ${err.message}`);
    process.exit(1);
  }
});
ticks.on('message', (ch, text) => {
  let tick;
  try {
    tick = JSON.parse(text);
  } catch (e) {
    return;
  }
  io.to('*').emit('price-update-bulk', tick);
  // A room per symbol only when some client asked for it: the bulk above is
  // what the benchmark measures, and each broadcast is also a Redis publish.
  const rooms = io.of('/').adapter.rooms;
  for (const p of Array.isArray(tick.prices) ? tick.prices : [])
    if (rooms.has(p.symbol)) io.to(p.symbol).emit('price-update', p);
});

server.listen(port, '127.0.0.1', () => console.log(`socket.io on 127.0.0.1:${port}, ticks from ${channel}`));
const stop = () => {
  io.close();
  for (const c of [pub, sub, ticks]) c.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
