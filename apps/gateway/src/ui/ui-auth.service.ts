import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { MasterKeyService } from '@tollgate/keys';
import type { Request } from 'express';
import {
  credentialsFingerprint,
  deriveSessionKey,
  readCookie,
  signSession,
  UI_SESSION_COOKIE,
  UI_SESSION_TTL_MS,
  verifySession,
  type UiSession,
} from './ui-session';

/** How the dashboard is logged into: the master key, or UI_USERNAME/UI_PASSWORD when both are set. */
export type UiLoginMethod = 'master_key' | 'password';

export interface UiCredentials {
  username: string;
  password: string;
}

export const UI_CREDENTIALS = Symbol('UI_CREDENTIALS');

/** Reads UI_USERNAME / UI_PASSWORD once at start-up. Only one of them set is ignored, loudly. */
export function uiCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env, logger = new Logger('Dashboard')): UiCredentials | null {
  const username = env.UI_USERNAME?.trim() ?? '';
  const password = env.UI_PASSWORD ?? '';
  if (username && password) return { username, password };
  if (username || password) {
    logger.warn(`${username ? 'UI_PASSWORD' : 'UI_USERNAME'} is not set; dashboard login falls back to the master key until both are set`);
  }
  return null;
}

/** Failed logins per client address before it must wait: a cheap brake on guessing a weak UI_PASSWORD. */
const MAX_FAILED_LOGINS = 10;
const FAILED_LOGIN_WINDOW_MS = 10 * 60 * 1000;
const MAX_TRACKED_ADDRESSES = 10_000;

export type LoginOutcome = { ok: true; session: UiSession; cookieValue: string } | { ok: false; reason: 'invalid' | 'throttled' };

/** Dashboard logins and the stateless, signed session cookie that follows them. */
@Injectable()
export class UiAuthService {
  private cachedKey?: { token: string; key: Buffer };
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly masterKey: MasterKeyService,
    @Inject(UI_CREDENTIALS) private readonly credentials: UiCredentials | null,
  ) {}

  get method(): UiLoginMethod {
    return this.credentials ? 'password' : 'master_key';
  }

  login(input: { master_key?: string; username?: string; password?: string }, address: string, now = Date.now()): LoginOutcome {
    const failures = this.failures.get(address);
    if (failures && failures.resetAt > now && failures.count >= MAX_FAILED_LOGINS) return { ok: false, reason: 'throttled' };
    const user = this.checkCredentials(input);
    if (!user) {
      this.recordFailure(address, now);
      return { ok: false, reason: 'invalid' };
    }
    this.failures.delete(address);
    const session = { user, expiresAt: now + UI_SESSION_TTL_MS };
    return { ok: true, session, cookieValue: signSession(session, this.signingKey()) };
  }

  /** The session a request's cookie proves, or null. */
  sessionOf(request: Request, now = Date.now()): UiSession | null {
    const session = verifySession(readCookie(request.headers.cookie, UI_SESSION_COOKIE), this.signingKey(), now);
    if (!session) return null;
    // A session from before UI_USERNAME changed names someone who is no longer configured.
    if (this.credentials && session.user !== this.credentials.username) return null;
    return session;
  }

  private checkCredentials(input: { master_key?: string; username?: string; password?: string }): string | null {
    if (this.credentials) {
      const userOk = sameSecret(input.username ?? '', this.credentials.username);
      const passwordOk = sameSecret(input.password ?? '', this.credentials.password);
      return userOk && passwordOk ? this.credentials.username : null;
    }
    return this.masterKey.matches(input.master_key) ? 'admin' : null;
  }

  private signingKey(): Buffer {
    const token = this.masterKey.token;
    if (this.cachedKey?.token !== token) {
      const fingerprint = this.credentials ? credentialsFingerprint(this.credentials.username, this.credentials.password) : '';
      this.cachedKey = { token, key: deriveSessionKey(token, fingerprint) };
    }
    return this.cachedKey.key;
  }

  private recordFailure(address: string, now: number): void {
    const current = this.failures.get(address);
    if (current && current.resetAt > now) {
      current.count++;
      return;
    }
    if (this.failures.size >= MAX_TRACKED_ADDRESSES) this.failures.clear();
    this.failures.set(address, { count: 1, resetAt: now + FAILED_LOGIN_WINDOW_MS });
  }
}

/** Constant-time comparison of two strings of any length, via their SHA-256 digests. */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
