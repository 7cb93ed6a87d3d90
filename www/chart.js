/* SVG charts: the sparkline of a card and the detail chart of one symbol,
 * with axes, a crosshair and a tooltip (pointer and arrow keys).  Points are
 * [ts_ms, price] pairs, oldest first, as GET /history returns them. */

import { formatAxisPrice, formatPrice, formatShortTime, formatTime } from './format.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function extent(points) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) { lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]); }
  if (hi - lo < Math.abs(hi) * 1e-9 || hi === lo) {
    const pad = Math.abs(hi) * 0.001 || 1;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/* Sparkline in a 100×32 box stretched to the card: fixed size, so an update
 * never moves anything around it. */
export class Sparkline {
  constructor() {
    this.el = svg('svg', { class: 'spark', viewBox: '0 0 100 32', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
    this.area = svg('path', { class: 'spark-area' });
    this.line = svg('path', { class: 'spark-line', 'vector-effect': 'non-scaling-stroke' });
    this.el.append(this.area, this.line);
  }

  draw(points) {
    if (points.length < 2) return;
    const [lo, hi] = extent(points);
    const step = 100 / (points.length - 1); // by tick, not by time: gaps do not squash it
    const xy = points.map(([, v], i) =>
      `${(i * step).toFixed(2)},${(30 - ((v - lo) / (hi - lo)) * 27).toFixed(2)}`);
    this.line.setAttribute('d', `M${xy.join('L')}`);
    this.area.setAttribute('d', `M0,32L${xy.join('L')}L100,32Z`);
    this.el.dataset.points = String(points.length);
  }
}

/* About n round steps covering [lo, hi] (1, 2, 2.5 or 5 times a power of 10). */
function niceTicks(lo, hi, n) {
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(v);
  return { ticks, step };
}

const TIME_STEPS = [5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3];

export class DetailChart {
  constructor(host, tooltip) {
    this.host = host;
    this.tooltip = tooltip;
    this.symbol = '';
    this.points = [];
    this.cursor = -1; // index under the crosshair, -1 when hidden
    this.width = 0;
    this.height = 0;
    this.el = svg('svg', { class: 'detail-svg', role: 'img' });
    host.append(this.el);
    this.host.tabIndex = 0;
    this.host.addEventListener('pointermove', (e) => this.pointer(e));
    this.host.addEventListener('pointerdown', (e) => this.pointer(e));
    this.host.addEventListener('pointerleave', () => this.setCursor(-1));
    this.host.addEventListener('keydown', (e) => this.key(e));
    this.host.addEventListener('blur', () => this.setCursor(-1));
    new ResizeObserver(() => this.render()).observe(host);
  }

  setData(symbol, points) {
    this.symbol = symbol;
    this.points = points.slice();
    this.cursor = -1;
    this.render();
  }

  push(point, max) {
    if (!this.symbol) return;
    const last = this.points[this.points.length - 1];
    if (last && point[0] <= last[0]) return;
    this.points.push(point);
    if (this.points.length > max) this.points.splice(0, this.points.length - max);
    this.render();
  }

  layout() {
    const m = { l: 12, r: this.width < 480 ? 84 : 96, t: 14, b: 28 };
    return { m, w: this.width - m.l - m.r, h: this.height - m.t - m.b };
  }

  render() {
    const rect = this.host.getBoundingClientRect();
    this.width = Math.max(200, Math.round(rect.width));
    this.height = Math.max(160, Math.round(rect.height));
    const { el, points } = this;
    el.setAttribute('viewBox', `0 0 ${this.width} ${this.height}`);
    el.setAttribute('width', this.width);
    el.setAttribute('height', this.height);
    el.replaceChildren();
    el.dataset.points = String(points.length);
    el.setAttribute('aria-label', points.length
      ? `${this.symbol} price chart, ${points.length} points, last ${formatPrice(this.symbol, points[points.length - 1][1])}`
      : `${this.symbol} price chart, loading`);
    if (points.length < 2) {
      const t = svg('text', { x: this.width / 2, y: this.height / 2, class: 'axis-label', 'text-anchor': 'middle' });
      t.textContent = points.length ? 'Waiting for more ticks…' : 'Loading history…';
      el.append(t);
      return;
    }
    const { m, w, h } = this.layout();
    const [lo0, hi0] = extent(points);
    const pad = (hi0 - lo0) * 0.08;
    const { ticks, step } = niceTicks(lo0 - pad, hi0 + pad, this.height < 260 ? 4 : 5);
    const lo = Math.min(lo0 - pad, ticks[0]);
    const hi = Math.max(hi0 + pad, ticks[ticks.length - 1]);
    const t0 = points[0][0];
    const t1 = points[points.length - 1][0];
    const x = (t) => m.l + ((t - t0) / (t1 - t0 || 1)) * w;
    const y = (v) => m.t + (1 - (v - lo) / (hi - lo)) * h;
    this.x = x;
    this.y = y;
    this.geom = { m, w, h };

    const grid = svg('g', { class: 'grid' });
    for (const v of ticks) {
      grid.append(svg('line', { x1: m.l, x2: m.l + w, y1: y(v), y2: y(v) }));
      const label = svg('text', { x: m.l + w + 8, y: y(v) + 4, class: 'axis-label' });
      label.textContent = formatAxisPrice(this.symbol, v, step);
      grid.append(label);
    }
    const tstep = TIME_STEPS.find((s) => (t1 - t0) / s <= Math.max(2, Math.floor(w / 110))) || 7200e3;
    for (let t = Math.ceil(t0 / tstep) * tstep; t <= t1; t += tstep) {
      grid.append(svg('line', { x1: x(t), x2: x(t), y1: m.t, y2: m.t + h, class: 'vgrid' }));
      const label = svg('text', { x: x(t), y: m.t + h + 18, class: 'axis-label', 'text-anchor': 'middle' });
      label.textContent = tstep < 60e3 ? formatTime(t) : formatShortTime(t);
      grid.append(label);
    }
    grid.append(svg('line', { x1: m.l, x2: m.l + w, y1: m.t + h, y2: m.t + h, class: 'axis' }));

    const up = points[points.length - 1][1] >= points[0][1];
    const xy = points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    // The gradient sits inside the series so its stops take the trend colour.
    const defs = svg('defs');
    const grad = svg('linearGradient', { id: 'detail-fill', x1: 0, x2: 0, y1: 0, y2: 1 });
    grad.append(svg('stop', { offset: '0%', class: 'fill-top' }), svg('stop', { offset: '100%', class: 'fill-bottom' }));
    defs.append(grad);
    const series = svg('g', { class: `series ${up ? 'up' : 'down'}` });
    series.append(
      defs,
      svg('path', { class: 'detail-area', d: `M${x(t0)},${m.t + h}L${xy.join('L')}L${x(t1)},${m.t + h}Z`, fill: 'url(#detail-fill)' }),
      svg('path', { class: 'detail-line', d: `M${xy.join('L')}` }),
    );
    const lastY = y(points[points.length - 1][1]);
    const tag = svg('g', { class: `last-tag ${up ? 'up' : 'down'}` });
    tag.append(
      svg('line', { x1: m.l, x2: m.l + w, y1: lastY, y2: lastY, class: 'last-line' }),
      svg('rect', { x: m.l + w + 2, y: lastY - 10, width: m.r - 4, height: 20, rx: 4 }),
    );
    const tagText = svg('text', { x: m.l + w + 8, y: lastY + 4 });
    tagText.textContent = formatPrice(this.symbol, points[points.length - 1][1]);
    tag.append(tagText);

    this.cross = svg('g', { class: 'crosshair', visibility: 'hidden' });
    this.crossV = svg('line', { y1: m.t, y2: m.t + h });
    this.crossH = svg('line', { x1: m.l, x2: m.l + w });
    this.crossDot = svg('circle', { r: 4.5 });
    this.cross.append(this.crossV, this.crossH, this.crossDot);
    el.append(grid, series, tag, this.cross);
    this.setCursor(this.cursor >= points.length ? points.length - 1 : this.cursor);
  }

  pointer(e) {
    if (this.points.length < 2 || !this.geom) return;
    const rect = this.el.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const { m, w } = this.geom;
    const t0 = this.points[0][0];
    const t1 = this.points[this.points.length - 1][0];
    const t = t0 + ((px - m.l) / w) * (t1 - t0);
    let best = 0;
    for (let i = 1; i < this.points.length; i++) {
      if (Math.abs(this.points[i][0] - t) < Math.abs(this.points[best][0] - t)) best = i;
    }
    this.setCursor(best);
  }

  key(e) {
    const n = this.points.length;
    if (n < 2) return;
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
    if (!this.cross) return;
    if (i < 0 || i >= this.points.length) {
      this.cross.setAttribute('visibility', 'hidden');
      this.tooltip.hidden = true;
      return;
    }
    const [t, v] = this.points[i];
    const cx = this.x(t);
    const cy = this.y(v);
    this.crossV.setAttribute('x1', cx);
    this.crossV.setAttribute('x2', cx);
    this.crossH.setAttribute('y1', cy);
    this.crossH.setAttribute('y2', cy);
    this.crossDot.setAttribute('cx', cx);
    this.crossDot.setAttribute('cy', cy);
    this.cross.setAttribute('visibility', 'visible');
    this.tooltip.replaceChildren();
    const price = document.createElement('strong');
    price.textContent = formatPrice(this.symbol, v);
    const time = document.createElement('span');
    time.textContent = formatTime(t);
    this.tooltip.append(price, time);
    this.tooltip.hidden = false;
    const tw = this.tooltip.offsetWidth;
    const left = cx + 14 + tw > this.width ? cx - 14 - tw : cx + 14;
    this.tooltip.style.transform = `translate(${Math.round(left)}px, ${Math.round(Math.max(4, cy - 44))}px)`;
  }
}
