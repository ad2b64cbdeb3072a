import { nanosToUsd } from './money';

export type BudgetLevel = 'key' | 'team';

/** A reservation would take a key or team past its `max_budget`: nothing may be sent upstream. */
export class BudgetExceededError extends Error {
  constructor(
    readonly level: BudgetLevel,
    /** Team id, or the key's masked name: never the raw key. */
    readonly subject: string,
    readonly spentNanos: number,
    readonly reservedNanos: number,
    readonly maxBudgetNanos: number,
  ) {
    // LiteLLM's wording, which users' scripts grep for.
    super(
      `Budget has been exceeded! ${level === 'team' ? 'Team' : 'Key'}=${subject} Current cost: ${nanosToUsd(spentNanos)}, ` +
        `Max budget: ${nanosToUsd(maxBudgetNanos)}` +
        (reservedNanos > 0 ? ` (${nanosToUsd(reservedNanos)} reserved by requests in flight)` : ''),
    );
    this.name = 'BudgetExceededError';
  }
}

/** The budget store cannot be reached: fail closed rather than spend unmetered money. */
export class BudgetStoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Budget store unavailable; refusing calls that would spend money (${(cause as Error)?.message ?? String(cause)})`);
    this.name = 'BudgetStoreUnavailableError';
  }
}
