import { Injectable, Logger } from '@nestjs/common';
import { BudgetAlerts } from '@tollgate/alerts';
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

/** A finished call's ledger entry and the budget holders it reserved on. */
export interface Settlement {
  entry: LedgerEntry;
  holders: BudgetHolder[];
}

/**
 * Settlement of gateway calls: their ledger rows and budget movements, once per request id
 * (SpendLogRepository), and a warning for each one whose row was already there.
 */
@Injectable()
export class SpendLedger {
  private readonly logger = new Logger('SpendLedger');

  constructor(
    private readonly spendLogs: SpendLogRepository,
    private readonly budgetAlerts: BudgetAlerts,
  ) {}

  /**
   * Writes every settlement or none (it throws). Holders whose spend a landed row moved are then
   * checked for budget alerts, however late the write (batched or retried) landed.
   */
  async settle(settlements: Settlement[]): Promise<void> {
    const landed = await this.spendLogs.insertGatewayCalls(settlements);
    for (const { entry, holders } of settlements) {
      if (!landed.has(entry.requestId))
        this.logger.warn(new RequestLogLine(entry.requestId, 'Already settled; ignoring the second settlement'));
      else if (entry.spendNanos > 0) this.budgetAlerts.spent(holders);
    }
  }
}
