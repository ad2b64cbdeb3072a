import type { SqlRunner } from '@tollgate/database';

import { BudgetExceededError, BudgetStoreUnavailableError } from './budget.errors';
import { BudgetAccounts } from './budget-accounts';
import type { BudgetHolder, BudgetStore, ReservationDetails } from './budget-store';
import { BudgetView } from './budget-view';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const key: BudgetHolder = { level: 'key', id: 'key-1', label: 'sk-...abcd', budgetDuration: null };
const team: BudgetHolder = { level: 'team', id: 'team-1', label: 'team-1', budgetDuration: null };
const details = (amountNanos: number): ReservationDetails => ({
  requestId: 'req-1',
  instanceId: 'instance',
  apiKey: 'token',
  holders: [key, team],
  amountNanos,
  modelGroup: 'gpt',
  deploymentId: 'gpt#0',
  provider: 'openai',
});
const tx = {} as SqlRunner;

function setup() {
  const store = {
    reserve: jest.fn().mockResolvedValue(undefined),
    release: jest.fn().mockResolvedValue(undefined),
    settle: jest.fn().mockResolvedValue(1_000),
  };
  const view = new BudgetView();
  const accounts = new BudgetAccounts(store as unknown as BudgetStore, view);
  return { store, view, accounts };
}

/** The team's window used up, as a refused reservation reports it. */
async function teachExhaustedTeam(accounts: BudgetAccounts, store: ReturnType<typeof setup>['store']): Promise<void> {
  store.reserve.mockRejectedValueOnce(new BudgetExceededError('team', 'team-1', 10_000, 0, 10_000));
  await expect(accounts.reserve(details(500), NOW)).rejects.toBeInstanceOf(BudgetExceededError);
}

describe('BudgetAccounts', () => {
  it('a refused reservation teaches the view which holder is used up', async () => {
    const { store, view, accounts } = setup();
    await teachExhaustedTeam(accounts, store);
    expect(view.exhaustedAmong([key, team], NOW)?.holder).toEqual(team);
  });

  it('an unreachable store fails closed as BudgetStoreUnavailable and teaches nothing', async () => {
    const { store, view, accounts } = setup();
    store.reserve.mockRejectedValue(new Error('connection refused'));
    await expect(accounts.reserve(details(500), NOW)).rejects.toBeInstanceOf(BudgetStoreUnavailableError);
    expect(view.exhaustedAmong([key, team], NOW)).toBeNull();
  });

  it.each([
    ['a paid reservation', (accounts: BudgetAccounts) => accounts.reserve(details(500), NOW)],
    [
      'a release',
      (accounts: BudgetAccounts) => accounts.release({ requestId: 'req-1', holders: [key, team], amountNanos: 500, keySpendNanos: 0 }),
    ],
    [
      'a settlement that charges money',
      (accounts: BudgetAccounts) => accounts.settle(tx, { requestId: 'req-1', holders: [key, team], actualNanos: 1, now: NOW }),
    ],
  ])('%s by this instance makes the view forget the holders', async (_name, move) => {
    const { store, view, accounts } = setup();
    await teachExhaustedTeam(accounts, store);
    await move(accounts);
    expect(view.exhaustedAmong([key, team], NOW)).toBeNull();
  });

  it("a refusal's own zero-cost ledger row does not make the view forget the refusal", async () => {
    const { store, view, accounts } = setup();
    await teachExhaustedTeam(accounts, store);
    await accounts.settle(tx, { requestId: 'req-1', holders: [key, team], actualNanos: 0, now: NOW });
    expect(view.exhaustedAmong([key, team], NOW)).not.toBeNull();
  });

  it('settles inside the caller’s transaction and returns the key’s spend; a call without holders moves nothing', async () => {
    const { store, accounts } = setup();
    expect(await accounts.settle(tx, { requestId: 'req-1', holders: [key], actualNanos: 7, now: NOW })).toBe(1_000);
    expect(store.settle).toHaveBeenCalledWith(tx, { requestId: 'req-1', holders: [key], actualNanos: 7, now: NOW });
    expect(await accounts.settle(tx, { requestId: 'req-2', holders: [], actualNanos: 7, now: NOW })).toBeNull();
    expect(store.settle).toHaveBeenCalledTimes(1);
  });
});
