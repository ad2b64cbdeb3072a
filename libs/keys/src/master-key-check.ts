import { Injectable } from '@nestjs/common';
import type { Request } from 'express';

import { AuthError, AuthErrorCode } from './auth.errors';
import { AuthThrottle, clientAddress, isWrongSecret } from './auth-throttle';
import { MasterKeyService } from './master-key.service';

/** Checks a presented master key under the failed-authentication throttle: every master-key route uses this. */
@Injectable()
export class MasterKeyCheck {
  constructor(
    private readonly masterKey: MasterKeyService,
    private readonly throttle: AuthThrottle,
  ) {}

  /** Throws 401 for a missing or wrong key, 429 for an address that has guessed too often. */
  async require(
    request: Request,
    secret: string | undefined,
    message = 'This admin route needs the master key (Authorization: Bearer <LITELLM_MASTER_KEY>)',
  ): Promise<void> {
    if (!secret) throw new AuthError(AuthErrorCode.MASTER_KEY_REQUIRED, message);
    await this.throttle.guard(
      clientAddress(request),
      () => {
        if (!this.masterKey.matches(secret)) throw new AuthError(AuthErrorCode.MASTER_KEY_REQUIRED, message);
      },
      isWrongSecret,
    );
  }

  /** For routes that answer everyone but tell the master key more (/health): a wrong key still counts as a guess. */
  async presented(request: Request, secret: string | undefined): Promise<boolean> {
    if (!secret) return false;
    try {
      await this.require(request, secret);
      return true;
    } catch (error) {
      if (error instanceof AuthError) return false;
      throw error;
    }
  }
}
