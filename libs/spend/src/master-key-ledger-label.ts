import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { MASTER_KEY_LEDGER_LABEL, MasterKeyService } from '@tollgate/keys';

import { SpendLogRepository } from './spend-log.repository';

/**
 * Ledger rows written before the master key had a label of its own carry its hash, which
 * /spend/logs shows: replace it. A generated key's hash is in the database, so migration
 * 1764600000000 did it; a configured key's hash exists only in memory. The (api_key, start_time)
 * index makes this a no-op once done.
 */
@Injectable()
export class MasterKeyLedgerLabel implements OnApplicationBootstrap {
  private readonly logger = new Logger('MasterKey');

  constructor(
    private readonly masterKey: MasterKeyService,
    private readonly ledger: SpendLogRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.masterKey.isConfigured) return;
    await this.masterKey.ready();
    const relabelled = await this.ledger.relabelApiKey(this.masterKey.digest, MASTER_KEY_LEDGER_LABEL);
    if (relabelled > 0) this.logger.log(`Relabelled ${relabelled} ledger rows made with the master key`);
  }
}
