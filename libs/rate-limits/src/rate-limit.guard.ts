import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { type Caller, callerOf } from '@tollgate/keys';

import { RATE_LIMITER, type RateLimiter } from './rate-limiter';
import { RateLimitedError } from './rate-limits.errors';

/** Admits a request against its key's and team's rpm/tpm limits, after the caller is known. Routes that carry model traffic declare it. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(@Inject(RATE_LIMITER) private readonly limiter: RateLimiter) {}

  /** Synchronous for callers without limits: Nest awaits only a guard that returns a promise. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const caller = callerOf(context.switchToHttp().getRequest());
    if (!caller || caller.rateSubjects.length === 0) return true;
    return this.admit(caller);
  }

  private async admit(caller: Caller): Promise<boolean> {
    const decision = await this.limiter.admit(caller.rateSubjects);
    if (decision.allowed) return true;
    const subject = decision.subjectId.startsWith('team:')
      ? `team ${decision.subjectId.slice(5)}`
      : `key ${caller.keyAlias ?? caller.keyName}`;
    throw new RateLimitedError(decision.limit, decision.retryAfterSeconds, subject, decision.limitValue);
  }
}
