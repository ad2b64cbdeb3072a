import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { RequestLogLine } from '@tollgate/logging';

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
  /** Each waiting settlement's timer and the end of its call, by request id. */
  private readonly waiting = new Map<string, { timer: NodeJS.Timeout; callEndedAt: number }>();
  private stopped = false;

  constructor(private readonly ledger: SpendLedger) {}

  /** Settles one call on its own now; on failure schedules retries. Never throws. */
  async settle(settlement: Settlement): Promise<void> {
    try {
      await this.ledger.settle([settlement]);
    } catch (error) {
      this.logger.error(
        new RequestLogLine(settlement.entry.requestId, `Could not settle the request, retrying: ${(error as Error).message}`),
      );
      this.schedule(settlement, 1);
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

  private schedule(settlement: Settlement, attempt: number): void {
    const { requestId } = settlement.entry;
    if (this.stopped) return;
    const delay = Math.min(SETTLE_RETRY_MAX_MS, SETTLE_RETRY_FIRST_MS * 2 ** (attempt - 1));
    const timer = setTimeout(() => {
      this.ledger.settle([settlement]).then(
        () => {
          this.waiting.delete(requestId);
          this.logger.log(new RequestLogLine(requestId, `Settled after ${attempt} retr${attempt === 1 ? 'y' : 'ies'}`));
        },
        (error: unknown) => {
          this.logger.warn(new RequestLogLine(requestId, `Settlement retry ${attempt} failed: ${(error as Error).message}`));
          this.schedule(settlement, attempt + 1);
        },
      );
    }, delay);
    // A stopping process leaves the obligation to crash recovery rather than being held open by it.
    timer.unref();
    this.waiting.set(requestId, { timer, callEndedAt: settlement.entry.endTime });
  }
}
