import { Inject, Injectable } from '@nestjs/common';
import { AuthError, AuthErrorCode, AuthThrottle, clientAddress, isWrongSecret, MasterKeyCheck } from '@tollgate/keys';
import type { Request } from 'express';

import { sameSecret } from '../common/same-secret';
import type { UiCredentials } from '../config/gateway-config';
import {
  credentialsFingerprint,
  deriveSessionKey,
  readCookie,
  signSession,
  UI_SESSION_COOKIE,
  UI_SESSION_TTL_MS,
  type UiSession,
  verifySession,
} from './ui-session';
import { UiSessionSecret } from './ui-session-secret';

/** How the dashboard is logged into: the master key, or UI_USERNAME/UI_PASSWORD when both are set. */
export type UiLoginMethod = 'master_key' | 'password';

export const UI_CREDENTIALS = Symbol('UI_CREDENTIALS');

export type LoginOutcome = { ok: true; session: UiSession; cookieValue: string } | { ok: false };

/**
 * Dashboard logins and the stateless, signed session cookie that follows them. Failed logins go
 * through the same per-address throttle as every other master-key route (429 past the allowance).
 */
@Injectable()
export class UiAuthService {
  constructor(
    private readonly masterKey: MasterKeyCheck,
    private readonly throttle: AuthThrottle,
    private readonly secret: UiSessionSecret,
    @Inject(UI_CREDENTIALS) private readonly credentials: UiCredentials | null,
  ) {}

  get method(): UiLoginMethod {
    return this.credentials ? 'password' : 'master_key';
  }

  async login(
    input: { master_key?: string; username?: string; password?: string },
    request: Request,
    now = Date.now(),
  ): Promise<LoginOutcome> {
    let user: string;
    try {
      user = this.credentials ? await this.checkPassword(input, request, this.credentials) : await this.checkMasterKey(input, request);
    } catch (error) {
      if (error instanceof AuthError) return { ok: false };
      throw error;
    }
    const session = { user, expiresAt: now + UI_SESSION_TTL_MS };
    return { ok: true, session, cookieValue: signSession(session, await this.signingKey()) };
  }

  /** The session a request's cookie proves, or null. */
  async sessionOf(request: Request, now = Date.now()): Promise<UiSession | null> {
    const session = verifySession(readCookie(request.headers.cookie, UI_SESSION_COOKIE), await this.signingKey(), now);
    if (!session) return null;
    // A session from before UI_USERNAME changed names someone who is no longer configured.
    if (this.credentials && session.user !== this.credentials.username) return null;
    return session;
  }

  /** Ends every dashboard session, on every instance. */
  endAllSessions(): Promise<void> {
    return this.secret.rotate();
  }

  private async checkMasterKey(input: { master_key?: string }, request: Request): Promise<string> {
    await this.masterKey.require(request, input.master_key, 'That is not the master key');
    return 'admin';
  }

  private async checkPassword(input: { username?: string; password?: string }, request: Request, expected: UiCredentials): Promise<string> {
    return this.throttle.guard(
      clientAddress(request),
      () => {
        const userOk = sameSecret(input.username ?? '', expected.username);
        const passwordOk = sameSecret(input.password ?? '', expected.password);
        if (!userOk || !passwordOk) throw new AuthError(AuthErrorCode.INVALID_KEY, 'Wrong username or password');
        return expected.username;
      },
      isWrongSecret,
    );
  }

  private async signingKey(): Promise<Buffer> {
    const fingerprint = this.credentials ? credentialsFingerprint(this.credentials.username, this.credentials.password) : '';
    return deriveSessionKey(await this.secret.current(), fingerprint);
  }
}
