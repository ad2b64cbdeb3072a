import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { metricTotal } from '@tollgate/spend';

import { decodeExportRequest } from './otlp-codec';
import { costsDisagree, sessionMetricsOf } from './session-metrics';

const recorded = (name: string) =>
  decodeExportRequest('metrics', name.endsWith('.pb') ? 'protobuf' : 'json', readFileSync(join(__dirname, '__fixtures__', name)));

describe('sessionMetricsOf', () => {
  it('keeps Claude Code cost.usage and active_time.total per session, and ignores the token and session counts', () => {
    const { points, rejected } = sessionMetricsOf(recorded('claude-code-metrics.json'));
    expect(rejected).toBe(0);
    expect(points.map(({ resource: _resource, ...point }) => point)).toEqual([
      {
        sessionId: '96dd1295-47f7-443b-b4ff-769f95c01cb3',
        metric: 'cost_usd',
        series: 'model=claude-opus-4-8[1m]',
        startTimeUnixNano: '1796312613865000000',
        timeUnixNano: '1796312613906000000',
        value: 0.016585,
        cumulative: false,
      },
      {
        sessionId: '96dd1295-47f7-443b-b4ff-769f95c01cb3',
        metric: 'active_seconds',
        series: 'type=cli',
        startTimeUnixNano: '1796312613889000000',
        timeUnixNano: '1796312613906000000',
        value: 0.557,
        cumulative: false,
      },
    ]);
  });

  it('reads the protobuf export identically (the first, before any request, has no consumed points)', () => {
    expect(sessionMetricsOf(recorded('claude-code-metrics-1.pb')).points).toEqual([]);
    expect(sessionMetricsOf(recorded('claude-code-metrics-2.pb')).points.map((p) => [p.metric, p.value])).toEqual([
      ['cost_usd', 0.016585],
      ['active_seconds', 1.808],
    ]);
  });

  it('rejects consumed points without a session', () => {
    const request = recorded('claude-code-metrics.json') as any;
    for (const metric of request.resourceMetrics[0].scopeMetrics[0].metrics) {
      for (const point of metric.sum.dataPoints) point.attributes = [];
    }
    expect(sessionMetricsOf(request)).toMatchObject({ points: [], rejected: 2 });
  });
});

describe('metricTotal', () => {
  const point = (value: number, time: string, cumulative: boolean, start = '1', series = 's') => ({
    series,
    startTimeUnixNano: start,
    timeUnixNano: time,
    value,
    cumulative,
  });

  it('adds deltas', () => {
    expect(metricTotal([point(1.5, '2', false), point(2, '3', false)])).toBe(3.5);
  });

  it('takes the latest point of a cumulative series once, whatever the arrival order, and adds series and restarts', () => {
    expect(metricTotal([point(5, '3', true), point(2, '2', true), point(1, '9', true, '1', 'other'), point(4, '5', true, '4')])).toBe(
      5 + 1 + 4,
    );
  });
});

describe('costsDisagree', () => {
  it('tolerates rounding, not a real difference', () => {
    expect(costsDisagree(0.016585, 16_585_000)).toBe(false);
    expect(costsDisagree(0.0166, 16_585_000)).toBe(false);
    expect(costsDisagree(0.5, 16_585_000)).toBe(true);
  });
});
