import { Injectable, Logger } from '@nestjs/common';
import { BudgetAccounts, type BudgetHolder } from '@tollgate/budgets';
import type { TokenCounts } from './cost';
import { MAX_STORED_ERROR_CHARS, storableId, storableMetadata, storableText } from './stored-values';

export type LedgerStatus = 'success' | 'error' | 'budget_exceeded' | 'client_cancelled' | 'unsettled';
export type CallType = 'chat_completion' | 'embedding' | 'messages' | 'responses';

/** One request, as the ledger records it. No prompt or completion text. */
export interface LedgerEntry {
  requestId: string;
  apiKey: string | null;
  teamId: string | null;
  endUser: string | null;
  modelGroup: string | null;
  model: string | null;
  deploymentId: string | null;
  provider: string | null;
  apiBase: string | null;
  callType: CallType;
  status: LedgerStatus;
  tokens: TokenCounts;
  spendNanos: number;
  unpriced: boolean;
  /** Charged by the gateway's estimate: the upstream's usage was missing or not believable. */
  estimated?: boolean;
  attemptedFallbacks: number;
  startTime: number;
  endTime: number;
  ttftMs: number | null;
  sessionId: string | null;
  error: string | null;
  metadata: Record<string, unknown>;
}

/**
 * Settlement: every client-controlled value is made storable first (stored-values.ts), so no
 * value a caller picks can make the INSERT fail. The ledger row and the budget movement (reservation → actual cost) commit in one
 * transaction, keyed by request id, so a request is charged exactly once even if settlement runs twice.
 */
@Injectable()
export class SpendLedger {
  private readonly logger = new Logger('SpendLedger');

  constructor(private readonly budgets: BudgetAccounts) {}

  /** Returns the key's spend in its current window after this request, when the request had a key. */
  async settle(entry: LedgerEntry, holders: BudgetHolder[]): Promise<number | null> {
    const { recorded, keySpendNanos } = await this.budgets.settleWithRecord(
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
          entry.tokens.promptTokens,
          entry.tokens.completionTokens,
          entry.tokens.cacheReadTokens,
          entry.tokens.cacheWriteTokens,
          entry.tokens.promptTokens + entry.tokens.completionTokens,
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
      entry.requestId,
      holders,
      entry.spendNanos,
      entry.endTime,
    );
    if (!recorded) this.logger.warn(`Request ${entry.requestId} was already settled; ignoring the second settlement`);
    return keySpendNanos;
  }
}
