/**
 * Upgrading a database that has keys, and calls in flight, to stable key ids: every key gets its
 * current token as its id, open reservations follow, and a call reserved before the upgrade
 * settles on its key after it — also when the key's secret is regenerated in between.
 */
import { BudgetAccounts, type BudgetHolder, budgetStoreFor } from '@tollgate/budgets';
import { Sql } from '@tollgate/database';
import { DataSource } from 'typeorm';

import { dataSourceOptions } from '../../apps/gateway/src/database/data-source-options';
import { postgresMigrations, sqliteMigrations } from '../../migrations';
import { settleWithRecord } from '../support/ledger-settlement';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

describe('migration to stable key ids, with a call in flight', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('backfills key_id, and the in-flight call settles on the key after a regenerate', async () => {
    const full = dataSourceOptions(database.target);
    const migrations = full.type === 'postgres' ? postgresMigrations : sqliteMigrations;
    const previous = migrations.slice(
      0,
      migrations.findIndex((migration) => migration.name.startsWith('StableKeyId')),
    );
    const before = new DataSource({ ...full, migrations: previous } as typeof full);
    await before.initialize();
    const now = Date.now();
    await before.query(
      `INSERT INTO api_keys (token, key_name, max_budget_nanos, reserved_nanos, created_at, updated_at) VALUES ('old-token', 'sk-...old', 10000, 700, ${now}, ${now})`,
    );
    await before.query(
      `INSERT INTO budget_reservations (request_id, token, amount_nanos, instance_id, created_at) VALUES ('in-flight', 'old-token', 700, 'this-instance', ${now})`,
    );
    await before.destroy();

    const after = new DataSource(full);
    await after.initialize();
    const sql = Sql.fromDataSource(after);
    try {
      expect((await sql.query(`SELECT key_id FROM api_keys WHERE token = 'old-token'`)).rows).toEqual([{ key_id: 'old-token' }]);
      expect((await sql.query(`SELECT key_id FROM budget_reservations WHERE request_id = 'in-flight'`)).rows).toEqual([
        { key_id: 'old-token' },
      ]);
      await sql.query(`UPDATE api_keys SET token = 'new-token' WHERE token = 'old-token'`);

      const holders: BudgetHolder[] = [{ level: 'key', id: 'old-token', label: 'sk-...old', budgetDuration: null }];
      const row = {
        sql: `INSERT INTO spend_logs (request_id, call_type, status, start_time, end_time, latency_ms) VALUES (?, 'chat_completion', 'success', 0, 0, 0) ON CONFLICT (request_id) DO NOTHING`,
        params: ['in-flight'],
      };
      await settleWithRecord(sql, new BudgetAccounts(budgetStoreFor(sql)), row, 'in-flight', holders, 300, now);
      const key = await sql.query<{ spend_nanos: unknown; reserved_nanos: unknown }>(
        `SELECT spend_nanos, reserved_nanos FROM api_keys WHERE token = 'new-token'`,
      );
      expect([Number(key.rows[0].spend_nanos), Number(key.rows[0].reserved_nanos)]).toEqual([300, 0]);
    } finally {
      await after.destroy();
    }
  });
});
