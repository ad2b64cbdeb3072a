import { BudgetAccounts, BudgetExceededError, type BudgetHolder, budgetStoreFor } from '@tollgate/budgets';
import { Sql } from '@tollgate/database';
import { DataSource } from 'typeorm';

import { dataSourceOptions } from '../../apps/gateway/src/database/data-source-options';
import { settleWithRecord } from '../support/ledger-settlement';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The budget invariant at the store level, on the run's driver: however many reservations race,
 * spend + reserved never exceeds max_budget, and settlement swaps reservations for actual cost.
 */
describe('BudgetAccounts', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let sql: Sql;
  let budgets: BudgetAccounts;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource(dataSourceOptions(database.target));
    await dataSource.initialize();
    sql = Sql.fromDataSource(dataSource);
    budgets = new BudgetAccounts(budgetStoreFor(sql));
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  async function seed(teamId: string, teamMax: number | null, keyMax: number | null): Promise<BudgetHolder[]> {
    const now = Date.now();
    await sql.query(`INSERT INTO teams (team_id, max_budget_nanos, created_at, updated_at) VALUES (?, ?, ?, ?)`, [
      teamId,
      teamMax,
      now,
      now,
    ]);
    await sql.query(
      `INSERT INTO api_keys (key_id, token, key_name, team_id, max_budget_nanos, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [`tok-${teamId}`, `tok-${teamId}`, 'sk-...test', teamId, keyMax, now, now],
    );
    return [
      { level: 'key', id: `tok-${teamId}`, label: 'sk-...test', budgetDuration: null },
      { level: 'team', id: teamId, label: teamId, budgetDuration: null },
    ];
  }

  async function balances(teamId: string) {
    const team = await sql.query<{ spend_nanos: unknown; reserved_nanos: unknown }>(
      `SELECT spend_nanos, reserved_nanos FROM teams WHERE team_id = ?`,
      [teamId],
    );
    const key = await sql.query<{ spend_nanos: unknown; reserved_nanos: unknown }>(
      `SELECT spend_nanos, reserved_nanos FROM api_keys WHERE token = ?`,
      [`tok-${teamId}`],
    );
    return {
      team: { spend: Number(team.rows[0].spend_nanos), reserved: Number(team.rows[0].reserved_nanos) },
      key: { spend: Number(key.rows[0].spend_nanos), reserved: Number(key.rows[0].reserved_nanos) },
    };
  }

  const details = (holders: BudgetHolder[], requestId: string, amountNanos: number) => ({
    requestId,
    instanceId: 'test-instance',
    apiKey: holders[0].id,
    holders,
    amountNanos,
    modelGroup: 'm',
    deploymentId: 'm#0',
    provider: 'openai',
  });

  /** The smallest ledger row settlement can record. */
  const ledgerRow = (requestId: string) => ({
    sql: `INSERT INTO spend_logs (request_id, call_type, status, start_time, end_time, latency_ms) VALUES (?, 'chat_completion', 'success', 0, 0, 0)
          ON CONFLICT (request_id) DO NOTHING`,
    params: [requestId],
  });

  it('admits exactly as many racing reservations as fit, never more', async () => {
    const holders = await seed('race', 10_000, null);
    const results = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => budgets.reserve(details(holders, `race-${i}`, 1_000))));
    const admitted = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected');
    expect(admitted).toBe(10);
    expect(refused.every((r) => (r as PromiseRejectedResult).reason instanceof BudgetExceededError)).toBe(true);
    expect(await balances('race')).toEqual({ team: { spend: 0, reserved: 10_000 }, key: { spend: 0, reserved: 10_000 } });
  });

  it('is all or nothing across the key and its team', async () => {
    const holders = await seed('both', 5_000, 2_000);
    await budgets.reserve(details(holders, 'both-1', 2_000));
    await expect(budgets.reserve(details(holders, 'both-2', 1))).rejects.toMatchObject({ level: 'key' });
    expect(await balances('both')).toEqual({ team: { spend: 0, reserved: 2_000 }, key: { spend: 0, reserved: 2_000 } });
  });

  it('settles a reservation into the actual cost, and release gives it back', async () => {
    const holders = await seed('settle', 10_000, null);
    await budgets.reserve(details(holders, 'settle-1', 4_000));
    await budgets.reserve(details(holders, 'settle-2', 4_000));
    const settled = await settleWithRecord(sql, budgets, ledgerRow('settle-1'), 'settle-1', holders, 1_234);
    expect(settled).toEqual({ recorded: true, keySpendNanos: 1_234 });
    // Settling the same request again changes nothing.
    expect(await settleWithRecord(sql, budgets, ledgerRow('settle-1'), 'settle-1', holders, 1_234)).toEqual({
      recorded: false,
      keySpendNanos: null,
    });
    await budgets.release({ requestId: 'settle-2', holders, amountNanos: 4_000, keySpendNanos: 0 });
    expect(await balances('settle')).toEqual({ team: { spend: 1_234, reserved: 0 }, key: { spend: 1_234, reserved: 0 } });
  });

  it('rolls a window over at its boundary, at request time', async () => {
    const holders = (await seed('window', 5_000, null)).map((h) => ({ ...h, budgetDuration: '1d' }));
    const yesterday = Date.parse('2026-11-26T12:00:00Z');
    await budgets.reserve(details(holders, 'window-1', 5_000), yesterday);
    await settleWithRecord(sql, budgets, ledgerRow('window-1'), 'window-1', holders, 5_000, yesterday);
    await expect(budgets.reserve(details(holders, 'window-2', 1), yesterday + 1_000)).rejects.toBeInstanceOf(BudgetExceededError);
    await expect(budgets.reserve(details(holders, 'window-3', 5_000), Date.parse('2026-11-27T00:00:00Z'))).resolves.toBeDefined();
  });
});
