import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';

import { SettlementRetry } from './settlement-retry';
import { type Settlement, SpendLedger } from './spend-ledger';

/**
 * Group commit: every settlement queued during one event-loop turn is written together once that
 * turn's I/O callbacks have run (setImmediate) — one transaction, one COMMIT (SQLite), or one
 * statement (PostgreSQL) for all of them, after their answers were sent.
 *
 * Nothing is lost meanwhile: each call's reservation row, committed before its upstream call, is
 * the durable record, and crash recovery charges it if the process dies first. A batch that
 * fails is split: each settlement is retried on its own (SettlementRetry), so one that cannot be
 * written never holds back the others, and a replay charges nothing twice (idempotent by request id).
 */
@Injectable()
export class SettlementBatcher implements BeforeApplicationShutdown {
  private readonly logger = new Logger('SettlementBatcher');
  private queued: Settlement[] = [];
  private readonly writing = new Set<Promise<void>>();

  constructor(
    private readonly ledger: SpendLedger,
    private readonly retry: SettlementRetry,
  ) {}

  add(settlement: Settlement): void {
    if (this.queued.length === 0) setImmediate(() => this.flush());
    this.queued.push(settlement);
  }

  /** Resolves once everything queued so far has been written (or handed to SettlementRetry). */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all(this.writing);
  }

  /** Graceful stop: write what finished before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  private flush(): void {
    if (this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    const writing = this.ledger.settle(batch).catch(async (error: unknown) => {
      this.logger.warn(`A batch of ${batch.length} settlement(s) failed, settling each on its own: ${(error as Error).message}`);
      await Promise.all(batch.map((settlement) => this.retry.settle(settlement)));
    });
    this.writing.add(writing);
    void writing.finally(() => this.writing.delete(writing));
  }
}
