import { api } from '../api.js';
import { errorBox, field, h } from '../dom.js';
import { navigate } from '../main.js';
import { loadSession } from '../session.js';

export async function render(main, params) {
  const tenant = h('input', { name: 'tenant', autocomplete: 'organization', required: true, value: localStorage.getItem('logplane.tenant') || '' });
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const status = h('div', { 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h('form', { class: 'login', onsubmit: onSubmit },
    h('h1', null, 'Log in to logplane'),
    field('Tenant', tenant),
    field('Email', email),
    field('Password', password),
    submit,
    status);

  async function onSubmit(event) {
    event.preventDefault();
    submit.disabled = true;
    status.replaceChildren();
    try {
      await api('/api/v1/auth/login', { method: 'POST', body: { tenant: tenant.value.trim(), email: email.value.trim(), password: password.value } });
      localStorage.setItem('logplane.tenant', tenant.value.trim());
      await loadSession();
      const next = params.get('next');
      if (next && next.startsWith('/') && !next.startsWith('/login')) window.location.hash = next;
      else navigate('search');
    } catch (error) {
      status.replaceChildren(errorBox(error));
      password.value = '';
      password.focus();
    } finally {
      submit.disabled = false;
    }
  }

  main.append(h('section', { class: 'page narrow' }, form));
  (tenant.value ? email : tenant).focus();
}
