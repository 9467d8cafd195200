// Events over time, stacked by severity: an SVG drawn here. Dragging across it (pointer) selects a
// time range and calls `onZoom(fromMs, toMs)`; the keyboard gets the page's "Zoom out" button.
import { h, s } from '../dom.js';

export const SEVERITIES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const WIDTH = 1000;
const HEIGHT = 120;

export function drawHistogram({ buckets, fromMs, toMs, stepMs, onZoom }) {
  const totals = buckets.map((b) => SEVERITIES.reduce((sum, sev) => sum + (b.counts[sev] || 0), 0));
  const max = Math.max(1, ...totals);
  const span = Math.max(1, toMs - fromMs);
  const x = (t) => ((t - fromMs) / span) * WIDTH;
  const barWidth = Math.max(1, (stepMs / span) * WIDTH - 1);
  const bars = [];
  buckets.forEach((bucket, i) => {
    let y = HEIGHT;
    const tip = [`${new Date(bucket.start).toISOString()}: ${totals[i]} events`];
    const group = s('g', null);
    for (const sev of SEVERITIES) {
      const n = bucket.counts[sev] || 0;
      if (!n) continue;
      const height = (n / max) * (HEIGHT - 4);
      y -= height;
      group.append(s('rect', { x: x(bucket.start).toFixed(1), y: y.toFixed(1), width: barWidth.toFixed(1), height: height.toFixed(1), class: `sev-${sev.toLowerCase()}` }));
      tip.push(`${sev} ${n}`);
    }
    group.append(s('title', null, tip.join('\n')));
    bars.push(group);
  });
  const selection = s('rect', { class: 'brush', x: 0, y: 0, width: 0, height: HEIGHT, visibility: 'hidden' });
  const total = totals.reduce((a, b) => a + b, 0);
  const svg = s('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', class: 'histogram', role: 'img',
    'aria-label': `Histogram of ${total} events by severity; drag across it to zoom into a time range`,
  }, bars, selection);

  let start = null;
  const toTime = (clientX) => {
    const box = svg.getBoundingClientRect();
    const ratio = Math.min(1, Math.max(0, (clientX - box.left) / box.width));
    return { ratio, t: fromMs + ratio * span };
  };
  svg.addEventListener('pointerdown', (event) => {
    start = toTime(event.clientX);
    svg.setPointerCapture(event.pointerId);
    selection.setAttribute('visibility', 'visible');
    selection.setAttribute('x', String(start.ratio * WIDTH));
    selection.setAttribute('width', '0');
  });
  svg.addEventListener('pointermove', (event) => {
    if (!start) return;
    const now = toTime(event.clientX);
    selection.setAttribute('x', String(Math.min(start.ratio, now.ratio) * WIDTH));
    selection.setAttribute('width', String(Math.abs(now.ratio - start.ratio) * WIDTH));
  });
  svg.addEventListener('pointerup', (event) => {
    if (!start) return;
    const end = toTime(event.clientX);
    const [a, b] = [start, end].sort((p, q) => p.t - q.t);
    start = null;
    selection.setAttribute('visibility', 'hidden');
    if ((b.ratio - a.ratio) * WIDTH >= 4) onZoom(Math.floor(a.t), Math.ceil(b.t));
  });

  const legend = h('ul', { class: 'legend' },
    SEVERITIES.map((sev) => {
      const n = buckets.reduce((sum, b) => sum + (b.counts[sev] || 0), 0);
      return n ? h('li', null, h('span', { class: `swatch sev-${sev.toLowerCase()}`, 'aria-hidden': 'true' }), `${sev} ${n}`) : null;
    }));
  const axis = h('div', { class: 'axis' },
    h('span', null, new Date(fromMs).toISOString().replace('T', ' ').slice(0, 19)),
    h('span', null, new Date(toMs).toISOString().replace('T', ' ').slice(0, 19)));
  return h('div', { class: 'histogram-box' }, svg, axis, legend);
}

/** Rows of `| timeslice … | stats count() by severity` → every bucket from `fromMs` to `toMs`. */
export function bucketsFrom(table, fromMs, toMs, stepMs) {
  const names = table.columns.map((c) => c.name);
  const ts = names.indexOf('_timeslice');
  const sev = names.indexOf('severity');
  const count = names.indexOf('count');
  const byStart = new Map();
  const first = fromMs - (fromMs % stepMs);
  for (let t = first; t < toMs; t += stepMs) byStart.set(t, { start: t, counts: {} });
  for (const row of table.rows) {
    const t = Date.parse(row[ts]);
    const bucket = byStart.get(t) || byStart.set(t, { start: t, counts: {} }).get(t);
    const key = String(row[sev] || 'INFO').toUpperCase();
    bucket.counts[key] = (bucket.counts[key] || 0) + Number(row[count] || 0);
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}
