export * from './in-memory-rate-limiter';
export * from './rate-limit.guard';
export * from './rate-limiter';
export * from './rate-limits.errors';
export * from './rate-limits.module';
export * from './redis-rate-limiter';
