import {
  clearedSessionCookie,
  credentialsFingerprint,
  deriveSessionKey,
  readCookie,
  sessionCookie,
  signSession,
  UI_SESSION_TTL_MS,
  verifySession,
} from './ui-session';

const SECRET = Buffer.alloc(32, 0xa1);
const NOW = 1_760_000_000_000;

describe('dashboard session cookie', () => {
  const key = deriveSessionKey(SECRET);
  const session = { user: 'admin', expiresAt: NOW + UI_SESSION_TTL_MS };

  it('verifies what it signed, on any instance that shares the secret', () => {
    const value = signSession(session, key);
    expect(verifySession(value, deriveSessionKey(SECRET), NOW)).toEqual(session);
  });

  it('refuses a cookie signed under another secret or other UI credentials', () => {
    const value = signSession(session, key);
    expect(verifySession(value, deriveSessionKey(Buffer.alloc(32, 0xb2)), NOW)).toBeNull();
    expect(verifySession(value, deriveSessionKey(SECRET, credentialsFingerprint('ops', 'secret')), NOW)).toBeNull();
  });

  it('refuses an expired session, and one claiming to live longer than a session can', () => {
    expect(verifySession(signSession(session, key), key, session.expiresAt)).toBeNull();
    expect(verifySession(signSession({ user: 'admin', expiresAt: NOW + 30 * UI_SESSION_TTL_MS }, key), key, NOW)).toBeNull();
  });

  it('refuses any edit to the payload or the signature', () => {
    const value = signSession(session, key);
    const [version, expiry, user, signature] = value.split('.');
    const longer = (session.expiresAt + 1).toString(36);
    expect(verifySession([version, longer, user, signature].join('.'), key, NOW)).toBeNull();
    expect(verifySession([version, expiry, Buffer.from('root').toString('base64url'), signature].join('.'), key, NOW)).toBeNull();
    expect(verifySession([version, expiry, user, signature.slice(0, -2)].join('.'), key, NOW)).toBeNull();
    expect(
      verifySession([version, expiry, user, `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`].join('.'), key, NOW),
    ).toBeNull();
    expect(verifySession(`v2.${expiry}.${user}.${signature}`, key, NOW)).toBeNull();
    expect(verifySession('', key, NOW)).toBeNull();
    expect(verifySession(undefined, key, NOW)).toBeNull();
  });

  it('writes HttpOnly, SameSite=Strict, Path=/ui cookies that expire, and clears them', () => {
    expect(sessionCookie('v', 28_800, false)).toBe('tollgate_ui_session=v; Path=/ui; Max-Age=28800; HttpOnly; SameSite=Strict');
    expect(sessionCookie('v', 28_800, true)).toMatch(/; Secure$/);
    expect(clearedSessionCookie(false)).toMatch(
      /^tollgate_ui_session=; Path=\/ui; Max-Age=0; HttpOnly; SameSite=Strict; Expires=Thu, 01 Jan 1970/,
    );
  });

  it('reads one cookie out of a Cookie header', () => {
    expect(readCookie('a=1; tollgate_ui_session=v1.x.y.z; b=2', 'tollgate_ui_session')).toBe('v1.x.y.z');
    expect(readCookie('tollgate_ui_session_old=1', 'tollgate_ui_session')).toBeUndefined();
    expect(readCookie(undefined, 'tollgate_ui_session')).toBeUndefined();
  });
});
