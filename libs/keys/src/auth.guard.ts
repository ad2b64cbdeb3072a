import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { attachBudgetHolders } from '@tollgate/budgets';
import type { Request } from 'express';

import { AUTH_MODE, AuthMode } from './auth.decorator';
import { AuthError, AuthErrorCode } from './auth.errors';
import { AuthThrottle, clientAddress, isWrongSecret } from './auth-throttle';
import { attachCaller, callerOf, mayCallModel } from './caller';
import { presentedSecret } from './credentials';
import { KeyAuthService } from './key-auth.service';
import { MasterKeyCheck } from './master-key-check';

/**
 * Who is calling and whether they may: the first step of every request. Routes declare what they
 * need with @Auth(); routes that declare nothing need the master key. Wrong secrets are counted per
 * client address and slowed past an allowance (AuthThrottle).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: KeyAuthService,
    private readonly masterKey: MasterKeyCheck,
    private readonly throttle: AuthThrottle,
  ) {}

  /** Synchronous when there is nothing to check: Nest awaits only a guard that returns a promise. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const mode = this.reflector.getAllAndOverride<AuthMode>(AUTH_MODE, [context.getHandler(), context.getClass()]) ?? AuthMode.Master;
    if (mode === AuthMode.Public) return true;
    const request = context.switchToHttp().getRequest<Request>();
    // Global, and named again by routes that spell out their guards: the caller is resolved once.
    if (callerOf(request)) return true;
    return this.authenticate(request, mode);
  }

  private async authenticate(request: Request, mode: AuthMode): Promise<boolean> {
    const secret = presentedSecret(request);

    if (mode === AuthMode.Master) {
      await this.masterKey.require(request, secret);
      return true;
    }
    if (mode === AuthMode.OptionalKey && !secret) return true;

    const caller = await this.throttle.guard(clientAddress(request), () => this.keys.authenticate(secret), isWrongSecret);
    const model = (request.body as { model?: unknown } | undefined)?.model;
    if (typeof model === 'string' && !mayCallModel(caller, model)) {
      throw new AuthError(
        AuthErrorCode.MODEL_NOT_ALLOWED,
        `Key ${caller.keyAlias ?? caller.keyName} is not allowed to call model "${model}"`,
      );
    }
    attachCaller(request, caller);
    attachBudgetHolders(request, caller.budgetHolders);
    return true;
  }
}
