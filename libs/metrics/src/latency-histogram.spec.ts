import { LATENCY_BUCKETS, LatencyHistogram } from './latency-histogram';

describe('LatencyHistogram', () => {
  it("puts an observation on a bound into that bound's bucket, as Prometheus' `le` (less or equal) requires", () => {
    const histogram = new LatencyHistogram();
    histogram.observe(0.005);
    histogram.observe(0.0051);
    const buckets = histogram.cumulative();
    expect(buckets[0]).toEqual({ le: '0.005', count: 1 });
    expect(buckets[1]).toEqual({ le: '0.00625', count: 2 });
  });

  it('counts latencies beyond the largest bound only in +Inf, and keeps sum and count', () => {
    const histogram = new LatencyHistogram();
    histogram.observe(301);
    histogram.observe(2);
    const buckets = histogram.cumulative();
    expect(buckets).toHaveLength(LATENCY_BUCKETS.length + 1);
    expect(buckets.at(-2)).toEqual({ le: '300.0', count: 1 });
    expect(buckets.at(-1)).toEqual({ le: '+Inf', count: 2 });
    expect(histogram.sum).toBe(303);
    expect(histogram.count).toBe(2);
  });

  it('merges another histogram bucket by bucket', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.observe(0.01);
    b.observe(0.01);
    b.observe(7);
    a.add(b);
    expect(a.count).toBe(3);
    expect(a.cumulative().find((bucket) => bucket.le === '0.0125')?.count).toBe(2);
    expect(a.cumulative().find((bucket) => bucket.le === '7.0')?.count).toBe(3);
  });
});
