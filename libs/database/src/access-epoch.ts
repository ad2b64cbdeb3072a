import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';

import { Sql, type SqlRunner, toInt } from './sql';

const POLL_MS = 250;

/**
 * A counter bumped in the same transaction as every change to keys or teams. Each gateway
 * instance polls it (one indexed single-row read every 250 ms) and drops its in-memory auth
 * caches when it moves, so a key blocked, deleted or re-budgeted through any instance is refused
 * by every instance well within a second, while authentication itself never touches the database.
 */
@Injectable()
export class AccessEpoch implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AccessEpoch');
  private readonly listeners: (() => void)[] = [];
  private seen = -1;
  private timer?: NodeJS.Timeout;

  constructor(private readonly sql: Sql) {}

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async bump(tx: SqlRunner): Promise<void> {
    await tx.query(`UPDATE gateway_settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE name = 'auth_epoch'`);
  }

  /** Checks now (used after local writes so this instance never serves its own stale cache). */
  async refresh(): Promise<void> {
    const result = await this.sql.query<{ value: unknown }>(`SELECT value FROM gateway_settings WHERE name = 'auth_epoch'`);
    const epoch = toInt(result.rows[0]?.value);
    if (epoch !== this.seen) {
      this.seen = epoch;
      for (const listener of this.listeners) listener();
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch((e) => this.logger.warn(`poll failed: ${(e as Error).message}`)), POLL_MS);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
