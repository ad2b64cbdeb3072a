import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';

import { InMemoryRateLimiter } from './in-memory-rate-limiter';
import { RATE_LIMITER, type RateLimiter } from './rate-limiter';
import { RedisRateLimiter } from './redis-rate-limiter';

export interface RateLimitsOptions {
  /** Set to share limits across gateway processes; without it each process counts on its own. */
  redisUrl?: string;
}

@Module({})
export class RateLimitsModule implements OnApplicationShutdown {
  constructor(@Inject(RATE_LIMITER) private readonly limiter: RateLimiter) {}

  static forRoot(options: RateLimitsOptions): DynamicModule {
    return {
      module: RateLimitsModule,
      global: true,
      providers: [
        {
          provide: RATE_LIMITER,
          useFactory: (): RateLimiter => (options.redisUrl ? new RedisRateLimiter({ url: options.redisUrl }) : new InMemoryRateLimiter()),
        },
      ],
      exports: [RATE_LIMITER],
    };
  }

  /** An open Redis connection would keep the process alive after `app.close()`. */
  async onApplicationShutdown(): Promise<void> {
    await this.limiter.close();
  }
}
