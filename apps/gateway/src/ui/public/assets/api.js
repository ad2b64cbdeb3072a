// The dashboard's only way to the gateway: same-origin fetch to /ui/api with the session cookie
// (sent by the browser, unreadable to scripts). Nothing is kept in localStorage or sessionStorage.

export const CSRF_HEADER = { 'x-requested-with': 'tollgate-ui' };

/** A gateway error: `param` names the offending field of a 400, as the admin API does. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `The gateway answered ${status}`);
    this.status = status;
    this.param = body?.error?.param ?? null;
    this.code = body?.error?.code ?? null;
  }
}

/**
 * `api('teams')`, `api('teams', { method: 'POST', body })`. A 401 means the session ended
 * (expired, logged out elsewhere): the page goes to the login, and comes back here after it.
 */
export async function api(path, { method = 'GET', body, query, allowUnauthenticated = false } = {}) {
  const url = new URL(`/ui/api/${path}`, window.location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
  }
  const headers = { accept: 'application/json' };
  if (method !== 'GET') Object.assign(headers, CSRF_HEADER);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const data = await response.json().catch(() => null);
  if (response.status === 401 && !allowUnauthenticated) {
    const next = window.location.pathname + window.location.search;
    window.location.assign(`/ui/login?next=${encodeURIComponent(next)}`);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
