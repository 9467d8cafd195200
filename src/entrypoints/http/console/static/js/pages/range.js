// Shared bits of the analytics pages (patterns, error groups, anomalies, alerts): a from/to toolbar
// with the quick ranges of Search, links into Search, and an empty state that never invents data.
import { field, h, select } from '../dom.js';
import { RANGES } from '../time.js';

/** From/To inputs plus a quick-range select; `onchange` runs after a quick pick. */
export function rangeFields(from, to, onchange) {
  const fromInput = h('input', { name: 'from', value: from, class: 'time', spellcheck: 'false' });
  const toInput = h('input', { name: 'to', value: to, class: 'time', spellcheck: 'false' });
  const quick = select([['', 'Quick range…'], ...RANGES], '', { 'aria-label': 'Quick time range' });
  quick.addEventListener('change', () => {
    if (!quick.value) return;
    fromInput.value = quick.value;
    toInput.value = 'now';
    quick.value = '';
    onchange();
  });
  return {
    fromInput,
    toInput,
    nodes: [field('From', fromInput), field('To', toInput),
      h('div', { class: 'field' }, h('span', { class: 'label-like', 'aria-hidden': 'true' }, '\u00a0'), quick)],
  };
}

/** The Search page's address for a query and time range. */
export function searchHref(q, from, to) {
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  return `#/search?${params}`;
}

export function none(what) {
  return h('p', { class: 'muted empty' }, `No ${what} yet.`);
}

export function pct(share) {
  return share === null || share === undefined ? '' : `${(share * 100).toFixed(share > 0 && share < 0.01 ? 2 : 0)}%`;
}
