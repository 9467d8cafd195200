// Who is logged in: `GET /api/v1/auth/me`, kept for the page's lifetime and refreshed on login.
import { api } from './api.js';

let current = null;

export async function loadSession() {
  try {
    current = await api('/api/v1/auth/me');
  } catch (error) {
    if (error.status === 401 || error.status === 403) current = null;
    else throw error;
  }
  return current;
}

export function session() {
  return current;
}

export function role() {
  return (current && (current.role || (current.user && current.user.role))) || null;
}

export function isAdmin() {
  return role() === 'admin';
}

export function tenantName() {
  if (!current) return '';
  return (current.tenant && current.tenant.name) || current.tenant_name || '';
}

export function forget() {
  current = null;
}
