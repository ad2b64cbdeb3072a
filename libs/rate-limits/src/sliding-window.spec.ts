import { countableTokens, limitedSubjects, retryAfterSeconds, WINDOW_MS } from './sliding-window';

const T0 = 28_000_000 * WINDOW_MS;
const rpmMax = (limit: number) => (limit - 1) * WINDOW_MS;

describe('retryAfterSeconds', () => {
  it('waits out the current minute and part of the next when the current minute alone is full', () => {
    // 3 of 3 at the start of a minute: at 80 s the old minute weighs 2/3, so 2 used + 1 fits.
    expect(retryAfterSeconds(rpmMax(3), 0, 3, T0)).toBe(80);
  });

  it('waits only for the previous minute to fade when the current one has room', () => {
    expect(retryAfterSeconds(rpmMax(3), 3, 0, T0)).toBe(20);
    expect(retryAfterSeconds(rpmMax(3), 3, 1, T0)).toBe(40);
  });

  it('never answers 0, even when the wait is a fraction of a second', () => {
    expect(retryAfterSeconds(1000 * WINDOW_MS - 1, 1000, 0, T0)).toBe(1);
    expect(retryAfterSeconds(rpmMax(3), 0, 0, T0)).toBe(1);
  });
});

describe('limitedSubjects', () => {
  it('drops subjects without a usable limit and merges duplicates to the stricter limits', () => {
    expect(
      limitedSubjects([
        { id: 'key:none' },
        { id: 'key:nulls', rpmLimit: null, tpmLimit: null },
        { id: 'key:inf', rpmLimit: Infinity, tpmLimit: Number.NaN },
        { id: 'team:t', rpmLimit: 10 },
        { id: 'team:t', rpmLimit: 20, tpmLimit: 500 },
      ]),
    ).toEqual([{ id: 'team:t', rpmLimit: 10, tpmLimit: 500, maxWeightedRequests: 9 * WINDOW_MS, maxWeightedTokens: 500 * WINDOW_MS - 1 }]);
  });
});

describe('countableTokens', () => {
  it('counts whole tokens and ignores values that would lower a counter', () => {
    expect([countableTokens(12), countableTokens(12.2), countableTokens(0), countableTokens(-5), countableTokens(Number.NaN)]).toEqual([
      12, 13, 0, 0, 0,
    ]);
  });
});
