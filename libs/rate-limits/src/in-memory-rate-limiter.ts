import type { RateDecision, RateLimiter, RateSubject } from './rate-limiter';
import {
  ALLOWED,
  type BucketCounts,
  bucketOf,
  countableTokens,
  denial,
  EMPTY_BUCKET,
  exceededLimit,
  limitedSubjects,
} from './sliding-window';

/**
 * Per-process limits, for a single gateway without Redis. Node runs `admit` to completion without
 * interleaving, so all-or-nothing needs no lock. With several processes each one enforces the
 * full limit on its own share of the traffic: use Redis there.
 */
export class InMemoryRateLimiter implements RateLimiter {
  /** subject id → minute bucket → counts; only the current and previous buckets are kept. */
  private readonly windows = new Map<string, Map<number, BucketCounts>>();
  private lastSweptBucket = Number.NEGATIVE_INFINITY;

  /** How many subjects still hold counters; lets tests see that idle subjects are dropped. */
  get trackedSubjectCount(): number {
    return this.windows.size;
  }

  async admit(subjects: RateSubject[], now = Date.now()): Promise<RateDecision> {
    const limited = limitedSubjects(subjects);
    if (limited.length === 0) return ALLOWED;
    const bucket = bucketOf(now);
    this.sweep(bucket);
    for (const subject of limited) {
      const previous = this.read(subject.id, bucket - 1);
      const current = this.read(subject.id, bucket);
      const exceeded = exceededLimit(subject, previous, current, now);
      if (exceeded === 'rpm') return denial(subject, exceeded, previous.requests, current.requests, now);
      if (exceeded === 'tpm') return denial(subject, exceeded, previous.tokens, current.tokens, now);
    }
    for (const subject of limited) this.write(subject.id, bucket).requests += 1;
    return ALLOWED;
  }

  async recordTokens(subjectIds: string[], tokens: number, now = Date.now()): Promise<void> {
    const counted = countableTokens(tokens);
    if (counted === 0) return;
    const bucket = bucketOf(now);
    this.sweep(bucket);
    for (const id of new Set(subjectIds)) this.write(id, bucket).tokens += counted;
  }

  async close(): Promise<void> {
    this.windows.clear();
  }

  private read(id: string, bucket: number): BucketCounts {
    return this.windows.get(id)?.get(bucket) ?? EMPTY_BUCKET;
  }

  private write(id: string, bucket: number): BucketCounts {
    let buckets = this.windows.get(id);
    if (!buckets) this.windows.set(id, (buckets = new Map()));
    let counts = buckets.get(bucket);
    if (!counts) buckets.set(bucket, (counts = { requests: 0, tokens: 0 }));
    return counts;
  }

  /**
   * Drop buckets that can no longer be read (older than the previous minute) and subjects left
   * with none, at most once per minute so the full scan is amortised over a minute of traffic.
   */
  private sweep(bucket: number): void {
    if (bucket <= this.lastSweptBucket) return;
    this.lastSweptBucket = bucket;
    for (const [id, buckets] of this.windows) {
      for (const start of buckets.keys()) if (start < bucket - 1) buckets.delete(start);
      if (buckets.size === 0) this.windows.delete(id);
    }
  }
}
