import { Injectable } from '@nestjs/common';
import { Sql, toInt } from '@tollgate/database';
import type { ResponseItem, ResponseObject } from '@tollgate/providers';

/** How long a stored response can be continued or read: OpenAI keeps responses for 30 days. */
export const RESPONSE_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** Expired rows are swept on write, at most this often, so no timer is needed. */
const SWEEP_INTERVAL_MS = 60_000;

export interface StoredResponse {
  response: ResponseObject;
  /** Every input item the response answered, earlier turns included. */
  conversation: ResponseItem[];
  /** Where this request's own input begins in `conversation`. */
  inputStart: number;
}

/** The responses served on /v1/responses, per key, in the gateway's own database. */
@Injectable()
export class ResponseStore {
  private lastSweep = 0;

  constructor(private readonly sql: Sql) {}

  async save(ownerToken: string, stored: StoredResponse, now = Date.now()): Promise<void> {
    await this.sweep(now);
    await this.sql.query(
      `INSERT INTO stored_responses (id, owner_token, created_at, expires_at, input_start, conversation, response)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      [stored.response.id, ownerToken, now, now + RESPONSE_TTL_MS, stored.inputStart, JSON.stringify(stored.conversation), JSON.stringify(stored.response)],
    );
  }

  /** The response, if `ownerToken` created it and it has not expired. */
  async find(ownerToken: string, id: string, now = Date.now()): Promise<StoredResponse | undefined> {
    const result = await this.sql.query<{ input_start: unknown; conversation: string; response: string }>(
      `SELECT input_start, conversation, response FROM stored_responses WHERE id = ? AND owner_token = ? AND expires_at > ?`,
      [id, ownerToken, now],
    );
    const row = result.rows[0];
    if (!row) return undefined;
    return { response: JSON.parse(row.response) as ResponseObject, conversation: JSON.parse(row.conversation) as ResponseItem[], inputStart: toInt(row.input_start) };
  }

  /** True when a live response of `ownerToken` was deleted. */
  async delete(ownerToken: string, id: string, now = Date.now()): Promise<boolean> {
    const result = await this.sql.query(`DELETE FROM stored_responses WHERE id = ? AND owner_token = ? AND expires_at > ?`, [id, ownerToken, now]);
    return result.changes > 0;
  }

  private async sweep(now: number): Promise<void> {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    await this.sql.query(`DELETE FROM stored_responses WHERE expires_at <= ?`, [now]);
  }
}
