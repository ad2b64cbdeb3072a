import type { MetricPoint } from '@tollgate/spend';

import { attributesOf, stringAttribute } from './otlp-attributes';
import { type ReportingResource, resourceOf } from './reported-calls';

/** The per-session metrics Tollgate keeps: Claude Code's `claude_code.cost.usage` and `claude_code.active_time.total`. */
export type SessionMetric = 'cost_usd' | 'active_seconds';

const CONSUMED: Record<string, SessionMetric> = {
  'claude_code.cost.usage': 'cost_usd',
  'claude_code.active_time.total': 'active_seconds',
};

/** One data point of a consumed metric, for one session. */
export interface SessionMetricPoint extends MetricPoint {
  resource: ReportingResource;
  sessionId: string;
  metric: SessionMetric;
}

export interface MappedMetrics {
  points: SessionMetricPoint[];
  /** Data points of consumed metrics that cannot be used (no session.id, no value). */
  rejected: number;
}

const CUMULATIVE = 2;

function nanosText(value: unknown): string {
  const text = String(value ?? '0');
  return /^\d{1,20}$/.test(text) ? text : '0';
}

/**
 * The consumed points of an ExportMetricsServiceRequest (OTLP/JSON shape). Other metrics (token
 * and session counts, which the events already carry) are accepted and ignored.
 */
export function sessionMetricsOf(request: Record<string, unknown>): MappedMetrics {
  const mapped: MappedMetrics = { points: [], rejected: 0 };
  const resourceMetrics = Array.isArray(request.resourceMetrics) ? (request.resourceMetrics as Record<string, unknown>[]) : [];
  for (const resourceMetric of resourceMetrics) {
    const resource = resourceOf(resourceMetric?.resource);
    const scopes = Array.isArray(resourceMetric?.scopeMetrics) ? (resourceMetric.scopeMetrics as Record<string, unknown>[]) : [];
    for (const scope of scopes) {
      const metrics = Array.isArray(scope?.metrics) ? (scope.metrics as Record<string, unknown>[]) : [];
      for (const metric of metrics) {
        const consumed = resource.tool === 'claude-code' ? CONSUMED[String(metric?.name)] : undefined;
        if (!consumed) continue;
        const data = (metric.sum ?? metric.gauge) as { dataPoints?: unknown; aggregationTemporality?: unknown } | undefined;
        const cumulative = metric.gauge !== undefined || Number(data?.aggregationTemporality) === CUMULATIVE;
        for (const point of Array.isArray(data?.dataPoints) ? (data.dataPoints as Record<string, unknown>[]) : []) {
          const attributes = attributesOf(point?.attributes);
          const sessionId = stringAttribute(attributes, 'session.id');
          const value = Number(point?.asDouble ?? point?.asInt);
          if (!sessionId || !Number.isFinite(value) || value < 0) {
            mapped.rejected++;
            continue;
          }
          const series = Object.keys(attributes)
            .filter((key) => key === 'model' || key === 'type')
            .sort()
            .map((key) => `${key}=${String(attributes[key])}`)
            .join(',');
          mapped.points.push({
            resource,
            sessionId: sessionId.slice(0, 128),
            metric: consumed,
            series,
            startTimeUnixNano: nanosText(point.startTimeUnixNano),
            timeUnixNano: nanosText(point.timeUnixNano),
            value,
            cumulative,
          });
        }
      }
    }
  }
  return mapped;
}

/** Cents of rounding tolerated between the cost the metrics report and the sum of the events' costs. */
export const COST_TOLERANCE_USD = 0.01;

/** Whether the metric stream's cost total and the events' disagree by more than rounding. */
export function costsDisagree(metricUsd: number, eventNanos: number): boolean {
  return Math.abs(metricUsd - eventNanos / 1e9) > COST_TOLERANCE_USD;
}
