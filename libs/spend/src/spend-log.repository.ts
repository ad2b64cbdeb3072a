import { Injectable } from '@nestjs/common';
import { BudgetAccounts, type BudgetHolder } from '@tollgate/budgets';
import { Sql } from '@tollgate/database';
import type { TokenCounts } from './cost';
import type { LedgerEntry } from './spend-ledger';
import type { SubscriptionLedgerEntry } from './subscription-ledger';
import { MAX_STORED_ERROR_CHARS, storableId, storableMetadata, storableText } from './stored-values';

export interface SettledRow {
  /** False: a row with this request id was written before, and nothing moved this time. */
  recorded: boolean;
  keySpendNanos: number | null;
}

interface Insert {
  sql: string;
  params: unknown[];
}

/**
 * Writes `spend_logs`. A row and its budget movement (reservation → actual cost) commit in one
 * transaction owned here; budgets supplies the movement as a step. Every INSERT is
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

  /** A call through the gateway. */
  async insertGatewayCall(entry: LedgerEntry, holders: BudgetHolder[]): Promise<SettledRow> {
    return this.insertSettled(
      {
        sql: `INSERT INTO spend_logs (request_id, api_key, team_id, end_user, model_group, model, deployment_id, provider, api_base,
                                      call_type, status, prompt_tokens, completion_tokens, cache_read_tokens, cache_write_tokens,
                                      total_tokens, spend_nanos, unpriced, attempted_fallbacks, start_time, end_time, latency_ms,
                                      ttft_ms, session_id, error, metadata, estimated)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
              ON CONFLICT (request_id) DO NOTHING`,
        params: [
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
        ],
      },
      { requestId: entry.requestId, holders, actualNanos: entry.spendNanos, now: entry.endTime },
    );
  }

  /** A request a subscription tool reported. */
  async insertSubscriptionCall(entry: SubscriptionLedgerEntry, requestId: string, holders: BudgetHolder[]): Promise<SettledRow> {
    return this.insertSettled(
      {
        sql: `INSERT INTO spend_logs (request_id, api_key, team_id, model_group, model, provider, call_type, status, prompt_tokens,
                                      completion_tokens, cache_read_tokens, cache_write_tokens, total_tokens, spend_nanos, unpriced,
                                      start_time, end_time, latency_ms, session_id, metadata, source, client_tool, client_tool_version,
                                      reported_cost_nanos)
              VALUES (?, ?, ?, ?, ?, ?, ?, 'success', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'subscription', ?, ?, ?)
              ON CONFLICT (request_id) DO NOTHING`,
        params: [
          requestId,
          entry.apiKey,
          entry.teamId,
          storableId(entry.model),
          storableId(entry.model),
          entry.provider,
          entry.callType,
          ...tokenValues(entry.tokens),
          entry.spendNanos,
          entry.unpriced ? 1 : 0,
          entry.startTime,
          entry.endTime,
          Math.max(0, entry.endTime - entry.startTime),
          storableId(entry.sessionId),
          storableMetadata(entry.metadata),
          storableId(entry.clientTool),
          storableId(entry.clientToolVersion),
          entry.reportedCostNanos,
        ],
      },
      { requestId, holders, actualNanos: entry.spendNanos, now: entry.endTime },
    );
  }

  private async insertSettled(row: Insert, movement: { requestId: string; holders: BudgetHolder[]; actualNanos: number; now: number }): Promise<SettledRow> {
    if (movement.holders.length === 0) {
      const inserted = await this.sql.query(row.sql, row.params);
      return { recorded: inserted.changes > 0, keySpendNanos: null };
    }
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.query(row.sql, row.params);
      if (inserted.changes === 0) return { recorded: false, keySpendNanos: null };
      return { recorded: true, keySpendNanos: await this.budgets.settle(tx, movement) };
    });
  }
}

/** prompt_tokens, completion_tokens, cache_read_tokens, cache_write_tokens, total_tokens. */
function tokenValues(tokens: TokenCounts): number[] {
  return [tokens.promptTokens, tokens.completionTokens, tokens.cacheReadTokens, tokens.cacheWriteTokens, tokens.promptTokens + tokens.completionTokens];
}
