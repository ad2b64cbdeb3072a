import { Logger } from '@nestjs/common';

import { SettlementBatcher } from './settlement-batcher';
import type { SettlementRetry } from './settlement-retry';
import type { LedgerEntry, Settlement, SpendLedger } from './spend-ledger';

const settlement = (requestId: string): Settlement => ({ entry: { requestId } as LedgerEntry, holders: [] });

function setup(ledgerFails = false) {
  const ledger = {
    settle: jest.fn(async (_batch: Settlement[]) => {
      if (ledgerFails) throw new Error('SQLITE_CONSTRAINT: NOT NULL constraint failed: spend_logs.start_time');
    }),
  };
  const retry = { settle: jest.fn(async (_one: Settlement) => undefined) };
  const batcher = new SettlementBatcher(ledger as unknown as SpendLedger, retry as unknown as SettlementRetry);
  return { ledger, retry, batcher };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('SettlementBatcher', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('writes every settlement queued in one event-loop turn as one batch, after the turn', async () => {
    const { ledger, batcher } = setup();
    const calls = ['a', 'b', 'c'].map(settlement);
    for (const call of calls) batcher.add(call);
    expect(ledger.settle).not.toHaveBeenCalled();
    await nextTurn();
    expect(ledger.settle).toHaveBeenCalledTimes(1);
    expect(ledger.settle).toHaveBeenCalledWith(calls);
    batcher.add(settlement('d'));
    await nextTurn();
    expect(ledger.settle).toHaveBeenCalledTimes(2);
    expect(ledger.settle).toHaveBeenLastCalledWith([settlement('d')]);
  });

  it('a batch the database refuses is split: each settlement is retried on its own, none is dropped', async () => {
    const { retry, batcher } = setup(true);
    const calls = ['a', 'poisoned', 'c'].map(settlement);
    for (const call of calls) batcher.add(call);
    await batcher.drain();
    expect(retry.settle.mock.calls.map(([one]) => one)).toEqual(calls);
  });

  it('a graceful stop writes what is queued at once, without waiting for the turn to end', async () => {
    const { ledger, batcher } = setup();
    batcher.add(settlement('last'));
    await batcher.beforeApplicationShutdown();
    expect(ledger.settle).toHaveBeenCalledWith([settlement('last')]);
    await nextTurn();
    expect(ledger.settle).toHaveBeenCalledTimes(1);
  });
});
