/**
 * Property-based tests of the budget store, on the run's driver: random interleavings of reserve,
 * settle (in batches, as the gateway group-commits them, some replaying a settled request), release, /key/regenerate, budget changes, key deletion and a crash of the instance
 * (with recovery by the next one), with random amounts. A model predicts every outcome; after
 * every step the database must match it to the nano-dollar, `spend + reserved <= max_budget`
 * must hold (unless an admin lowered the budget below what was already committed, in which case
 * nothing new may be admitted until it holds again), and each account's ledger must sum to its
 * spend. When the traffic stops, nothing stays reserved.
 */
import { Logger } from '@nestjs/common';
import type { BudgetAlerts } from '@tollgate/alerts';
import { BudgetAccounts, BudgetExceededError, type BudgetHolder, budgetStoreFor, type Reservation } from '@tollgate/budgets';
import { AccessEpoch, Sql } from '@tollgate/database';
import { ApiKeysRepository, KeysService } from '@tollgate/keys';
import { type LedgerEntry, type Settlement, SpendLedger, SpendLogRepository, UnsettledRecovery } from '@tollgate/spend';
import { TeamsRepository, TeamsService } from '@tollgate/teams';
import fc from 'fast-check';
import { DataSource } from 'typeorm';

import { dataSourceOptions } from '../../apps/gateway/src/database/data-source-options';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/test-database';

/** Property runs and the longest operation sequence per run (TOLLGATE_PROPERTY_RUNS overrides). */
const RUNS = Number(process.env.TOLLGATE_PROPERTY_RUNS ?? 150);
const MAX_STEPS = 40;
/** Budget changes here are not about alerts. */
const NO_ALERTS = { budgetChanged: () => undefined, spent: () => undefined } as unknown as BudgetAlerts;

type Op =
  | { kind: 'reserve'; key: number; amount: number }
  | { kind: 'settle'; calls: { pick: number; percent: number }[]; replay: boolean }
  | { kind: 'release'; pick: number }
  | { kind: 'regenerate'; key: number }
  | { kind: 'budget'; target: 'team' | 0 | 1; max: number | null }
  | { kind: 'delete'; key: number }
  | { kind: 'crash' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('reserve' as const),
      key: fc.integer({ min: 0, max: 1 }),
      amount: fc.integer({ min: 1, max: 4_000 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      calls: fc.array(fc.record({ pick: fc.nat(), percent: fc.integer({ min: 0, max: 100 }) }), { minLength: 1, maxLength: 4 }),
      replay: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('regenerate' as const), key: fc.integer({ min: 0, max: 1 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('budget' as const),
      target: fc.constantFrom('team' as const, 0 as const, 1 as const),
      max: fc.option(fc.integer({ min: 0, max: 12_000 }), { nil: null }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const) }) },
);

interface Account {
  max: number | null;
  spend: number;
  reserved: number;
  /** An admin lowered max below spend + reserved; the invariant resumes once usage is back under it. */
  overLowered: boolean;
}

interface Flight {
  reservation: Reservation;
  key: number;
  instance: string;
}

describe(`budget store properties (${testDatabaseKind()})`, () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let sql: Sql;
  let budgets: BudgetAccounts;
  let ledger: SpendLedger;
  let keys: KeysService;
  let teams: TeamsService;
  const volume = { runs: 0, steps: 0, reservesAdmitted: 0, reservesRefused: 0, crashes: 0, invariantChecks: 0 };

  beforeAll(async () => {
    // Recovery logs every crash it cleans up; hundreds of them would bury a failure.
    Logger.overrideLogger(['error']);
    database = await createTestDatabase();
    dataSource = new DataSource(dataSourceOptions(database.target));
    await dataSource.initialize();
    sql = Sql.fromDataSource(dataSource);
    budgets = new BudgetAccounts(budgetStoreFor(sql));
    ledger = new SpendLedger(new SpendLogRepository(sql, budgets), NO_ALERTS);
    const epoch = new AccessEpoch(sql);
    teams = new TeamsService(new TeamsRepository(sql, epoch), epoch, NO_ALERTS);
    keys = new KeysService(new ApiKeysRepository(sql, epoch), epoch, teams, NO_ALERTS);
  });

  afterAll(async () => {
    // The volumes the closing note reports.
    console.log(`budget store properties (${testDatabaseKind()}): ${JSON.stringify(volume)}`);
    await dataSource.destroy();
    await database.drop();
  });

  async function runScenario(teamMax: number | null, keyMaxes: (number | null)[], ops: Op[]): Promise<void> {
    volume.runs++;
    let runIndex = 0;
    const teamId = `prop-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    await teams.create({ team_id: teamId, max_budget: teamMax === null ? null : teamMax / 1e9 });
    const team: Account = { max: teamMax, spend: 0, reserved: 0, overLowered: false };
    const created = await Promise.all(
      keyMaxes.map((max) => keys.generate({ team_id: teamId, max_budget: max === null ? null : max / 1e9 })),
    );
    const accounts = created.map((k, i) => ({
      keyId: k.record.keyId,
      token: k.record.token,
      label: k.record.keyName,
      deleted: false,
      model: { max: keyMaxes[i], spend: 0, reserved: 0, overLowered: false } as Account,
    }));
    const flights: Flight[] = [];
    /** Settlements already written: replaying one inside a later batch must move nothing. */
    const settled: Settlement[] = [];
    /** Request id → the key it was charged to, for the per-key ledger sums. */
    const ledgerKey = new Map<string, number>();
    let instance = `instance-${teamId}-0`;

    const holdersOf = (key: number): BudgetHolder[] => [
      { level: 'key', id: accounts[key].keyId, label: accounts[key].label, budgetDuration: null },
      { level: 'team', id: teamId, label: teamId, budgetDuration: null },
    ];
    const charge = (flight: Flight, actual: number) => {
      for (const account of [accounts[flight.key].model, team]) {
        account.spend += actual;
        account.reserved -= flight.reservation.amountNanos;
      }
      ledgerKey.set(flight.reservation.requestId, flight.key);
    };
    const fits = (account: Account, amount: number) => account.max === null || account.spend + account.reserved + amount <= account.max;

    const entry = (flight: Flight, spendNanos: number): LedgerEntry => ({
      requestId: flight.reservation.requestId,
      apiKey: accounts[flight.key].token,
      teamId,
      endUser: null,
      modelGroup: 'm',
      model: 'm',
      deploymentId: 'm#0',
      provider: 'openai',
      apiBase: null,
      callType: 'chat_completion',
      status: 'success',
      tokens: { promptTokens: 0, completionTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
      spendNanos,
      unpriced: false,
      attemptedFallbacks: 0,
      startTime: 0,
      endTime: Date.now(),
      ttftMs: null,
      sessionId: null,
      error: null,
      metadata: {},
    });

    async function checkInvariants(): Promise<void> {
      volume.invariantChecks++;
      const teamRow = await sql.query<{ spend_nanos: unknown; reserved_nanos: unknown }>(
        `SELECT spend_nanos, reserved_nanos FROM teams WHERE team_id = ?`,
        [teamId],
      );
      const checks: [Account, { spend_nanos: unknown; reserved_nanos: unknown }][] = [[team, teamRow.rows[0]]];
      for (const account of accounts) {
        if (account.deleted) continue;
        const row = await sql.query<{ spend_nanos: unknown; reserved_nanos: unknown }>(
          `SELECT spend_nanos, reserved_nanos FROM api_keys WHERE key_id = ?`,
          [account.keyId],
        );
        checks.push([account.model, row.rows[0]]);
      }
      for (const [model, row] of checks) {
        expect({ spend: Number(row.spend_nanos), reserved: Number(row.reserved_nanos) }).toEqual({
          spend: model.spend,
          reserved: model.reserved,
        });
        if (model.max !== null && model.spend + model.reserved <= model.max) model.overLowered = false;
        if (model.max !== null && !model.overLowered) expect(model.spend + model.reserved).toBeLessThanOrEqual(model.max);
      }
      const rows = await sql.query<{ request_id: string; spend_nanos: unknown }>(
        `SELECT request_id, spend_nanos FROM spend_logs WHERE team_id = ?`,
        [teamId],
      );
      const sums = [0, 0];
      let teamSum = 0;
      for (const row of rows.rows) {
        teamSum += Number(row.spend_nanos);
        sums[ledgerKey.get(row.request_id)!] += Number(row.spend_nanos);
      }
      expect(teamSum).toBe(team.spend);
      accounts.forEach((account, i) => {
        if (!account.deleted) expect(sums[i]).toBe(account.model.spend);
      });
    }

    for (const op of ops) {
      volume.steps++;
      const pick = (n: number) => flights.splice(n % flights.length, 1)[0];
      switch (op.kind) {
        case 'reserve': {
          const account = accounts[op.key];
          const requestId = `${teamId}-r${runIndex++}`;
          const expected = !account.deleted && fits(account.model, op.amount) && fits(team, op.amount);
          const outcome = await budgets
            .reserve({
              requestId,
              instanceId: instance,
              apiKey: account.token,
              holders: holdersOf(op.key),
              amountNanos: op.amount,
              modelGroup: 'm',
              deploymentId: 'm#0',
              provider: 'openai',
            })
            .catch((error: unknown) => error);
          if (expected) {
            expect(outcome).not.toBeInstanceOf(Error);
            // What x-litellm-key-spend starts from: the key's settled spend, read by the reserving statement.
            expect((outcome as Reservation).keySpendNanos).toBe(account.model.spend);
            flights.push({ reservation: outcome as Reservation, key: op.key, instance });
            account.model.reserved += op.amount;
            team.reserved += op.amount;
            volume.reservesAdmitted++;
          } else {
            expect(outcome).toBeInstanceOf(BudgetExceededError);
            volume.reservesRefused++;
          }
          break;
        }
        case 'settle': {
          // Calls that finished in one event-loop turn, written as one batch.
          const batch: Settlement[] = [];
          for (const call of op.calls) {
            if (flights.length === 0) break;
            const flight = pick(call.pick);
            const actual = Math.floor((flight.reservation.amountNanos * call.percent) / 100);
            batch.push({ entry: entry(flight, actual), holders: flight.reservation.holders });
            charge(flight, actual);
          }
          if (op.replay && settled.length > 0) batch.push(settled[op.calls[0].pick % settled.length]);
          if (batch.length === 0) break;
          await ledger.settle(batch);
          settled.push(...batch);
          break;
        }
        case 'release': {
          if (flights.length === 0) break;
          const flight = pick(op.pick);
          await budgets.release(flight.reservation);
          for (const account of [accounts[flight.key].model, team]) account.reserved -= flight.reservation.amountNanos;
          break;
        }
        case 'regenerate': {
          const account = accounts[op.key];
          if (account.deleted) break;
          account.token = (await keys.regenerate(account.token)).record.token;
          break;
        }
        case 'budget': {
          const model = op.target === 'team' ? team : accounts[op.target].model;
          if (op.target !== 'team' && accounts[op.target].deleted) break;
          const usd = op.max === null ? null : op.max / 1e9;
          if (op.target === 'team') await teams.update(teamId, { max_budget: usd });
          else await keys.update(accounts[op.target].token, { max_budget: usd });
          model.max = op.max;
          model.overLowered = op.max !== null && model.spend + model.reserved > op.max;
          break;
        }
        case 'delete': {
          const account = accounts[op.key];
          if (account.deleted) break;
          await keys.delete({ keys: [account.token] });
          account.deleted = true;
          break;
        }
        case 'crash': {
          // This instance dies with its calls in flight; the next one charges them at their reserved amount.
          volume.crashes++;
          instance = `instance-${teamId}-${runIndex++}`;
          await new UnsettledRecovery(budgetStoreFor(sql), ledger, instance).sweep();
          for (const flight of flights.splice(0)) charge(flight, flight.reservation.amountNanos);
          break;
        }
      }
      await checkInvariants();
    }

    // Quiet: every call still in flight ends; nothing may stay reserved anywhere.
    for (const flight of flights.splice(0)) {
      await budgets.release(flight.reservation);
      for (const account of [accounts[flight.key].model, team]) account.reserved -= flight.reservation.amountNanos;
    }
    await checkInvariants();
    expect(team.reserved).toBe(0);
    for (const account of accounts) expect(account.model.reserved).toBe(0);
  }

  it(`spend + reserved <= max after every step, ledger == spend, reserved back to 0 when quiet (${RUNS} runs × up to ${MAX_STEPS} steps)`, async () => {
    const maxArb = fc.option(fc.integer({ min: 0, max: 12_000 }), { nil: null, freq: 4 });
    await fc.assert(
      fc.asyncProperty(
        maxArb,
        fc.tuple(maxArb, maxArb),
        fc.array(opArb, { minLength: 5, maxLength: MAX_STEPS }),
        (teamMax, keyMaxes, ops) => runScenario(teamMax, keyMaxes, ops),
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});
