import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';

import { BudgetExceededError } from './budget.errors';
import type { BudgetHolder } from './budget-store';
import { BudgetView } from './budget-view';

const PAYERS = Symbol('budgetHolders');

/** Who pays for this request (key first, then team): set by the auth guard once the caller is known. */
export function attachBudgetHolders(request: object, holders: BudgetHolder[]): void {
  (request as Record<symbol, BudgetHolder[]>)[PAYERS] = holders;
}

function budgetHoldersOf(request: object): BudgetHolder[] {
  return (request as Record<symbol, BudgetHolder[] | undefined>)[PAYERS] ?? [];
}

/** What the guard needs from the gateway around it, provided where the model routes are. */
export abstract class BudgetRefusals {
  /** A free deployment may serve `alias` (itself or a fallback): a money budget does not stop such a call. */
  abstract mayBeFree(alias: string): boolean;
  /** Writes the refusal's ledger row, as a refusal at reservation does. */
  abstract record(request: object, error: BudgetExceededError): Promise<void>;
}

/**
 * Refuses a model call at once when the key's or team's window is already used up
 * (spend + reserved >= max_budget), from memory (BudgetView), before any body work or routing.
 * It may be slightly behind the database; the exact check stays the reservation each attempt
 * makes at its deployment's price, so the guard only saves work on calls that would be refused.
 */
@Injectable()
export class BudgetGuard implements CanActivate {
  constructor(
    private readonly view: BudgetView,
    private readonly refusals: BudgetRefusals,
  ) {}

  /** Synchronous unless it refuses: Nest awaits only a guard that returns a promise. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ body?: { model?: unknown } }>();
    const holders = budgetHoldersOf(request);
    if (holders.length === 0) return true;
    // The in-memory lookup first: on almost every call nothing is exhausted, and the alias's
    // deployments and fallbacks need not be priced at all.
    const exhausted = this.view.exhaustedAmong(holders, Date.now());
    if (!exhausted) return true;
    const model = request.body?.model;
    if (typeof model !== 'string' || this.refusals.mayBeFree(model)) return true;
    const { holder, spendNanos, reservedNanos, maxBudgetNanos } = exhausted;
    return this.refuse(request, new BudgetExceededError(holder.level, holder.label, spendNanos, reservedNanos, maxBudgetNanos));
  }

  private async refuse(request: object, error: BudgetExceededError): Promise<never> {
    await this.refusals.record(request, error);
    throw error;
  }
}
