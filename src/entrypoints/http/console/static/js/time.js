// Relative times as the API reads them (`now`, `now-15m`, `now-1d/d`): resolved here only to size
// the histogram's buckets and to draw its axis; the API resolves them itself for the queries.

const UNIT_MS = { s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000 };

export const RANGES = [
  ['now-5m', 'Last 5 minutes'],
  ['now-15m', 'Last 15 minutes'],
  ['now-1h', 'Last hour'],
  ['now-6h', 'Last 6 hours'],
  ['now-24h', 'Last 24 hours'],
  ['now-7d', 'Last 7 days'],
  ['now-30d', 'Last 30 days'],
];

export function resolve(text, now = Date.now()) {
  const value = (text || '').trim();
  if (!value) return null;
  const rel = /^now(?:([+-])(\d+)([smhdw]))?(?:\/([smhdw]))?$/.exec(value);
  if (rel) {
    let t = now;
    if (rel[1]) t += (rel[1] === '-' ? -1 : 1) * Number(rel[2]) * UNIT_MS[rel[3]];
    if (rel[4]) t -= t % UNIT_MS[rel[4]];
    return t;
  }
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

const STEPS = [
  [1, '1s'], [5, '5s'], [10, '10s'], [30, '30s'], [60, '1m'], [300, '5m'], [600, '10m'], [1800, '30m'],
  [3600, '1h'], [10800, '3h'], [21600, '6h'], [43200, '12h'], [86400, '1d'], [604800, '7d'],
];

/** The smallest round bucket that keeps the histogram at or under `max` bars. */
export function bucketFor(spanMs, max = 80) {
  for (const [seconds, label] of STEPS) if (spanMs / (seconds * 1000) <= max) return { seconds, label };
  return { seconds: 604800, label: '7d' };
}
