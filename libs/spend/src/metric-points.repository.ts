import { Injectable } from '@nestjs/common';
import { inChunks, Sql } from '@tollgate/database';

import { type MetricPoint, metricPointFromRow } from './metric-total';

/** A session metric data point as a subscription tool exported it, with who reported it. */
export interface ReportedMetricPoint extends MetricPoint {
  clientTool: string;
  sessionId: string;
  metric: string;
  apiKey: string | null;
  teamId: string | null;
  receivedAt: number;
}

/**
 * `subscription_metric_points`: the session metrics subscription tools export over OTLP. A point
 * is keyed by its tool, session, metric, series and times, so an exporter's retry is a no-op.
 */
@Injectable()
export class MetricPointsRepository {
  constructor(private readonly sql: Sql) {}

  async insert(point: ReportedMetricPoint): Promise<void> {
    await this.sql.query(
      `INSERT INTO subscription_metric_points (client_tool, session_id, metric, series, start_time_unix_nano, time_unix_nano, value, cumulative, api_key, team_id, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (client_tool, session_id, metric, series, start_time_unix_nano, time_unix_nano) DO NOTHING`,
      [
        point.clientTool,
        point.sessionId,
        point.metric,
        point.series,
        point.startTimeUnixNano,
        point.timeUnixNano,
        point.value,
        point.cumulative ? 1 : 0,
        point.apiKey,
        point.teamId,
        point.receivedAt,
      ],
    );
  }

  /** One tool's points of one metric in one session. */
  async ofSession(clientTool: string, sessionId: string, metric: string): Promise<MetricPoint[]> {
    const points = await this.sql.query(
      `SELECT series, start_time_unix_nano, time_unix_nano, value, cumulative FROM subscription_metric_points WHERE client_tool = ? AND session_id = ? AND metric = ?`,
      [clientTool, sessionId, metric],
    );
    return points.rows.map(metricPointFromRow);
  }

  /** A metric's points per session, for many sessions. */
  async ofSessions(metric: string, sessionIds: string[]): Promise<Map<string, MetricPoint[]>> {
    const rows = await inChunks(sessionIds, (chunk, list) =>
      this.sql.query(
        `SELECT session_id, series, start_time_unix_nano, time_unix_nano, value, cumulative FROM subscription_metric_points
          WHERE metric = ? AND session_id IN ${list}`,
        [metric, ...chunk],
      ),
    );
    const points = new Map<string, MetricPoint[]>();
    for (const row of rows) {
      const session = String(row.session_id);
      points.set(session, [...(points.get(session) ?? []), metricPointFromRow(row)]);
    }
    return points;
  }
}
