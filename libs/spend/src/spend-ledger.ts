import { Injectable, Logger } from '@nestjs/common';
import type { BudgetHolder } from '@tollgate/budgets';
import { RequestLogLine } from '@tollgate/logging';

import type { TokenCounts } from './cost';
import { SpendLogRepository } from './spend-log.repository';

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
 * Settlement of a gateway call: its ledger row and budget movement, once per request id
 * (SpendLogRepository), and a warning when a second settlement finds the row already there.
 */
@Injectable()
export class SpendLedger {
  private readonly logger = new Logger('SpendLedger');

  constructor(private readonly spendLogs: SpendLogRepository) {}

  /** Returns the key's spend in its current window after this request, when the request had a key. */
  async settle(entry: LedgerEntry, holders: BudgetHolder[]): Promise<number | null> {
    const { recorded, keySpendNanos } = await this.spendLogs.insertGatewayCall(entry, holders);
    if (!recorded) this.logger.warn(new RequestLogLine(entry.requestId, 'Already settled; ignoring the second settlement'));
    return keySpendNanos;
  }
}
