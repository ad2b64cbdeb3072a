/**
 * A token count an upstream may report: a whole, non-negative number small enough to add exactly.
 * Negative counts would credit a budget, fractions and huge values would break integer money.
 */
export function isTokenCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** An optional counter (a cache counter, say): absent or null is zero; anything else must be a token count. */
export function optionalTokenCount(value: unknown): number | undefined {
  if (value === undefined || value === null) return 0;
  return isTokenCount(value) ? value : undefined;
}
