export const NANOS_PER_USD = 1_000_000_000;

/** Nano-dollars → USD for display and APIs; exact for any amount below $9M. */
export function nanosToUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}

/**
 * USD as people write it (a budget of 50, a price of 0.000003 per token) → nano-dollars. Binary noise
 * is rounded away (3e-6 × 1e9 is 2999.9999999999995 in floating point), so an amount with at most
 * nine decimals — every budget the admin API accepts — comes out a whole number. A per-token price
 * below a nano-dollar keeps its fraction ($0.01875 per million tokens is 18.75 nano-dollars a token):
 * cost.ts rounds once, on a call's total, so rounding each price first would mis-charge every call.
 */
export function usdToNanos(usd: number): number {
  return Number((usd * NANOS_PER_USD).toFixed(6));
}
