import { Injectable } from '@nestjs/common';
import { BudgetAccounts, type BudgetHolder, type BudgetMovement } from '@tollgate/budgets';
import { Sql, toInt, Where } from '@tollgate/database';

import type { TokenCounts } from './cost';
import { type LedgerRow, ledgerRowFromDb } from './ledger-row';
import type { LedgerEntry } from './spend-ledger';
import type { TimeRange } from './spend-query.dto';
import { MAX_STORED_ERROR_CHARS, storableId, storableMetadata, storableText } from './stored-values';
import type { SubscriptionLedgerEntry } from './subscription-ledger';

/** Which ledger rows to read: every filter given must match. */
export interface LedgerFilter {
  requestId?: string;
  apiKey?: string;
  sessionId?: string;
  teamId?: string;
  endUser?: string;
  modelGroup?: string;
  status?: string;
  source?: string;
  range: TimeRange;
  /** Keyset cursor: only rows older than this (start_time, request_id). */
  before?: { startTime: number; requestId: string };
}

/** One team's traffic on one UTC day (`day` counts days since the epoch). */
export interface TeamDay {
  teamId: string | null;
  day: number;
  requests: number;
  tokens: number;
  spendNanos: number;
  errors: number;
  refused: number;
}

/** Spend of one model for one report subject (team, key or end user) on one UTC day. */
export interface SubjectModelDay {
  day: number;
  subject: string | null;
  model: string | null;
  spendNanos: number;
  tokens: number;
}

export type ReportSubject = 'team' | 'api_key' | 'customer';

/**
 * The ledger, `spend_logs`. Every list read is shaped for its indexes — an equality filter on
 * api_key, team_id, end_user or session_id followed by start_time order — and pages with LIMIT,
 * never COUNT(*), so it stays fast at millions of rows. Days are UTC, bucketed as
 * `start_time / 86400000`: integer division on both drivers.
 *
 * Writes: rows and their budget movements (reservation → actual cost) commit together, a batch
 * of settlements at a time — one transaction on SQLite, one statement on PostgreSQL, where
 * budgets supplies the movements as a step. Every INSERT is
 * `ON CONFLICT (request_id) DO NOTHING`, so a request is charged exactly once however often
 * settlement runs. Every client-controlled value is made storable first (stored-values.ts), so no
 * value a caller picks can make the INSERT fail.
 */
@Injectable()
export class SpendLogRepository {
  constructor(
    private readonly sql: Sql,
    private readonly budgets: BudgetAccounts,
  ) {}

  /**
   * Calls through the gateway, written together: on SQLite one transaction, on PostgreSQL one
   * statement. Returns the request ids whose rows were new (the others were settled before and
   * moved nothing this time).
   */
  async insertGatewayCalls(settlements: { entry: LedgerEntry; holders: BudgetHolder[] }[]): Promise<Set<string>> {
    return this.insertSettled(
      GATEWAY_ROW,
      settlements.map(({ entry }) => [
        entry.requestId,
        entry.apiKey,
        entry.teamId,
        storableId(entry.endUser),
        storableId(entry.modelGroup),
        storableId(entry.model),
        entry.deploymentId,
        entry.provider,
        entry.apiBase,
        entry.callType,
        entry.status,
        ...tokenValues(entry.tokens),
        entry.spendNanos,
        entry.unpriced ? 1 : 0,
        entry.attemptedFallbacks,
        entry.startTime,
        entry.endTime,
        Math.max(0, entry.endTime - entry.startTime),
        entry.ttftMs,
        storableId(entry.sessionId),
        entry.error === null ? null : storableText(entry.error, MAX_STORED_ERROR_CHARS),
        storableMetadata(entry.metadata),
        entry.estimated ? 1 : 0,
      ]),
      settlements.map(({ entry, holders }) => ({ requestId: entry.requestId, holders, actualNanos: entry.spendNanos, now: entry.endTime })),
    );
  }

  /** A request a subscription tool reported; false when the same request was recorded before. */
  async insertSubscriptionCall(entry: SubscriptionLedgerEntry, requestId: string, holders: BudgetHolder[]): Promise<boolean> {
    const landed = await this.insertSettled(
      SUBSCRIPTION_ROW,
      [
        [
          requestId,
          entry.apiKey,
          entry.teamId,
          storableId(entry.model),
          storableId(entry.model),
          entry.provider,
          entry.callType,
          'success',
          ...tokenValues(entry.tokens),
          entry.spendNanos,
          entry.unpriced ? 1 : 0,
          entry.startTime,
          entry.endTime,
          Math.max(0, entry.endTime - entry.startTime),
          storableId(entry.sessionId),
          storableMetadata(entry.metadata),
          'subscription',
          storableId(entry.clientTool),
          storableId(entry.clientToolVersion),
          entry.reportedCostNanos,
        ],
      ],
      [{ requestId, holders, actualNanos: entry.spendNanos, now: entry.endTime }],
    );
    return landed.has(requestId);
  }

  /** Ledger rows, newest first; request_id breaks ties so pages never overlap or skip a row. */
  /** Rewrites the key column of every row made under `from`; returns how many rows changed. */
  async relabelApiKey(from: string, to: string): Promise<number> {
    return (await this.sql.query(`UPDATE spend_logs SET api_key = ? WHERE api_key = ?`, [to, from])).changes;
  }

  async newestFirst(filter: LedgerFilter, limit: number, offset = 0): Promise<LedgerRow[]> {
    const where = new Where()
      .equals('request_id', filter.requestId)
      .equals('api_key', filter.apiKey)
      .equals('session_id', filter.sessionId)
      .equals('team_id', filter.teamId)
      .equals('end_user', filter.endUser)
      .equals('model_group', filter.modelGroup)
      .equals('status', filter.status)
      .equals('source', filter.source)
      .within('start_time', filter.range);
    if (filter.before) {
      const { startTime, requestId } = filter.before;
      where.and('start_time < ? OR (start_time = ? AND request_id < ?)', startTime, startTime, requestId);
    }
    const result = await this.sql.query(
      `SELECT * FROM spend_logs ${where.sql} ORDER BY start_time DESC, request_id DESC LIMIT ? OFFSET ?`,
      [...where.params, limit, offset],
    );
    return result.rows.map(ledgerRowFromDb);
  }

  /**
   * Traffic per team per UTC day since `sinceMs`: one grouped range scan over the start_time
   * index, days bucketed as `start_time / 86400000` (integer division on both drivers).
   */
  async teamDays(sinceMs: number): Promise<TeamDay[]> {
    const result = await this.sql.query<Record<string, unknown>>(
      `SELECT team_id, start_time / 86400000 AS day, COUNT(*) AS requests, SUM(total_tokens) AS tokens, SUM(spend_nanos) AS spend,
              SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors,
              SUM(CASE WHEN status = 'budget_exceeded' THEN 1 ELSE 0 END) AS refused
         FROM spend_logs
        WHERE start_time >= ?
        GROUP BY team_id, start_time / 86400000`,
      [sinceMs],
    );
    return result.rows.map((row) => ({
      teamId: (row.team_id as string | null) ?? null,
      day: toInt(row.day),
      requests: toInt(row.requests),
      tokens: toInt(row.tokens),
      spendNanos: toInt(row.spend),
      errors: toInt(row.errors),
      refused: toInt(row.refused),
    }));
  }

  /** All-time spend per virtual key, highest first, with the key's names where it still exists. */
  async spendPerKey(limit: number): Promise<{ apiKey: string; keyAlias: string | null; keyName: string | null; spendNanos: number }[]> {
    const result = await this.sql.query<{ api_key: string; key_alias: string | null; key_name: string | null; total: unknown }>(
      `SELECT s.api_key, k.key_alias, k.key_name, s.total
         FROM (SELECT api_key, SUM(spend_nanos) AS total FROM spend_logs WHERE api_key IS NOT NULL GROUP BY api_key) s
         LEFT JOIN api_keys k ON k.token = s.api_key
        ORDER BY s.total DESC, s.api_key
        LIMIT ?`,
      [limit],
    );
    return result.rows.map((row) => ({
      apiKey: row.api_key,
      keyAlias: row.key_alias ?? null,
      keyName: row.key_name ?? null,
      spendNanos: toInt(row.total),
    }));
  }

  /** Spend per UTC day, per subject, per model, within a closed window. */
  async subjectModelDays(
    range: { fromMs: number; toMs: number },
    subject: ReportSubject,
    filter: { teamId?: string; apiKey?: string },
  ): Promise<SubjectModelDay[]> {
    const where = new Where().within('l.start_time', range).equals('l.team_id', filter.teamId).equals('l.api_key', filter.apiKey);
    const column = { team: 'l.team_id', api_key: 'l.api_key', customer: 'l.end_user' }[subject];
    const result = await this.sql.query<{ day: unknown; subject: string | null; model: string | null; spend: unknown; tokens: unknown }>(
      `SELECT l.start_time / 86400000 AS day, ${column} AS subject, l.model, SUM(l.spend_nanos) AS spend, SUM(l.total_tokens) AS tokens
         FROM spend_logs l ${where.sql}
        GROUP BY l.start_time / 86400000, ${column}, l.model`,
      where.params,
    );
    return result.rows.map((row) => ({
      day: toInt(row.day),
      subject: row.subject,
      model: row.model ?? null,
      spendNanos: toInt(row.spend),
      tokens: toInt(row.tokens),
    }));
  }

  /** Per-session totals, most recently active first. */
  async sessionTotals(
    filter: Pick<LedgerFilter, 'apiKey' | 'teamId' | 'source' | 'range'>,
    limit: number,
    offset: number,
  ): Promise<Record<string, unknown>[]> {
    const where = new Where()
      .and('session_id IS NOT NULL')
      .equals('api_key', filter.apiKey)
      .equals('team_id', filter.teamId)
      .equals('source', filter.source)
      .within('start_time', filter.range);
    const result = await this.sql.query(
      `SELECT session_id, api_key, team_id, source, client_tool, COUNT(*) AS requests,
              SUM(reported_cost_nanos) AS reported_cost, COUNT(reported_cost_nanos) AS reported_costs, MAX(end_time) AS last_end,
              SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens, SUM(total_tokens) AS total_tokens,
              SUM(cache_read_tokens) AS cache_read_tokens, SUM(cache_write_tokens) AS cache_write_tokens,
              SUM(spend_nanos) AS spend, MIN(start_time) AS first_call, MAX(start_time) AS last_call
         FROM spend_logs ${where.sql}
        GROUP BY session_id, api_key, team_id, source, client_tool
        ORDER BY last_call DESC, session_id
        LIMIT ? OFFSET ?`,
      [...where.params, limit, offset],
    );
    return result.rows;
  }

  /** How many requests a subscription tool reported for a session, and the sum of the costs it reported. */
  async reportedCostOfSession(clientTool: string, sessionId: string): Promise<{ requests: number; reportedNanos: number }> {
    const events = await this.sql.query<{ requests: unknown; reported: unknown }>(
      `SELECT COUNT(*) AS requests, SUM(reported_cost_nanos) AS reported FROM spend_logs WHERE session_id = ? AND client_tool = ?`,
      [sessionId, clientTool],
    );
    return { requests: toInt(events.rows[0]?.requests), reportedNanos: toInt(events.rows[0]?.reported) };
  }

  /**
   * Rows and their budget movements, committed together; `rows[i]` settles `movements[i]`. Every
   * INSERT is `ON CONFLICT (request_id) DO NOTHING` and money moves only for a row it added.
   */
  private async insertSettled(shape: LedgerRowShape, rows: unknown[][], movements: BudgetMovement[]): Promise<Set<string>> {
    const step = this.budgets.settlementBatchStep(movements);
    if (step) {
      const columns = shape.columns.map((_, i) => rows.map((row) => row[i]));
      const result = await this.sql.query<{ landed: string[] }>(
        `WITH logged AS (${shape.insertFromArrays}) SELECT ARRAY(SELECT request_id FROM logged) AS landed, ${step.expression} AS moved`,
        [...columns, ...step.params],
      );
      const landed = new Set(result.rows[0]?.landed ?? []);
      for (const movement of movements) if (landed.has(movement.requestId)) this.budgets.settled(movement);
      return landed;
    }
    return this.sql.transaction(async (tx) => {
      const landed = new Set<string>();
      for (const [i, row] of rows.entries()) {
        const inserted = await tx.query(shape.insertOne, row);
        if (inserted.changes === 0) continue;
        landed.add(movements[i].requestId);
        await this.budgets.settle(tx, movements[i]);
      }
      return landed;
    });
  }
}

/** prompt_tokens, completion_tokens, cache_read_tokens, cache_write_tokens, total_tokens. */
function tokenValues(tokens: TokenCounts): number[] {
  return [
    tokens.promptTokens,
    tokens.completionTokens,
    tokens.cacheReadTokens,
    tokens.cacheWriteTokens,
    tokens.promptTokens + tokens.completionTokens,
  ];
}

/**
 * The columns one kind of ledger row fills, with their PostgreSQL types, and its two INSERTs:
 * one row from `?` values, or a whole batch from one array per column (PostgreSQL's unnest).
 */
class LedgerRowShape {
  readonly insertOne: string;
  readonly insertFromArrays: string;

  constructor(readonly columns: [name: string, pgType: 'text' | 'bigint' | 'smallint'][]) {
    const names = columns.map(([name]) => name).join(', ');
    this.insertOne = `INSERT INTO spend_logs (${names}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (request_id) DO NOTHING`;
    this.insertFromArrays =
      `INSERT INTO spend_logs (${names}) SELECT * FROM unnest(${columns.map(([, type]) => `?::${type}[]`).join(', ')}) ` +
      `ON CONFLICT (request_id) DO NOTHING RETURNING request_id`;
  }
}

const TOKEN_COLUMNS: [string, 'bigint'][] = [
  ['prompt_tokens', 'bigint'],
  ['completion_tokens', 'bigint'],
  ['cache_read_tokens', 'bigint'],
  ['cache_write_tokens', 'bigint'],
  ['total_tokens', 'bigint'],
];

const GATEWAY_ROW = new LedgerRowShape([
  ['request_id', 'text'],
  ['api_key', 'text'],
  ['team_id', 'text'],
  ['end_user', 'text'],
  ['model_group', 'text'],
  ['model', 'text'],
  ['deployment_id', 'text'],
  ['provider', 'text'],
  ['api_base', 'text'],
  ['call_type', 'text'],
  ['status', 'text'],
  ...TOKEN_COLUMNS,
  ['spend_nanos', 'bigint'],
  ['unpriced', 'smallint'],
  ['attempted_fallbacks', 'bigint'],
  ['start_time', 'bigint'],
  ['end_time', 'bigint'],
  ['latency_ms', 'bigint'],
  ['ttft_ms', 'bigint'],
  ['session_id', 'text'],
  ['error', 'text'],
  ['metadata', 'text'],
  ['estimated', 'smallint'],
]);

const SUBSCRIPTION_ROW = new LedgerRowShape([
  ['request_id', 'text'],
  ['api_key', 'text'],
  ['team_id', 'text'],
  ['model_group', 'text'],
  ['model', 'text'],
  ['provider', 'text'],
  ['call_type', 'text'],
  ['status', 'text'],
  ...TOKEN_COLUMNS,
  ['spend_nanos', 'bigint'],
  ['unpriced', 'smallint'],
  ['start_time', 'bigint'],
  ['end_time', 'bigint'],
  ['latency_ms', 'bigint'],
  ['session_id', 'text'],
  ['metadata', 'text'],
  ['source', 'text'],
  ['client_tool', 'text'],
  ['client_tool_version', 'text'],
  ['reported_cost_nanos', 'bigint'],
]);
