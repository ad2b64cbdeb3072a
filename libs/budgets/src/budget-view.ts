import { Injectable } from '@nestjs/common';

import type { BudgetExceededError } from './budget.errors';
import type { BudgetHolder } from './budget-store';
import { budgetWindow } from './budget-window';

/**
 * How long a refusal that counted other requests' reservations is believed. Settled spend only
 * grows within a window, so a refusal on spend alone holds until the window ends or the holder
 * changes; reservations come and go, on other instances too, so that part may only be stale briefly.
 */
export const IN_FLIGHT_BELIEF_MS = 1_000;

interface Exhaustion {
  spendNanos: number;
  reservedNanos: number;
  maxBudgetNanos: number;
  windowStart: number;
  observedAt: number;
}

/**
 * Which budget holders this instance knows to be exhausted, in memory, for the BudgetGuard.
 * Learnt from refusals (the store's own numbers), forgotten as soon as this instance moves the
 * holder's money (a reservation, release or settlement) and whenever keys or teams change
 * (BudgetsModule wires the access epoch). Knowing nothing means "let the reservation decide",
 * so a stale or missing entry can only let a request reach the exact check, never refuse one
 * that check would admit — except for the brief in-flight belief above.
 */
@Injectable()
export class BudgetView {
  private readonly exhausted = new Map<string, Exhaustion>();

  refused(holder: BudgetHolder, error: BudgetExceededError, now: number): void {
    this.exhausted.set(keyOf(holder), {
      spendNanos: error.spentNanos,
      reservedNanos: error.reservedNanos,
      maxBudgetNanos: error.maxBudgetNanos,
      windowStart: budgetWindow(holder.budgetDuration, now).start,
      observedAt: now,
    });
  }

  changed(holders: readonly BudgetHolder[]): void {
    for (const holder of holders) this.exhausted.delete(keyOf(holder));
  }

  forgetAll(): void {
    this.exhausted.clear();
  }

  /** The exhausted holder with its numbers, if any of `holders` is known to be at or past its budget. */
  exhaustedAmong(
    holders: readonly BudgetHolder[],
    now: number,
  ): { holder: BudgetHolder; spendNanos: number; reservedNanos: number; maxBudgetNanos: number } | null {
    for (const holder of holders) {
      const known = this.exhausted.get(keyOf(holder));
      if (!known) continue;
      if (known.windowStart < budgetWindow(holder.budgetDuration, now).start) {
        this.exhausted.delete(keyOf(holder));
        continue;
      }
      const reservedNanos = now - known.observedAt < IN_FLIGHT_BELIEF_MS ? known.reservedNanos : 0;
      if (known.spendNanos + reservedNanos >= known.maxBudgetNanos) {
        return { holder, spendNanos: known.spendNanos, reservedNanos, maxBudgetNanos: known.maxBudgetNanos };
      }
    }
    return null;
  }
}

function keyOf(holder: BudgetHolder): string {
  return `${holder.level}:${holder.id}`;
}
