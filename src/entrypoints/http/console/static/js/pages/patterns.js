// Patterns mined from the tenant's events (GET /api/v1/patterns): template, count, first and last
// seen, error share and a sparkline; a pattern opens Search filtered by `pattern_id:<id>`.
import { api } from '../api.js';
import { errorBox, field, fmtTime, h, s, table } from '../dom.js';
import { replaceParams } from '../main.js';
import { none, pct, rangeFields, searchHref } from './range.js';

const W = 120;
const H = 24;

export function sparkline(points, label) {
  const counts = (points || []).map((p) => p.count);
  const max = Math.max(1, ...counts);
  const step = counts.length > 1 ? W / (counts.length - 1) : W;
  const xy = counts.map((c, i) => `${(i * step).toFixed(1)},${(H - 1 - (c / max) * (H - 2)).toFixed(1)}`);
  return s('svg', { class: 'sparkline', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label },
    s('title', null, label),
    s('polyline', { points: xy.join(' '), fill: 'none' }));
}

export async function render(main, params) {
  const state = { q: params.get('q') || '', service: params.get('service') || '', newSince: params.get('new_since') || '' };
  const range = rangeFields(params.get('from') || 'now-24h', params.get('to') || 'now', () => load());
  const qInput = h('input', { type: 'search', name: 'q', value: state.q, spellcheck: 'false', placeholder: 'text in the template' });
  const serviceInput = h('input', { name: 'service', value: state.service, spellcheck: 'false' });
  const newSince = h('input', { name: 'new_since', value: state.newSince, spellcheck: 'false', placeholder: 'now-15m' });
  const list = h('div', { 'aria-live': 'polite' });

  let ticket = 0;
  async function load() {
    const mine = ++ticket; // a slower earlier answer must not replace a newer one
    const query = { from: range.fromInput.value.trim(), to: range.toInput.value.trim(), service: serviceInput.value.trim(), q: qInput.value.trim(), new_since: newSince.value.trim(), limit: 200 };
    replaceParams('patterns', new URLSearchParams(Object.entries(query).filter(([k, v]) => v && k !== 'limit')));
    list.setAttribute('aria-busy', 'true');
    try {
      const page = await api('/api/v1/patterns', { query });
      if (mine !== ticket) return;
      const rows = page.items.map((p) => {
        const spark = (p.sparkline || []).map((b) => b.count);
        return h('tr', { dataset: { patternId: p.id } },
          h('td', { class: 'msg' }, h('a', { href: searchHref(`pattern_id:${p.id}`, query.from, query.to), class: 'mono', title: 'Show its events in Search' }, p.template)),
          h('td', { class: 'svc' }, p.service),
          h('td', { class: 'num' }, String(p.count)),
          h('td', { class: 'num' }, pct(p.error_share)),
          h('td', null, sparkline(p.sparkline, `${p.count} events, per bucket: ${spark.join(', ')}`)),
          h('td', { class: 'ts' }, fmtTime(p.first_seen)),
          h('td', { class: 'ts' }, fmtTime(p.last_seen)));
      });
      list.replaceChildren(rows.length
        ? table(['Template', 'Service', 'Count', 'Errors', 'Trend', 'First seen', 'Last seen'], rows, { class: 'patterns' })
        : none('patterns in this range'));
    } catch (error) {
      list.replaceChildren(errorBox(error));
    } finally {
      list.removeAttribute('aria-busy');
    }
  }

  main.append(h('section', { class: 'page' },
    h('h1', null, 'Patterns'),
    h('p', { class: 'muted' }, 'Message templates mined from your events (<*> marks a variable part). Open one to see its events.'),
    h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); load(); } },
      field('Template contains', qInput), field('Service', serviceInput), ...range.nodes,
      field('New since', newSince),
      h('button', { type: 'submit', class: 'primary' }, 'Show')),
    list));
  await load();
}
