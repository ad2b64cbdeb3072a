import { randomBytes, timingSafeEqual } from 'node:crypto';

import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { GatewaySettings } from '@tollgate/database';

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
  private established?: Promise<void>;

  constructor(
    private readonly settings: GatewaySettings,
    @Inject(CONFIGURED_MASTER_KEY) private readonly configured: string | undefined,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ready();
  }

  /** Resolves once the key is known (configured, stored or generated): other bootstrap hooks await it. */
  ready(): Promise<void> {
    return (this.established ??= this.establish());
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

  /** Constant-time: compares SHA-256 digests of equal length. */
  matches(secret: string | undefined): boolean {
    return !!secret && this.matchesToken(hashKey(secret));
  }

  /** `matches` for a secret already hashed (its token), so a virtual key's call hashes it once, not twice. */
  matchesToken(token: string): boolean {
    if (!this.hash) return false;
    return timingSafeEqual(Buffer.from(token, 'hex'), this.hash);
  }

  /** A configured key's hash exists only in memory; a generated one's is stored with the data. */
  get isConfigured(): boolean {
    return this.configured !== undefined && this.configured !== '';
  }

  /** The master key's SHA-256: never shown, never stored beside shown values; it binds the dashboard's signing secret. */
  get digest(): string {
    return this.hash.toString('hex');
  }
}
