'use strict';
// The dashboard's candlestick chart in real headless Chromium (Debian's,
// driven by playwright-core) against a real gateway, Redis and feeder that
// has candles.  Run by 71-browser-candles.sh:
//
//   node candles_test.js BASE_URL OUT_DIR [--short NAME]
//
// Compares what the chart shows (window.cpChart, the canvas, the tooltip)
// with what GET /history?interval= answered the page.  OUT_DIR receives
// the screenshots.  --short NAME (the page behind a proxy) leaves out the
// clock jump, the ranges past 24H, the keyboard and two of the sizes, and
// names its screenshot candles-NAME-1440x900.png.  Prints one line per
// check; exits 0 when all passed.

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [base, outDir, flag, shortName] = process.argv.slice(2);
const short = flag === '--short';
if (!base || !outDir || (flag !== undefined && !(short && /^[a-z]+$/.test(shortName || '')))) {
  console.error('usage: candles_test.js BASE_URL OUT_DIR [--short NAME]');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SIZES = short ? [[1440, 900]] : [[390, 844], [820, 1180], [1440, 900]];
const SHOT = short ? `candles-${shortName}` : 'candles';
const SYMBOL = 'BTC';
// The range buttons and the requests they make (www/candles.js RANGES).
const RANGES = [['1H', '1m', 60], ['24H', '5m', 288], ['7D', '1h', 168], ['30D', '1h', 720], ['1Y', '1d', 366]];
const INTERVAL_MS = { '1m': 60e3, '5m': 300e3, '1h': 3600e3, '1d': 86400e3 };

// The last check passed, named when a later step fails (a Playwright
// timeout does not say which wait it was).
let lastOk = '(none yet)';
function ok(what) { lastOk = what; console.log(`ok - ${what}`); }
function check(cond, what, detail) {
  if (!cond) throw new Error(what + (detail === undefined ? '' : `: ${JSON.stringify(detail)}`));
  ok(what);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const usd = new Intl.NumberFormat('en-US', {
  style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2,
});

const chartState = (page) => page.evaluate(() => window.cpChart);

/* Pixels of the candle colours (style: up #34d399, down #fb7185) on the
 * chart's plot, once each reaches min (the chart draws on the next
 * animation frame), or as they are after 5 s. */
async function candlePixels(page, min) {
  const count = (m) => {
    const near = (d, i, r, g, b) => Math.abs(d[i] - r) < 14 && Math.abs(d[i + 1] - g) < 14
      && Math.abs(d[i + 2] - b) < 14 && d[i + 3] > 200;
    let up = 0;
    let down = 0;
    // The plot is the largest canvas (the scales' labels are not counted).
    const c = [...document.querySelectorAll('#chart canvas')].sort((a, b) => b.width * b.height - a.width * a.height)[0];
    if (c && c.width && c.height) {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (near(d, i, 52, 211, 153)) up += 1;
        else if (near(d, i, 251, 113, 133)) down += 1;
      }
    }
    return up > m && down > m ? { up, down } : null;
  };
  try {
    return await (await page.waitForFunction(count, min, { timeout: 5000, polling: 100 })).jsonValue();
  } catch (e) {
    return page.evaluate(count, -1);
  }
}

/* Click a range button (or open the chart) and return the /history answer
 * it asked for, once the chart shows it. */
async function showRange(page, action, interval, limit) {
  const re = new RegExp(`/history\\?symbol=${SYMBOL}&interval=${interval}&limit=${limit}$`);
  // 30 s: under the sanitizers and valgrind, on a loaded CI machine, the
  // gateway may take seconds to answer.
  const answer = page.waitForResponse((r) => re.test(r.url()), { timeout: 30000 });
  await action();
  const r = await answer;
  check(r.status() === 200, `GET /history?symbol=${SYMBOL}&interval=${interval}&limit=${limit}: 200`, r.status());
  const body = await r.json();
  check(Array.isArray(body.candles) && body.candles.length > 0 && body.candles.length <= limit,
    `  it answers ${body.candles && body.candles.length} candles (at most ${limit})`, body);
  await page.waitForFunction(({ iv, n }) => window.cpChart.interval === iv && window.cpChart.bars === n
    && !window.cpChart.loading, { iv: interval, n: body.candles.length }, { timeout: 30000 });
  // The chart draws the new data on the next animation frame.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const st = await chartState(page);
  const last = body.candles[body.candles.length - 1];
  check(st.lastBar.t === last[0] && st.lastBar.open === last[1] && st.lastBar.t % INTERVAL_MS[interval] === 0,
    `  the chart shows ${st.bars} ${interval} bars, the last one opening at ${new Date(last[0]).toISOString()}`,
    { st, last });
  return body;
}

/* Hover over the chart at x (0..1 of the plot's width); the tooltip's rows. */
async function hover(page, fx) {
  const box = await page.locator('#chart').boundingBox();
  await page.mouse.move(box.x + box.width * fx * 0.85, box.y + box.height * 0.45);
  await page.waitForSelector('#tooltip:not([hidden])', { timeout: 5000 });
  return page.$eval('#tooltip', (t) => ({
    time: t.querySelector('.tip-time').textContent,
    rows: Object.fromEntries([...t.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])),
  }));
}

/* The wall clock passes the open candle's end (the page's Date.now moved
 * 61 s on, as replay's market-time candles always are): the next tick
 * fetches the candles again, and then not again within 10 s. */
async function clockJump(page) {
  const asked = [];
  const onReq = (r) => { if (/\/history\?symbol=BTC&interval=1m&limit=60$/.test(r.url())) asked.push(Date.now()); };
  page.on('request', onReq);
  const jumped = Date.now();
  await page.evaluate(() => {
    const real = Date.now.bind(Date);
    window.__realNow = real;
    Date.now = () => real() + 61000; // the page's clock only: the shared connection runs in a SharedWorker
  });
  await sleep(7000);
  page.off('request', onReq);
  await page.evaluate(() => {
    Date.now = window.__realNow;
  });
  check(asked.length === 1 && asked[0] - jumped < 3000,
    'past the open candle\'s end the next tick fetches the candles again, once in 7 s (at most every 10 s)',
    asked.map((t) => t - jumped));
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`));
    // Every candle served to the page (a replay's refetches move the range on).
    const served = [];
    page.on('response', (r) => {
      if (/\/history\?.*interval=1m/.test(r.url()) && r.ok()) {
        r.json().then((j) => { if (Array.isArray(j.candles)) served.push(...j.candles); }, () => {});
      }
    });
    await page.goto(base, { waitUntil: 'load' });
    await page.waitForFunction((s) => {
      const c = document.querySelector(`.card[data-symbol="${s}"] .price`);
      return c && /\d/.test(c.textContent);
    }, SYMBOL, { timeout: 10000 }).catch(async (e) => {
      const st = await page.evaluate(() => ({ body: { ...document.body.dataset },
        cards: document.querySelectorAll('.card[data-symbol]').length,
        status: (document.getElementById('status-text') || {}).textContent }));
      throw new Error(`${e.message} (page: ${JSON.stringify(st)}; console: ${JSON.stringify(errors)})`);
    });
    check(await page.evaluate(() => typeof window.LightweightCharts === 'object'
      && window.LightweightCharts.version().startsWith('5.')), 'vendor/lightweight-charts loads (5.x)');

    // 1H: the chart opens on the last hour of 1-minute candles.
    const card = page.locator(`.card[data-symbol="${SYMBOL}"]`);
    const h1 = await showRange(page, () => card.click(), '1m', 60);
    check(await page.getAttribute('.ranges [data-range="1H"]', 'aria-checked') === 'true', '1H is the range chosen');
    check(h1.last_open === true, 'the newest candle is open (last_open)', h1.last_open);
    // (The market CSV's minutes have open = high = low = close: flat candles,
    // all "up", so here only the sum counts.)
    const px = await candlePixels(page, 0);
    check(px.up + px.down > 300, `candles are drawn on the canvas (${px.up} up, ${px.down} down pixels)`, px);

    // Tooltip: OHLC, change and volume of the candle under the pointer,
    // as the server sent it.
    const tip = await hover(page, 0.5);
    check(['O', 'H', 'L', 'C', 'Chg', 'Vol'].every((k) => tip.rows[k]), 'hovering shows a tooltip with O H L C, change and volume', tip);
    const bar = served.find((c) => usd.format(c[1]) === tip.rows.O && usd.format(c[2]) === tip.rows.H
      && usd.format(c[3]) === tip.rows.L);
    check(bar !== undefined, `  the tooltip's open, high and low are a served candle's (O ${tip.rows.O})`, tip);
    const pct = ((bar[4] - bar[1]) / bar[1]) * 100;
    check(/ · open$/.test(tip.time) || (usd.format(bar[4]) === tip.rows.C
      && tip.rows.Chg.replace(/[^\d.]/g, '') === Math.abs(pct).toFixed(2)),
    `  close ${tip.rows.C} and change ${tip.rows.Chg} vs open match`, { tip, bar });
    await page.mouse.move(0, 0);

    // The open candle follows the ticks: its close becomes the tick's price.
    // (By the tick itself, not by fetching the candles again: fetches stays.
    // In replay mode a refetch comes every 10 s; on a slow machine (ASan) one
    // may land first: then take a new baseline, up to three times.)
    let before;
    let moved = null;
    for (let attempt = 0; attempt < 3 && !moved; attempt++) {
      before = await chartState(page);
      const t0 = await page.evaluate(() => window.cryptopulse.state.ticks);
      const r = await (await page.waitForFunction(({ s, c0, t, f }) => {
        const last = window.cryptopulse.state.cards.get(s).last;
        const b = window.cpChart.lastBar;
        if (window.cpChart.fetches !== f) return { refetched: true };
        return window.cryptopulse.state.ticks > t && b.close !== c0 && b.close === last
          && b.high >= b.close && b.low <= b.close ? { close: b.close, high: b.high, low: b.low } : null;
      }, { s: SYMBOL, c0: before.lastBar.close, t: t0, f: before.fetches }, { timeout: 5000 })).jsonValue();
      if (!r.refetched) moved = r;
    }
    if (!moved) throw new Error('every try saw the candles fetched again before a tick moved them');
    check(true, `the open candle moves with the ticks: close ${before.lastBar.close} -> ${moved.close}`
      + ` (the tick's price), high ${moved.high}, low ${moved.low}`);

    if (!short) await clockJump(page);

    // Every range button asks for its interval and limit; the bars change.
    let prev = h1.candles.length;
    let prevIv = '1m';
    for (const [label, iv, limit] of RANGES.slice(1, short ? 2 : RANGES.length)) {
      const body = await showRange(page, () => page.click(`.ranges [data-range="${label}"]`), iv, limit);
      check(await page.getAttribute(`.ranges [data-range="${label}"]`, 'aria-checked') === 'true',
        `${label}: the range switches (${prev} ${prevIv} bars -> ${body.candles.length} ${iv} bars)`);
      if (label === '24H') check(body.candles.length !== prev, '  the number of bars changes', [prev, body.candles.length]);
      const p = await candlePixels(page, 0); // a few daily candles may all go one way
      check(p.up + p.down > 300, `  candles are drawn (${p.up} up, ${p.down} down pixels)`, p);
      prev = body.candles.length;
      prevIv = iv;
    }

    // Screenshots of 24H at the three sizes, with the tooltip showing.
    if (!short) await showRange(page, () => page.click('.ranges [data-range="24H"]'), '5m', 288);
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await sleep(500);
      const fit = await page.evaluate(() => ({
        overflow: document.documentElement.scrollWidth - window.innerWidth,
        chart: document.getElementById('chart').getBoundingClientRect().right <= window.innerWidth,
      }));
      check(fit.overflow <= 0 && fit.chart, `${w}x${h}: the chart fits the width`, fit);
      const p = await candlePixels(page, 300);
      check(p.up > 300 && p.down > 300, `${w}x${h}: candles are drawn (${p.up} up, ${p.down} down pixels)`, p);
      await hover(page, 0.6);
      const file = path.join(outDir, `${SHOT}-${w}x${h}.png`);
      await page.screenshot({ path: file });
      ok(`screenshot ${file}`);
      await page.mouse.move(0, 0);
    }

    // Keyboard: End puts the crosshair on the newest candle.
    await page.focus('#chart');
    if (!short) {
      await page.keyboard.press('End');
      const kt = await page.$eval('#tooltip', (t) => (t.hidden ? '' : t.textContent));
      check(/open/.test(kt) && /C\$/.test(kt), 'End shows the open candle in the tooltip from the keyboard', kt);
    }
    await page.keyboard.press('Escape');
    await page.waitForSelector('#detail:not([open])', { state: 'attached' });
    check(errors.length === 0, 'no console errors', errors);
    await context.close();
  } finally {
    await browser.close();
  }
}

main().then(() => {
  console.log('all candle chart checks passed');
}, (e) => {
  console.error(`not ok - ${e.message} (the step after "${lastOk}")`);
  process.exitCode = 1;
});
