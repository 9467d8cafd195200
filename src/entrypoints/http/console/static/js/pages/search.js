// Search: query box (with the language's help and errors shown at their column), time range,
// histogram by severity, field sidebar, results with expandable JSON and cursor paging. The URL
// carries q, from, to and the page size, so the address bar is the share link.
import { api, ApiError } from '../api.js';
import { copy, errorBox, field, fmtTime, h, select } from '../dom.js';
import { replaceParams } from '../main.js';
import { RANGES, bucketFor, resolve } from '../time.js';
import { bucketsFrom, drawHistogram } from './histogram.js';

const HIDDEN_FIELDS = new Set(['message', 'timestamp', 'id', 'received_at']);
const HELP = [
  ['payment failed', 'both words in the message'],
  ['"connection reset"', 'a phrase'],
  ['timeout OR reset', 'either; AND binds tighter than OR'],
  ['-timeout  NOT timeout', 'without the word'],
  ['service:billing', 'a field equals a value (case-sensitive)'],
  ['host:web-*', 'wildcards in a value'],
  ['attr.order.region:eu', 'an attribute (nested keys with dots)'],
  ['attr.user:*', 'the attribute exists'],
  ['attr.duration_ms:>250', 'comparisons > >= < <='],
  ['severity:>=warn', 'this level and above'],
  ['timestamp:[now-2h TO now-1h]', 'a time range'],
  ['message:~"timeout after \\d+ms"', 'an RE2 regular expression'],
];

/** `name:value`, quoted when the value is not a plain word. */
export function term(name, value) {
  const text = String(value);
  const plain = /^[A-Za-z0-9_.@/+-]+$/.test(text) && !/^(AND|OR|NOT)$/.test(text);
  return `${name}:${plain ? text : `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`}`;
}

export async function render(main, params) {
  const state = {
    q: params.get('q') || '',
    from: params.get('from') || 'now-1h',
    to: params.get('to') || 'now',
    size: params.get('size') || '100',
    cursors: [''],
  };

  const qInput = h('input', { type: 'search', name: 'q', value: state.q, class: 'query', spellcheck: 'false', autocomplete: 'off', placeholder: 'service:billing severity:>=warn "payment failed"' });
  const fromInput = h('input', { name: 'from', value: state.from, class: 'time', spellcheck: 'false' });
  const toInput = h('input', { name: 'to', value: state.to, class: 'time', spellcheck: 'false' });
  const quick = select([['', 'Quick range…'], ...RANGES], '', { 'aria-label': 'Quick time range' });
  const sizeSel = select([['50', '50'], ['100', '100'], ['500', '500'], ['1000', '1000']], state.size);
  const queryError = h('div', { id: 'query-error', 'aria-live': 'assertive' });
  const share = h('a', { class: 'share', href: window.location.href }, 'Link to this search');
  const histogram = h('div', { class: 'panel histo-panel', 'aria-busy': 'true' });
  const sidebar = h('aside', { class: 'fields', 'aria-label': 'Fields' });
  const results = h('div', { class: 'results' });
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const pager = h('div', { class: 'pager' });

  quick.addEventListener('change', () => {
    if (!quick.value) return;
    fromInput.value = quick.value;
    toInput.value = 'now';
    quick.value = '';
    run(true);
  });
  sizeSel.addEventListener('change', () => run(true));

  const form = h('form', { class: 'search-form', role: 'search', onsubmit: (e) => { e.preventDefault(); run(true); } },
    h('div', { class: 'query-row' },
      field('Query', qInput, null),
      h('button', { type: 'submit', class: 'primary' }, 'Search')),
    h('div', { class: 'time-row' },
      field('From', fromInput), field('To', toInput), h('div', { class: 'field' }, h('span', { class: 'label-like', 'aria-hidden': 'true' }, '\u00a0'), quick),
      field('Rows', sizeSel),
      h('div', { class: 'share-box' }, share, h('button', { type: 'button', class: 'small', onclick: () => copy(share.href) }, 'Copy link'))),
    queryError,
    h('details', { class: 'help' },
      h('summary', null, 'Query syntax'),
      h('table', null, h('tbody', null, HELP.map(([ex, what]) => h('tr', null, h('td', null, h('code', null, ex)), h('td', null, what))))),
      h('p', null, 'Pipelines (| stats, | top …) belong to the query API; the full reference is docs/query.md.')));
  qInput.setAttribute('aria-describedby', 'query-error');

  main.append(h('section', { class: 'page search' },
    h('h1', { class: 'visually-hidden' }, 'Search'),
    form, histogram,
    h('div', { class: 'search-body' }, sidebar, h('div', { class: 'results-col' }, summary, results, pager))));

  function syncUrl() {
    const p = new URLSearchParams();
    if (state.q) p.set('q', state.q);
    p.set('from', state.from);
    p.set('to', state.to);
    if (state.size !== '100') p.set('size', state.size);
    replaceParams('search', p);
    share.href = window.location.href;
  }

  function showQueryError(error) {
    qInput.removeAttribute('aria-invalid');
    queryError.replaceChildren();
    if (!error) return;
    const column = error instanceof ApiError ? Number(error.details.column) : NaN;
    const parts = [errorBox(error)];
    if (error.code === 'invalid_query' && column >= 1) {
      const text = state.q;
      const at = Math.min(column - 1, text.length);
      parts.push(h('pre', { class: 'query-mark', 'aria-hidden': 'true' },
        text.slice(0, at), h('mark', null, text.slice(at, at + 1) || ' '), text.slice(at + 1), '\n',
        `${' '.repeat(at)}^`));
      qInput.setAttribute('aria-invalid', 'true');
      qInput.focus();
      qInput.setSelectionRange(at, Math.min(at + 1, text.length));
    }
    queryError.append(...parts);
  }

  async function loadPage() {
    const cursor = state.cursors[state.cursors.length - 1];
    results.setAttribute('aria-busy', 'true');
    const started = performance.now();
    const page = await api('/api/v1/logs', {
      query: { q: state.q, from: state.from, to: state.to, page_size: state.size, cursor },
      keepEmpty: ['cursor'],
    });
    const fetched = performance.now();
    results.replaceChildren(renderRows(page.items));
    results.removeAttribute('aria-busy');
    const built = performance.now();
    void results.offsetHeight; // count the layout too, not just building the nodes
    const rendered = performance.now();
    results.dataset.buildMs = (built - fetched).toFixed(1);
    // Read by the browser test and the console bench (docs/benchmarks.md).
    results.dataset.renderMs = (rendered - fetched).toFixed(1);
    results.dataset.fetchMs = (fetched - started).toFixed(1);
    const n = state.cursors.length;
    summary.textContent = `${page.total} events match · page ${n} (${page.items.length} shown)`;
    pager.replaceChildren(
      h('button', { type: 'button', disabled: n <= 1, onclick: () => { state.cursors.pop(); guard(loadPage()); } }, '← Newer'),
      h('button', { type: 'button', disabled: !page.next_cursor, onclick: () => { state.cursors.push(page.next_cursor); guard(loadPage()); } }, 'Older →'));
  }

  async function loadHistogram() {
    histogram.setAttribute('aria-busy', 'true');
    const now = Date.now();
    const fromMs = resolve(state.from, now) ?? now - 3600000;
    const toMs = resolve(state.to, now) ?? now;
    const step = bucketFor(toMs - fromMs);
    const table = await api('/api/v1/query', {
      query: { q: `${state.q} | timeslice ${step.label} | stats count() by severity`, from: state.from, to: state.to },
    });
    const realFrom = Date.parse(table.from);
    const realTo = Date.parse(table.to);
    const buckets = bucketsFrom(table, realFrom, realTo, step.seconds * 1000);
    const zoomOut = h('button', { type: 'button', class: 'small', onclick: () => {
      const span = realTo - realFrom;
      fromInput.value = new Date(realFrom - span).toISOString();
      toInput.value = new Date(Math.min(Date.now(), realTo + span)).toISOString();
      run(true);
    } }, 'Zoom out');
    histogram.replaceChildren(
      h('div', { class: 'histo-head' }, h('h2', null, `Events per ${step.label}`), zoomOut),
      drawHistogram({
        buckets, fromMs: realFrom, toMs: realTo, stepMs: step.seconds * 1000,
        onZoom: (a, b) => { fromInput.value = new Date(a).toISOString(); toInput.value = new Date(b).toISOString(); run(true); },
      }));
    histogram.removeAttribute('aria-busy');
  }

  async function loadFields() {
    const catalogue = await api('/api/v1/fields', { query: { from: state.from, to: state.to } });
    const items = catalogue.fields.filter((f) => !HIDDEN_FIELDS.has(f.name)).slice(0, 60);
    sidebar.replaceChildren(h('div', null,
      h('h2', null, 'Fields'),
      items.length ? h('ul', null, items.map(fieldItem)) : h('p', { class: 'muted' }, 'No fields in this time range.'),
      catalogue.sampled ? h('p', { class: 'muted' }, 'From the newest events of the range (sampled).') : null));
  }

  function fieldItem(f) {
    const values = h('div', { class: 'values' });
    const toggle = h('button', { type: 'button', class: 'field-name', 'aria-expanded': 'false' },
      h('span', null, f.name), h('span', { class: 'count' }, String(f.count)));
    toggle.addEventListener('click', async () => {
      const open = toggle.getAttribute('aria-expanded') === 'true';
      toggle.setAttribute('aria-expanded', String(!open));
      if (open) { values.replaceChildren(); return; }
      values.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
      try {
        const top = await api(`/api/v1/fields/${encodeURIComponent(f.name)}/values`, { query: { from: state.from, to: state.to, q: state.q, limit: 10 } });
        values.replaceChildren(h('ul', null, top.values.filter((v) => v.value !== null).map((v) =>
          h('li', null, h('button', { type: 'button', class: 'value', title: `Filter on ${term(f.name, v.value)}`, onclick: () => addFilter(term(f.name, v.value)) },
            h('span', { class: 'v' }, typeof v.value === 'string' ? v.value : JSON.stringify(v.value)), h('span', { class: 'count' }, String(v.count)))))));
      } catch (error) {
        values.replaceChildren(errorBox(error));
      }
    });
    return h('li', null, toggle, values);
  }

  function addFilter(clause) {
    qInput.value = qInput.value.trim() ? `${qInput.value.trim()} ${clause}` : clause;
    run(true);
  }

  function guard(promise) {
    return promise.catch((error) => {
      if (error instanceof ApiError && error.code === 'invalid_query') showQueryError(error);
      else results.replaceChildren(errorBox(error));
    });
  }

  async function run(fresh) {
    state.q = qInput.value.trim();
    state.from = fromInput.value.trim() || 'now-1h';
    state.to = toInput.value.trim() || 'now';
    state.size = sizeSel.value;
    if (fresh) state.cursors = [''];
    syncUrl();
    showQueryError(null);
    await Promise.all([
      guard(loadPage()),
      loadHistogram().catch((error) => { if (!(error instanceof ApiError && error.code === 'invalid_query')) histogram.replaceChildren(errorBox(error)); }),
      loadFields().catch((error) => sidebar.replaceChildren(errorBox(error))),
    ]);
  }

  await run(true);
}

let rowTemplate = null;
const COLUMNS = [['', 'x'], ['Time (UTC)', 'ts'], ['Severity', 'sev'], ['Service', 'svc'], ['Host', 'host'], ['Message', 'msg']];
const GROUP = 50;

// A grid of rows, not a <table>: rows come in groups of 50 with `content-visibility: auto`, so
// Chromium lays out and paints only the groups on screen. Each row is cloned from one template,
// one click listener serves the whole list, and an event's JSON is built only when opened: a page
// of 1,000 events renders well under 500 ms (docs/benchmarks.md, "Console").
function template() {
  if (!rowTemplate) {
    rowTemplate = h('div', { class: 'event', role: 'row' },
      h('span', { class: 'cell x', role: 'cell' }, h('button', { type: 'button', class: 'expand', 'aria-expanded': 'false', 'aria-label': 'Show the event' }, '▸')),
      COLUMNS.slice(1).map(([, c]) => h('span', { class: `cell ${c}`, role: 'cell' })));
    rowTemplate.children[2].append(h('span', { class: 'sev' }));
  }
  return rowTemplate;
}

export function renderRows(items) {
  if (!items.length) return h('p', { class: 'muted' }, 'No events match.');
  const list = h('div', { class: 'rows', role: 'table', 'aria-label': 'Events', 'aria-rowcount': String(items.length + 1) },
    h('div', { class: 'head', role: 'row' }, COLUMNS.map(([label, c]) => h('span', { class: `cell ${c}`, role: 'columnheader' }, label))));
  const row = template();
  let group = null;
  items.forEach((event, i) => {
    if (i % GROUP === 0) {
      group = h('div', { class: 'group', role: 'rowgroup' });
      list.append(group);
    }
    const tr = row.cloneNode(true);
    const cells = tr.children;
    const sev = String(event.severity || '');
    cells[1].textContent = fmtTime(event.timestamp);
    cells[2].firstChild.textContent = sev;
    cells[2].firstChild.className = `sev sev-${sev.toLowerCase()}`;
    cells[3].textContent = event.service || '';
    cells[4].textContent = event.host || '';
    cells[5].textContent = event.message;
    tr.dataset.index = String(i);
    group.append(tr);
  });
  list.addEventListener('click', (e) => {
    const toggle = e.target.closest('button.expand');
    if (!toggle) return;
    const tr = toggle.closest('.event');
    const open = toggle.getAttribute('aria-expanded') === 'true';
    toggle.setAttribute('aria-expanded', String(!open));
    toggle.setAttribute('aria-label', open ? 'Show the event' : 'Hide the event');
    toggle.textContent = open ? '▸' : '▾';
    let detail = tr.nextElementSibling;
    if (!detail || !detail.classList.contains('detail')) {
      const event = items[Number(tr.dataset.index)];
      detail = h('div', { class: 'detail', role: 'row' }, h('div', { role: 'cell' }, h('pre', { class: 'json' }, JSON.stringify(event, null, 2))));
      tr.after(detail);
    }
    detail.hidden = open;
  });
  return h('div', { class: 'table-wrap' }, list);
}
