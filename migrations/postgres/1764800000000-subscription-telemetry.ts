import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Subscription tools (Claude Code, Codex) reporting over OTLP: ledger rows gain their source, the
 * tool that reported them and the cost the tool itself reported; per-session metric points
 * (cost, active time) are kept once each, keyed so an exporter's retry adds nothing.
 */
export class SubscriptionTelemetryPostgres1764800000000 implements MigrationInterface {
  name = 'SubscriptionTelemetryPostgres1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE spend_logs ADD COLUMN source TEXT NOT NULL DEFAULT 'gateway'`);
    await q.query(`ALTER TABLE spend_logs ADD COLUMN client_tool TEXT`);
    await q.query(`ALTER TABLE spend_logs ADD COLUMN client_tool_version TEXT`);
    await q.query(`ALTER TABLE spend_logs ADD COLUMN reported_cost_nanos BIGINT`);
    await q.query(`CREATE TABLE subscription_metric_points (
      client_tool TEXT NOT NULL,
      session_id TEXT NOT NULL,
      metric TEXT NOT NULL,
      series TEXT NOT NULL,
      start_time_unix_nano TEXT NOT NULL,
      time_unix_nano TEXT NOT NULL,
      value DOUBLE PRECISION NOT NULL,
      cumulative SMALLINT NOT NULL,
      api_key TEXT,
      team_id TEXT,
      received_at BIGINT NOT NULL,
      PRIMARY KEY (client_tool, session_id, metric, series, start_time_unix_nano, time_unix_nano)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE subscription_metric_points`);
    for (const column of ['reported_cost_nanos', 'client_tool_version', 'client_tool', 'source']) {
      await q.query(`ALTER TABLE spend_logs DROP COLUMN ${column}`);
    }
  }
}
