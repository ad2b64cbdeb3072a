import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Responses the gateway served on /v1/responses, kept so `previous_response_id` works on every
 * backend and across fallbacks. `conversation` holds every input item the response answered
 * (earlier turns included) and `input_start` where this request's own input begins in it.
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
      input_start INTEGER NOT NULL,
      conversation TEXT NOT NULL,
      response TEXT NOT NULL
    )`);
    await q.query(`CREATE INDEX stored_responses_expiry ON stored_responses (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stored_responses`);
  }
}
