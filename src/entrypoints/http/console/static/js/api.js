// The JSON API, same origin. The session is an HttpOnly cookie the browser sends by itself; every
// state-changing request repeats the readable CSRF cookie in X-CSRF-Token (double submit).

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `request failed with status ${status}`);
    this.status = status;
    this.code = err.code || 'http_error';
    this.details = err.details || {};
  }
}

export function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const [k, ...rest] = part.trim().split('=');
    if (k === name) return decodeURIComponent(rest.join('='));
  }
  return '';
}

let unauthorized = () => {};
export function onUnauthorized(handler) {
  unauthorized = handler;
}

export function url(path, query) {
  const u = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => u.searchParams.append(key, v));
    else u.searchParams.set(key, value);
  }
  return u;
}

export async function api(path, { method = 'GET', body, query, keepEmpty } = {}) {
  const target = url(path, query);
  if (keepEmpty) for (const k of keepEmpty) if (!target.searchParams.has(k)) target.searchParams.set(k, '');
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = cookie('logplane_csrf');
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  const response = await fetch(target, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && !path.startsWith('/api/v1/auth/login')) unauthorized(error);
    throw error;
  }
  return data;
}
