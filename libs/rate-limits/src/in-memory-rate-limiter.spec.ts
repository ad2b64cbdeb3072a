import { InMemoryRateLimiter } from './in-memory-rate-limiter';
import { describeRateLimiterContract, T0 } from './rate-limiter.contract';

describe('InMemoryRateLimiter', () => {
  describeRateLimiterContract(() => new InMemoryRateLimiter());

  it('keeps no state for subjects without limits', async () => {
    const limiter = new InMemoryRateLimiter();
    await limiter.admit([{ id: 'key:free' }, { id: 'team:free', rpmLimit: null }], T0);
    expect(limiter.trackedSubjectCount).toBe(0);
  });

  it('drops counters once they are older than two minutes', async () => {
    const limiter = new InMemoryRateLimiter();
    for (let i = 0; i < 100; i++) {
      await limiter.admit([{ id: `key:${i}`, rpmLimit: 10 }], T0);
      await limiter.recordTokens([`team:${i}`], 10, T0);
    }
    expect(limiter.trackedSubjectCount).toBe(200);

    // A minute later the old bucket is still the previous one and must stay readable.
    await limiter.admit([{ id: 'key:late', rpmLimit: 10 }], T0 + 60_000);
    expect(limiter.trackedSubjectCount).toBe(201);

    await limiter.admit([{ id: 'key:later', rpmLimit: 10 }], T0 + 120_000);
    expect(limiter.trackedSubjectCount).toBe(2);
  });
});
