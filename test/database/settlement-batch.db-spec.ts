/**
 * Group commit on the run's driver: settlements that finish in one event-loop turn are written by
 * one transaction (SQLite) or one statement (PostgreSQL), every one lands, the ledger sums to the
 * spend, a replayed batch charges nothing twice, one settlement the database refuses does not
 * lose the others, and two instances settling the same accounts at once do not deadlock.
 */
import { Logger } from '@nestjs/common';
import type { BudgetAlerts } from '@tollgate/alerts';
import { BudgetAccounts, type BudgetHolder, budgetStoreFor, type Reservation } from '@tollgate/budgets';
import { Sql } from '@tollgate/database';
import { type LedgerEntry, type Settlement, SettlementBatcher, SettlementRetry, SpendLedger, SpendLogRepository } from '@tollgate/spend';
import { DataSource } from 'typeorm';

import { dataSourceOptions } from '../../apps/gateway/src/database/data-source-options';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/test-database';

const NO_ALERTS = { spent: () => undefined } as unknown as BudgetAlerts;

describe(`settlement batches (${testDatabaseKind()})`, () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let sql: Sql;
  let budgets: BudgetAccounts;
  let ledger: SpendLedger;
  const retries: SettlementRetry[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    database = await createTestDatabase();
    dataSource = new DataSource(dataSourceOptions(database.target));
    await dataSource.initialize();
    sql = Sql.fromDataSource(dataSource);
    budgets = new BudgetAccounts(budgetStoreFor(sql));
    ledger = new SpendLedger(new SpendLogRepository(sql, budgets), NO_ALERTS);
  });

  afterEach(() => {
    for (const retry of retries.splice(0)) retry.beforeApplicationShutdown();
    jest.restoreAllMocks();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  function batcher(): { batcher: SettlementBatcher; retry: SettlementRetry } {
    const retry = new SettlementRetry(ledger);
    retries.push(retry);
    return { batcher: new SettlementBatcher(ledger, retry), retry };
  }

  /** A team with `keys` keys, no budget limits; returns each key's holders (key, then team). */
  async function seed(teamId: string, keys: number): Promise<BudgetHolder[][]> {
    const now = Date.now();
    await sql.query(`INSERT INTO teams (team_id, created_at, updated_at) VALUES (?, ?, ?)`, [teamId, now, now]);
    const holders: BudgetHolder[][] = [];
    for (let i = 0; i < keys; i++) {
      const keyId = `${teamId}-key-${i}`;
      await sql.query(`INSERT INTO api_keys (key_id, token, key_name, team_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`, [
        keyId,
        keyId,
        'sk-...test',
        teamId,
        now,
        now,
      ]);
      holders.push([
        { level: 'key', id: keyId, label: keyId, budgetDuration: null },
        { level: 'team', id: teamId, label: teamId, budgetDuration: null },
      ]);
    }
    return holders;
  }

  async function reserve(holders: BudgetHolder[], requestId: string, amountNanos: number): Promise<Reservation> {
    return budgets.reserve({
      requestId,
      instanceId: 'batch-test',
      apiKey: holders[0].id,
      holders,
      amountNanos,
      modelGroup: 'm',
      deploymentId: 'm#0',
      provider: 'openai',
    });
  }

  const settlement = (reservation: Reservation, spendNanos: number, startTime = Date.now()): Settlement => ({
    entry: {
      requestId: reservation.requestId,
      apiKey: reservation.holders[0].id,
      teamId: reservation.holders[1].id,
      endUser: null,
      modelGroup: 'm',
      model: 'm',
      deploymentId: 'm#0',
      provider: 'openai',
      apiBase: null,
      callType: 'chat_completion',
      status: 'success',
      tokens: { promptTokens: 10, completionTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 },
      spendNanos,
      unpriced: false,
      attemptedFallbacks: 0,
      startTime,
      endTime: Date.now(),
      ttftMs: null,
      sessionId: null,
      error: null,
      metadata: { tags: ["it's", 'a "quoted", {braced} value'] },
    } satisfies LedgerEntry,
    holders: reservation.holders,
  });

  async function money(teamId: string) {
    const rows = async (table: string, where: string) =>
      (
        await sql.query<{ id: string; spend_nanos: unknown; reserved_nanos: unknown }>(
          `SELECT ${where} AS id, spend_nanos, reserved_nanos FROM ${table} WHERE team_id = ? ORDER BY ${where}`,
          [teamId],
        )
      ).rows.map((r) => ({ id: r.id, spend: Number(r.spend_nanos), reserved: Number(r.reserved_nanos) }));
    const ledgerRows = await sql.query<{ api_key: string; spend: unknown; requests: unknown }>(
      `SELECT api_key, SUM(spend_nanos) AS spend, COUNT(*) AS requests FROM spend_logs WHERE team_id = ? GROUP BY api_key ORDER BY api_key`,
      [teamId],
    );
    return {
      team: (await rows('teams', 'team_id'))[0],
      keys: await rows('api_keys', 'key_id'),
      ledger: ledgerRows.rows.map((r) => ({ id: r.api_key, spend: Number(r.spend), requests: Number(r.requests) })),
    };
  }

  it('settlements finished in one turn are one transaction or statement, all land, and the ledger sums to the spend', async () => {
    const holders = await seed('turn', 3);
    const reservations = await Promise.all(Array.from({ length: 30 }, (_, i) => reserve(holders[i % 3], `turn-${i}`, 10_000)));
    const { batcher: settlements } = batcher();
    const transactions = jest.spyOn(sql, 'transaction');
    const statements = jest.spyOn(sql, 'query');
    reservations.forEach((reservation, i) => settlements.add(settlement(reservation, 1_000 + i)));
    await settlements.drain();
    // SQLite: one BEGIN IMMEDIATE … COMMIT; PostgreSQL: one round trip, no transaction block.
    expect(transactions.mock.calls.length + statements.mock.calls.length).toBe(1);
    if (testDatabaseKind() === 'sqlite') expect(transactions).toHaveBeenCalledTimes(1);
    jest.restoreAllMocks();

    const spendOf = (key: number) => reservations.reduce((sum, _, i) => sum + (i % 3 === key ? 1_000 + i : 0), 0);
    const after = await money('turn');
    expect(after.keys).toEqual([0, 1, 2].map((k) => ({ id: `turn-key-${k}`, spend: spendOf(k), reserved: 0 })));
    expect(after.team).toEqual({ id: 'turn', spend: spendOf(0) + spendOf(1) + spendOf(2), reserved: 0 });
    expect(after.ledger).toEqual([0, 1, 2].map((k) => ({ id: `turn-key-${k}`, spend: spendOf(k), requests: 10 })));
    const stored = await sql.query<{ metadata: string }>(`SELECT metadata FROM spend_logs WHERE request_id = ?`, ['turn-7']);
    expect(JSON.parse(stored.rows[0].metadata)).toEqual({ tags: ["it's", 'a "quoted", {braced} value'] });
  });

  it('a replayed batch charges nothing twice, and the new settlements in it still land', async () => {
    const holders = await seed('replay', 2);
    const first = await Promise.all([0, 1, 2, 3].map((i) => reserve(holders[i % 2], `replay-${i}`, 5_000)));
    await ledger.settle(first.map((r) => settlement(r, 2_000)));
    const before = await money('replay');
    const late = await reserve(holders[0], 'replay-late', 5_000);
    await ledger.settle([...first.map((r) => settlement(r, 2_000)), settlement(late, 700)]);
    const after = await money('replay');
    expect(after.team).toEqual({ ...before.team, spend: before.team.spend + 700 });
    expect(after.keys[0]).toEqual({ ...before.keys[0], spend: before.keys[0].spend + 700 });
    expect(after.keys[1]).toEqual(before.keys[1]);
    expect(after.ledger.map((l) => l.requests)).toEqual([3, 2]);
    expect(after.team.spend).toBe(after.ledger.reduce((sum, l) => sum + l.spend, 0));
  });

  it('one settlement the database refuses does not lose the others: they land, it waits for its retry', async () => {
    const holders = await seed('poison', 2);
    const reservations = await Promise.all([0, 1, 2, 3, 4].map((i) => reserve(holders[i % 2], `poison-${i}`, 3_000)));
    const { batcher: settlements, retry } = batcher();
    reservations.forEach((reservation, i) =>
      // start_time NaN is stored as NULL (SQLite) or refused as a bigint (PostgreSQL): the whole batch fails.
      settlements.add(settlement(reservation, 1_000, i === 2 ? Number.NaN : Date.now())),
    );
    await settlements.drain();
    const after = await money('poison');
    expect(after.ledger).toEqual([
      { id: 'poison-key-0', spend: 2_000, requests: 2 },
      { id: 'poison-key-1', spend: 2_000, requests: 2 },
    ]);
    // The refused one keeps its reservation (budgets stay safe) and is retried by this instance.
    expect(after.keys).toEqual([
      { id: 'poison-key-0', spend: 2_000, reserved: 3_000 },
      { id: 'poison-key-1', spend: 2_000, reserved: 0 },
    ]);
    expect(after.team).toEqual({ id: 'poison', spend: 4_000, reserved: 3_000 });
    expect(retry.pending).toBe(1);
  });

  it('two instances settling the same keys and team in opposite orders at once, with reservations racing, never deadlock', async () => {
    const holders = await seed('order', 4);
    for (let round = 0; round < 10; round++) {
      const calls = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => reserve(holders[i % 4], `order-${round}-${i}`, 2_000)));
      const forward = calls.slice(0, 4).map((r) => settlement(r, 100));
      const backward = calls
        .slice(4)
        .reverse()
        .map((r) => settlement(r, 100));
      await Promise.all([
        ledger.settle(forward),
        ledger.settle(backward),
        reserve(holders[3], `order-${round}-extra`, 1).then((r) => ledger.settle([settlement(r, 1)])),
      ]);
    }
    const after = await money('order');
    expect(after.team).toEqual({ id: 'order', spend: 10 * (8 * 100 + 1), reserved: 0 });
    expect(after.team.spend).toBe(after.ledger.reduce((sum, l) => sum + l.spend, 0));
  });
});
