export enum RateLimitErrorCode {
  STORE_UNAVAILABLE = 'rate_limit_store_unavailable',
}

/**
 * The shared counter store could not be reached in time. Limits cannot be enforced, so the request
 * must not go through; the gateway answers 503 rather than 429, since the caller did nothing wrong.
 */
export class RateLimitStoreUnavailableError extends Error {
  readonly code = RateLimitErrorCode.STORE_UNAVAILABLE;

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Rate limit store is unavailable: ${reason}`, options);
    this.name = 'RateLimitStoreUnavailableError';
  }
}

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
