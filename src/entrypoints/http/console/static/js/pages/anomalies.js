// Anomalies (GET /api/v1/anomalies): a timeline of window scores and the list with the sentence,
// score and features; each window links to its events on the Search page.
import { api } from '../api.js';
import { errorBox, field, fmtTime, h, s, table } from '../dom.js';
import { replaceParams } from '../main.js';
import { resolve } from '../time.js';
import { none, pct, rangeFields, searchHref } from './range.js';

const W = 900;
const H = 120;
const PAD = 24;

/** The `link` field (`/api/v1/logs?from&to&service…`) as a Search page address. */
export function linkToSearch(link) {
  const u = new URL(link, window.location.origin);
  const terms = [];
  for (const key of ['service', 'host', 'severity']) {
    const value = u.searchParams.get(key);
    if (value) terms.push(`${key}:${value}`);
  }
  if (u.searchParams.get('q')) terms.push(u.searchParams.get('q'));
  return searchHref(terms.join(' '), u.searchParams.get('from'), u.searchParams.get('to'));
}

function timeline(items, fromText, toText) {
  const now = Date.now();
  const starts = items.map((a) => Date.parse(a.window_start));
  const t0 = resolve(fromText, now) ?? Math.min(...starts);
  const t1 = resolve(toText, now) ?? now;
  const span = Math.max(1, t1 - t0);
  const x = (t) => PAD + ((t - t0) / span) * (W - 2 * PAD);
  const y = (score) => H - PAD - score * (H - 2 * PAD);
  return s('svg', { class: 'timeline', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${items.length} anomalous windows between ${fromText} and ${toText}` },
    s('line', { class: 'axis', x1: PAD, x2: W - PAD, y1: y(0), y2: y(0) }),
    s('line', { class: 'threshold', x1: PAD, x2: W - PAD, y1: y(0.5), y2: y(0.5) }),
    s('text', { class: 'axis', x: 2, y: y(1) + 4 }, '1'),
    s('text', { class: 'axis', x: 2, y: y(0.5) + 4 }, '.5'),
    s('text', { class: 'axis', x: PAD, y: H - 4 }, fmtTime(new Date(t0).toISOString())),
    s('text', { class: 'axis', x: W - PAD, y: H - 4, 'text-anchor': 'end' }, fmtTime(new Date(t1).toISOString())),
    items.map((a) => {
      const t = Date.parse(a.window_start);
      return s('line', { class: 'score', x1: x(t), x2: x(t), y1: y(0), y2: y(a.score) },
        s('title', null, `${a.service} ${fmtTime(a.window_start)}: score ${a.score.toFixed(2)}`));
    }));
}

function features(f) {
  return Object.entries(f || {}).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${k === 'error_ratio' ? pct(v) : v}`).join(' · ');
}

export async function render(main, params) {
  const range = rangeFields(params.get('from') || 'now-24h', params.get('to') || 'now', () => load());
  const serviceInput = h('input', { name: 'service', value: params.get('service') || '', spellcheck: 'false' });
  const minScore = h('input', { name: 'min_score', type: 'number', min: '0', max: '1', step: '0.05', value: params.get('min_score') || '' });
  const chart = h('div', { class: 'panel' });
  const list = h('div', { 'aria-live': 'polite' });

  let ticket = 0;
  async function load() {
    const mine = ++ticket; // a slower earlier answer must not replace a newer one
    const query = { from: range.fromInput.value.trim(), to: range.toInput.value.trim(), service: serviceInput.value.trim(), min_score: minScore.value.trim() };
    replaceParams('anomalies', new URLSearchParams(Object.entries(query).filter(([, v]) => v)));
    list.setAttribute('aria-busy', 'true');
    try {
      const page = await api('/api/v1/anomalies', { query: { ...query, limit: 500 } });
      if (mine !== ticket) return;
      chart.replaceChildren(page.items.length ? timeline(page.items, query.from, query.to) : '');
      chart.hidden = !page.items.length;
      const rows = page.items.map((a) => h('tr', null,
        h('td', { class: 'ts' }, h('a', { href: linkToSearch(a.link), title: 'Show this window\u2019s events in Search' }, fmtTime(a.window_start))),
        h('td', { class: 'svc' }, a.service),
        h('td', { class: 'num' }, a.score.toFixed(2)),
        h('td', { class: 'msg' }, a.sentence),
        h('td', null, features(a.features))));
      list.replaceChildren(rows.length
        ? table(['Window', 'Service', 'Score', 'What changed', 'Features'], rows, { class: 'anomalies' })
        : none('anomalies in this range'));
    } catch (error) {
      list.replaceChildren(errorBox(error));
    } finally {
      list.removeAttribute('aria-busy');
    }
  }

  main.append(h('section', { class: 'page' },
    h('h1', null, 'Anomalies'),
    h('p', { class: 'muted' }, 'One-minute windows per service whose volume, errors or error ratio left their usual range (score 0 to 1).'),
    h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); load(); } },
      field('Service', serviceInput), field('Minimum score', minScore), ...range.nodes,
      h('button', { type: 'submit', class: 'primary' }, 'Show')),
    chart, list));
  await load();
}
