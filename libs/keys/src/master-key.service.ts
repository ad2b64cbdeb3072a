import { randomBytes, timingSafeEqual } from 'node:crypto';

import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { GatewaySettings, Sql } from '@tollgate/database';

import { MASTER_KEY_LEDGER_LABEL } from './caller';
import { hashKey } from './key-secrets';

const MASTER_KEY_HASH = 'master_key_hash';

/** Shorter master keys still load (LiteLLM's examples use sk-1234) but draw a warning at start-up. */
const RECOMMENDED_LENGTH = 32;

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
    private readonly settings: GatewaySettings,
    private readonly sql: Sql,
    @Inject(CONFIGURED_MASTER_KEY) private readonly configured: string | undefined,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.establish();
    if (this.configured) await this.relabelLedger();
  }

  private async establish(): Promise<void> {
    if (this.configured) {
      if (this.configured.length < RECOMMENDED_LENGTH) {
        this.logger.warn(
          `The master key is ${this.configured.length} characters long; use at least ${RECOMMENDED_LENGTH} random characters (e.g. sk- followed by \`openssl rand -hex 32\`)`,
        );
      }
      this.hash = Buffer.from(hashKey(this.configured), 'hex');
      return;
    }
    const stored = await this.settings.get(MASTER_KEY_HASH);
    if (stored !== null) {
      this.hash = Buffer.from(stored, 'hex');
      return;
    }
    const generated = `sk-${randomBytes(32).toString('base64url')}`;
    await this.settings.setIfAbsent(MASTER_KEY_HASH, hashKey(generated));
    // Instances starting together each generate one; the first stored wins.
    const winner = (await this.settings.get(MASTER_KEY_HASH))!;
    this.hash = Buffer.from(winner, 'hex');
    if (winner === hashKey(generated)) {
      // Printed once, on purpose: it is stored only as a hash and cannot be shown again.
      this.logger.warn(`No master_key configured. Generated one — save it now, it will not be shown again:\n\n    ${generated}\n`);
    }
  }

  /**
   * Ledger rows written before the master key had a label of its own carry its hash, which
   * /spend/logs shows: replace it. A generated key's hash is in the database, so migration
   * 1764600000000 did it; a configured key's hash exists only here. The (api_key, start_time)
   * index makes this a no-op once done.
   */
  private async relabelLedger(): Promise<void> {
    const relabelled = await this.sql.query(`UPDATE spend_logs SET api_key = ? WHERE api_key = ?`, [MASTER_KEY_LEDGER_LABEL, this.digest]);
    if (relabelled.changes > 0) this.logger.log(`Relabelled ${relabelled.changes} ledger rows made with the master key`);
  }

  /** Constant-time: compares SHA-256 digests of equal length. */
  matches(secret: string | undefined): boolean {
    if (!secret || !this.hash) return false;
    return timingSafeEqual(Buffer.from(hashKey(secret), 'hex'), this.hash);
  }

  /** The master key's SHA-256: never shown, never stored beside shown values; it binds the dashboard's signing secret. */
  get digest(): string {
    return this.hash.toString('hex');
  }
}
