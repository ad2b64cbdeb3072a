/**
 * LiteLLM's latency buckets, in seconds (litellm/types/integrations/prometheus.py `LATENCY_BUCKETS`),
 * so that dashboards built on its `le` values read Tollgate's histograms unchanged.
 */
export const LATENCY_BUCKETS: readonly number[] = [
  0.005, 0.00625, 0.0125, 0.025, 0.05, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8, 8.5, 9, 9.5, 10, 15, 20, 25, 30,
  60, 120, 180, 240, 300,
];

/**
 * A latency histogram as plain numbers: one observation costs a short scan and two additions,
 * against ~1.5 µs for prom-client's labelled `observe` (label hashing on every call). Read at scrape time.
 */
export class LatencyHistogram {
  /** Observations per bucket, not cumulative; the last slot is above the largest bound (+Inf). */
  readonly counts = new Float64Array(LATENCY_BUCKETS.length + 1);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]) bucket++;
    this.counts[bucket]++;
    this.sum += seconds;
    this.count++;
  }

  add(other: LatencyHistogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    this.sum += other.sum;
    this.count += other.count;
  }

  /** Cumulative counts per upper bound, as Prometheus exposes them, ending with +Inf (= count). */
  cumulative(): { le: string; count: number }[] {
    let running = 0;
    const buckets = LATENCY_BUCKETS.map((bound, i) => ({ le: formatBound(bound), count: (running += this.counts[i]) }));
    buckets.push({ le: '+Inf', count: this.count });
    return buckets;
  }
}

/** Bounds as Python's prometheus_client prints them (`1.0`, not `1`), the form LiteLLM's dashboards query. */
function formatBound(bound: number): string {
  return Number.isInteger(bound) ? bound.toFixed(1) : String(bound);
}
