export enum AuthErrorCode {
  MISSING_KEY = 'missing_key',
  INVALID_KEY = 'invalid_api_key',
  EXPIRED_KEY = 'expired_key',
  BLOCKED_KEY = 'blocked_key',
  BLOCKED_TEAM = 'blocked_team',
  MASTER_KEY_REQUIRED = 'master_key_required',
  MODEL_NOT_ALLOWED = 'model_not_allowed',
}

/** Authentication (401) or authorisation (403) refused; the message never echoes the presented secret. */
export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }

  get status(): 401 | 403 {
    return this.code === AuthErrorCode.MODEL_NOT_ALLOWED ? 403 : 401;
  }
}

/** The key store cannot be read to authenticate a key not yet in memory: 503, never a 500. */
export class KeyStoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Key store unavailable; cannot check this key right now (${(cause as Error)?.message ?? String(cause)})`);
    this.name = 'KeyStoreUnavailableError';
  }
}

/** Too many failed authentications from one client address: 429 with Retry-After. */
export class AuthThrottledError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed authentication attempts from this address; retry after ${retryAfterSeconds}s`);
    this.name = 'AuthThrottledError';
  }
}
