'use strict';
// www/cryptopulse.js and <cryptopulse-ticker> in real headless Chromium
// (Debian's, driven by playwright-core) against a real gateway, Redis and
// feeder.  Run by 72-browser-client.sh:
//
//   REDIS_PORT=N node client_test.js BASE_URL OUT_DIR CONTROL_DIR
//
// OUT_DIR receives the screenshots.  The gateway restart is done by the
// shell script, which owns the processes: this script writes
// CONTROL_DIR/stop, waits for CONTROL_DIR/stopped, then writes
// CONTROL_DIR/start and waits for CONTROL_DIR/started.  The tick ids a page
// saw are compared with Redis's history stream (redis-cli XRANGE).
// Prints one line per check; exits 0 when all passed.

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const [base, outDir, control] = process.argv.slice(2);
if (!base || !outDir || !control || !process.env.REDIS_PORT) {
  console.error('usage: REDIS_PORT=N client_test.js BASE_URL OUT_DIR CONTROL_DIR');
  process.exit(2);
}
const REDIS_PORT = process.env.REDIS_PORT;
const HISTORY_KEY = `${process.env.REDIS_PREFIX || 'cryptopulse:'}history`;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SIZES = [[1280, 800], [768, 1024], [390, 844]];
const EXAMPLE = new URL('examples/index.html', base).href;
let interval = 300;
/* A wait for k ticks with room for a busy CI machine: each wait returns as
 * soon as its condition holds, so the slack costs only a failing run. */
const patient = (k) => interval * k + 10000;

// The last check passed, named when a later step fails (a Playwright
// timeout does not say which wait it was).
let lastOk = '(none yet)';
function ok(what) { lastOk = what; console.log(`ok - ${what}`); }
function check(cond, what, detail) {
  if (!cond) throw new Error(what + (detail === undefined ? '' : `: ${JSON.stringify(detail)}`));
  ok(what);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFile(name, ms) {
  const f = path.join(control, name);
  const end = Date.now() + ms;
  while (!fs.existsSync(f)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${name} from the test script`);
    await sleep(50);
  }
}

async function stats() {
  const r = await fetch(new URL('stats', base));
  return r.json();
}

/* Wait until /stats shows exactly ws WebSocket and sse SSE connections and
 * still does 2 ticks later (a closing socket may linger a moment). */
async function waitConnections(ws, sse, ms) {
  const end = Date.now() + ms;
  let s;
  for (;;) {
    s = await stats();
    if (s.websocket.current === ws && s.sse.current === sse) {
      await sleep(interval * 2);
      s = await stats();
      if (s.websocket.current === ws && s.sse.current === sse) return s;
    }
    if (Date.now() > end) return s;
    await sleep(100);
  }
}

/* Tick ids of Redis's history stream from first to last, inclusive. */
function redisIds(first, last) {
  const out = execFileSync('redis-cli', ['-p', REDIS_PORT, 'XRANGE', HISTORY_KEY, first, last],
    { encoding: 'utf8' });
  return out.split('\n').filter((l) => /^\d+-\d+$/.test(l.trim())).map((l) => l.trim());
}

/* Every id Redis has between the first and the last id the page saw was
 * seen, and once. */
function checkNoGap(ids, what) {
  check(ids.length >= 3, `${what}: ticks were received (${ids.length})`);
  const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
  check(dup.length === 0, `${what}: no tick id received twice`, dup);
  const want = redisIds(ids[0], ids[ids.length - 1]);
  const seen = new Set(ids);
  const missed = want.filter((id) => !seen.has(id));
  const extra = ids.filter((id) => !want.includes(id));
  check(missed.length === 0 && extra.length === 0,
    `${what}: the ${ids.length} ids equal Redis's XRANGE ${ids[0]} ${ids[ids.length - 1]} (${want.length} ticks)`,
    { missed, extra });
}

function watchConsole(page, errors) {
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
}

/* In every page: as soon as <cryptopulse-ticker> is defined (before any
 * network message can be handled), note each ticker's box and whether it
 * shows a price yet, hook its client's tick event into window.__ticks[id],
 * count the flash animations running and the flash classes set, and sum the
 * layout shifts. */
function instrument() {
  window.__ticks = {};
  window.__boxes = {};
  window.__anims = 0;
  window.__flashClasses = 0;
  window.__cls = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.hadRecentInput) continue;
      window.__cls += e.value;
      (window.__shifts = window.__shifts || []).push({ t: Math.round(e.startTime), v: e.value.toFixed(4),
        nodes: (e.sources || []).map((x) => (x.node ? `${x.node.nodeName}#${x.node.id || ''}.${x.node.className || ''}` : '?')) });
    }
  }).observe({ type: 'layout-shift', buffered: true });
  customElements.whenDefined('cryptopulse-ticker').then(() => {
    for (const t of document.querySelectorAll('cryptopulse-ticker')) {
      const r = t.getBoundingClientRect();
      const priced = [...t.shadowRoot.querySelectorAll('.price')].some((p) => /\d/.test(p.textContent));
      window.__boxes[t.id] = { w: r.width, h: r.height, priced };
      const ids = (window.__ticks[t.id] = []);
      t.client.on('tick', (k) => ids.push(k.id));
      // What the client went through, for a failure's message.
      const log = (window.__events = window.__events || []);
      const note = (what) => { if (log.length < 200) log.push(`${Math.round(performance.now())} ${t.id} ${what}`); };
      for (const ev of ['state', 'transport', 'gap', 'error']) t.client.on(ev, (x) => note(`${ev} ${JSON.stringify(x)}`));
      new MutationObserver((muts) => {
        for (const m of muts) if (/flash-(up|down)/.test(m.target.className)) window.__flashClasses += 1;
      }).observe(t.shadowRoot, { subtree: true, attributes: true, attributeFilter: ['class'] });
    }
    setInterval(() => {
      for (const t of document.querySelectorAll('cryptopulse-ticker')) {
        window.__anims = Math.max(window.__anims, t.shadowRoot.getAnimations().length);
      }
    }, 30);
  });
}

/* Give every ticker of the page the attributes attrs as the parser adds
 * it, before the module defines the element: the example page as it is,
 * with e.g. share="broadcast".  (A page of the test's own, answered by
 * Playwright's route.fulfill, would not do: Chromium's local network
 * access checks then refuse its WebSocket to 127.0.0.1.) */
function setAttrs(attrs) {
  new MutationObserver((muts) => {
    for (const m of muts) {
      for (const n of m.addedNodes) {
        if (n.localName === 'cryptopulse-ticker') for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
      }
    }
  }).observe(document, { childList: true, subtree: true });
}

async function newContext(browser, opts = {}, attrs = null) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, ...opts });
  if (attrs) await context.addInitScript(setAttrs, attrs);
  await context.addInitScript(instrument);
  return context;
}

const pricesOf = (page, id) => page.$$eval(`#${id} >> .item`, (items) =>
  Object.fromEntries(items.map((i) => [i.dataset.symbol, i.querySelector('.price').textContent])));

async function waitPrices(page, id, ms = 10000) {
  await page.waitForFunction((i) => {
    const items = [...document.getElementById(i).shadowRoot.querySelectorAll('.item')];
    return items.length > 0 && items.every((x) => /\d/.test(x.querySelector('.price').textContent));
  }, id, { timeout: ms });
}

const tickIds = (page, id) => page.evaluate((i) => window.__ticks[i].slice(), id);

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    await examplePage(browser);
    await fallback(browser);
    await tabs(browser);
    await broadcastHandover(browser);
    await reducedMotion(browser);
    await badAttributes(browser);
    if (process.env.XO_URL) await crossOrigin(browser);
  } finally {
    await browser.close();
  }
}

/* a, c, f (flash present), g. */
async function examplePage(browser) {
  const context = await newContext(browser);
  const page = await context.newPage();
  const errors = [];
  watchConsole(page, errors);
  const resp = await page.goto(EXAMPLE, { waitUntil: 'load' });
  check(resp.status() === 200 && /text\/html/.test(resp.headers()['content-type']), 'the example page is served as HTML');
  const html = await resp.text();
  const srcs = [...html.matchAll(/<script[^>]*\ssrc="([^"]*)"/g)].map((m) => m[1]);
  const servers = await page.$$eval('cryptopulse-ticker', (ts) => ts.filter((t) => t.hasAttribute('server')).length);
  check(srcs.join() === '../cryptopulse-ticker.js' && servers === 0 && !/127\.0\.0\.1|localhost/.test(html),
    'the example page loads ../cryptopulse-ticker.js and names no host', { srcs, servers });
  await page.waitForFunction(() => window.__boxes.card && window.__boxes.strip, null, { timeout: 10000 });
  const before = await page.evaluate(() => window.__boxes);
  await waitPrices(page, 'card', patient(6));
  await waitPrices(page, 'strip', patient(6));
  ok('both variants show prices');
  check(await page.evaluate(() => document.getElementById('card').client.shared) === 'worker',
    'the tabs of the example page share through a SharedWorker');
  interval = (await page.evaluate(() => document.getElementById('card').client.intervalMs)) || interval;
  const p0 = await pricesOf(page, 'card');
  check(/^\$\d{1,3}(,\d{3})*\.\d{2}$/.test(p0.BTC) && /^\$[\d,]+\.\d{2}$/.test(p0.ETH), 'BTC and ETH show 2 decimals', p0);
  const s0 = await pricesOf(page, 'strip');
  check(/^\$[\d,]+\.\d{4}$/.test(s0.XRP) && /^\$[\d,]+\.\d{5}$/.test(s0.DOGE), 'XRP shows 4, DOGE 5 decimals', s0);
  await page.waitForFunction((b) => {
    const items = [...document.getElementById('strip').shadowRoot.querySelectorAll('.item')];
    return items.some((i) => i.querySelector('.price').textContent !== b[i.dataset.symbol]);
  }, s0, { timeout: patient(3) });
  ok('prices change within a few ticks');

  // Accessibility: a name per item that reads as a sentence, no live
  // region on the prices, a polite status.
  const label = await page.getAttribute('#card >> .item[data-symbol="BTC"]', 'aria-label');
  check(/^Bitcoin \d{1,3}(,\d{3})*\.\d{2} US dollars, (up \d+\.\d{2} percent|down \d+\.\d{2} percent|unchanged)$/.test(label),
    `BTC's accessible name: "${label}"`);
  check(await page.locator('#card').getByRole('listitem', { name: /^Ethereum [\d,.]+ US dollars/ }).count() === 1,
    'the accessible name is exposed to the accessibility tree (getByRole)');
  const live = await page.$$eval('#card >> [aria-live]', (es) => es.map((e) => `${e.className}:${e.getAttribute('aria-live')}:${e.getAttribute('role')}`));
  check(live.length === 1 && live[0] === 'status:polite:status', 'only the connection status is a (polite) live region', live);
  check(await page.textContent('#card >> .status') === 'Live', 'the status says Live');
  const change = await page.textContent('#card >> .item[data-symbol="BTC"] .change');
  check(/^(▲ \+|▼ −)\d+\.\d{2}%$|^▬ 0\.00%$/.test(change), `the 24 h change has a sign and an arrow (${change})`);

  // The flash: classes set and an animation running.
  await page.waitForFunction(() => window.__anims > 0 && window.__flashClasses > 0, null, { timeout: patient(4) });
  ok(`the flash animates on updates (${await page.evaluate(() => window.__flashClasses)} flashes)`);

  // No layout shift: the boxes before the first price equal those after.
  const after = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('cryptopulse-ticker')]
    .map((t) => { const r = t.getBoundingClientRect(); return [t.id, { w: r.width, h: r.height }]; })));
  check(!before.card.priced && !before.strip.priced, 'the boxes were measured before the first price', before);
  for (const id of ['card', 'strip']) {
    check(before[id].w === after[id].w && before[id].h === after[id].h,
      `${id}: the same box before the first price and after (${after[id].w}x${after[id].h})`, { before: before[id], after: after[id] });
  }
  await sleep(interval * 3);
  const cls = await page.evaluate(() => window.__cls);
  check(cls === 0, `no layout shift while prices arrive and update (CLS ${cls})`, await page.evaluate(() => window.__shifts));

  for (const [w, h] of SIZES) {
    await page.setViewportSize({ width: w, height: h });
    await sleep(300);
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(over <= 0, `no horizontal page scrolling at ${w}x${h} (the strip scrolls inside itself)`);
    const file = path.join(outDir, `example-${w}x${h}.png`);
    await page.screenshot({ path: file, fullPage: true });
    ok(`screenshot ${file}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  const st = await waitConnections(1, 0, 10000);
  check(st.websocket.current === 1 && st.sse.current === 0, 'one tab with two tickers: one WebSocket', st.websocket);
  check(errors.length === 0, 'no console errors', errors);

  // c: the gateway goes away and comes back: stale / reconnecting, then
  // live again, and no tick is missed or repeated.
  fs.writeFileSync(path.join(control, 'stop'), '');
  await waitFile('stopped', 10000);
  await page.waitForFunction(() => ['stale', 'reconnecting'].includes(document.getElementById('card').state),
    null, { timeout: patient(4) });
  const marker = await page.textContent('#card >> .status');
  const grey = await page.$eval('#card >> .item', (i) => getComputedStyle(i).filter);
  check(/^(Stale|Reconnecting…)$/.test(marker) && /grayscale/.test(grey),
    `gateway stopped: the items are greyed and marked "${marker}"`, { marker, grey });
  await page.screenshot({ path: path.join(outDir, 'stale-1280x800.png') });
  await sleep(interval * 4); // ticks go on into Redis meanwhile
  fs.writeFileSync(path.join(control, 'start'), '');
  await waitFile('started', 15000);
  const n0 = (await tickIds(page, 'card')).length;
  await page.waitForFunction((n) => document.getElementById('card').state === 'live'
    && window.__ticks.card.length > n + 3, n0, { timeout: 20000 }).catch(async (e) => {
    // Say where the client stood and what the gateway saw.
    const seen = await page.evaluate(() => ({ state: document.getElementById('card').state,
      transport: document.getElementById('card').client.transport, ticks: window.__ticks.card.slice(-4),
      events: (window.__events || []).slice(-30) })).catch((x) => String(x));
    const st = await stats().catch((x) => String(x));
    throw new Error(`${e.message.split('\n')[0]}; before it ${n0} ticks; the page: ${JSON.stringify(seen)}; /stats: `
      + JSON.stringify({ websocket: st.websocket, sse: st.sse, ticks: st.ticks }));
  });
  check(await page.textContent('#card >> .status') === 'Live', 'gateway restarted: the widget is live again by itself');
  checkNoGap(await tickIds(page, 'card'), 'across the gateway restart (card)');
  checkNoGap(await tickIds(page, 'strip'), 'across the gateway restart (strip)');
  check(errors.filter((e) => !/ERR_CONNECTION_REFUSED|WebSocket connection|Failed to load resource/.test(e)).length === 0,
    'no console errors but the refused connections', errors);
  await context.close();
}

/* b: WebSocket refused ⇒ SSE.  Playwright's routeWebSocket works on the
 * page's WebSocket; the check first finds out whether it also catches the
 * SharedWorker's socket, and otherwise uses a page whose ticker connects
 * on its own (share="none"). */
async function fallback(browser) {
  for (const [attrs, what] of [[null, 'the example page (SharedWorker)'],
    [{ share: 'none' }, 'the example page with share="none"']]) {
    const context = await newContext(browser, {}, attrs);
    let refused = 0;
    await context.routeWebSocket(/\/ws(\?|$)/, (ws) => { refused += 1; ws.close({ code: 1011, reason: 'refused by test' }); });
    const page = await context.newPage();
    await page.goto(EXAMPLE, { waitUntil: 'load' });
    const id = 'card';
    await waitPrices(page, id, 15000);
    const transport = await page.evaluate((i) => document.getElementById(i).client.transport, id);
    if (refused === 0) {
      if (attrs) throw new Error(`${what}: routeWebSocket refused no WebSocket (transport ${transport})`);
      console.log(`# routeWebSocket does not see a SharedWorker's WebSocket (transport stayed ${transport}): `
        + 'the fallback is checked with a ticker that connects on its own');
      await context.close();
      continue;
    }
    if (attrs) check(await page.evaluate(() => document.getElementById('card').client.shared) === 'none', 'share="none" is used');
    check(transport === 'sse', `${what}: WebSocket refused (${refused}x), the widget falls back to SSE`, transport);
    const n0 = (await tickIds(page, id)).length;
    const p0 = await pricesOf(page, id);
    await page.waitForFunction(({ i, n, p }) => window.__ticks[i].length >= n + 3
      && [...document.getElementById(i).shadowRoot.querySelectorAll('.item')]
        .some((x) => x.querySelector('.price').textContent !== p[x.dataset.symbol]), { i: id, n: n0, p: p0 },
    { timeout: patient(6) });
    ok('over SSE the prices keep updating');
    // share "none": the library gives each client (ticker) its own
    // connection today; one per tab would do as well.
    let st = await waitConnections(0, 2, 5000);
    if (st.sse.current !== 2) st = await waitConnections(0, 1, 10000);
    check(st.websocket.current === 0 && [1, 2].includes(st.sse.current),
      `the gateway sees ${st.sse.current} SSE stream(s) for the page's two tickers and no WebSocket`,
      { websocket: st.websocket, sse: st.sse });
    await context.close();
    break;
  }
}

/* d, e (SharedWorker): two, then five tabs in one context: one WebSocket;
 * closing the tabs opened first leaves the last one without a gap. */
async function tabs(browser) {
  const context = await newContext(browser);
  const pages = [];
  const open = async (n) => {
    while (pages.length < n) {
      const p = await context.newPage();
      await p.goto(EXAMPLE, { waitUntil: 'load' });
      pages.push(p);
    }
    for (const p of pages) await waitPrices(p, 'card', 10000);
  };
  for (const n of [2, 5]) {
    await open(n);
    const st = await waitConnections(1, 0, 10000);
    check(st.websocket.current === 1 && st.sse.current === 0, `${n} tabs of the example page: the gateway has one WebSocket and no SSE stream`,
      { websocket: st.websocket.current, sse: st.sse.current });
  }
  const last = pages[pages.length - 1];
  for (const p of pages.slice(0, -1)) {
    await p.close();
    await sleep(interval * 2);
  }
  await sleep(interval * 3);
  checkNoGap(await tickIds(last, 'card'), 'SharedWorker: tabs 1-4 closed, tab 5');
  const st = await waitConnections(1, 0, 10000);
  check(st.websocket.current === 1, 'one WebSocket still', st.websocket);
  await context.close();
}

/* e (BroadcastChannel): the first tab leads; it closes, another takes over
 * from the last tick id it saw. */
async function broadcastHandover(browser) {
  const context = await newContext(browser, {}, { share: 'broadcast' });
  const url = EXAMPLE;
  const pages = [];
  for (let i = 0; i < 3; i += 1) {
    const p = await context.newPage();
    await p.goto(url, { waitUntil: 'load' });
    await waitPrices(p, 'card', 10000);
    pages.push(p);
  }
  check(await pages[1].evaluate(() => document.getElementById('card').client.shared) === 'broadcast', 'share="broadcast" is used');
  let st = await waitConnections(1, 0, 10000);
  const how = [];
  for (const p of pages) how.push(await p.evaluate(() => { const c = document.getElementById('card').client; return `${c.shared}/${c.transport}/${c.state}`; }));
  check(st.websocket.current === 1 && st.sse.current === 0, 'three tabs sharing through BroadcastChannel: one WebSocket',
    { websocket: st.websocket, sse: st.sse, tabs: how });
  const total0 = st.websocket.total;
  const n0 = (await tickIds(pages[1], 'card')).length;
  await pages[0].close();
  await pages[1].waitForFunction((n) => window.__ticks.card.length >= n + 6, n0, { timeout: 15000 });
  checkNoGap(await tickIds(pages[1], 'card'), 'BroadcastChannel: leader tab closed, tab 2');
  checkNoGap(await tickIds(pages[2], 'card'), 'BroadcastChannel: leader tab closed, tab 3');
  st = await waitConnections(1, 0, 10000);
  check(st.websocket.current === 1 && st.sse.current === 0 && st.websocket.total === total0 + 1,
    'the first tab led: after it closed another tab opened the one WebSocket', { total0, websocket: st.websocket });
  await context.close();
}

/* f: reduced motion: the flash classes still come, but no animation runs. */
async function reducedMotion(browser) {
  const context = await newContext(browser, { reducedMotion: 'reduce' });
  const page = await context.newPage();
  await page.goto(EXAMPLE, { waitUntil: 'load' });
  await waitPrices(page, 'strip', 10000);
  await page.waitForFunction(() => window.__flashClasses >= 5, null, { timeout: patient(6) });
  await sleep(interval * 3);
  const r = await page.evaluate(() => ({ anims: window.__anims, flashes: window.__flashClasses,
    rm: matchMedia('(prefers-reduced-motion: reduce)').matches }));
  check(r.rm && r.anims === 0, `prefers-reduced-motion: reduce: ${r.flashes} updates and no animation ran`, r);
  await context.close();
}

/* Bad attribute values: an unknown transport is warned about and replaced
 * by auto (prices still come); a symbol not in the feed says so. */
async function badAttributes(browser) {
  const context = await newContext(browser);
  const page = await context.newPage();
  const errors = [];
  const warnings = [];
  watchConsole(page, errors);
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  await page.goto(EXAMPLE, { waitUntil: 'load' });
  await page.evaluate(() => {
    const t = document.createElement('cryptopulse-ticker');
    t.id = 'bad';
    t.setAttribute('symbols', 'BTC,FOO');
    t.setAttribute('transport', 'bogus');
    t.setAttribute('variant', 'strip');
    document.body.prepend(t);
  });
  await page.waitForFunction(() => {
    const items = [...document.getElementById('bad').shadowRoot.querySelectorAll('.item')];
    const by = Object.fromEntries(items.map((i) => [i.dataset.symbol, i]));
    return by.BTC && /\d/.test(by.BTC.querySelector('.price').textContent)
      && by.FOO && by.FOO.querySelector('.price').textContent === 'n/a';
  }, null, { timeout: 10000 });
  const foo = await page.evaluate(() => document.getElementById('bad').shadowRoot
    .querySelector('.item[data-symbol="FOO"]').getAttribute('aria-label'));
  check(/not in this price feed/.test(foo), 'a symbol not in the feed shows n/a and says so to screen readers', foo);
  check(warnings.some((w) => /transport="bogus"/.test(w)) && errors.length === 0,
    'transport="bogus": a warning, the default transport, live prices, no error', { warnings, errors });
  await context.close();
}

/* A page of another origin (the harness serves it on another port) embeds
 * the widget straight from the gateway: the module scripts load through
 * CORS, and the tabs share through BroadcastChannel (a SharedWorker must be
 * same-origin with the page). */
async function crossOrigin(browser) {
  const context = await newContext(browser);
  const page = await context.newPage();
  const errors = [];
  watchConsole(page, errors);
  await page.goto(process.env.XO_URL, { waitUntil: 'load' });
  check(new URL(page.url()).origin !== new URL(base).origin, 'the embedding page is on another origin', page.url());
  await waitPrices(page, 'xo', 15000);
  const r = await page.evaluate(() => {
    const t = document.getElementById('xo');
    return { shared: t.client.shared, transport: t.client.transport, n: t.shadowRoot.querySelectorAll('.item').length };
  });
  check(r.shared === 'broadcast' && r.transport === 'websocket' && r.n === 2,
    'another origin loads the widget from the gateway and shares through BroadcastChannel', r);
  check(errors.length === 0, 'no console errors on the other origin', errors);
  await context.close();
}

main().then(() => {
  console.log('all browser checks passed');
}, (e) => {
  console.error(`not ok - ${e.message} (the step after "${lastOk}")`);
  process.exitCode = 1;
});
