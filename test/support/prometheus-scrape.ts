/**
 * A /metrics scrape parsed by a real Prometheus text-format parser (parse-prometheus-text-format,
 * ported from the Prometheus Python client's parser), with lookups by metric name and labels.
 *
 * That parser folds every labelled series of a histogram into one sample and drops their labels,
 * `_count` and `_sum`; so a histogram's HELP and TYPE lines are set aside before parsing, and its
 * `_bucket`, `_sum` and `_count` lines are read as the plain samples they are.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

interface ParsedSample {
  value: string;
  labels?: Record<string, string>;
}

interface ParsedFamily {
  name: string;
  help: string;
  type: string;
  metrics: ParsedSample[];
}

export class Scrape {
  private readonly families = new Map<string, ParsedFamily>();
  private readonly histograms: Set<string>;

  constructor(readonly text: string) {
    this.histograms = new Set([...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((match) => match[1]));
    const histogramHeader = (line: string) => /^# (HELP|TYPE) /.test(line) && this.histograms.has(line.split(' ')[2]);
    const parseable = text
      .split('\n')
      .filter((line) => !histogramHeader(line))
      .join('\n');
    for (const family of parsePrometheusTextFormat(parseable) as ParsedFamily[]) {
      const known = this.families.get(family.name);
      if (known) known.metrics.push(...family.metrics);
      else this.families.set(family.name, family);
    }
  }

  type(name: string): string | undefined {
    return this.histograms.has(name) ? 'HISTOGRAM' : this.families.get(name)?.type;
  }

  /** Samples of `name` whose labels include `labels`. */
  samples(name: string, labels: Record<string, string> = {}): ParsedSample[] {
    const family = this.families.get(name);
    if (!family) return [];
    return family.metrics.filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value));
  }

  /** The sum of the matching samples' values (counters and gauges); 0 when none match. */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.samples(name, labels).reduce((total, sample) => total + Number(sample.value), 0);
  }

  /** The total observation count of the matching histogram series. */
  histogramCount(name: string, labels: Record<string, string> = {}): number {
    return this.sum(`${name}_count`, labels);
  }

  /** The `le` bounds of the matching histogram series' buckets. */
  bucketBounds(name: string, labels: Record<string, string> = {}): string[] {
    return [...new Set(this.samples(`${name}_bucket`, labels).map((sample) => sample.labels?.le ?? ''))];
  }
}
