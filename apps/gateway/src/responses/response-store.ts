import { Injectable } from '@nestjs/common';
import { Sql, type SqlResult } from '@tollgate/database';
import type { ResponseItem, ResponseObject } from '@tollgate/providers';

import { ResponsesError } from './responses.errors';

/**
 * How long a stored response can be continued or read: OpenAI keeps responses for 30 days. Each new
 * turn renews the whole conversation, so a conversation in use never loses its beginning.
 */
export const RESPONSE_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** Expired rows are swept on write, at most this often, so no timer is needed. */
const SWEEP_INTERVAL_MS = 60_000;
/** Far beyond any real conversation; bounds the recursive read should a chain ever be corrupt. */
const MAX_TURNS = 10_000;

export interface StoredResponse {
  response: ResponseObject;
  /** This request's own input items (not the earlier turns it continued). */
  input: ResponseItem[];
  /** The response it continued, if any. */
  previousId: string | null;
}

/** The responses served on /v1/responses, per key, in the gateway's own database. */
@Injectable()
export class ResponseStore {
  private lastSweep = 0;

  constructor(private readonly sql: Sql) {}

  async save(ownerToken: string, stored: StoredResponse, now = Date.now()): Promise<void> {
    await this.sweep(now);
    const expiresAt = now + RESPONSE_TTL_MS;
    await this.sql.query(
      `INSERT INTO stored_responses (id, owner_token, previous_id, created_at, expires_at, input_items, response)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      [stored.response.id, ownerToken, stored.previousId, now, expiresAt, JSON.stringify(stored.input), JSON.stringify(stored.response)],
    );
    if (stored.previousId === null) return;
    await this.sql.query(
      `WITH RECURSIVE chain(id, depth) AS (
         SELECT ?, 0
         UNION ALL
         SELECT r.previous_id, c.depth + 1 FROM stored_responses r JOIN chain c ON r.id = c.id
          WHERE r.previous_id IS NOT NULL AND r.owner_token = ? AND c.depth < ?
       )
       UPDATE stored_responses SET expires_at = ? WHERE owner_token = ? AND id IN (SELECT id FROM chain)`,
      [stored.previousId, ownerToken, MAX_TURNS, expiresAt, ownerToken],
    );
  }

  /** The response, if `ownerToken` created it and it has not expired. */
  async find(ownerToken: string, id: string, now = Date.now()): Promise<StoredResponse | undefined> {
    const result = await this.read<{ previous_id: string | null; input_items: string; response: string }>(
      `SELECT previous_id, input_items, response FROM stored_responses WHERE id = ? AND owner_token = ? AND expires_at > ?`,
      [id, ownerToken, now],
    );
    const row = result.rows[0];
    return row
      ? {
          response: JSON.parse(row.response) as ResponseObject,
          input: JSON.parse(row.input_items) as ResponseItem[],
          previousId: row.previous_id,
        }
      : undefined;
  }

  /**
   * Every item of the conversation that ends with response `id`, oldest first: each turn's input,
   * then its output. Undefined when the response, or any turn before it, is gone (deleted or
   * expired): a conversation with a hole would mislead the model more than no conversation.
   */
  async conversation(ownerToken: string, id: string, now = Date.now()): Promise<ResponseItem[] | undefined> {
    const result = await this.read<{ previous_id: string | null; input_items: string; response: string }>(
      `WITH RECURSIVE chain(id, previous_id, input_items, response, depth) AS (
         SELECT id, previous_id, input_items, response, 0 FROM stored_responses WHERE id = ? AND owner_token = ? AND expires_at > ?
         UNION ALL
         SELECT r.id, r.previous_id, r.input_items, r.response, c.depth + 1 FROM stored_responses r JOIN chain c ON r.id = c.previous_id
          WHERE r.owner_token = ? AND r.expires_at > ? AND c.depth < ?
       )
       SELECT previous_id, input_items, response FROM chain ORDER BY depth DESC`,
      [id, ownerToken, now, ownerToken, now, MAX_TURNS],
    );
    const turns = result.rows;
    if (turns.length === 0 || turns[0].previous_id !== null) return undefined;
    return turns.flatMap((turn) => [
      ...(JSON.parse(turn.input_items) as ResponseItem[]),
      ...(JSON.parse(turn.response) as ResponseObject).output,
    ]);
  }

  /** True when a live response of `ownerToken` was deleted. */
  async delete(ownerToken: string, id: string, now = Date.now()): Promise<boolean> {
    const result = await this.read(`DELETE FROM stored_responses WHERE id = ? AND owner_token = ? AND expires_at > ?`, [
      id,
      ownerToken,
      now,
    ]);
    return result.changes > 0;
  }

  /** A query the caller's answer depends on: an unreachable database is a 503, not an internal error. */
  private async read<T>(sql: string, params: unknown[]): Promise<SqlResult<T>> {
    try {
      return await this.sql.query<T>(sql, params);
    } catch (error) {
      throw ResponsesError.storeUnavailable(error);
    }
  }

  private async sweep(now: number): Promise<void> {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    await this.sql.query(`DELETE FROM stored_responses WHERE expires_at <= ?`, [now]);
  }
}
