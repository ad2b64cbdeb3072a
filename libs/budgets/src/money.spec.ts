import { nanosToUsd, usdToNanos } from './money';

describe('usdToNanos', () => {
  it.each([
    // Binary noise: 3e-6 × 1e9 is 2999.9999999999995, 0.1 × 1e9 is 100000000.00000001.
    [0.000003, 3000],
    [1.5e-5, 15000],
    [7.5e-8, 75],
    [0.1, 100_000_000],
    [50, 50_000_000_000],
    [0.000000001, 1],
    // The largest budget the admin API accepts stays exact.
    [9_007_199, 9_007_199_000_000_000],
  ])('%p USD is exactly %p nano-dollars', (usd, nanos) => {
    expect(usdToNanos(usd)).toBe(nanos);
  });

  it('a per-token price below a nano-dollar keeps its fraction, so a million tokens cost what the price list says', () => {
    // $0.01875 per million tokens: rounding the rate to 19 nano-dollars first would charge $0.019.
    const perToken = usdToNanos(0.01875 / 1_000_000);
    expect(perToken).toBe(18.75);
    expect(Math.round(1_000_000 * perToken)).toBe(18_750_000);
    expect(Math.round(1_000_000 * Math.round((0.01875 / 1_000_000) * 1e9))).toBe(19_000_000);
  });

  it('round-trips every budget with up to nine decimals', () => {
    for (const usd of [0.5, 12.34, 0.123456789, 999.999999999, 1234567.000000001]) {
      expect(Number.isInteger(usdToNanos(usd))).toBe(true);
      expect(nanosToUsd(usdToNanos(usd))).toBe(usd);
    }
  });
});
