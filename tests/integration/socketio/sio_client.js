#!/usr/bin/env node
// The real socket.io-client 4.x against the gateway's Socket.IO endpoint, as
// an app written for the original Node.js server uses it.  Each client walks
// through: connect and `welcome`, a `price-update-bulk` of the whole tick
// while on "*", `subscribe` (array form, with an acknowledgement) replacing
// "*" by the named symbols (`subscribed`, a snapshot, then live
// `price-update`s of those symbols only), `unsubscribe` (object form),
// `ping` (payload, number, none; with and without an acknowledgement),
// `history`, the transport it ended on, then a clean disconnect.
//
//   node sio_client.js URL [--option[=value]]...
//
// URL is the server's origin (http://127.0.0.1:3000), as given to io().
//   --path=P              Socket.IO path (default /socket.io/)
//   --transports=LIST     polling, websocket or polling,websocket (default:
//                         the client's own default, polling then upgrade)
//   --expect-transport=T  the transport the session must end on
//   --expect-upgrade=yes|no  whether an upgrade polling -> websocket happens
//   --symbols=A,B         symbols to subscribe (default BTC,ETH)
//   --ticks=N             price-updates required of each symbol (default 2)
//   --clients=N           clients at once, each walking through (default 1)
//   --local-addresses=A,B source addresses given to the clients in turn
//   --credentials         withCredentials: keep cookies (a proxy's sticky
//                         route); a browser sends same-origin cookies anyway
//   --namespace=/NS       connect to NS and expect connect_error "Invalid
//                         namespace" instead of the walk
//   --star                instead of the walk: subscribe "*" explicitly
//                         (with the symbols), then one more symbol: the
//                         bulk stays, the set grows
//   --reconnect           after the walk, print "restart-me", then expect a
//                         disconnect, a reconnect by the client itself and
//                         live prices again
//   --hold                after the walk, stay connected and print "ready",
//                         then "live" once every client received prices
//                         since; on SIGTERM, pass if every client is still
//                         connected and received prices since "ready"
//   --step-ms=MS          deadline of each awaited event (default 10000)
//   --timeout=S           deadline of the whole run (default 60)
// Exit status 0 when every check passed; 1 with "FAIL: ..." on stderr.
'use strict';

const http = require('http');
const { io } = require('socket.io-client');

function usage(msg) {
    process.stderr.write(`sio_client.js: ${msg}\n`);
    process.exit(2);
}

function parseArgs(argv) {
    if (argv.length < 1 || argv[0].startsWith('--')) usage('a URL is needed');
    const o = {
        url: argv[0], path: '/socket.io/', transports: null, expectTransport: null,
        expectUpgrade: null, symbols: ['BTC', 'ETH'], ticks: 2, clients: 1,
        localAddresses: [], credentials: false, namespace: null, star: false, reconnect: false,
        hold: false, stepMs: 10000, timeout: 60,
    };
    for (const a of argv.slice(1)) {
        const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
        if (!m) usage(`bad argument ${a}`);
        const [, k, v] = m;
        const need = () => { if (v === undefined || v === '') usage(`--${k} needs a value`); return v; };
        const num = () => { const n = Number(need()); if (!Number.isFinite(n) || n <= 0) usage(`--${k}: not a positive number`); return n; };
        switch (k) {
        case 'path': o.path = need(); break;
        case 'transports': o.transports = need().split(','); break;
        case 'expect-transport': o.expectTransport = need(); break;
        case 'expect-upgrade': o.expectUpgrade = need() === 'yes'; break;
        case 'symbols': o.symbols = need().split(','); break;
        case 'ticks': o.ticks = num(); break;
        case 'clients': o.clients = num(); break;
        case 'local-addresses': o.localAddresses = need().split(','); break;
        case 'credentials': o.credentials = true; break;
        case 'namespace': o.namespace = need(); break;
        case 'star': o.star = true; break;
        case 'reconnect': o.reconnect = true; break;
        case 'hold': o.hold = true; break;
        case 'step-ms': o.stepMs = num(); break;
        case 'timeout': o.timeout = num(); break;
        default: usage(`unknown option --${k}`);
        }
    }
    return o;
}

const opts = parseArgs(process.argv.slice(2));
const clients = [];

function log(line) { process.stdout.write(`${line}\n`); }

function finish(code, msg) {
    if (msg) process.stderr.write(`FAIL: ${msg}\n`);
    for (const c of clients) {
        try { c.socket.disconnect(); } catch (e) { /* closing anyway */ }
    }
    // Let a polling client's last POST (the "41" disconnect) go out.
    setTimeout(() => process.exit(code), code ? 0 : 200).unref();
}

class CheckError extends Error {}

// One socket.io-client and everything it received, in order.
class Client {
    constructor(n, url) {
        this.n = n;
        this.name = opts.clients > 1 ? `client ${n}` : 'client';
        this.events = [];
        this.waiters = [];
        this.upgrades = [];
        const io_opts = {
            path: opts.path,
            reconnection: opts.reconnect,
            reconnectionDelay: 500,
            reconnectionDelayMax: 2000,
            timeout: opts.stepMs,
            withCredentials: opts.credentials,
        };
        if (opts.transports) io_opts.transports = opts.transports;
        if (opts.localAddresses.length) {
            this.localAddress = opts.localAddresses[n % opts.localAddresses.length];
            io_opts.agent = new http.Agent({ keepAlive: true, localAddress: this.localAddress });
            io_opts.localAddress = this.localAddress;
        }
        this.socket = io(url, io_opts);
        const s = this.socket;
        s.onAny((event, ...args) => this.push(event, args));
        s.on('connect', () => this.push('$connect', [s.id]));
        s.on('connect_error', (err) => this.push('$connect_error', [err]));
        s.on('disconnect', (reason) => this.push('$disconnect', [reason]));
        // Each (re)connection opens a new Engine.IO socket: watch its upgrade.
        s.io.on('open', () => {
            const engine = s.io.engine;
            this.push('$open', [engine.transport.name]);
            engine.on('upgrade', (t) => {
                this.upgrades.push(t.name);
                this.push('$upgrade', [t.name]);
            });
        });
    }

    push(event, args) {
        const e = { event, data: args[0], args, t: Date.now() };
        this.events.push(e);
        for (const w of this.waiters.slice()) w(e);
    }

    fail(msg) { throw new CheckError(`${this.name}: ${msg}`); }

    // The first event at or after index `from` for which pred(e) holds;
    // waits up to ms for it.  Resolves to its index.
    waitFor(from, pred, what, ms = opts.stepMs) {
        for (let i = from; i < this.events.length; i++) {
            if (pred(this.events[i])) return Promise.resolve(i);
        }
        return new Promise((resolve, reject) => {
            const w = (e) => {
                if (!pred(e)) return;
                clearTimeout(timer);
                this.waiters.splice(this.waiters.indexOf(w), 1);
                resolve(this.events.indexOf(e));
            };
            const timer = setTimeout(() => {
                this.waiters.splice(this.waiters.indexOf(w), 1);
                const seen = [...new Set(this.events.slice(from).map((x) => x.event))];
                reject(new CheckError(`${this.name}: no ${what} within ${ms} ms ` +
                    `(events since: ${seen.join(', ') || 'none'})`));
            }, ms);
            this.waiters.push(w);
        });
    }

    // emit with an acknowledgement; resolves to the ack's arguments.
    emitAck(what, ...args) {
        return new Promise((resolve, reject) => {
            this.socket.timeout(opts.stepMs).emit(...args, (err, ...reply) => {
                if (err) reject(new CheckError(`${this.name}: no acknowledgement of ${what} within ${opts.stepMs} ms`));
                else resolve(reply);
            });
        });
    }

    // Wait until every symbol has `ticks` price-updates after index `from`;
    // any other symbol's update, or a bulk update, after `from` fails.
    async livePrices(from, symbols, ticks, what) {
        const need = () => symbols.filter((s) => this.events.slice(from).filter(
            (e) => e.event === 'price-update' && e.data && e.data.symbol === s).length < ticks);
        const check = () => {
            for (const e of this.events.slice(from)) {
                if (e.event === 'price-update') {
                    checkPrice(this, e.data, what);
                    if (!symbols.includes(e.data.symbol)) {
                        this.fail(`${what}: price-update of ${e.data.symbol}, not subscribed (${symbols})`);
                    }
                } else if (e.event === 'price-update-bulk') {
                    this.fail(`${what}: a price-update-bulk while subscribed to ${symbols}: ${JSON.stringify(e.data).slice(0, 200)}`);
                }
            }
        };
        await this.waitFor(from, () => { check(); return need().length === 0; },
            `${ticks} price-updates of each of ${symbols} (${what}; missing ${need()})`,
            opts.stepMs + ticks * 3000);
        check();
    }
}

function checkPrice(c, p, what) {
    if (!p || typeof p.symbol !== 'string' || typeof p.price !== 'number' ||
        typeof p.ts !== 'number' || typeof p.id !== 'string' || !/^\d+-\d+$/.test(p.id)) {
        c.fail(`${what}: not a price object: ${JSON.stringify(p)}`);
    }
}

function checkBulk(c, b, what) {
    if (!b || typeof b.id !== 'string' || typeof b.ts !== 'number' || !Array.isArray(b.prices)) {
        c.fail(`${what}: not a price-update-bulk payload: ${JSON.stringify(b).slice(0, 200)}`);
    }
    for (const p of b.prices) checkPrice(c, p, what);
    return b.prices.map((p) => p.symbol);
}

const sameSet = (a, b) => a.length === b.length && a.every((x) => b.includes(x));
const ev = (name) => (e) => e.event === name;

// connect and welcome, then the whole tick as one bulk while on "*".
async function connected(c, from, what) {
    const i = await c.waitFor(from, (e) => e.event === '$connect' || e.event === '$connect_error',
        `connect (${what})`);
    if (c.events[i].event === '$connect_error') {
        const err = c.events[i].data;
        c.fail(`connect_error (${what}): ${err.message}${err.description ? ` (${err.description.message || err.description})` : ''}`);
    }
    if (typeof c.socket.id !== 'string' || !c.socket.id) c.fail('no socket id after connect');
    const w = await c.waitFor(from, ev('welcome'), `welcome event (${what})`);
    const welcome = c.events[w].data;
    if (!welcome || !Array.isArray(welcome.symbols) || typeof welcome.interval_ms !== 'number' ||
        !/^cryptopulse\//.test(welcome.server)) {
        c.fail(`welcome (${what}) is not the native welcome: ${JSON.stringify(welcome)}`);
    }
    for (const s of opts.symbols) {
        if (!welcome.symbols.includes(s)) c.fail(`welcome does not list ${s}: ${welcome.symbols}`);
    }
    if (c.events.slice(from, w).some((e) => e.event === 'price-update' || e.event === 'price-update-bulk')) {
        c.fail(`prices before the welcome event (${what})`);
    }
    const b = await c.waitFor(w, ev('price-update-bulk'), `price-update-bulk while on "*" (${what})`,
        opts.stepMs + 3000);
    const syms = checkBulk(c, c.events[b].data, `bulk on "*" (${what})`);
    if (syms.length < opts.symbols.length + 1 || !opts.symbols.every((s) => syms.includes(s))) {
        c.fail(`the bulk on "*" (${what}) is not the whole tick: ${syms}`);
    }
    if (c.events.slice(from).some(ev('price-update'))) {
        c.fail(`a price-update while on "*" (${what}): "*" gets bulks only`);
    }
    return { welcome, bulk: c.events[b].data };
}

// subscribe replaces "*": subscribed (event and ack), a snapshot of just
// those symbols, then only their price-updates.
async function subscribe(c, what) {
    const from = c.events.length;
    const ack = await c.emitAck('subscribe', 'subscribe', opts.symbols);
    if (!ack[0] || !Array.isArray(ack[0].symbols) || !sameSet(ack[0].symbols, opts.symbols)) {
        c.fail(`subscribe acknowledgement (${what}) is not {"symbols":${JSON.stringify(opts.symbols)}}: ${JSON.stringify(ack)}`);
    }
    const s = await c.waitFor(from, ev('subscribed'), `subscribed event (${what})`);
    if (!sameSet(c.events[s].data.symbols || [], opts.symbols)) {
        c.fail(`subscribed event (${what}): ${JSON.stringify(c.events[s].data)}`);
    }
    const snap = await c.waitFor(s, ev('price-update-bulk'), `snapshot after subscribe (${what})`);
    const syms = checkBulk(c, c.events[snap].data, `snapshot (${what})`);
    if (!sameSet(syms, opts.symbols)) {
        c.fail(`snapshot after subscribe (${what}) has ${syms}, not ${opts.symbols}`);
    }
    await c.livePrices(snap + 1, opts.symbols, opts.ticks, `after subscribe (${what})`);
}

async function unsubscribe(c) {
    if (opts.symbols.length < 2) return;
    const gone = opts.symbols[opts.symbols.length - 1];
    const left = opts.symbols.slice(0, -1);
    const ack = await c.emitAck('unsubscribe', 'unsubscribe', { symbols: [gone] });
    if (!ack[0] || !sameSet(ack[0].symbols || [], left)) {
        c.fail(`unsubscribe acknowledgement is not {"symbols":${JSON.stringify(left)}}: ${JSON.stringify(ack)}`);
    }
    // Anything sent before the acknowledgement arrived before it.
    const from = c.events.length;
    await c.livePrices(from, left, 1, `after unsubscribe ${gone}`);
}

async function pings(c) {
    // The original dashboard's form: an object, echoed back.
    let from = c.events.length;
    const ts = Date.now();
    c.socket.emit('ping', { id: 7, ts });
    let i = await c.waitFor(from, ev('pong'), 'pong to ping {id,ts}');
    let p = c.events[i].data;
    if (!p || p.id !== 7 || p.ts !== ts || typeof p.server_ts !== 'number') {
        c.fail(`pong to {"id":7,"ts":${ts}} is ${JSON.stringify(p)}`);
    }
    // A bare number, and no payload at all.
    from = c.events.length;
    c.socket.emit('ping', ts);
    i = await c.waitFor(from, ev('pong'), 'pong to ping <number>');
    if (typeof c.events[i].data.server_ts !== 'number') c.fail(`pong to a number: ${JSON.stringify(c.events[i].data)}`);
    from = c.events.length;
    c.socket.emit('ping');
    i = await c.waitFor(from, ev('pong'), 'pong to ping without payload');
    if (typeof c.events[i].data.server_ts !== 'number') c.fail(`pong to a bare ping: ${JSON.stringify(c.events[i].data)}`);
    // With an acknowledgement callback: it gets the pong data.
    const ack = await c.emitAck('ping', 'ping', { id: 8, ts });
    p = ack[0];
    if (!p || p.id !== 8 || p.ts !== ts || typeof p.server_ts !== 'number') {
        c.fail(`acknowledgement of ping {"id":8} is ${JSON.stringify(ack)}`);
    }
    const rtt = Date.now() - ts;
    return rtt;
}

async function history(c) {
    const from = c.events.length;
    const ack = await c.emitAck('history', 'history', { symbol: opts.symbols[0], limit: 3 });
    const i = await c.waitFor(from, ev('history'), 'history event');
    for (const h of [c.events[i].data, ack[0]]) {
        if (!h || h.symbol !== opts.symbols[0] || !Array.isArray(h.points) || h.points.length < 1) {
            c.fail(`history of ${opts.symbols[0]}: ${JSON.stringify(h).slice(0, 200)}`);
        }
    }
}

async function checkTransport(c) {
    const engine = c.socket.io.engine;
    if (opts.expectTransport) {
        // The upgrade starts once the session is open; give it a moment.
        const end = Date.now() + opts.stepMs;
        while (engine.transport.name !== opts.expectTransport && Date.now() < end) {
            await new Promise((r) => setTimeout(r, 50));
        }
        if (engine.transport.name !== opts.expectTransport) {
            c.fail(`transport is ${engine.transport.name}, not ${opts.expectTransport}` +
                ` (upgrades: ${c.upgrades.join(',') || 'none'})`);
        }
    }
    if (opts.expectUpgrade === true && !c.upgrades.includes('websocket')) {
        c.fail(`no upgrade to websocket happened (transport ${engine.transport.name})`);
    }
    if (opts.expectUpgrade === false && c.upgrades.length) {
        c.fail(`an upgrade happened (${c.upgrades}) although none was expected`);
    }
    return engine.transport.name;
}

async function walk(c) {
    await connected(c, 0, 'first connection');
    const opened = c.events.find(ev('$open')).data;
    await subscribe(c, 'first connection');
    const rtt = await pings(c);
    await history(c);
    await unsubscribe(c);
    const transport = await checkTransport(c);
    log(`${c.name}${c.localAddress ? ` from ${c.localAddress}` : ''}: sid ${c.socket.id},` +
        ` opened on ${opened}, upgrades [${c.upgrades}], now ${transport}; welcome, bulk on "*",` +
        ` subscribe ${opts.symbols}, live prices, unsubscribe, pings (rtt ${rtt} ms), history: ok`);
}

// The gateway goes away and comes back: the client reconnects by itself,
// is on "*" again (a new session) and resubscribes.
async function reconnect(c) {
    const from = c.events.length;
    log('restart-me');
    const d = await c.waitFor(from, ev('$disconnect'), 'disconnect when the gateway stopped', 30000);
    log(`disconnected: ${c.events[d].data}`);
    const oldId = c.events.slice(0, d).filter(ev('$connect')).pop().data;
    const r = await c.waitFor(d, ev('$connect'), 'reconnect after the gateway restarted', 30000);
    const newId = c.events[r].data;
    if (newId === oldId) c.fail(`reconnected with the old socket id ${oldId}`);
    await connected(c, r, 'after reconnect');
    await subscribe(c, 'after reconnect');
    log(`reconnected: sid ${newId} (was ${oldId}), prices again on ${c.socket.io.engine.transport.name}`);
}

// Subscribing "*" explicitly keeps the bulk, and later subscribes add to
// the set, as on /ws: subscribe(["*", A]), then subscribe([B]).
async function explicitStar(c) {
    await connected(c, 0, 'first connection');
    const [a, b] = opts.symbols;
    let ack = await c.emitAck('subscribe', 'subscribe', ['*', a]);
    if (!ack[0] || !sameSet(ack[0].symbols || [], ['*', a])) {
        c.fail(`subscribe(["*","${a}"]) acknowledged with ${JSON.stringify(ack)}`);
    }
    ack = await c.emitAck('subscribe', 'subscribe', [b]);
    if (!ack[0] || !sameSet(ack[0].symbols || [], ['*', a, b])) {
        c.fail(`after subscribe(["*","${a}"]), subscribe(["${b}"]) acknowledged with ` +
            `${JSON.stringify(ack)}, not the whole set ["*","${a}","${b}"]`);
    }
    const from = c.events.length;
    const i = await c.waitFor(from, ev('price-update-bulk'), 'a bulk with "*" subscribed explicitly',
        opts.stepMs + 3000);
    const syms = checkBulk(c, c.events[i].data, 'bulk on explicit "*"');
    if (syms.length < 3) c.fail(`the bulk on explicit "*" is not the whole tick: ${syms}`);
    log(`${c.name}: subscribe ["*","${a}"] then ["${b}"]: set ${JSON.stringify(ack[0].symbols)}, bulks go on: ok`);
}

async function badNamespace(c) {
    const i = await c.waitFor(0, (e) => e.event === '$connect_error' || e.event === '$connect',
        `connect_error for namespace ${opts.namespace}`);
    const e = c.events[i];
    if (e.event === '$connect') c.fail(`namespace ${opts.namespace} connected`);
    if (e.data.message !== 'Invalid namespace') {
        c.fail(`connect_error for ${opts.namespace} says "${e.data.message}", not "Invalid namespace"`);
    }
    log(`${c.name}: namespace ${opts.namespace}: connect_error "${e.data.message}": ok`);
}

let ready = null;

function onTerm() {
    if (!ready) finish(1, 'SIGTERM before every client was ready');
    for (const c of clients) {
        const fresh = c.events.slice(ready.get(c)).filter(ev('price-update'));
        if (!c.socket.connected) return finish(1, `${c.name}: disconnected while held`);
        if (!fresh.length) return finish(1, `${c.name}: no price-update while held`);
    }
    log(`held: ${clients.length} clients still connected and receiving prices`);
    return finish(0);
}

async function main() {
    const timer = setTimeout(() => finish(1, `still running after ${opts.timeout} s`), opts.timeout * 1000);
    const url = opts.url.replace(/\/$/, '') + (opts.namespace || '');
    for (let n = 0; n < opts.clients; n++) clients.push(new Client(n, url));
    try {
        if (opts.namespace) {
            await Promise.all(clients.map(badNamespace));
        } else if (opts.star) {
            await Promise.all(clients.map(explicitStar));
        } else {
            await Promise.all(clients.map(walk));
            if (opts.reconnect) await Promise.all(clients.map(reconnect));
        }
    } catch (e) {
        if (!(e instanceof CheckError)) throw e;
        return finish(1, e.message);
    }
    if (opts.hold) {
        ready = new Map(clients.map((c) => [c, c.events.length]));
        process.on('SIGTERM', onTerm);
        log(`ready: ${clients.length} clients on ${[...new Set(clients.map((c) => c.socket.io.engine.transport.name))]}`);
        const live = setInterval(() => {
            if (clients.every((c) => c.events.slice(ready.get(c)).some(ev('price-update')))) {
                log('live: every client got prices since ready');
                clearInterval(live);
            }
        }, 50);
        return undefined;
    }
    clearTimeout(timer);
    for (const c of clients) c.socket.disconnect();
    log(`PASS: ${clients.length} client(s)`);
    return finish(0);
}

main().catch((e) => finish(1, `unexpected: ${e.stack || e}`));
