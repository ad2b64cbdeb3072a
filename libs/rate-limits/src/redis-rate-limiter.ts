import { Logger } from '@nestjs/common';
import type * as IoRedis from 'ioredis';
import type { Redis } from 'ioredis';

import type { RateDecision, RateLimiter, RateSubject } from './rate-limiter';
import { RateLimitStoreUnavailableError } from './rate-limits.errors';
import {
  ALLOWED,
  BUCKET_TTL_SECONDS,
  bucketOf,
  countableTokens,
  denial,
  limitedSubjects,
  previousBucketOverlapMs,
  WINDOW_MS,
} from './sliding-window';

export const DEFAULT_KEY_PREFIX = 'tollgate:rl:';

export interface RedisRateLimiterOptions {
  url: string;
  /** Every key starts with this; tests give each run its own so they can clean up after themselves. */
  keyPrefix?: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

/**
 * Check-then-count for every subject in one step on the server, so two gateway processes can never
 * both see "4 of 5 used" and both admit, and a denial on the team never leaves the key counted.
 * It mirrors `exceededLimit` in sliding-window.ts (same integer arithmetic) and returns the counts
 * of the first subject over a limit so the caller can work out Retry-After.
 *
 * KEYS: per subject, its current then its previous minute bucket (hashes: requests, tokens).
 * ARGV: window ms, overlap of the previous bucket in ms, bucket TTL in s, then per subject its
 * max weighted requests and max weighted tokens ('' when unlimited).
 */
const ADMIT_SCRIPT = `
local window = tonumber(ARGV[1])
local overlap = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local subjects = #KEYS / 2
for i = 1, subjects do
  local current = redis.call('HMGET', KEYS[2 * i - 1], 'requests', 'tokens')
  local previous = redis.call('HMGET', KEYS[2 * i], 'requests', 'tokens')
  local maxRequests = tonumber(ARGV[2 + 2 * i])
  local maxTokens = tonumber(ARGV[3 + 2 * i])
  local currentRequests, currentTokens = tonumber(current[1]) or 0, tonumber(current[2]) or 0
  local previousRequests, previousTokens = tonumber(previous[1]) or 0, tonumber(previous[2]) or 0
  if maxRequests and previousRequests * overlap + currentRequests * window > maxRequests then
    return {i, 'rpm', tostring(previousRequests), tostring(currentRequests)}
  end
  if maxTokens and previousTokens * overlap + currentTokens * window > maxTokens then
    return {i, 'tpm', tostring(previousTokens), tostring(currentTokens)}
  end
end
for i = 1, subjects do
  redis.call('HINCRBY', KEYS[2 * i - 1], 'requests', 1)
  redis.call('EXPIRE', KEYS[2 * i - 1], ttl)
end
return {0}
`;

/** `[0]` when admitted, else the 1-based index of the subject over a limit, which limit, and its previous and current counts. */
type AdmitReply = [number, ('rpm' | 'tpm')?, string?, string?];

interface WithAdmitScript {
  tollgateRateLimitAdmit(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<AdmitReply>;
}

/**
 * Limits shared by every gateway process through Redis. Counters are keyed by the caller's clock
 * minute, not Redis's TIME, so the script's keys can all be declared up front; gateway hosts are
 * expected to be NTP-synced, and a skew of a few hundred ms only shifts which minute a request
 * lands in. All subjects of one admit must live on one node: a Redis Cluster would need hash tags.
 *
 * Fails fast instead of queueing: with Redis gone, a request waiting on a counter is worse than a
 * prompt 503, so there is no offline queue, one retry, and short connect and command timeouts.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly logger = new Logger(RedisRateLimiter.name);
  private readonly client: Redis;
  private readonly keyPrefix: string;
  private readonly connectTimeoutMs: number;
  private lastError: Error | null = null;
  private outageLogged = false;
  private pendingConnection: Promise<void> | null = null;
  private closed = false;

  constructor(options: RedisRateLimiterOptions) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 500;
    // Loaded here, not at import: a gateway without REDIS_URL never pays for ioredis (about 5 MB of RSS).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Redis: RedisClient } = require('ioredis') as typeof IoRedis;
    this.client = new RedisClient(options.url, {
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      // After a refused connection ioredis's disconnect waits this long for a 'close' that has already
      // happened, holding the process open at shutdown during an outage (2 s by default).
      disconnectTimeout: this.connectTimeoutMs,
    });
    this.client.defineCommand('tollgateRateLimitAdmit', { lua: ADMIT_SCRIPT });
    // Without a listener ioredis prints every reconnect failure; one line per outage is enough.
    // The URL is never logged: it may carry the Redis password.
    this.client.on('error', (error: Error) => {
      this.lastError = error;
      // Closing before the first connection is ready makes its ready check fail: not an outage.
      if (this.outageLogged || this.closed) return;
      this.outageLogged = true;
      this.logger.warn(`Redis for rate limits is unreachable: ${error.message}`);
    });
    this.client.on('ready', () => {
      this.lastError = null;
      this.outageLogged = false;
    });
  }

  async admit(subjects: RateSubject[], now = Date.now()): Promise<RateDecision> {
    const limited = limitedSubjects(subjects);
    if (limited.length === 0) return ALLOWED;
    const bucket = bucketOf(now);
    const keys = limited.flatMap((subject) => [this.bucketKey(subject.id, bucket), this.bucketKey(subject.id, bucket - 1)]);
    const args = limited.flatMap((subject) => [limitArg(subject.maxWeightedRequests), limitArg(subject.maxWeightedTokens)]);
    const reply = await this.run(() =>
      (this.client as unknown as WithAdmitScript).tollgateRateLimitAdmit(
        keys.length,
        ...keys,
        WINDOW_MS,
        previousBucketOverlapMs(now),
        BUCKET_TTL_SECONDS,
        ...args,
      ),
    );
    const [index, limit, previous, current] = reply;
    if (index === 0 || limit === undefined) return ALLOWED;
    return denial(limited[index - 1], limit, Number(previous), Number(current), now);
  }

  async recordTokens(subjectIds: string[], tokens: number, now = Date.now()): Promise<void> {
    const counted = countableTokens(tokens);
    if (counted === 0 || subjectIds.length === 0) return;
    const bucket = bucketOf(now);
    const transaction = this.client.multi();
    for (const id of new Set(subjectIds)) {
      const key = this.bucketKey(id, bucket);
      transaction.hincrby(key, 'tokens', counted).expire(key, BUCKET_TTL_SECONDS);
    }
    await this.run(() => transaction.exec());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // The connection died while saying goodbye; dropping it below is all that is left to do.
      }
    }
    this.client.disconnect();
  }

  private bucketKey(subjectId: string, bucket: number): string {
    return `${this.keyPrefix}${subjectId}:${bucket}`;
  }

  /** Every store failure, whatever ioredis calls it, surfaces as one error the gateway maps to 503. */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    await this.connected();
    try {
      return await command();
    } catch (error) {
      throw new RateLimitStoreUnavailableError(error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  /**
   * Right after start-up the first connection is still being made; without an offline queue a
   * command would fail at once, so wait for it (bounded by the connect timeout). Once a connection
   * has been lost, fail immediately: ioredis keeps reconnecting in the background.
   */
  private async connected(): Promise<void> {
    const status = this.client.status;
    if (status === 'ready') return;
    if (status !== 'connecting' && status !== 'connect') {
      throw new RateLimitStoreUnavailableError(this.lastError?.message ?? `connection is ${status}`, {
        cause: this.lastError ?? undefined,
      });
    }
    this.pendingConnection ??= this.waitForReady().finally(() => (this.pendingConnection = null));
    return this.pendingConnection;
  }

  private waitForReady(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        this.client.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => settle();
      const onClose = () =>
        settle(new RateLimitStoreUnavailableError(this.lastError?.message ?? 'connection closed', { cause: this.lastError ?? undefined }));
      const timer = setTimeout(
        () => settle(new RateLimitStoreUnavailableError(`no connection within ${this.connectTimeoutMs} ms`)),
        this.connectTimeoutMs,
      );
      this.client.on('ready', onReady);
      this.client.on('close', onClose);
    });
  }
}

function limitArg(maxWeighted: number | null): string {
  return maxWeighted === null ? '' : String(maxWeighted);
}
