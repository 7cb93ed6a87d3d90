/* The sparkline of a card, in SVG (the detail view's candlestick chart is
 * candles.js).  Points are [ts_ms, price] pairs, oldest first, as GET
 * /history returns them without an interval. */

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
