import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';

import { describeRateLimiterContract, T0 } from './rate-limiter.contract';
import { RateLimitStoreUnavailableError } from './rate-limits.errors';
import { RedisRateLimiter } from './redis-rate-limiter';

const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
/** Nothing listens here, so connections are refused. */
const UNREACHABLE_URL = 'redis://127.0.0.1:6390';

/** One namespace per run so parallel runs never share counters and cleanup deletes only our keys. */
const RUN_PREFIX = `tollgate:rl:test:${randomUUID()}:`;
let limiterCount = 0;
const freshPrefix = () => `${RUN_PREFIX}${limiterCount++}:`;

describe('RedisRateLimiter', () => {
  const admin = new Redis(REDIS_URL, { lazyConnect: true });
  const opened: RedisRateLimiter[] = [];
  const open = (keyPrefix: string, url = REDIS_URL) => {
    const limiter = new RedisRateLimiter({ url, keyPrefix });
    opened.push(limiter);
    return limiter;
  };

  beforeAll(async () => {
    await admin.connect();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((limiter) => limiter.close()));
  });

  afterAll(async () => {
    const keys: string[] = [];
    for await (const batch of admin.scanStream({ match: `${RUN_PREFIX}*`, count: 500 })) keys.push(...(batch as string[]));
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  describeRateLimiterContract(() => open(freshPrefix()));

  it('shares one limit between two gateway processes without over-admitting under concurrency', async () => {
    const prefix = freshPrefix();
    const gatewayA = open(prefix);
    const gatewayB = open(prefix);
    const key = { id: 'key:shared', rpmLimit: 5 };
    const team = { id: 'team:shared', rpmLimit: 100 };

    const decisions = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? gatewayA : gatewayB).admit([key, team], T0 + i)),
    );

    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    expect(decisions.filter((d) => !d.allowed).every((d) => !d.allowed && d.subjectId === 'key:shared')).toBe(true);
    // All or nothing held under contention too: the team was counted only for admitted requests.
    expect(await admin.hget(`${prefix}team:shared:${Math.floor(T0 / 60_000)}`, 'requests')).toBe('5');
  });

  it('keeps its keys under the prefix and lets them expire after about two minutes', async () => {
    const prefix = freshPrefix();
    const limiter = open(prefix);
    await limiter.admit([{ id: 'key:a', rpmLimit: 5 }], T0);
    await limiter.recordTokens(['key:a'], 42, T0);

    const key = `${prefix}key:a:${Math.floor(T0 / 60_000)}`;
    expect(await admin.hgetall(key)).toEqual({ requests: '1', tokens: '42' });
    const ttl = await admin.ttl(key);
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  it('answers subjects without limits without touching Redis at all', async () => {
    const limiter = open(freshPrefix(), UNREACHABLE_URL);
    await expect(limiter.admit([{ id: 'key:free' }, { id: 'team:free', tpmLimit: null }])).resolves.toEqual({ allowed: true });
  });

  it('rejects promptly with RateLimitStoreUnavailableError when Redis is unreachable', async () => {
    const limiter = open(freshPrefix(), UNREACHABLE_URL);
    const limited = [{ id: 'key:a', rpmLimit: 5 }];

    // Both while the first connection attempt is under way and once ioredis is reconnecting.
    for (let attempt = 0; attempt < 2; attempt++) {
      const started = Date.now();
      await expect(limiter.admit(limited)).rejects.toBeInstanceOf(RateLimitStoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(1000);
    }
    await expect(limiter.recordTokens(['key:a'], 10)).rejects.toBeInstanceOf(RateLimitStoreUnavailableError);
  });
});
