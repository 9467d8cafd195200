// The console's router: hash routes (`#/search?q=…`), so a shared link is the whole state and the
// server serves one shell. Each page module exports `render(main, params)` and may return a cleanup
// function (the live tail closes its WebSocket there).
import { api, onUnauthorized } from './api.js';
import { h } from './dom.js';
import { forget, isAdmin, loadSession, session, tenantName } from './session.js';

// The navigation, in order: { path, label, load, admin? }.
const PAGES = [
  { path: 'search', label: 'Search', load: () => import('./pages/search.js') },
  { path: 'tail', label: 'Live tail', load: () => import('./pages/tail.js') },
  { path: 'patterns', label: 'Patterns', load: () => import('./pages/patterns.js') },
  { path: 'errors', label: 'Error groups', load: () => import('./pages/errors.js') },
  { path: 'anomalies', label: 'Anomalies', load: () => import('./pages/anomalies.js') },
  { path: 'alerts', label: 'Alerts', load: () => import('./pages/alerts.js') },
  { path: 'tasks', label: 'Tasks', load: () => import('./pages/tasks.js') },
  { path: 'ingest', label: 'Ingest', load: () => import('./pages/ingest.js') },
  { path: 'admin', label: 'Admin', load: () => import('./pages/admin.js'), admin: true },
];

const main = document.getElementById('main');
let cleanup = null;
let rendering = 0;

export function parseHash() {
  const raw = window.location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  return { path: path || 'search', params: new URLSearchParams(query) };
}

export function navigate(path, params) {
  const query = params && [...params].length ? `?${params}` : '';
  const target = `#/${path}${query}`;
  if (window.location.hash === target) route();
  else window.location.hash = target;
}

/** Replace the URL's query without re-rendering (the share link follows the page's state). */
export function replaceParams(path, params) {
  const query = [...params].length ? `?${params}` : '';
  history.replaceState(null, '', `#/${path}${query}`);
}

function renderNav(active) {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  const me = session();
  if (!me) {
    nav.replaceChildren();
    who.replaceChildren();
    return;
  }
  nav.replaceChildren(
    h('ul', null,
      PAGES.filter((p) => !p.admin || isAdmin()).map((p) =>
        h('li', null, h('a', { href: `#/${p.path}`, 'aria-current': p.path === active ? 'page' : null }, p.label)))),
  );
  const user = me.user || {};
  who.replaceChildren(
    h('span', { class: 'who-name' }, `${user.email || ''} · ${user.role || me.role || ''} · ${tenantName()}`),
    h('button', { type: 'button', class: 'link', onclick: logout }, 'Log out'),
  );
}

async function logout() {
  try {
    await api('/api/v1/auth/logout', { method: 'POST' });
  } finally {
    forget();
    navigate('login');
  }
}

function forbidden() {
  return h('section', { class: 'page' },
    h('h1', null, 'Not allowed'),
    h('p', null, 'This page needs the admin role. Ask an admin of your tenant.'));
}

export async function route() {
  const ticket = ++rendering;
  if (cleanup) {
    try { cleanup(); } catch { /* a page's cleanup must not block navigation */ }
    cleanup = null;
  }
  const { path, params } = parseHash();
  if (!session() && path !== 'login') await loadSession().catch(() => null);
  if (ticket !== rendering) return;
  if (!session() && path !== 'login') {
    const back = new URLSearchParams();
    if (window.location.hash && !window.location.hash.startsWith('#/login')) back.set('next', window.location.hash.slice(1));
    navigate('login', back);
    return;
  }
  renderNav(path);
  let page;
  if (path === 'login') page = { load: () => import('./pages/login.js') };
  else page = PAGES.find((p) => p.path === path);
  if (!page) {
    main.replaceChildren(h('section', { class: 'page' }, h('h1', null, 'Not found'), h('p', null, h('a', { href: '#/search' }, 'Go to search'))));
    return;
  }
  if (page.admin && !isAdmin()) {
    main.replaceChildren(forbidden());
    document.title = 'Not allowed · logplane';
    return;
  }
  const module = await page.load();
  if (ticket !== rendering) return;
  main.replaceChildren();
  document.title = `${page.label || 'Log in'} · logplane`;
  cleanup = (await module.render(main, params)) || null;
  main.dataset.page = path;
}

onUnauthorized(() => {
  forget();
  if (parseHash().path !== 'login') navigate('login');
});
window.addEventListener('hashchange', route);
route();
