import { Injectable } from '@nestjs/common';
import type { SqlRunner } from '@tollgate/database';

import { BudgetExceededError, BudgetStoreUnavailableError } from './budget.errors';
import { type BudgetMovement, BudgetStore, type Reservation, type ReservationDetails } from './budget-store';
import { BudgetView } from './budget-view';

/**
 * Reserve before, settle after: what the request path asks of budgets. The store does the
 * database work; every outcome is also told to the BudgetView, which the BudgetGuard reads.
 */
@Injectable()
export class BudgetAccounts {
  constructor(
    private readonly store: BudgetStore,
    private readonly view: BudgetView = new BudgetView(),
  ) {}

  async reserve(details: ReservationDetails, now = Date.now()): Promise<Reservation> {
    let keySpendNanos: number | null;
    try {
      keySpendNanos = await this.store.reserve(details, now);
    } catch (error) {
      if (!(error instanceof BudgetExceededError)) throw new BudgetStoreUnavailableError(error);
      const holder = details.holders.find((h) => h.level === error.level);
      if (holder) this.view.refused(holder, error, now);
      throw error;
    }
    if (details.amountNanos > 0) this.view.changed(details.holders);
    return { requestId: details.requestId, holders: details.holders, amountNanos: details.amountNanos, keySpendNanos };
  }

  /** Gives a reservation back untouched: the attempt failed before anything was spent. */
  async release(reservation: Reservation): Promise<void> {
    await this.store.release(reservation);
    this.view.changed(reservation.holders);
  }

  /**
   * The budget step of a settlement: swaps the reservation, if still held, for the actual cost,
   * inside the transaction of whoever writes the request's ledger row (spend). Returns the key's
   * spend in its current window afterwards.
   */
  async settle(tx: SqlRunner, movement: BudgetMovement): Promise<number | null> {
    if (movement.holders.length === 0) return null;
    const keySpendNanos = await this.store.settle(tx, movement);
    this.settled(movement);
    return keySpendNanos;
  }

  /**
   * The budget step of a batch as part of one statement, where the store can (PostgreSQL); the
   * caller runs it after its INSERT … RETURNING and calls settled() for each row that landed.
   */
  settlementBatchStep(movements: BudgetMovement[]): { expression: string; params: unknown[] } | null {
    return this.store.settlementBatchStep(movements);
  }

  /** Tells the view that a settlement moved the holders' money. */
  settled(movement: BudgetMovement): void {
    // A refusal's row moves no money and must not make the view forget the refusal it records. A
    // zero-cost settlement that frees a reservation is the one change the view misses, for at most
    // the in-flight belief (BudgetView).
    if (movement.actualNanos > 0) this.view.changed(movement.holders);
  }
}
