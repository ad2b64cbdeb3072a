import type { Metric, Registry } from 'prom-client';

import { LatencyHistogram } from './latency-histogram';
import type { Series, SeriesTable } from './series-table';

interface Sample {
  metricName?: string;
  labels: Record<string, string>;
  value: number;
}

/** One exposed metric read from a SeriesTable: which labels it keeps and which number it shows. */
export type SeriesMetric<T> = {
  name: string;
  help: string;
  labelNames: readonly string[];
  labelOf: (series: Series<T>, name: string) => string;
  /** Leaves series out of this metric (failures only, fallbacks only…). */
  include?: (series: Series<T>) => boolean;
} & ({ type: 'counter'; valueOf: (value: T) => number } | { type: 'histogram'; histogramOf: (value: T) => LatencyHistogram | undefined });

/**
 * A prom-client metric whose samples are computed at scrape time from a SeriesTable: series that
 * agree on this metric's labels are summed (counters) or merged (histograms). prom-client's own
 * Counter and Histogram hash their labels on every update; counting in plain numbers and
 * projecting here keeps the request path at a few map lookups. A counter series appears once it is non-zero.
 */
export class SeriesCollector<T> {
  readonly aggregator = 'sum';

  constructor(
    private readonly table: SeriesTable<T>,
    private readonly metric: SeriesMetric<T>,
  ) {}

  get name(): string {
    return this.metric.name;
  }

  get help(): string {
    return this.metric.help;
  }

  get type(): 'counter' | 'histogram' {
    return this.metric.type;
  }

  /** The registry duck-types metrics by `name` and `get()`; this is not one of prom-client's classes. */
  registerIn(registry: Registry): void {
    registry.registerMetric(this as unknown as Metric);
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() };
  }

  private samples(): Sample[] {
    const metric = this.metric;
    const groups = new Map<string, { labels: Record<string, string>; count: number; histogram?: LatencyHistogram }>();
    for (const series of this.table.series()) {
      if (metric.include && !metric.include(series)) continue;
      const count = metric.type === 'counter' ? metric.valueOf(series.value) : 0;
      const histogram = metric.type === 'histogram' ? metric.histogramOf(series.value) : undefined;
      if (metric.type === 'counter' ? count === 0 : !histogram) continue;
      const values = metric.labelNames.map((name) => metric.labelOf(series, name));
      const key = values.join('\u0000');
      let group = groups.get(key);
      if (!group) {
        group = { labels: Object.fromEntries(metric.labelNames.map((name, i) => [name, values[i]])), count: 0 };
        groups.set(key, group);
      }
      group.count += count;
      if (histogram) (group.histogram ??= new LatencyHistogram()).add(histogram);
    }
    const samples: Sample[] = [];
    for (const { labels, count, histogram } of groups.values()) {
      if (!histogram) {
        samples.push({ labels, value: count });
        continue;
      }
      for (const { le, count: cumulative } of histogram.cumulative()) {
        samples.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: cumulative });
      }
      samples.push({ metricName: `${this.name}_sum`, labels, value: histogram.sum });
      samples.push({ metricName: `${this.name}_count`, labels, value: histogram.count });
    }
    return samples;
  }
}
