'use strict';
// The dashboard in real headless Chromium (Debian's, driven by playwright-core)
// against a real gateway, Redis and feeder.  Run by 70-browser-dashboard.sh:
//
//   node dashboard_test.js BASE_URL OUT_DIR CONTROL_DIR
//
// OUT_DIR receives the screenshots.  The gateway restart is done by the shell
// script, which owns the processes: this script writes CONTROL_DIR/stop and
// waits for CONTROL_DIR/stopped, then writes CONTROL_DIR/start and waits for
// CONTROL_DIR/started.  Prints one line per check; exits 0 when all passed.

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [base, outDir, control] = process.argv.slice(2);
if (!base || !outDir || !control) {
  console.error('usage: dashboard_test.js BASE_URL OUT_DIR CONTROL_DIR');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SIZES = [[1280, 800], [768, 1024], [390, 844]];

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

/* The symbols and the tick interval as the gateway announces them, read
 * from the first SSE snapshot and /health. */
async function feedInfo() {
  const ctl = new AbortController();
  const r = await fetch(new URL('events?symbols=*', base), { signal: ctl.signal });
  const reader = r.body.getReader();
  let text = '';
  const dec = new TextDecoder();
  while (!/\ndata: .*\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  ctl.abort();
  const data = JSON.parse(text.match(/\ndata: (.*)\n/)[1]);
  return data.prices.map((p) => p.symbol);
}

function watchConsole(page, errors) {
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
}

/* Record every class change of the price elements (the flash). */
async function recordFlashes(page) {
  await page.evaluate(() => {
    window.__flashes = [];
    new MutationObserver((muts) => {
      for (const m of muts) {
        if (m.target.classList && m.target.classList.contains('price')) {
          window.__flashes.push(m.target.className);
        }
      }
    }).observe(document.getElementById('cards'), { subtree: true, attributes: true, attributeFilter: ['class'] });
  });
}

const prices = (page) => page.$$eval('.card[data-symbol]', (cs) =>
  Object.fromEntries(cs.map((c) => [c.dataset.symbol, c.querySelector('.price').textContent])));
const ticks = (page) => page.evaluate(() => window.cryptopulse.state.ticks);

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const symbols = await feedInfo();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    await mainPage(browser, symbols);
    await fallbackPage(browser);
  } finally {
    await browser.close();
  }
}

async function mainPage(browser, symbols) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors = [];
  watchConsole(page, errors);
  await page.addInitScript(() => {
    window.__cls = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.hadRecentInput) continue;
        window.__cls += e.value;
        window.__shifts = (window.__shifts || []).concat([{
          t: Math.round(e.startTime), v: e.value.toFixed(4),
          nodes: (e.sources || []).map((s) => (s.node ? `${s.node.nodeName}.${s.node.className || ''}` : '?')),
        }]);
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
  const resp = await page.goto(base, { waitUntil: 'load' });
  check(resp.status() === 200 && /text\/html/.test(resp.headers()['content-type']), 'page is served as HTML');

  // A card per symbol, each with a price.
  await page.waitForFunction((n) => {
    const cs = document.querySelectorAll('.card[data-symbol]');
    return cs.length === n && [...cs].every((c) => /\d/.test(c.querySelector('.price').textContent));
  }, symbols.length, { timeout: 10000 });
  const shown = await page.$$eval('.card[data-symbol]', (cs) => cs.map((c) => c.dataset.symbol));
  check(JSON.stringify([...shown].sort()) === JSON.stringify([...symbols].sort()),
    `a card per symbol (${symbols.length})`, shown);
  const interval = await page.evaluate(() => window.cryptopulse.state.intervalMs);

  // Tick sizes: BTC 2 decimals, ADA 4, AVAX 2, DOGE 5, DOT 3.
  const p0 = await prices(page);
  const decimals = (s) => (p0[s] && p0[s].includes('.') ? p0[s].split('.')[1].length : 0);
  for (const [s, d] of [['BTC', 2], ['ADA', 4], ['AVAX', 2], ['DOGE', 5], ['DOT', 3], ['XRP', 4]]) {
    if (p0[s] !== undefined) check(decimals(s) === d, `${s} shows ${d} decimals (${p0[s]})`);
  }
  const card0 = await page.$eval('.card[data-symbol]', (c) => ({
    name: c.querySelector('.coin').textContent, change: c.querySelector('.change').textContent,
    high: c.querySelectorAll('.stats dd')[0].textContent, vol: c.querySelectorAll('.stats dd')[2].textContent,
  }));
  check(card0.name && /[▲▼▬] /.test(card0.change) && /\$/.test(card0.high) && /\d/.test(card0.vol),
    'a card shows name, 24h change with arrow, high/low and volume', card0);

  // Prices change within two ticks, and the flash class toggles.
  await recordFlashes(page);
  const before = await prices(page);
  await page.waitForFunction((b) => [...document.querySelectorAll('.card[data-symbol]')]
    .some((c) => c.querySelector('.price').textContent !== b[c.dataset.symbol]),
  before, { timeout: interval * 2 + 1000 });
  ok('prices change within two ticks');
  await page.waitForFunction(() => window.__flashes.some((c) => /flash-(up|down)/.test(c))
    && window.__flashes.some((c) => !/flash-/.test(c)), null, { timeout: 5000 });
  ok('the flash class is added and removed again');

  await page.waitForFunction(() => /^\d[\d,]* ms$/.test(document.getElementById('latency').textContent),
    null, { timeout: 10000 });
  check(true, `latency shows a number (${await page.textContent('#latency')})`);
  check(await page.textContent('#transport') === 'WebSocket', 'transport shows WebSocket');
  check(await page.getAttribute('#status', 'data-state') === 'connected', 'status is connected');
  check(Number((await page.textContent('#ticks')).replace(/,/g, '')) > 0, 'ticks are counted');

  // Sparklines from /history plus live ticks.
  await page.waitForFunction(() => [...document.querySelectorAll('.card[data-symbol] .spark')]
    .every((s) => Number(s.dataset.points) >= 10), null, { timeout: 10000 });
  ok('every card has a sparkline with history');

  await sleep(interval * 3);
  const cls = await page.evaluate(() => window.__cls);
  check(cls < 0.02, `no layout shift while prices update (CLS ${cls.toFixed(4)})`,
    await page.evaluate(() => window.__shifts || []));

  const overflow = async () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  for (const [w, h] of SIZES) {
    await page.setViewportSize({ width: w, height: h });
    await sleep(400);
    check(await overflow() <= 0, `no horizontal scrolling at ${w}x${h}`);
    const file = path.join(outDir, `dashboard-${w}x${h}.png`);
    await page.screenshot({ path: file });
    ok(`screenshot ${file}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });

  // Detail chart: opens on click and asks for the last hour of 1-minute
  // candles (71-browser-candles.sh tests the candles themselves).
  const asked = page.waitForResponse((r) => /\/history\?symbol=BTC&interval=1m&limit=60$/.test(r.url()),
    { timeout: 10000 });
  await page.click('.card[data-symbol="BTC"]');
  await page.waitForSelector('#detail[open]');
  check((await asked).status() === 200, 'the detail chart asks GET /history for 60 1-minute candles');
  await page.waitForFunction(() => window.cpChart.symbol === 'BTC' && !window.cpChart.loading
    && document.querySelectorAll('#chart canvas').length > 0, null, { timeout: 10000 });
  const ranges = await page.$$eval('.ranges [role="radio"]', (b) => b.map((x) => x.textContent));
  check(ranges.join() === '1H,24H,7D,30D,1Y', 'the chart is drawn, with ranges 1H 24H 7D 30D 1Y', ranges);
  await page.screenshot({ path: path.join(outDir, 'detail-1280x800.png') });
  await page.keyboard.press('Escape');
  await page.waitForSelector('#detail:not([open])', { state: 'attached' });
  ok('Escape closes the chart');

  // Keyboard: cards are reachable and Enter opens the chart.
  await page.focus('.card[data-symbol]');
  await page.keyboard.press('ArrowRight');
  const focused = await page.evaluate(() => document.activeElement.dataset.symbol);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#detail[open]');
  check(await page.textContent('#detail-title') === focused, `arrow keys and Enter open ${focused}'s chart`);
  await page.keyboard.press('Escape');
  await page.waitForSelector('#detail:not([open])', { state: 'attached' });

  // Watchlist: search filters, a pin moves a card first and survives reload.
  await page.keyboard.press('/');
  await page.keyboard.type('sol');
  const visible = await page.$$eval('.card[data-symbol]:not([hidden])', (cs) => cs.map((c) => c.dataset.symbol));
  check(visible.length === 1 && visible[0] === 'SOL', '/ focuses the search, which filters the cards', visible);
  await page.fill('#search', '');
  const last = symbols[symbols.length - 1];
  await page.click(`.card[data-symbol="${last}"] .pin`);
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction((s) => document.querySelector('.card[data-symbol]')
    && document.querySelector('.card[data-symbol]').dataset.symbol === s, last, { timeout: 10000 });
  ok(`a pinned card (${last}) comes first, also after a reload`);
  check(errors.length === 0, 'no console errors', errors);

  // The gateway goes away: stale marker, reconnecting; then it comes back.
  fs.writeFileSync(path.join(control, 'stop'), '');
  await waitFile('stopped', 10000);
  await page.waitForSelector('#stale:not([hidden])', { timeout: interval * 4 + 3000 });
  const st = await page.getAttribute('#status', 'data-state');
  check(st === 'reconnecting', 'gateway stopped: the stale marker shows and the page is reconnecting', st);
  await page.screenshot({ path: path.join(outDir, 'stale-1280x800.png') });
  // The status counts down to the next attempt rather than standing still.
  const from = await (await page.waitForFunction(() => {
    const m = /^Retry in (\d+) s$/.exec(document.getElementById('status-text').textContent);
    return m && Number(m[1]) >= 2 ? Number(m[1]) : 0;
  }, null, { timeout: 30000 })).jsonValue();
  await page.waitForFunction((n) => {
    const m = /^Retry in (\d+) s$/.exec(document.getElementById('status-text').textContent);
    return m && Number(m[1]) === n - 1;
  }, from, { timeout: 3000 });
  ok(`while reconnecting, the status counts down to the next attempt (${from} s, then ${from - 1} s)`);
  fs.writeFileSync(path.join(control, 'start'), '');
  await waitFile('started', 10000);
  const t0 = await ticks(page);
  await page.waitForFunction((t) => document.body.dataset.connection === 'connected'
    && window.cryptopulse.state.ticks > t + 2, t0, { timeout: 20000 });
  check(await page.isHidden('#stale'), 'gateway restarted: the page reconnects by itself and the stale marker goes');
  await context.close();
}

async function fallbackPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Refuse every WebSocket, as a proxy without upgrade support would.  The
  // tab keeps its own connection (?share=none): Playwright's routing sees
  // the page's sockets, not a SharedWorker's.
  let refused = 0;
  await context.routeWebSocket(/\/ws(\?|$)/, (ws) => { refused += 1; ws.close({ code: 1011, reason: 'refused by test' }); });
  const page = await context.newPage();
  const errors = [];
  watchConsole(page, errors);
  await page.goto(`${base}?share=none`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.transport === 'sse'
    && document.body.dataset.connection === 'connected', null, { timeout: 15000 });
  check(refused > 0, `WebSocket refused (${refused}x): the page falls back to SSE`);
  await page.waitForFunction(() => document.querySelectorAll('.card[data-symbol]').length > 0
    && window.cryptopulse.state.ticks > 0, null, { timeout: 10000 });
  const t0 = await ticks(page);
  const before = await prices(page);
  await page.waitForFunction(({ t, b }) => window.cryptopulse.state.ticks >= t + 3
    && [...document.querySelectorAll('.card[data-symbol]')]
      .some((c) => c.querySelector('.price').textContent !== b[c.dataset.symbol]),
  { t: t0, b: before }, { timeout: 15000 });
  check(await page.textContent('#transport') === 'SSE', 'over SSE the prices keep updating');
  await page.waitForFunction(() => /^\d[\d,]* ms$/.test(document.getElementById('latency').textContent),
    null, { timeout: 10000 });
  ok('latency shows a number over SSE too');
  // The gateway is away while the history stream loses the page's resume
  // point (the harness stops it, trims the stream, starts it again): the
  // gateway answers with a "snapshot" event, and the page takes its prices
  // and reloads its charts.
  const t1 = await ticks(page);
  const errorsBefore = errors.length;
  fs.writeFileSync(path.join(control, 'trim'), '');
  await waitFile('trimmed', 20000);
  await page.waitForFunction((t) => window.cryptopulse.state.gaps === 1
    && window.cryptopulse.state.ticks > t + 1, t1, { timeout: 30000 });
  // While the gateway was away the browser logged its failed reconnects
  // and RTT requests: expected here, and only those.
  const away = errors.splice(errorsBefore).filter((e) => !/net::ERR_CONNECTION_(RESET|REFUSED)/.test(e));
  errors.push(...away);
  check(await page.textContent('#transport') === 'SSE', 'still on SSE after the gap');
  ok('a resume point older than history: the snapshot event is taken and ticks go on');
  check(errors.length === 0, 'no console errors over SSE', errors);
  await context.close();
}

main().then(() => {
  console.log('all browser checks passed');
}, (e) => {
  console.error(`not ok - ${e.message} (the step after "${lastOk}")`);
  process.exitCode = 1;
});
