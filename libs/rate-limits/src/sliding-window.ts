import type { RateDecision, RateLimitKind, RateSubject } from './rate-limiter';

/**
 * Sliding-window counter: a fixed bucket per clock minute, and the estimate for the last 60 s is
 * the current bucket plus the previous bucket weighted by the share of it still inside the window.
 * A burst at the end of one minute therefore still counts, almost fully, at the start of the next,
 * so a minute boundary cannot double the limit (a plain fixed window would allow 2× there).
 * Same scheme as LiteLLM's v3 limiter and Envoy's; see
 * https://blog.cloudflare.com/counting-things-a-lot-of-different-things/
 *
 * All comparisons are done on integers scaled by the window length in ms (count × ms) rather than
 * on fractional weights: the Redis Lua script repeats them, and both sides must agree to the unit
 * at exact boundaries, which floating-point weights like 1 − 1/3 do not guarantee.
 */
export const WINDOW_MS = 60_000;

/** A bucket is read while current and while previous, so it must outlive two windows. */
export const BUCKET_TTL_SECONDS = 120;

export interface BucketCounts {
  requests: number;
  tokens: number;
}

export const EMPTY_BUCKET: Readonly<BucketCounts> = Object.freeze({ requests: 0, tokens: 0 });

/** A subject with at least one limit, and each limit pre-scaled to the largest admissible weighted count. */
export interface LimitedSubject {
  id: string;
  rpmLimit: number | null;
  tpmLimit: number | null;
  /** Admit while previous × remainingMs + current × WINDOW_MS ≤ this; null when unlimited. */
  maxWeightedRequests: number | null;
  maxWeightedTokens: number | null;
}

export const ALLOWED: RateDecision = Object.freeze({ allowed: true });

export function bucketOf(now: number): number {
  return Math.floor(now / WINDOW_MS);
}

/** How much of the previous bucket is still inside the window ending at `now`, in ms. */
export function previousBucketOverlapMs(now: number): number {
  return WINDOW_MS - (now - bucketOf(now) * WINDOW_MS);
}

function limitOf(value: number | null | undefined): number | null {
  // Infinity or NaN from a bad config row would otherwise poison the arithmetic; treat them as "no limit".
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * Subjects that have at least one limit. A subject listed twice keeps the stricter of each limit,
 * so it is checked once and counted once.
 */
export function limitedSubjects(subjects: readonly RateSubject[]): LimitedSubject[] {
  const byId = new Map<string, { rpm: number | null; tpm: number | null }>();
  for (const subject of subjects) {
    const rpm = limitOf(subject.rpmLimit);
    const tpm = limitOf(subject.tpmLimit);
    if (rpm === null && tpm === null) continue;
    const seen = byId.get(subject.id);
    byId.set(subject.id, seen ? { rpm: stricter(seen.rpm, rpm), tpm: stricter(seen.tpm, tpm) } : { rpm, tpm });
  }
  return [...byId].map(([id, { rpm, tpm }]) => ({
    id,
    rpmLimit: rpm,
    tpmLimit: tpm,
    // The request being admitted counts too: admit while used + 1 ≤ rpm.
    maxWeightedRequests: rpm === null ? null : (rpm - 1) * WINDOW_MS,
    // Tokens of this request are unknown yet: admit while used < tpm (weighted counts are integers).
    maxWeightedTokens: tpm === null ? null : tpm * WINDOW_MS - 1,
  }));
}

function stricter(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

export function weightedCount(previous: number, current: number, now: number): number {
  return previous * previousBucketOverlapMs(now) + current * WINDOW_MS;
}

/** Which limit, if any, keeps this subject from admitting one more request now. */
export function exceededLimit(subject: LimitedSubject, previous: BucketCounts, current: BucketCounts, now: number): RateLimitKind | null {
  if (subject.maxWeightedRequests !== null && weightedCount(previous.requests, current.requests, now) > subject.maxWeightedRequests)
    return 'rpm';
  if (subject.maxWeightedTokens !== null && weightedCount(previous.tokens, current.tokens, now) > subject.maxWeightedTokens) return 'tpm';
  return null;
}

export function denial(subject: LimitedSubject, limit: RateLimitKind, previous: number, current: number, now: number): RateDecision {
  const maxWeighted = limit === 'rpm' ? subject.maxWeightedRequests : subject.maxWeightedTokens;
  const limitValue = limit === 'rpm' ? subject.rpmLimit : subject.tpmLimit;
  return {
    allowed: false,
    subjectId: subject.id,
    limit,
    limitValue: limitValue as number,
    retryAfterSeconds: retryAfterSeconds(maxWeighted as number, previous, current, now),
  };
}

/**
 * Whole seconds until enough of the window has slid past for the weighted count to fit under
 * `maxWeighted`, assuming no other traffic meanwhile (so an estimate, never 0: a client told to
 * retry at once would just spin).
 */
export function retryAfterSeconds(maxWeighted: number, previous: number, current: number, now: number): number {
  // A limit of 0 (or less) never admits; a minute is a polite, finite answer.
  if (maxWeighted < 0) return WINDOW_MS / 1000;
  const overlapMs = previousBucketOverlapMs(now);
  let waitMs: number;
  if (current * WINDOW_MS <= maxWeighted) {
    // Only the fading previous bucket is in the way: solve previous × (overlap − t) + current × W ≤ max.
    waitMs = previous > 0 ? (previous * overlapMs + current * WINDOW_MS - maxWeighted) / previous : 0;
  } else {
    // The current bucket alone is too much: it must become the previous one and fade in turn,
    // i.e. wait out this bucket, then t′ with current × (W − t′) ≤ max.
    waitMs = (current * overlapMs + current * WINDOW_MS - maxWeighted) / current;
  }
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/** Usage is whole tokens; round partial or bogus values so a counter never goes fractional or down. */
export function countableTokens(tokens: number): number {
  return Number.isFinite(tokens) && tokens > 0 ? Math.ceil(tokens) : 0;
}
