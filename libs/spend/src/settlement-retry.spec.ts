import { Logger } from '@nestjs/common';

import { SETTLE_RETRY_FIRST_MS, SETTLE_RETRY_MAX_MS, SettlementRetry } from './settlement-retry';
import type { LedgerEntry, Settlement, SpendLedger } from './spend-ledger';

/** A ledger whose database is away for the first `failures` attempts. */
function flakyLedger(failures: number) {
  const attempts: number[] = [];
  const ledger = {
    settle: jest.fn(async (..._settled: unknown[]) => {
      attempts.push(Date.now());
      if (attempts.length <= failures) throw new Error('Connection terminated unexpectedly');
    }),
  };
  return { ledger: ledger as unknown as SpendLedger, attempts, settle: ledger.settle };
}

const settlement: Settlement = { entry: { requestId: 'req-1' } as LedgerEntry, holders: [] };

describe('SettlementRetry', () => {
  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('writes a settlement at once when the database is up, leaving nothing to retry', async () => {
    const { ledger, settle } = flakyLedger(0);
    const retry = new SettlementRetry(ledger);
    await retry.settle(settlement);
    expect(settle).toHaveBeenCalledWith([settlement]);
    expect(retry.pending).toBe(0);
  });

  it('keeps retrying a settlement whose database is down, with doubling backoff, until it lands once', async () => {
    const { ledger, attempts, settle } = flakyLedger(10);
    const retry = new SettlementRetry(ledger);
    await expect(retry.settle(settlement)).resolves.toBeUndefined();
    expect(retry.pending).toBe(1);
    for (let i = 0; i < 10; i++) await jest.advanceTimersToNextTimerAsync();
    expect(settle).toHaveBeenCalledTimes(11);
    expect(retry.pending).toBe(0);
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]);
    expect(gaps).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((f) => Math.min(SETTLE_RETRY_MAX_MS, SETTLE_RETRY_FIRST_MS * f)));
    // Every attempt settles the same request: idempotent by request id, so it is charged once.
    expect(settle.mock.calls.every(([batch]) => (batch as Settlement[])[0] === settlement)).toBe(true);
  });

  it('stops retrying at shutdown, leaving the reservation to crash recovery', async () => {
    const { ledger, settle } = flakyLedger(Infinity);
    const retry = new SettlementRetry(ledger);
    await retry.settle(settlement);
    retry.beforeApplicationShutdown();
    await jest.advanceTimersByTimeAsync(SETTLE_RETRY_MAX_MS * 4);
    expect(settle).toHaveBeenCalledTimes(1);
    expect(retry.pending).toBe(0);
  });
});
