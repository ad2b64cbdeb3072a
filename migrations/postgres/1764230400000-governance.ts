import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keys, teams, budget reservations and the spend ledger (PostgreSQL). Same columns as the SQLite set so one set of queries serves both.
 * Money is integer nano-dollars; times are epoch milliseconds, so both drivers share one model.
 */
export class GovernancePostgres1764230400000 implements MigrationInterface {
  name = 'GovernancePostgres1764230400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE gateway_settings (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL
    )`);
    await q.query(`INSERT INTO gateway_settings (name, value) VALUES ('auth_epoch', '0')`);
    await q.query(`CREATE TABLE teams (
      team_id TEXT PRIMARY KEY,
      team_alias TEXT,
      models TEXT NOT NULL DEFAULT '[]',
      max_budget_nanos BIGINT,
      budget_duration TEXT,
      tpm_limit BIGINT,
      rpm_limit BIGINT,
      metadata TEXT NOT NULL DEFAULT '{}',
      blocked SMALLINT NOT NULL DEFAULT 0,
      spend_nanos BIGINT NOT NULL DEFAULT 0,
      reserved_nanos BIGINT NOT NULL DEFAULT 0,
      window_start BIGINT NOT NULL DEFAULT 0,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL
    )`);
    await q.query(`CREATE TABLE api_keys (
      token TEXT PRIMARY KEY,
      key_name TEXT NOT NULL,
      key_alias TEXT,
      team_id TEXT REFERENCES teams(team_id) ON DELETE RESTRICT,
      user_id TEXT,
      models TEXT NOT NULL DEFAULT '[]',
      max_budget_nanos BIGINT,
      budget_duration TEXT,
      tpm_limit BIGINT,
      rpm_limit BIGINT,
      expires_at BIGINT,
      metadata TEXT NOT NULL DEFAULT '{}',
      blocked SMALLINT NOT NULL DEFAULT 0,
      spend_nanos BIGINT NOT NULL DEFAULT 0,
      reserved_nanos BIGINT NOT NULL DEFAULT 0,
      window_start BIGINT NOT NULL DEFAULT 0,
      last_used_at BIGINT,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL
    )`);
    await q.query(`CREATE INDEX api_keys_team ON api_keys (team_id)`);
    await q.query(`CREATE UNIQUE INDEX api_keys_alias ON api_keys (key_alias) WHERE key_alias IS NOT NULL`);
    await q.query(`CREATE TABLE budget_reservations (
      request_id TEXT PRIMARY KEY,
      token TEXT NOT NULL,
      team_id TEXT,
      amount_nanos BIGINT NOT NULL,
      instance_id TEXT NOT NULL,
      model_group TEXT,
      deployment_id TEXT,
      provider TEXT,
      created_at BIGINT NOT NULL
    )`);
    await q.query(`CREATE INDEX budget_reservations_instance ON budget_reservations (instance_id, created_at)`);
    await q.query(`CREATE TABLE gateway_instances (
      instance_id TEXT PRIMARY KEY,
      heartbeat_at BIGINT NOT NULL
    )`);
    await q.query(`CREATE TABLE spend_logs (
      request_id TEXT PRIMARY KEY,
      api_key TEXT,
      team_id TEXT,
      end_user TEXT,
      model_group TEXT,
      model TEXT,
      deployment_id TEXT,
      provider TEXT,
      api_base TEXT,
      call_type TEXT NOT NULL,
      status TEXT NOT NULL,
      prompt_tokens BIGINT NOT NULL DEFAULT 0,
      completion_tokens BIGINT NOT NULL DEFAULT 0,
      cache_read_tokens BIGINT NOT NULL DEFAULT 0,
      cache_write_tokens BIGINT NOT NULL DEFAULT 0,
      total_tokens BIGINT NOT NULL DEFAULT 0,
      spend_nanos BIGINT NOT NULL DEFAULT 0,
      unpriced SMALLINT NOT NULL DEFAULT 0,
      attempted_fallbacks BIGINT NOT NULL DEFAULT 0,
      start_time BIGINT NOT NULL,
      end_time BIGINT NOT NULL,
      latency_ms BIGINT NOT NULL,
      ttft_ms BIGINT,
      session_id TEXT,
      error TEXT,
      metadata TEXT NOT NULL DEFAULT '{}'
    )`);
    await q.query(`CREATE INDEX spend_logs_time ON spend_logs (start_time DESC)`);
    await q.query(`CREATE INDEX spend_logs_key_time ON spend_logs (api_key, start_time DESC)`);
    await q.query(`CREATE INDEX spend_logs_team_time ON spend_logs (team_id, start_time DESC)`);
    await q.query(`CREATE INDEX spend_logs_user_time ON spend_logs (end_user, start_time DESC)`);
    await q.query(`CREATE INDEX spend_logs_session ON spend_logs (session_id, start_time DESC) WHERE session_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['spend_logs', 'gateway_instances', 'budget_reservations', 'api_keys', 'teams', 'gateway_settings']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
