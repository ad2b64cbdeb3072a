import type { ExecutionContext } from '@nestjs/common';

import { BudgetExceededError } from './budget.errors';
import { attachBudgetHolders, BudgetGuard, BudgetRefusals } from './budget.guard';
import type { BudgetHolder } from './budget-store';
import { BudgetView, IN_FLIGHT_BELIEF_MS } from './budget-view';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const key: BudgetHolder = { level: 'key', id: 'key-1', label: 'sk-...abcd', budgetDuration: null };
const team: BudgetHolder = { level: 'team', id: 'team-1', label: 'team-1', budgetDuration: '1d' };

class RecordedRefusals extends BudgetRefusals {
  readonly recorded: BudgetExceededError[] = [];
  constructor(private readonly free = new Set<string>()) {
    super();
  }
  mayBeFree(alias: string): boolean {
    return this.free.has(alias);
  }
  async record(_request: object, error: BudgetExceededError): Promise<void> {
    this.recorded.push(error);
  }
}

function contextFor(body: unknown, holders: BudgetHolder[]): ExecutionContext {
  const request = { body };
  attachBudgetHolders(request, holders);
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

/** The refusal a reservation answers with, as the store reports it. */
const refusal = (holder: BudgetHolder, spent: number, reserved: number, max: number) =>
  new BudgetExceededError(holder.level, holder.label, spent, reserved, max);

describe('BudgetView', () => {
  it('knows nothing until a reservation is refused: an unknown holder is never exhausted', () => {
    expect(new BudgetView().exhaustedAmong([key, team], NOW)).toBeNull();
  });

  it('a refusal short of the budget (the call was too big, not the window used up) is not exhaustion', () => {
    const view = new BudgetView();
    view.refused(team, refusal(team, 5_000, 0, 10_000), NOW);
    expect(view.exhaustedAmong([key, team], NOW)).toBeNull();
  });

  it('spend at the budget stays exhausted until the window rolls over', () => {
    const view = new BudgetView();
    view.refused(team, refusal(team, 10_000, 0, 10_000), NOW);
    expect(view.exhaustedAmong([key, team], NOW + 3_600_000)).toEqual({
      holder: team,
      spendNanos: 10_000,
      reservedNanos: 0,
      maxBudgetNanos: 10_000,
    });
    expect(view.exhaustedAmong([key, team], Date.parse('2026-12-04T00:00:00Z'))).toBeNull();
  });

  it("other requests' reservations count only briefly: they settle or are released, possibly on another instance", () => {
    const view = new BudgetView();
    view.refused(key, refusal(key, 4_000, 6_000, 10_000), NOW);
    expect(view.exhaustedAmong([key], NOW + IN_FLIGHT_BELIEF_MS - 1)?.reservedNanos).toBe(6_000);
    expect(view.exhaustedAmong([key], NOW + IN_FLIGHT_BELIEF_MS)).toBeNull();
  });

  it('forgets a holder as soon as this instance moves its money, and everything when keys or teams change', () => {
    const view = new BudgetView();
    view.refused(key, refusal(key, 10_000, 0, 10_000), NOW);
    view.refused(team, refusal(team, 10_000, 0, 10_000), NOW);
    view.changed([key]);
    expect(view.exhaustedAmong([key], NOW)).toBeNull();
    expect(view.exhaustedAmong([team], NOW)).not.toBeNull();
    view.forgetAll();
    expect(view.exhaustedAmong([team], NOW)).toBeNull();
  });
});

describe('BudgetGuard', () => {
  function exhaustedTeam() {
    const view = new BudgetView();
    view.refused(team, refusal(team, 10_000, 0, 10_000), Date.now());
    return view;
  }

  it('refuses a call on an exhausted team with the store’s numbers, and has the refusal recorded', async () => {
    const refusals = new RecordedRefusals();
    const guard = new BudgetGuard(exhaustedTeam(), refusals);
    const refused = await Promise.resolve(guard.canActivate(contextFor({ model: 'gpt' }, [key, team]))).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BudgetExceededError);
    expect((refused as Error).message).toBe('Budget has been exceeded! Team=team-1 Current cost: 0.00001, Max budget: 0.00001');
    expect(refusals.recorded).toEqual([refused]);
  });

  it('lets through a model a free deployment may serve: a money budget never stops it', () => {
    const refusals = new RecordedRefusals(new Set(['local']));
    expect(new BudgetGuard(exhaustedTeam(), refusals).canActivate(contextFor({ model: 'local' }, [key, team]))).toBe(true);
    expect(refusals.recorded).toEqual([]);
  });

  it('lets through callers without budget holders (the master key) and bodies without a model (the handler answers those)', () => {
    const guard = new BudgetGuard(exhaustedTeam(), new RecordedRefusals());
    expect(guard.canActivate(contextFor({ model: 'gpt' }, []))).toBe(true);
    expect(guard.canActivate(contextFor({ model: 42 }, [key, team]))).toBe(true);
    expect(guard.canActivate(contextFor(undefined, [key, team]))).toBe(true);
  });

  it('lets through a key whose team is not known to be exhausted', () => {
    const guard = new BudgetGuard(new BudgetView(), new RecordedRefusals());
    expect(guard.canActivate(contextFor({ model: 'gpt' }, [key, team]))).toBe(true);
  });
});
