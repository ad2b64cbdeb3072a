/** Whose traffic a limit applies to, with LiteLLM's `rpm_limit` / `tpm_limit`; null or absent means unlimited. */
export interface RateSubject {
  /** Namespaced so a key and a team can never share a counter, e.g. `key:<sha256>` or `team:<id>`. */
  id: string;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
}

export type RateLimitKind = 'rpm' | 'tpm';

export type RateDecision =
  { allowed: true } | { allowed: false; subjectId: string; limit: RateLimitKind; limitValue: number; retryAfterSeconds: number };

export interface RateLimiter {
  /**
   * Atomically: if every subject is under its rpm limit and its tokens used in the last minute are
   * under its tpm limit, count one request for every subject and allow; otherwise count nothing and
   * deny (all or nothing). Subjects without limits are ignored.
   */
  admit(subjects: RateSubject[], now?: number): Promise<RateDecision>;
  /** Add tokens actually used (known only after the call) to each subject's tpm counter. */
  recordTokens(subjectIds: string[], tokens: number, now?: number): Promise<void>;
  close(): Promise<void>;
}

export const RATE_LIMITER = Symbol('RATE_LIMITER');
