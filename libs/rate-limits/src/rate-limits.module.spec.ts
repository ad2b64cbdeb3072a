import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';

import { InMemoryRateLimiter } from './in-memory-rate-limiter';
import { RATE_LIMITER, type RateLimiter } from './rate-limiter';
import { RateLimitsModule } from './rate-limits.module';
import { RedisRateLimiter } from './redis-rate-limiter';

@Injectable()
class RateLimitedFeature {
  constructor(@Inject(RATE_LIMITER) readonly limiter: RateLimiter) {}
}

/** Does not import RateLimitsModule itself: the limiter must reach it because the module is global. */
@Module({ providers: [RateLimitedFeature] })
class FeatureModule {}

async function boot(redisUrl?: string) {
  const moduleRef = await Test.createTestingModule({ imports: [RateLimitsModule.forRoot({ redisUrl }), FeatureModule] }).compile();
  return { moduleRef, limiter: moduleRef.get(RateLimitedFeature).limiter };
}

describe('RateLimitsModule', () => {
  afterEach(() => jest.restoreAllMocks());

  it('counts in memory when no Redis URL is configured, and closes the limiter on shutdown', async () => {
    const close = jest.spyOn(InMemoryRateLimiter.prototype, 'close');
    const { moduleRef, limiter } = await boot();
    expect(limiter).toBeInstanceOf(InMemoryRateLimiter);
    await moduleRef.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('shares limits through Redis when a URL is configured, and closes the connection on shutdown', async () => {
    const close = jest.spyOn(RedisRateLimiter.prototype, 'close');
    const { moduleRef, limiter } = await boot(process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379');
    expect(limiter).toBeInstanceOf(RedisRateLimiter);
    await expect(limiter.admit([{ id: `key:module-spec-${process.pid}` }])).resolves.toEqual({ allowed: true });
    await moduleRef.close();
    expect(close).toHaveBeenCalledTimes(1);
  });
});
