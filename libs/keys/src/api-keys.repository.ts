import { Injectable } from '@nestjs/common';
import { budgetWindow, carrySpendIntoNewWindow } from '@tollgate/budgets';
import { AccessEpoch, assignments, inChunks, Sql, type SqlRunner, toInt, Where } from '@tollgate/database';

import { type ApiKey, apiKeyFromRow } from './api-key';

/** What an admin sets on a key; the rest (token, spend, window, times) the gateway keeps. */
export type KeySettings = Pick<
  ApiKey,
  | 'keyAlias'
  | 'teamId'
  | 'userId'
  | 'models'
  | 'maxBudgetNanos'
  | 'budgetDuration'
  | 'tpmLimit'
  | 'rpmLimit'
  | 'expiresAt'
  | 'metadata'
  | 'blocked'
>;

export type KeyWrite = 'written' | 'not_found' | 'alias_taken';

export type KeyDeletion = { deleted: true } | { deleted: false; missing: { key: string } | { alias: string } };

/**
 * The `api_keys` table. Only hashes are stored (`token`); `key_id` is the first token, kept for
 * life. Every change bumps the access epoch in its own transaction, so each gateway instance
 * drops its cached view of keys within a second. Aliases are unique among keys.
 */
@Injectable()
export class ApiKeysRepository {
  constructor(
    private readonly sql: Sql,
    private readonly epoch: AccessEpoch,
  ) {}

  async insert(token: string, keyName: string, settings: KeySettings, now: number): Promise<KeyWrite> {
    return this.sql.transaction(async (tx) => {
      if (await this.aliasTaken(tx, settings.keyAlias, null)) return 'alias_taken';
      await tx.query(
        `INSERT INTO api_keys (key_id, token, key_name, key_alias, team_id, user_id, models, max_budget_nanos, budget_duration, tpm_limit,
                               rpm_limit, expires_at, metadata, blocked, spend_nanos, reserved_nanos, window_start, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?)`,
        [
          // The first token is unique and random, so it serves as the key's id for life.
          token,
          token,
          keyName,
          settings.keyAlias,
          settings.teamId,
          settings.userId,
          JSON.stringify(settings.models),
          settings.maxBudgetNanos,
          settings.budgetDuration,
          settings.tpmLimit,
          settings.rpmLimit,
          settings.expiresAt,
          JSON.stringify(settings.metadata),
          settings.blocked ? 1 : 0,
          budgetWindow(settings.budgetDuration, now).start,
          now,
          now,
        ],
      );
      await this.epoch.bump(tx);
      return 'written';
    });
  }

  /** Writes the settings given (undefined: unchanged). */
  async update(token: string, changes: Partial<KeySettings>, now: number): Promise<KeyWrite> {
    const set = assignments({
      key_alias: changes.keyAlias,
      team_id: changes.teamId,
      user_id: changes.userId,
      models: changes.models === undefined ? undefined : JSON.stringify(changes.models),
      max_budget_nanos: changes.maxBudgetNanos,
      budget_duration: changes.budgetDuration,
      tpm_limit: changes.tpmLimit,
      rpm_limit: changes.rpmLimit,
      expires_at: changes.expiresAt,
      metadata: changes.metadata === undefined ? undefined : JSON.stringify(changes.metadata),
      blocked: changes.blocked,
      updated_at: now,
    });
    return this.sql.transaction(async (tx) => {
      if (changes.keyAlias && (await this.aliasTaken(tx, changes.keyAlias, token))) return 'alias_taken';
      if (changes.budgetDuration !== undefined)
        await carrySpendIntoNewWindow(tx, { table: 'api_keys', column: 'token' }, token, changes.budgetDuration, now);
      const updated = await tx.query(`UPDATE api_keys SET ${set.sql} WHERE token = ?`, [...set.params, token]);
      if (updated.changes === 0) return 'not_found';
      await this.epoch.bump(tx);
      return 'written';
    });
  }

  /** A new secret for the same key: its calls in flight follow it. False when the old token is unknown. */
  async replaceToken(oldToken: string, token: string, keyName: string, now: number): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const updated = await tx.query(`UPDATE api_keys SET token = ?, key_name = ?, updated_at = ? WHERE token = ?`, [
        token,
        keyName,
        now,
        oldToken,
      ]);
      if (updated.changes === 0) return false;
      await tx.query(`UPDATE budget_reservations SET token = ? WHERE token = ?`, [token, oldToken]);
      await this.epoch.bump(tx);
      return true;
    });
  }

  /** All or none: a token or alias that names no key stops the whole deletion. */
  async delete(tokens: string[], aliases: string[]): Promise<KeyDeletion> {
    const missing = new Error('key to delete not found');
    let outcome: KeyDeletion = { deleted: true };
    await this.sql
      .transaction(async (tx) => {
        for (const token of tokens) {
          if ((await tx.query(`DELETE FROM api_keys WHERE token = ?`, [token])).changes > 0) continue;
          outcome = { deleted: false, missing: { key: token } };
          throw missing;
        }
        for (const alias of aliases) {
          if ((await tx.query(`DELETE FROM api_keys WHERE key_alias = ?`, [alias])).changes > 0) continue;
          outcome = { deleted: false, missing: { alias } };
          throw missing;
        }
        await this.epoch.bump(tx);
      })
      // Thrown only to roll back the keys already deleted.
      .catch((error: unknown) => {
        if (error !== missing) throw error;
      });
    return outcome;
  }

  async findByToken(token: string): Promise<ApiKey | null> {
    const result = await this.sql.query(`SELECT * FROM api_keys WHERE token = ?`, [token]);
    return result.rows.length > 0 ? apiKeyFromRow(result.rows[0]) : null;
  }

  async tokenOfAlias(alias: string): Promise<string | null> {
    const found = await this.sql.query<{ token: string }>(`SELECT token FROM api_keys WHERE key_alias = ?`, [alias]);
    return found.rows[0]?.token ?? null;
  }

  /** Newest first, one page, with the number of keys the filter matches. */
  async page(
    filter: { teamId?: string; userId?: string; keyAlias?: string },
    page: number,
    size: number,
  ): Promise<{ keys: ApiKey[]; total: number }> {
    const where = new Where().equals('team_id', filter.teamId).equals('user_id', filter.userId).equals('key_alias', filter.keyAlias);
    const total = await this.sql.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM api_keys ${where.sql}`, where.params);
    const rows = await this.sql.query(`SELECT * FROM api_keys ${where.sql} ORDER BY created_at DESC, token LIMIT ? OFFSET ?`, [
      ...where.params,
      size,
      (page - 1) * size,
    ]);
    return { keys: rows.rows.map(apiKeyFromRow), total: toInt(total.rows[0]?.n) };
  }

  /** Every key, oldest first. */
  async all(): Promise<ApiKey[]> {
    const result = await this.sql.query(`SELECT * FROM api_keys ORDER BY created_at, token`);
    return result.rows.map(apiKeyFromRow);
  }

  /** How many keys each team holds; teams without keys are absent. */
  async countByTeam(): Promise<Map<string, number>> {
    const counts = await this.sql.query<{ team_id: string; n: unknown }>(
      `SELECT team_id, COUNT(*) AS n FROM api_keys WHERE team_id IS NOT NULL GROUP BY team_id`,
    );
    return new Map(counts.rows.map((row) => [row.team_id, toInt(row.n)]));
  }

  /** The alias and masked name of each token that names a key (deleted keys are absent). */
  async namesOf(tokens: Iterable<string>): Promise<Map<string, { keyAlias: string | null; keyName: string }>> {
    const rows = await inChunks(tokens, (chunk, list) =>
      this.sql.query<{ token: string; key_alias: string | null; key_name: string }>(
        `SELECT token, key_alias, key_name FROM api_keys WHERE token IN ${list}`,
        chunk,
      ),
    );
    return new Map(rows.map((row) => [row.token, { keyAlias: row.key_alias, keyName: row.key_name }]));
  }

  private async aliasTaken(tx: SqlRunner, alias: string | null, exceptToken: string | null): Promise<boolean> {
    if (!alias) return false;
    const taken = await tx.query<{ token: string }>(`SELECT token FROM api_keys WHERE key_alias = ?`, [alias]);
    return taken.rows.length > 0 && taken.rows[0].token !== exceptToken;
  }
}
