// Background tasks (reindex, archive, cleanup, restore, export, file ingest) with their progress and
// errors, refreshed while any is running; export downloads and archive objects as links.
import { api } from '../api.js';
import { errorBox, field, fmtTime, h, select, table, toast } from '../dom.js';
import { isAdmin } from '../session.js';

const TYPES = ['reindex', 'archive', 'log_cleanup', 'restore', 'export', 'ingest_file'];
const STATUSES = ['pending', 'running', 'succeeded', 'failed'];
const REFRESH_MS = 3000;

function progress(task) {
  const result = task.result || {};
  return Object.entries(result)
    .filter(([, v]) => v === null || typeof v !== 'object')
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`)
    .join(' · ');
}

export async function render(main) {
  const typeSel = select([['', 'all types'], ...TYPES.map((t) => [t, t])], '');
  const statusSel = select([['', 'any status'], ...STATUSES.map((s) => [s, s])], '');
  const list = h('div', { 'aria-live': 'polite' });
  const archives = h('div');
  let timer = null;
  let gone = false;

  async function downloadLink(task) {
    const cell = h('span', null, 'fetching link…');
    api(`/api/v1/exports/${task.task_id}`).then((exp) => {
      cell.replaceChildren(exp.url ? h('a', { href: exp.url, rel: 'noreferrer' }, `Download ${exp.format}${exp.rows != null ? ` (${exp.rows} rows)` : ''}`) : '');
    }).catch((error) => cell.replaceChildren(errorBox(error)));
    return cell;
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      const page = await api('/api/v1/tasks', { query: { type: typeSel.value, status: statusSel.value, limit: 100 } });
      if (gone) return;
      const rows = await Promise.all(page.items.map(async (task) => h('tr', { dataset: { status: task.status } },
        h('td', null, task.task_type),
        h('td', null, h('span', { class: `status-${task.status}` }, task.status)),
        h('td', { class: 'ts' }, fmtTime(task.created_at)),
        h('td', { class: 'ts' }, fmtTime(task.updated_at)),
        h('td', null, String(task.attempts)),
        h('td', null, progress(task)),
        h('td', { class: 'err' }, task.error_msg || ''),
        h('td', null, task.task_type === 'export' && task.status === 'succeeded' ? await downloadLink(task) : ''))));
      list.replaceChildren(rows.length
        ? table(['Type', 'Status', 'Created', 'Updated', 'Attempts', 'Progress', 'Error', 'Download'], rows, { class: 'tasks' })
        : h('p', { class: 'muted' }, 'No tasks.'));
      if (page.items.some((t) => t.status === 'pending' || t.status === 'running')) timer = setTimeout(refresh, REFRESH_MS);
    } catch (error) {
      list.replaceChildren(errorBox(error));
    }
  }

  async function loadArchives() {
    try {
      const page = await api('/api/v1/archives');
      archives.replaceChildren(page.items.length
        ? table(['Date', 'Rows', 'Bytes', 'Oldest', 'Newest', 'Object'], page.items.map((a) => h('tr', null,
          h('td', null, a.date), h('td', null, String(a.rows)), h('td', null, String(a.bytes)),
          h('td', { class: 'ts' }, fmtTime(a.min_timestamp)), h('td', { class: 'ts' }, fmtTime(a.max_timestamp)),
          h('td', null, a.url ? h('a', { href: a.url, rel: 'noreferrer' }, a.key) : a.key))))
        : h('p', { class: 'muted' }, 'No archives yet.'));
    } catch (error) {
      archives.replaceChildren(errorBox(error));
    }
  }

  // New export (scope read): the filters of a search, run by the export worker.
  const expQ = h('input', { name: 'q', spellcheck: 'false' });
  const expFrom = h('input', { name: 'from', value: 'now-1h' });
  const expTo = h('input', { name: 'to', value: 'now' });
  const expFormat = select([['ndjson', 'NDJSON'], ['csv', 'CSV'], ['parquet', 'Parquet']], 'ndjson');
  const expGzip = h('input', { type: 'checkbox', name: 'gzip' });
  const expStatus = h('div', { 'aria-live': 'polite' });
  const exportForm = h('form', { class: 'inline-form', onsubmit: async (e) => {
    e.preventDefault();
    expStatus.replaceChildren();
    const filters = { from: expFrom.value.trim(), to: expTo.value.trim() };
    if (expQ.value.trim()) filters.q = expQ.value.trim();
    try {
      const out = await api('/api/v1/exports', { method: 'POST', body: { format: expFormat.value, gzip: expGzip.checked, filters } });
      toast(`Export ${out.task_id} queued`);
      refresh();
    } catch (error) {
      expStatus.replaceChildren(errorBox(error));
    }
  } }, field('Query', expQ), field('From', expFrom), field('To', expTo), field('Format', expFormat),
  h('div', { class: 'field check' }, h('label', null, expGzip, ' gzip')),
  h('button', { type: 'submit', class: 'primary' }, 'Start export'), expStatus);

  const sections = [
    h('h1', null, 'Tasks'),
    h('div', { class: 'toolbar' }, field('Type', typeSel), field('Status', statusSel),
      h('button', { type: 'button', onclick: refresh }, 'Refresh')),
    list,
    h('h2', null, 'New export'), exportForm,
  ];

  if (isAdmin()) {
    const before = h('input', { name: 'before', value: 'now-30d/d', spellcheck: 'false' });
    const cleanStatus = h('div', { 'aria-live': 'polite' });
    const rFrom = h('input', { name: 'from', spellcheck: 'false', placeholder: '2026-01-01T00:00:00Z' });
    const rTo = h('input', { name: 'to', spellcheck: 'false', placeholder: '2026-02-01T00:00:00Z' });
    const restoreStatus = h('div', { 'aria-live': 'polite' });
    sections.push(
      h('h2', null, 'Archive and clean up'),
      h('p', null, 'Archives events older than the time to S3, verifies the archive, then deletes them from the database and the index.'),
      h('form', { class: 'inline-form', onsubmit: async (e) => {
        e.preventDefault();
        cleanStatus.replaceChildren();
        if (!window.confirm(`Archive and then delete every event before ${before.value}?`)) return;
        try {
          await api('/api/v1/logs/cleanup', { method: 'DELETE', query: { before: before.value.trim() } });
          refresh();
        } catch (error) { cleanStatus.replaceChildren(errorBox(error)); }
      } }, field('Before', before, 'RFC 3339 or relative, e.g. now-30d/d'), h('button', { type: 'submit', class: 'danger' }, 'Archive and delete'), cleanStatus),
      h('h2', null, 'Restore from archives'),
      h('form', { class: 'inline-form', onsubmit: async (e) => {
        e.preventDefault();
        restoreStatus.replaceChildren();
        try {
          await api('/api/v1/logs/restore', { method: 'POST', body: { from: rFrom.value.trim(), to: rTo.value.trim() } });
          refresh();
        } catch (error) { restoreStatus.replaceChildren(errorBox(error)); }
      } }, field('From', rFrom), field('To', rTo), h('button', { type: 'submit' }, 'Restore'), restoreStatus));
  }
  sections.push(h('h2', null, 'Archives'), archives);

  typeSel.addEventListener('change', refresh);
  statusSel.addEventListener('change', refresh);
  main.append(h('section', { class: 'page' }, sections));
  await Promise.all([refresh(), loadArchives()]);
  return () => { gone = true; clearTimeout(timer); };
}
