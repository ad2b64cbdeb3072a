import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ledger rows made with a generated master key carried its SHA-256 as `api_key`, which
 * /spend/logs shows and which once seeded the dashboard's session signing key. They now carry the
 * fixed label 'master-key' (MASTER_KEY_LEDGER_LABEL). A configured master key's hash is not in the
 * database; the gateway relabels those rows at start-up. The dashboard's signing secret itself is
 * a random value the gateway adds to gateway_settings ('ui_session_secret') on first use.
 */
export class MasterKeyLedgerLabel1764600000000 implements MigrationInterface {
  name = 'MasterKeyLedgerLabel1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE spend_logs SET api_key = 'master-key' WHERE api_key IN (SELECT value FROM gateway_settings WHERE name = 'master_key_hash')`,
    );
  }

  /** The hash is not recoverable from the label, and nothing needs it back: sessions now use their own secret. */
  async down(): Promise<void> {}
}
