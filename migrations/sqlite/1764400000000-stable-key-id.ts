import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A key's stable id (SQLite). `token` is the hash of the secret and changes on /key/regenerate,
 * so budgets and reservations follow `key_id` instead: an in-flight call settles against the
 * account it reserved on whatever happens to the secret meanwhile. Existing keys keep their
 * current token as their id; new keys take their first token.
 */
export class StableKeyId1764400000000 implements MigrationInterface {
  name = 'StableKeyId1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN key_id TEXT`);
    await q.query(`UPDATE api_keys SET key_id = token`);
    await q.query(`CREATE UNIQUE INDEX api_keys_key_id ON api_keys (key_id)`);
    await q.query(`ALTER TABLE budget_reservations ADD COLUMN key_id TEXT`);
    await q.query(`UPDATE budget_reservations SET key_id = token`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX api_keys_key_id`);
    await q.query(`ALTER TABLE budget_reservations DROP COLUMN key_id`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN key_id`);
  }
}
