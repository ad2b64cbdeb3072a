import { Injectable } from '@nestjs/common';
import { BudgetAccounts, type BudgetHolder } from '@tollgate/budgets';
import type { TokenCounts } from './cost';
import { storableId, storableMetadata } from './stored-values';

/** Where a ledger row comes from: a call through the gateway, or a subscription tool's own report. */
export type SpendSource = 'gateway' | 'subscription';

/** A model request a subscription tool reported (Claude Code, Codex): no prompt or completion text. */
export interface SubscriptionLedgerEntry {
  /** Deterministic from (tool, session, request id or event): a retried export maps to the same row. */
  requestId: string;
  apiKey: string | null;
  teamId: string | null;
  model: string;
  provider: string;
  /** The API the tool called: Anthropic `messages` for Claude Code, OpenAI `responses` for Codex. */
  callType: string;
  clientTool: string;
  clientToolVersion: string | null;
  sessionId: string;
  tokens: TokenCounts;
  /** At Tollgate's list prices. */
  spendNanos: number;
  unpriced: boolean;
  /** What the tool reported the request cost, when it reports one. */
  reportedCostNanos: number | null;
  startTime: number;
  endTime: number;
  metadata: Record<string, unknown>;
}

/**
 * Writes subscription rows. Idempotent on the row's request id (INSERT … ON CONFLICT DO NOTHING),
 * so an exporter's retry is a no-op. `holders` is empty unless the team counts subscription spend
 * against its budget; then the row and the budget movement commit together, exactly once.
 */
@Injectable()
export class SubscriptionLedger {
  constructor(private readonly budgets: BudgetAccounts) {}

  /** Whether the row was new (false: the same request was reported before). */
  async record(entry: SubscriptionLedgerEntry, holders: BudgetHolder[]): Promise<boolean> {
    // Telemetry attributes are client values like any other: cleaned and bounded before they are stored.
    const requestId = storableId(entry.requestId) ?? entry.requestId;
    const { recorded } = await this.budgets.settleWithRecord(
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
          entry.tokens.promptTokens,
          entry.tokens.completionTokens,
          entry.tokens.cacheReadTokens,
          entry.tokens.cacheWriteTokens,
          entry.tokens.promptTokens + entry.tokens.completionTokens,
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
      requestId,
      holders,
      entry.spendNanos,
      entry.endTime,
    );
    return recorded;
  }
}
