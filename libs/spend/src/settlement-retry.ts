import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';

import { type Settlement, SpendLedger } from './spend-ledger';

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
  private readonly waiting = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly ledger: SpendLedger) {}

  /** Settles one call on its own now; on failure schedules retries. Never throws. */
  async settle(settlement: Settlement): Promise<void> {
    try {
      await this.ledger.settle([settlement]);
    } catch (error) {
      this.logger.error(`Could not settle request ${settlement.entry.requestId}, retrying: ${(error as Error).message}`);
      this.schedule(settlement, 1);
    }
  }

  /** Settlements waiting for their next attempt. */
  get pending(): number {
    return this.waiting.size;
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    for (const timer of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
  }

  private schedule(settlement: Settlement, attempt: number): void {
    const { requestId } = settlement.entry;
    if (this.stopped) return;
    const delay = Math.min(SETTLE_RETRY_MAX_MS, SETTLE_RETRY_FIRST_MS * 2 ** (attempt - 1));
    const timer = setTimeout(() => {
      this.ledger.settle([settlement]).then(
        () => {
          this.waiting.delete(requestId);
          this.logger.log(`Settled request ${requestId} after ${attempt} retr${attempt === 1 ? 'y' : 'ies'}`);
        },
        (error: unknown) => {
          this.logger.warn(`Settlement retry ${attempt} of request ${requestId} failed: ${(error as Error).message}`);
          this.schedule(settlement, attempt + 1);
        },
      );
    }, delay);
    // A stopping process leaves the obligation to crash recovery rather than being held open by it.
    timer.unref();
    this.waiting.set(requestId, timer);
  }
}
