// Tenant administration (role admin): users and roles, API keys with scopes (the secret is shown
// once, right after creation, and never again), the tenant's limits and retention, the audit log.
import { api } from '../api.js';
import { copy, errorBox, field, fmtTime, h, select, table, toast } from '../dom.js';
import { session } from '../session.js';

const ROLES = [['viewer', 'viewer (read)'], ['editor', 'editor (read, parsers and other tenant settings)'], ['admin', 'admin (users, keys, retention)']];
const SCOPES = ['ingest', 'read', 'edit', 'admin'];

function itemsOf(page) {
  return page.items;
}

export async function render(main) {
  const usersBox = h('div', { 'aria-live': 'polite' });
  const keysBox = h('div', { 'aria-live': 'polite' });
  const auditBox = h('div');
  const secretBox = h('div', { 'aria-live': 'assertive' });
  const me = session() || {};

  async function loadUsers() {
    try {
      const users = itemsOf(await api('/api/v1/users'));
      usersBox.replaceChildren(table(['Email', 'Role', 'Created', 'State', ''], users.map((u) => {
        const roleSel = select(ROLES.map(([v]) => [v, v]), u.role, { 'aria-label': `Role of ${u.email}` });
        roleSel.addEventListener('change', async () => {
          try {
            await api(`/api/v1/users/${u.id}`, { method: 'PATCH', body: { role: roleSel.value } });
            toast(`${u.email} is now ${roleSel.value}`);
            loadAudit();
          } catch (error) { roleSel.value = u.role; toast(error.message); }
        });
        const self = me.user && me.user.id === u.id;
        return h('tr', null,
          h('td', null, u.email), h('td', null, self ? u.role : roleSel),
          h('td', { class: 'ts' }, fmtTime(u.created_at)), h('td', null, [u.disabled ? 'disabled' : '', u.locked ? 'locked' : ''].filter(Boolean).join(', ') || 'active'),
          h('td', null, self ? '(you)' : h('button', { type: 'button', class: 'danger small', onclick: async () => {
            if (!window.confirm(`Delete the user ${u.email}?`)) return;
            try { await api(`/api/v1/users/${u.id}`, { method: 'DELETE' }); loadUsers(); loadAudit(); } catch (error) { toast(error.message); }
          } }, 'Delete')));
      }), { class: 'users' }));
    } catch (error) {
      usersBox.replaceChildren(errorBox(error));
    }
  }

  async function loadKeys() {
    try {
      const keys = itemsOf(await api('/api/v1/keys'));
      keysBox.replaceChildren(table(['Name', 'Scopes', 'Created', 'Revoked', ''], keys.map((k) => h('tr', null,
        h('td', null, k.name), h('td', null, (k.scopes || []).join(' ')),
        h('td', { class: 'ts' }, fmtTime(k.created_at)), h('td', { class: 'ts' }, fmtTime(k.revoked_at)),
        h('td', null, k.revoked_at ? '' : h('button', { type: 'button', class: 'danger small', onclick: async () => {
          if (!window.confirm(`Revoke the key ${k.name}? Shippers using it stop at once.`)) return;
          try { await api(`/api/v1/keys/${k.id}`, { method: 'DELETE' }); loadKeys(); loadAudit(); } catch (error) { toast(error.message); }
        } }, 'Revoke')))), { class: 'keys' }));
    } catch (error) {
      keysBox.replaceChildren(errorBox(error));
    }
  }

  async function loadAudit() {
    try {
      const entries = itemsOf(await api('/api/v1/audit'));
      auditBox.replaceChildren(entries.length ? table(['When', 'Who', 'Action', 'Target', 'Details'], entries.map((e) => h('tr', null,
        h('td', { class: 'ts' }, fmtTime(e.at)),
        h('td', null, e.actor),
        h('td', null, e.action), h('td', null, e.target || ''),
        h('td', null, e.details ? h('code', null, JSON.stringify(e.details)) : ''))), { class: 'audit' }) : h('p', { class: 'muted' }, 'No admin actions yet.'));
    } catch (error) {
      auditBox.replaceChildren(errorBox(error));
    }
  }

  // New user
  const email = h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' });
  const password = h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password', minlength: '12' });
  const role = select(ROLES, 'viewer', { name: 'role' });
  const userStatus = h('div', { 'aria-live': 'polite' });
  const userForm = h('form', { class: 'inline-form', onsubmit: async (e) => {
    e.preventDefault();
    userStatus.replaceChildren();
    try {
      await api('/api/v1/users', { method: 'POST', body: { email: email.value.trim(), password: password.value, role: role.value } });
      toast(`User ${email.value.trim()} created`);
      email.value = '';
      password.value = '';
      loadUsers();
      loadAudit();
    } catch (error) { userStatus.replaceChildren(errorBox(error)); }
  } }, field('Email', email), field('Initial password', password, 'At least 12 characters'), field('Role', role),
  h('button', { type: 'submit', class: 'primary' }, 'Create user'), userStatus);

  // New API key: the secret is shown here once.
  const keyName = h('input', { name: 'name', required: true, autocomplete: 'off' });
  const scopeBoxes = SCOPES.map((scope) => h('input', { type: 'checkbox', name: 'scopes', value: scope, checked: scope === 'ingest' }));
  const keyForm = h('form', { class: 'inline-form', onsubmit: async (e) => {
    e.preventDefault();
    secretBox.replaceChildren();
    const scopes = scopeBoxes.filter((b) => b.checked).map((b) => b.value);
    try {
      const created = await api('/api/v1/keys', { method: 'POST', body: { name: keyName.value.trim(), scopes } });
      keyName.value = '';
      const secret = h('input', { readonly: true, value: created.api_key, class: 'mono secret', 'aria-label': 'The new API key' });
      secretBox.replaceChildren(h('div', { class: 'secret-once', role: 'alert' },
        h('p', null, h('strong', null, 'Copy this key now: it is shown once and cannot be read again.')),
        secret,
        h('div', { class: 'toolbar' },
          h('button', { type: 'button', onclick: () => copy(created.api_key) }, 'Copy'),
          h('button', { type: 'button', onclick: () => secretBox.replaceChildren() }, 'I have stored it'))));
      secret.select();
      loadKeys();
      loadAudit();
    } catch (error) { secretBox.replaceChildren(errorBox(error)); }
  } }, field('Key name', keyName),
  h('fieldset', { class: 'scopes' }, h('legend', null, 'Scopes'), scopeBoxes.map((b) => h('label', null, b, ` ${b.value}`))),
  h('button', { type: 'submit', class: 'primary' }, 'Create key'));

  const settings = h('div', { 'aria-live': 'polite' });

  async function loadTenant() {
    try {
      const tenant = await api('/api/v1/tenant');
      settings.replaceChildren(h('dl', { class: 'settings' },
        h('dt', null, 'Tenant'), h('dd', null, `${tenant.name} (${tenant.id})`),
        h('dt', null, 'Status'), h('dd', null, tenant.status),
        h('dt', null, 'Retention'), h('dd', null, `${tenant.retention_days} days`),
        Object.entries(tenant.limits || {}).map(([k, v]) => [
          h('dt', null, k.replace(/_/g, ' ')), h('dd', null, v === null ? 'platform default' : String(v))])));
    } catch (error) {
      settings.replaceChildren(errorBox(error));
    }
  }

  main.append(h('section', { class: 'page admin' },
    h('h1', null, 'Administration'),
    h('h2', null, 'Users'), usersBox, h('h3', null, 'New user'), userForm,
    h('h2', null, 'API keys'), keysBox, h('h3', null, 'New key'), keyForm, secretBox,
    h('h2', null, 'Limits and retention'), settings,
    h('p', { class: 'muted' }, 'Set by the platform operator (PATCH /api/v1/tenants/{id}); changes appear in the audit log.'),
    h('h2', null, 'Audit log'), auditBox));
  await Promise.all([loadUsers(), loadKeys(), loadAudit(), loadTenant()]);
}
