import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import type { BudgetHolder } from '@tollgate/budgets';
import { RequestLogLine } from '@tollgate/logging';

import { type LedgerEntry, SpendLedger } from './spend-ledger';

/** First retry after this long; each further one waits twice as long, up to SETTLE_RETRY_MAX_MS. */
export const SETTLE_RETRY_FIRST_MS = 250;
export const SETTLE_RETRY_MAX_MS = 15_000;

/**
 * A settlement that failed (the database went away, a connection was cut) is retried by this
 * instance until it lands. Nothing is lost meanwhile: the reservation row is the durable record
 * of the obligation and keeps the amount counted in `reserved`, so budgets stay safe while the
 * charge is late. Retrying is safe because settlement is idempotent per request id. If this
 * instance stops first, crash recovery charges the reservation instead.
 */
@Injectable()
export class SettlementRetry implements BeforeApplicationShutdown {
  private readonly logger = new Logger('SettlementRetry');
  /** Each waiting settlement's timer and the end of its call, by request id. */
  private readonly waiting = new Map<string, { timer: NodeJS.Timeout; callEndedAt: number }>();
  private stopped = false;

  constructor(private readonly ledger: SpendLedger) {}

  /** Settles now; on failure schedules retries and returns undefined (the key's spend is not known yet). */
  async settle(entry: LedgerEntry, holders: BudgetHolder[]): Promise<number | null | undefined> {
    try {
      return await this.ledger.settle(entry, holders);
    } catch (error) {
      this.logger.error(new RequestLogLine(entry.requestId, `Could not settle the request, retrying: ${(error as Error).message}`));
      this.schedule(entry, holders, 1);
      return undefined;
    }
  }

  /** Settlements waiting for their next attempt. */
  get pending(): number {
    return this.waiting.size;
  }

  /** When the call behind the oldest waiting settlement ended; null when nothing waits. */
  oldestWaitingCallEnd(): number | null {
    let oldest: number | null = null;
    for (const { callEndedAt } of this.waiting.values()) if (oldest === null || callEndedAt < oldest) oldest = callEndedAt;
    return oldest;
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
  }

  private schedule(entry: LedgerEntry, holders: BudgetHolder[], attempt: number): void {
    if (this.stopped) return;
    const delay = Math.min(SETTLE_RETRY_MAX_MS, SETTLE_RETRY_FIRST_MS * 2 ** (attempt - 1));
    const timer = setTimeout(() => {
      this.ledger.settle(entry, holders).then(
        () => {
          this.waiting.delete(entry.requestId);
          this.logger.log(new RequestLogLine(entry.requestId, `Settled after ${attempt} retr${attempt === 1 ? 'y' : 'ies'}`));
        },
        (error: unknown) => {
          this.logger.warn(new RequestLogLine(entry.requestId, `Settlement retry ${attempt} failed: ${(error as Error).message}`));
          this.schedule(entry, holders, attempt + 1);
        },
      );
    }, delay);
    // A stopping process leaves the obligation to crash recovery rather than being held open by it.
    timer.unref();
    this.waiting.set(entry.requestId, { timer, callEndedAt: entry.endTime });
  }
}
