import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Marks ledger rows charged by the gateway's estimate because the upstream's usage was missing or not believable. */
export class EstimatedChargesPostgres1764500000000 implements MigrationInterface {
  name = 'EstimatedChargesPostgres1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE spend_logs ADD COLUMN estimated SMALLINT NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE spend_logs DROP COLUMN estimated`);
  }
}
