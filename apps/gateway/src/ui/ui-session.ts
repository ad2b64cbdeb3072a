import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The dashboard's session cookie. Path-scoped to /ui so no API route ever receives it. */
export const UI_SESSION_COOKIE = 'tollgate_ui_session';
export const UI_COOKIE_PATH = '/ui';
export const UI_SESSION_TTL_MS = 8 * 60 * 60 * 1000;

/** Label mixed into the signing key, so this key is good for dashboard sessions and nothing else. */
const SIGNING_LABEL = 'tollgate/ui-session/v1';
const VERSION = 'v1';

export interface UiSession {
  /** `admin` after a master-key login, the UI_USERNAME otherwise. */
  user: string;
  expiresAt: number;
}

/**
 * The HMAC-SHA256 key for session cookies, from the random secret every instance shares through
 * the database (see UiSessionSecret) and, when UI_USERNAME/UI_PASSWORD are set, from those too:
 * changing the UI password signs every dashboard user out.
 *
 * Never from the master key's hash: that hash used to be shown by /spend/logs, and a key derived
 * from a shown value lets anyone who saw it mint sessions.
 */
export function deriveSessionKey(secret: Buffer, credentialsFingerprint = ''): Buffer {
  return createHmac('sha256', secret).update(`${SIGNING_LABEL}\0${credentialsFingerprint}`).digest();
}

/** A stable digest of the configured UI username and password (never stored or logged as such). */
export function credentialsFingerprint(username: string, password: string): string {
  return createHash('sha256').update(`${username}\0${password}`).digest('hex');
}

/** `v1.<expiry ms, base 36>.<user, base64url>.<HMAC-SHA256, base64url>` */
export function signSession(session: UiSession, key: Buffer): string {
  const payload = `${VERSION}.${session.expiresAt.toString(36)}.${Buffer.from(session.user, 'utf8').toString('base64url')}`;
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}

/** The session a cookie value carries, or null when it is malformed, forged or expired. */
export function verifySession(value: string | undefined, key: Buffer, now = Date.now()): UiSession | null {
  if (!value || value.length > 1024) return null;
  const parts = value.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) return null;
  const payload = parts.slice(0, 3).join('.');
  // Compared as text, not decoded bytes: base64url decoding ignores a last character's spare bits,
  // so several spellings would decode to the same MAC. Only the canonical one is accepted.
  const expected = Buffer.from(createHmac('sha256', key).update(payload).digest('base64url'));
  const presented = Buffer.from(parts[3]);
  // timingSafeEqual needs equal lengths; a wrong length reveals nothing about the key.
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
  const expiresAt = parseInt(parts[1], 36);
  // A signed expiry far in the future can only come from a key compromise or a clock jump: refuse it too.
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= now || expiresAt > now + UI_SESSION_TTL_MS + 60_000) return null;
  const user = Buffer.from(parts[2], 'base64url').toString('utf8');
  return user ? { user, expiresAt } : null;
}

/** One cookie from a `Cookie` header; no cookie-parser dependency for a single value. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/**
 * `Set-Cookie` for a session: HttpOnly (no script reads it), SameSite=Strict (never sent on a
 * cross-site request, which is the CSRF defence), Path=/ui, and Max-Age so it dies with the
 * session. `Secure` is added when the browser reached us over HTTPS (directly or via a proxy).
 */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  const attributes = [`${UI_SESSION_COOKIE}=${value}`, `Path=${UI_COOKIE_PATH}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict'];
  if (secure) attributes.push('Secure');
  return attributes.join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return `${sessionCookie('', 0, secure)}; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
}
