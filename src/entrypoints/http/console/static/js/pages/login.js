import { api, url } from '../api.js';
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
  await offerSso(form, tenant, status);
}

// Single sign-on is offered only where the server has a provider (LOGPLANE_OIDC_ISSUER): it
// redirects to the provider and comes back to the console with a session.
async function offerSso(form, tenant, status) {
  const methods = await api('/api/v1/auth/methods').catch(() => null);
  if (!methods || !methods.oidc) return;
  const sso = h('button', { type: 'button', class: 'sso', onclick: () => {
    const name = tenant.value.trim();
    if (!name) {
      status.replaceChildren(errorBox('Enter your tenant first: single sign-on logs you in to one tenant.'));
      tenant.focus();
      return;
    }
    localStorage.setItem('logplane.tenant', name);
    window.location.assign(url('/api/v1/auth/oidc/login', { tenant: name }));
  } }, 'Log in with single sign-on');
  form.insertBefore(h('p', { class: 'or' }, 'or'), status);
  form.insertBefore(sso, status);
}
