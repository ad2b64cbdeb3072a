import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Sql } from '@tollgate/database';
import { hashKey } from './key-secrets';

export const CONFIGURED_MASTER_KEY = Symbol('CONFIGURED_MASTER_KEY');

/**
 * The admin secret. From `general_settings.master_key` when configured; otherwise generated on
 * first start, stored (hashed) with the data and printed once, so the gateway never runs open.
 */
@Injectable()
export class MasterKeyService implements OnApplicationBootstrap {
  private readonly logger = new Logger('MasterKey');
  private hash!: Buffer;

  constructor(
    private readonly sql: Sql,
    @Inject(CONFIGURED_MASTER_KEY) private readonly configured: string | undefined,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.configured) {
      this.hash = Buffer.from(hashKey(this.configured), 'hex');
      return;
    }
    const stored = await this.sql.query<{ value: string }>(`SELECT value FROM gateway_settings WHERE name = 'master_key_hash'`);
    if (stored.rows.length > 0) {
      this.hash = Buffer.from(stored.rows[0].value, 'hex');
      return;
    }
    const generated = `sk-${randomBytes(32).toString('base64url')}`;
    await this.sql.query(`INSERT INTO gateway_settings (name, value) VALUES ('master_key_hash', ?) ON CONFLICT (name) DO NOTHING`, [hashKey(generated)]);
    const winner = await this.sql.query<{ value: string }>(`SELECT value FROM gateway_settings WHERE name = 'master_key_hash'`);
    this.hash = Buffer.from(winner.rows[0].value, 'hex');
    if (winner.rows[0].value === hashKey(generated)) {
      // Printed once, on purpose: it is stored only as a hash and cannot be shown again.
      this.logger.warn(`No master_key configured. Generated one — save it now, it will not be shown again:\n\n    ${generated}\n`);
    }
  }

  /** Constant-time: compares SHA-256 digests of equal length. */
  matches(secret: string | undefined): boolean {
    if (!secret || !this.hash) return false;
    return timingSafeEqual(Buffer.from(hashKey(secret), 'hex'), this.hash);
  }

  get token(): string {
    return this.hash.toString('hex');
  }
}
