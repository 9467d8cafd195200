// Error groups (GET /api/v1/error-groups): title, exception type, count, first/last seen, hosts and
// status with triage buttons (PATCH {status}; the API decides who may), sample events via Search.
import { api } from '../api.js';
import { errorBox, field, fmtTime, h, select, table, toast } from '../dom.js';
import { replaceParams } from '../main.js';
import { none, rangeFields, searchHref } from './range.js';

const STATUSES = [['', 'any status'], ['open', 'open'], ['resolved', 'resolved'], ['ignored', 'ignored']];
const ACTIONS = { open: [['resolved', 'Resolve'], ['ignored', 'Ignore']], resolved: [['open', 'Reopen']], ignored: [['open', 'Reopen']] };

function samplesQuery(group) {
  const ids = group.sample_event_ids || [];
  return ids.length ? ids.map((id) => `id:${id}`).join(' OR ') : `service:${group.service} severity:>=error`;
}

export async function render(main, params) {
  const range = rangeFields(params.get('from') || 'now-24h', params.get('to') || 'now', () => load());
  const statusSel = select(STATUSES, params.get('status') || '', { name: 'status' });
  const serviceInput = h('input', { name: 'service', value: params.get('service') || '', spellcheck: 'false' });
  const list = h('div', { 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'polite' });

  async function triage(group, next, button) {
    status.replaceChildren();
    button.disabled = true;
    try {
      await api(`/api/v1/error-groups/${encodeURIComponent(group.id)}`, { method: 'PATCH', body: { status: next } });
      toast(`${group.title}: ${next}`);
      await load();
      const again = list.querySelector(`tr[data-group-id="${CSS.escape(group.id)}"] button`);
      if (again) again.focus();
    } catch (error) {
      button.disabled = false;
      status.replaceChildren(errorBox(error));
    }
  }

  let ticket = 0;
  async function load() {
    const mine = ++ticket; // a slower earlier answer must not replace a newer one
    const query = { from: range.fromInput.value.trim(), to: range.toInput.value.trim(), status: statusSel.value, service: serviceInput.value.trim() };
    replaceParams('errors', new URLSearchParams(Object.entries(query).filter(([, v]) => v)));
    list.setAttribute('aria-busy', 'true');
    try {
      const page = await api('/api/v1/error-groups', { query: { ...query, limit: 200 } });
      if (mine !== ticket) return;
      const rows = page.items.map((g) => {
        const buttons = (ACTIONS[g.status] || []).map(([next, label]) => {
          const b = h('button', { type: 'button', class: 'small', 'aria-label': `${label} ${g.title}` }, label);
          b.addEventListener('click', () => triage(g, next, b));
          return b;
        });
        return h('tr', { dataset: { groupId: g.id, status: g.status } },
          h('td', { class: 'msg' },
            h('a', { href: searchHref(samplesQuery(g), g.first_seen, 'now'), title: 'Show sample events in Search' }, g.title),
            g.exception_type ? h('div', { class: 'muted mono' }, g.exception_type) : null),
          h('td', { class: 'svc' }, g.service),
          h('td', { class: 'num' }, String(g.count)),
          h('td', { class: 'ts' }, fmtTime(g.first_seen)),
          h('td', { class: 'ts' }, fmtTime(g.last_seen)),
          h('td', { class: 'host' }, (g.hosts || []).join(', ')),
          h('td', null, h('span', { class: `status-${g.status}` }, g.status)),
          h('td', { class: 'actions' }, buttons));
      });
      list.replaceChildren(rows.length
        ? table(['Error', 'Service', 'Count', 'First seen', 'Last seen', 'Hosts', 'Status', 'Triage'], rows, { class: 'error-groups' })
        : none('error groups in this range'));
    } catch (error) {
      list.replaceChildren(errorBox(error));
    } finally {
      list.removeAttribute('aria-busy');
    }
  }

  statusSel.addEventListener('change', load);
  main.append(h('section', { class: 'page' },
    h('h1', null, 'Error groups'),
    h('p', { class: 'muted' }, 'Errors and stack traces grouped by exception type and top frames. A resolved group reopens when it happens again.'),
    h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); load(); } },
      field('Status', statusSel), field('Service', serviceInput), ...range.nodes,
      h('button', { type: 'submit', class: 'primary' }, 'Show')),
    status, list));
  await load();
}
