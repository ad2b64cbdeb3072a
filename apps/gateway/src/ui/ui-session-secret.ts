import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { GatewaySettings } from '@tollgate/database';
import { MasterKeyService } from '@tollgate/keys';

const SETTING = 'ui_session_secret';

/**
 * The random secret that signs dashboard sessions: 256 bits, generated once and shared by every
 * instance through `gateway_settings`, so a cookie issued by one instance verifies on all.
 *
 * Stored as `<binding>.<secret>`, where the binding is an HMAC of the master key's hash under the
 * secret. An instance that finds a binding for another master key replaces the secret: changing the
 * master key ends every session. Rotating it on request (logout-all) does the same on purpose.
 * It is read from the database on every check, so a rotation reaches all instances at once.
 */
@Injectable()
export class UiSessionSecret {
  private readonly logger = new Logger('Dashboard');

  constructor(
    private readonly settings: GatewaySettings,
    private readonly masterKey: MasterKeyService,
  ) {}

  async current(): Promise<Buffer> {
    const stored = await this.read();
    if (stored && this.boundToThisMasterKey(stored)) return stored.secret;
    if (stored) this.logger.warn('The master key changed: every dashboard session has been ended');
    return this.replace(stored?.value ?? null);
  }

  /** Ends every dashboard session on every instance. */
  async rotate(): Promise<void> {
    const stored = await this.read();
    await this.replace(stored?.value ?? null);
  }

  /** Compare-and-swap, so two instances replacing at once agree on one winner. */
  private async replace(previous: string | null): Promise<Buffer> {
    const secret = randomBytes(32);
    const value = `${this.binding(secret).toString('hex')}.${secret.toString('hex')}`;
    if (previous === null) await this.settings.setIfAbsent(SETTING, value);
    else await this.settings.replace(SETTING, previous, value);
    const winner = await this.read();
    return winner!.secret;
  }

  private async read(): Promise<{ value: string; binding: Buffer; secret: Buffer } | undefined> {
    const value = await this.settings.get(SETTING).catch((error: unknown) => {
      this.logger.warn(`Cannot read the session secret: ${(error as Error)?.message ?? String(error)}`);
      throw new ServiceUnavailableException('The dashboard cannot check sessions while the database is unreachable');
    });
    if (!value) return undefined;
    const [binding, secret] = value.split('.');
    return { value, binding: Buffer.from(binding ?? '', 'hex'), secret: Buffer.from(secret ?? '', 'hex') };
  }

  private boundToThisMasterKey(stored: { binding: Buffer; secret: Buffer }): boolean {
    const expected = this.binding(stored.secret);
    return stored.secret.length === 32 && stored.binding.length === expected.length && timingSafeEqual(stored.binding, expected);
  }

  private binding(secret: Buffer): Buffer {
    return createHmac('sha256', secret).update(`tollgate/ui-session-binding\0${this.masterKey.digest}`).digest();
  }
}
