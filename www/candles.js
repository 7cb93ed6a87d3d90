/* The detail view's candlestick chart with volume, drawn by TradingView's
 * lightweight-charts (www/vendor/, loaded by a plain <script> tag before the
 * modules, as window.LightweightCharts; README "Price history charts").
 *
 * Candles come from GET /history?symbol=S&interval=I&limit=N (relative to
 * the page, so any proxy prefix works) as [open_ms, o, h, l, c, v] rows,
 * oldest first, with "last_open" true when the newest is still open
 * (docs/PROTOCOL.md, the /history section).  Each tick of the symbol moves
 * that open candle (close = price, high/low widened); once the wall clock
 * passes its end, the candles are fetched again, at most every 10 s.  In
 * replay mode the candles are in market time while ticks carry the wall
 * clock, so the open candle keeps taking tick prices and the refetch (every
 * 10 s) keeps it in step with the feeder's. */

import { formatCompact, formatInt, formatPercent, formatPrice, tickDecimals } from './format.js';

/* Range button → candle interval and count. */
export const RANGES = [
  { label: '1H', interval: '1m', limit: 60, name: 'last hour, 1-minute candles' },
  { label: '24H', interval: '5m', limit: 288, name: 'last 24 hours, 5-minute candles' },
  { label: '7D', interval: '1h', limit: 168, name: 'last 7 days, hourly candles' },
  { label: '30D', interval: '1h', limit: 720, name: 'last 30 days, hourly candles' },
  { label: '1Y', interval: '1d', limit: 366, name: 'last year, daily candles' },
];
export const INTERVAL_MS = { '1m': 60e3, '5m': 300e3, '1h': 3600e3, '1d': 86400e3 };
export const REFETCH_MS = 10000;

const UP = '#34d399';
const DOWN = '#fb7185';
const UP_VOL = 'rgba(52, 211, 153, 0.38)';
const DOWN_VOL = 'rgba(251, 113, 133, 0.38)';
const MONO = 'ui-monospace, "SF Mono", "JetBrains Mono", "Roboto Mono", Menlo, Consolas, monospace';

/* The chart library lays out and labels times as UTC.  So that its labels
 * and day marks are the viewer's local time, bars are shifted by the local
 * UTC offset of now (one offset for all: a DST change inside a range must
 * not put two bars at one time) and formatted as UTC.  Daily candles are
 * UTC days, as exchanges show them: those are not shifted. */
const fmt = (o) => new Intl.DateTimeFormat(undefined, { hour12: false, timeZone: 'UTC', ...o });
const F = {
  year: fmt({ year: 'numeric' }),
  month: fmt({ month: 'short' }),
  day: fmt({ day: 'numeric', month: 'short' }),
  time: fmt({ hour: '2-digit', minute: '2-digit' }),
  full: fmt({ year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
  date: fmt({ year: 'numeric', month: 'short', day: 'numeric', weekday: 'short' }),
};
const ms = (t) => new Date(t * 1000);
function tickMark(t, type) {
  return [F.year, F.month, F.day, F.time, F.time][type].format(ms(t));
}

/* A valid [open_ms, o, h, l, c, v] row as an object, or null. */
function toBar(row) {
  if (!Array.isArray(row) || row.length < 6 || !row.every(Number.isFinite)) return null;
  const [t, open, high, low, close, volume] = row;
  return { t, open, high, low, close, volume };
}

export class CandleChart {
  /* host: the element the chart fills; tooltip: an element inside it;
   * note: an element inside it for "Loading…" and errors. */
  /* client: the page's CryptoPulse client (www/cryptopulse.js), which
   * fetches the candles. */
  constructor(host, tooltip, note, client) {
    this.client = client;
    this.host = host;
    this.tooltip = tooltip;
    this.note = note;
    this.symbol = '';
    this.range = RANGES[0];
    this.bars = [];
    this.lastOpen = false;
    this.seq = 0; // answers of superseded requests are dropped
    this.loading = false;
    this.fetchedAt = 0;
    this.fetches = 0;
    this.cursor = -1; // keyboard crosshair: bar index, -1 when off
    this.shift = 0; // s added to every bar's time (see fmt above)
    this.chart = null;
    host.tabIndex = 0;
    host.addEventListener('keydown', (e) => this.key(e));
    host.addEventListener('blur', () => { if (this.cursor >= 0) this.setCursor(-1); });
  }

  /* The chart is made on first use, when the dialog is open and sized. */
  ensure() {
    if (this.chart) return true;
    const LWC = window.LightweightCharts;
    if (!LWC) {
      this.setNote('The chart library (vendor/lightweight-charts…) did not load.');
      return false;
    }
    const line = 'rgba(255, 255, 255, 0.06)';
    const edge = 'rgba(255, 255, 255, 0.14)';
    this.chart = LWC.createChart(this.host, {
      autoSize: true,
      layout: {
        background: { type: LWC.ColorType.Solid, color: 'transparent' },
        textColor: '#a3adc2', fontFamily: MONO, fontSize: 11, attributionLogo: true,
      },
      grid: { vertLines: { color: line }, horzLines: { color: line } },
      crosshair: {
        mode: LWC.CrosshairMode.Normal,
        vertLine: { color: 'rgba(255, 255, 255, 0.45)', labelBackgroundColor: '#1f2937' },
        horzLine: { color: 'rgba(255, 255, 255, 0.45)', labelBackgroundColor: '#1f2937' },
      },
      rightPriceScale: { borderColor: edge, scaleMargins: { top: 0.08, bottom: 0.24 } },
      timeScale: {
        borderColor: edge, timeVisible: true, secondsVisible: false, rightOffset: 3,
        lockVisibleTimeRangeOnResize: true, tickMarkFormatter: tickMark,
      },
      localization: { timeFormatter: (t) => F.full.format(ms(t)) },
    });
    this.candles = this.chart.addSeries(LWC.CandlestickSeries, {
      upColor: UP, downColor: DOWN, wickUpColor: UP, wickDownColor: DOWN, borderVisible: false,
    });
    this.volume = this.chart.addSeries(LWC.HistogramSeries, {
      priceFormat: { type: 'volume' }, priceScaleId: 'volume', lastValueVisible: false, priceLineVisible: false,
    });
    this.chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    this.chart.subscribeCrosshairMove((p) => this.crosshair(p));
    return true;
  }

  /* Show symbol's candles for the range labelled label (RANGES). */
  open(symbol, label) {
    const r = RANGES.find((x) => x.label === label);
    if (r) this.range = r;
    const changed = symbol !== this.symbol;
    this.symbol = symbol;
    if (!this.ensure()) return;
    const d = tickDecimals(symbol);
    const num = new Intl.NumberFormat('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
    this.candles.applyOptions({ priceFormat: { type: 'price', precision: d, minMove: 10 ** -d } });
    this.chart.applyOptions({ localization: { priceFormatter: (p) => num.format(p) } });
    if (changed) this.show([], false);
    this.load(true);
  }

  close() {
    this.symbol = '';
    this.seq += 1;
    this.loading = false;
    this.setCursor(-1);
    this.show([], false);
  }

  /* Fetch the range again (after a gap in the tick stream, say). */
  reload() {
    if (this.symbol) this.load(false);
  }

  async load(fit) {
    const { symbol, range } = this;
    const seq = ++this.seq;
    this.loading = true;
    this.fetchedAt = Date.now();
    this.fetches += 1;
    if (!this.bars.length) this.setNote('Loading candles…');
    let bars = [];
    let lastOpen = false;
    let problem = '';
    try {
      const j = await this.client.history(symbol, { interval: range.interval, limit: range.limit });
      if (Array.isArray(j.candles)) {
        // Oldest first, one bar per time: the chart refuses anything else.
        for (const b of j.candles.map(toBar)) {
          if (b && (!bars.length || b.t > bars[bars.length - 1].t)) bars.push(b);
        }
        lastOpen = j.last_open === true;
      }
    } catch (e) {
      // An HTTP error carries the server's message; no status: unreachable.
      problem = e.status ? `Candles unavailable: ${e.message}` : 'Candles unavailable: the server cannot be reached';
    }
    if (seq !== this.seq) return;
    this.loading = false;
    if (problem && this.bars.length) return; // keep what is drawn; the next tick tries again
    this.show(bars, lastOpen);
    if (fit && bars.length) this.chart.timeScale().fitContent();
    this.setNote(problem || (bars.length ? '' : `No ${range.interval} candles for ${symbol} yet`));
  }

  show(bars, lastOpen) {
    this.bars = bars;
    this.shift = this.range.interval === '1d' ? 0 : -new Date().getTimezoneOffset() * 60;
    this.lastOpen = lastOpen && bars.length > 0;
    if (!this.chart) return;
    this.candles.setData(bars.map((b) => this.candle(b)));
    this.volume.setData(bars.map((b) => this.vol(b)));
    if (this.cursor >= bars.length) this.setCursor(bars.length - 1);
    this.host.setAttribute('aria-label', bars.length
      ? `${this.symbol} candlestick chart, ${this.range.name}, ${bars.length} candles, last close ${formatPrice(this.symbol, bars[bars.length - 1].close)}`
      : `${this.symbol} candlestick chart, ${this.range.name}, no candles`);
  }

  candle(b) {
    return { time: b.t / 1000 + this.shift, open: b.open, high: b.high, low: b.low, close: b.close };
  }

  vol(b) {
    return { time: b.t / 1000 + this.shift, value: b.volume, color: b.close >= b.open ? UP_VOL : DOWN_VOL };
  }

  /* A tick of the shown symbol at price: move the open candle, and fetch
   * again when the wall clock has passed its end (or none is open). */
  tick(price) {
    if (!this.symbol || !this.chart || !Number.isFinite(price)) return;
    const last = this.bars[this.bars.length - 1];
    if (this.lastOpen && last) {
      last.close = price;
      if (price > last.high) last.high = price;
      if (price < last.low) last.low = price;
      this.candles.update(this.candle(last));
      this.volume.update(this.vol(last));
      if (this.cursor === this.bars.length - 1) this.setCursor(this.cursor);
    }
    const now = Date.now();
    const ended = !this.lastOpen || !last || now >= last.t + INTERVAL_MS[this.range.interval];
    if (ended && !this.loading && now - this.fetchedAt >= REFETCH_MS) this.load(false);
  }

  setNote(text) {
    this.note.textContent = text;
    this.note.hidden = !text;
  }

  /* ---------- crosshair, tooltip and keys ---------- */

  crosshair(p) {
    if (!p.point || p.time === undefined || p.point.x < 0 || p.point.y < 0) {
      if (this.cursor < 0) this.tooltip.hidden = true;
      return;
    }
    const i = this.indexOf(p.time);
    if (i >= 0) this.showTooltip(this.bars[i], p.point.x, p.point.y);
  }

  indexOf(time) {
    const t = (time - this.shift) * 1000;
    for (let i = this.bars.length - 1; i >= 0; i--) if (this.bars[i].t === t) return i;
    return -1;
  }

  showTooltip(b, x, y) {
    const s = this.symbol;
    const pct = b.open ? ((b.close - b.open) / b.open) * 100 : 0;
    const tip = this.tooltip;
    tip.replaceChildren();
    const head = document.createElement('span');
    head.className = 'tip-time';
    head.textContent = (this.range.interval === '1d' ? F.date : F.full).format(ms(b.t / 1000 + this.shift))
      + (this.lastOpen && b === this.bars[this.bars.length - 1] ? ' · open' : '');
    const dl = document.createElement('dl');
    const row = (k, v, cls) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      if (cls) dd.className = cls;
      dl.append(dt, dd);
    };
    row('O', formatPrice(s, b.open));
    row('H', formatPrice(s, b.high));
    row('L', formatPrice(s, b.low));
    row('C', formatPrice(s, b.close), pct > 0 ? 'up' : pct < 0 ? 'down' : '');
    row('Chg', formatPercent(pct), pct > 0 ? 'up' : pct < 0 ? 'down' : '');
    row('Vol', formatCompact(b.volume));
    dl.lastChild.title = formatInt(b.volume);
    tip.append(head, dl);
    tip.hidden = false;
    const w = this.host.clientWidth;
    const h = this.host.clientHeight;
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    const left = x + 16 + tw > w - 60 ? Math.max(4, x - 16 - tw) : x + 16;
    const top = Math.min(Math.max(4, y - th / 2), Math.max(4, h - th - 30));
    tip.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
  }

  key(e) {
    const n = this.bars.length;
    if (!n || !this.chart) return;
    const moves = { ArrowLeft: -1, ArrowRight: 1, PageUp: -10, PageDown: 10 };
    let i = this.cursor < 0 ? n - 1 : this.cursor;
    if (e.key in moves) i = Math.min(n - 1, Math.max(0, i + moves[e.key]));
    else if (e.key === 'Home') i = 0;
    else if (e.key === 'End') i = n - 1;
    else return;
    e.preventDefault();
    this.setCursor(i);
  }

  setCursor(i) {
    this.cursor = i;
    if (!this.chart) return;
    const b = this.bars[i];
    if (!b) {
      this.cursor = -1;
      this.chart.clearCrosshairPosition();
      this.tooltip.hidden = true;
      return;
    }
    const time = b.t / 1000 + this.shift;
    const ts = this.chart.timeScale();
    const r = ts.getVisibleLogicalRange();
    if (r && (i < r.from || i > r.to)) { // bring the bar into view
      const span = r.to - r.from;
      const from = Math.min(Math.max(-2, i - span / 2), this.bars.length + 2 - span);
      ts.setVisibleLogicalRange({ from, to: from + span });
    }
    this.chart.setCrosshairPosition(b.close, time, this.candles);
    const x = ts.timeToCoordinate(time);
    const y = this.candles.priceToCoordinate(b.close);
    if (x !== null && y !== null) this.showTooltip(b, x, y);
  }

  /* Read-only state for the browser test and the console (window.cpChart). */
  debug() {
    const b = this.bars[this.bars.length - 1];
    return Object.freeze({
      symbol: this.symbol,
      bars: this.bars.length,
      range: this.range.label,
      interval: this.range.interval,
      limit: this.range.limit,
      lastOpen: this.lastOpen,
      loading: this.loading,
      lastBar: b ? Object.freeze({ ...b }) : null,
      fetches: this.fetches,
    });
  }
}
