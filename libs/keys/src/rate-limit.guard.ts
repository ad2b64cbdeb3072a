import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { RATE_LIMITER, type RateLimiter } from '@tollgate/rate-limits';
import { callerOf } from './caller';

/** `rpm_limit`/`tpm_limit` of the key or its team reached; carries LiteLLM's retry hint. */
export class RateLimitedError extends Error {
  constructor(
    readonly limit: 'rpm' | 'tpm',
    readonly retryAfterSeconds: number,
    subject: string,
    limitValue: number,
  ) {
    super(`Rate limit exceeded for ${subject}: ${limit}_limit is ${limitValue}. Retry after ${retryAfterSeconds}s.`);
    this.name = 'RateLimitedError';
  }
}

/** Admits a request against its key's and team's rpm/tpm limits, after the caller is known. Routes that carry model traffic declare it. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const caller = callerOf(context.switchToHttp().getRequest());
    if (!caller || caller.rateSubjects.length === 0) return true;
    const decision = await this.limiter.admit(caller.rateSubjects);
    if (decision.allowed) return true;
    const subject = decision.subjectId.startsWith('team:') ? `team ${decision.subjectId.slice(5)}` : `key ${caller.keyAlias ?? caller.keyName}`;
    throw new RateLimitedError(decision.limit, decision.retryAfterSeconds, subject, decision.limitValue);
  }
}
