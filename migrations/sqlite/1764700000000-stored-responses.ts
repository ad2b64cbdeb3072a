import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Responses the gateway served on /v1/responses, kept so `previous_response_id` works on every
 * backend and across fallbacks. Each row holds its own input and output items and links to the
 * response it continued (`previous_id`): a conversation is its chain of rows, read in one
 * recursive query, so a long conversation costs storage linear in its length, not quadratic.
 * Rows are readable only by `owner_token` (the key that created them) and until `expires_at`.
 */
export class StoredResponses1764700000000 implements MigrationInterface {
  name = 'StoredResponses1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE stored_responses (
      id TEXT PRIMARY KEY,
      owner_token TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      previous_id TEXT,
      input_items TEXT NOT NULL,
      response TEXT NOT NULL
    )`);
    await q.query(`CREATE INDEX stored_responses_expiry ON stored_responses (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stored_responses`);
  }
}
