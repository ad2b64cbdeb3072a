/** A data point of a per-session OTLP metric, as stored in subscription_metric_points. */
export interface MetricPoint {
  /** The data point's distinguishing attributes (model, type…), so series of one metric stay apart. */
  series: string;
  startTimeUnixNano: string;
  timeUnixNano: string;
  value: number;
  /** OTLP AGGREGATION_TEMPORALITY_CUMULATIVE (2): each point repeats the running total; else a delta. */
  cumulative: boolean;
}

/** A stored point (a subscription_metric_points row) as a MetricPoint. */
export function metricPointFromRow(row: Record<string, unknown>): MetricPoint {
  return {
    series: String(row.series),
    startTimeUnixNano: String(row.start_time_unix_nano),
    timeUnixNano: String(row.time_unix_nano),
    value: Number(row.value),
    cumulative: Number(row.cumulative) === 1,
  };
}

/**
 * A session's total of one metric from its stored points: deltas add up; a cumulative series
 * counts once, at its latest point (per series and start time, as a restart begins a new one).
 */
export function metricTotal(points: MetricPoint[]): number {
  let total = 0;
  const latest = new Map<string, { time: bigint; value: number }>();
  for (const point of points) {
    if (!point.cumulative) {
      total += point.value;
      continue;
    }
    const key = `${point.series}\u0000${point.startTimeUnixNano}`;
    const time = BigInt(point.timeUnixNano);
    const seen = latest.get(key);
    if (!seen || time > seen.time) latest.set(key, { time, value: point.value });
  }
  for (const { value } of latest.values()) total += value;
  return total;
}
