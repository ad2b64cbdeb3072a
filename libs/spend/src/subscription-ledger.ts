import { Injectable } from '@nestjs/common';
import type { BudgetHolder } from '@tollgate/budgets';

import type { TokenCounts } from './cost';
import { SpendLogRepository } from './spend-log.repository';
import { storableId } from './stored-values';

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
  constructor(private readonly spendLogs: SpendLogRepository) {}

  /** Whether the row was new (false: the same request was reported before). */
  async record(entry: SubscriptionLedgerEntry, holders: BudgetHolder[]): Promise<boolean> {
    // Telemetry attributes are client values like any other: cleaned and bounded before they are stored.
    const requestId = storableId(entry.requestId) ?? entry.requestId;
    return this.spendLogs.insertSubscriptionCall(entry, requestId, holders);
  }
}
