import { Injectable } from '@nestjs/common';
import { budgetWindow, carrySpendIntoNewWindow, parseBudgetDuration, UNIT_MS, usdToNanos } from '@tollgate/budgets';
import { AccessEpoch, Sql, type SqlRunner, toInt, Where } from '@tollgate/database';
import { AdminError, AdminErrorCode, TeamsService } from '@tollgate/teams';
import { apiKeyFromRow, type ApiKey } from './api-key';
import type { DeleteKeysDto, KeyFieldsDto } from './key.dto';
import { generateVirtualKey, hashKey, maskKey, tokenOf } from './key-secrets';

export interface CreatedKey {
  key: string;
  record: ApiKey;
}

export interface KeyPage {
  keys: ApiKey[];
  total: number;
}

/** Virtual keys. Only hashes are stored; the raw key exists once, in the creation answer. */
@Injectable()
export class KeysService {
  constructor(
    private readonly sql: Sql,
    private readonly epoch: AccessEpoch,
    private readonly teams: TeamsService,
  ) {}

  async generate(dto: KeyFieldsDto, now = Date.now()): Promise<CreatedKey> {
    if (dto.team_id) await this.teams.get(dto.team_id);
    const rawKey = generateVirtualKey();
    const token = hashKey(rawKey);
    await this.sql.transaction(async (tx) => {
      await this.assertAliasFree(tx, dto.key_alias ?? null, null);
      await tx.query(
        `INSERT INTO api_keys (key_id, token, key_name, key_alias, team_id, user_id, models, max_budget_nanos, budget_duration, tpm_limit,
                               rpm_limit, expires_at, metadata, blocked, spend_nanos, reserved_nanos, window_start, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?)`,
        [
          // The first token is unique and random, so it serves as the key's id for life.
          token,
          token,
          maskKey(rawKey),
          dto.key_alias ?? null,
          dto.team_id ?? null,
          dto.user_id ?? null,
          JSON.stringify(dto.models ?? []),
          dto.max_budget == null ? null : usdToNanos(dto.max_budget),
          dto.budget_duration ?? null,
          dto.tpm_limit ?? null,
          dto.rpm_limit ?? null,
          dto.duration ? expiryAfter(dto.duration, now) : null,
          JSON.stringify(dto.metadata ?? {}),
          dto.blocked ? 1 : 0,
          budgetWindow(dto.budget_duration ?? null, now).start,
          now,
          now,
        ],
      );
      await this.epoch.bump(tx);
    });
    await this.epoch.refresh();
    return { key: rawKey, record: await this.get(token) };
  }

  async update(keyOrToken: string, dto: KeyFieldsDto, now = Date.now()): Promise<ApiKey> {
    const token = tokenOf(keyOrToken);
    if (dto.team_id) await this.teams.get(dto.team_id);
    const assignments: string[] = [];
    const values: unknown[] = [];
    const set = (column: string, value: unknown) => {
      assignments.push(`${column} = ?`);
      values.push(value);
    };
    if (dto.key_alias !== undefined) set('key_alias', dto.key_alias);
    if (dto.team_id !== undefined) set('team_id', dto.team_id);
    if (dto.user_id !== undefined) set('user_id', dto.user_id);
    if (dto.models !== undefined) set('models', JSON.stringify(dto.models));
    if (dto.max_budget !== undefined) set('max_budget_nanos', dto.max_budget === null ? null : usdToNanos(dto.max_budget));
    if (dto.budget_duration !== undefined) set('budget_duration', dto.budget_duration);
    if (dto.tpm_limit !== undefined) set('tpm_limit', dto.tpm_limit);
    if (dto.rpm_limit !== undefined) set('rpm_limit', dto.rpm_limit);
    if (dto.duration !== undefined) set('expires_at', dto.duration === null ? null : expiryAfter(dto.duration, now));
    if (dto.metadata !== undefined) set('metadata', JSON.stringify(dto.metadata));
    if (dto.blocked !== undefined) set('blocked', dto.blocked ? 1 : 0);
    set('updated_at', now);
    await this.sql.transaction(async (tx) => {
      if (dto.key_alias) await this.assertAliasFree(tx, dto.key_alias, token);
      if (dto.budget_duration !== undefined) await carrySpendIntoNewWindow(tx, { table: 'api_keys', column: 'token' }, token, dto.budget_duration, now);
      const updated = await tx.query(`UPDATE api_keys SET ${assignments.join(', ')} WHERE token = ?`, [...values, token]);
      if (updated.changes === 0) throw keyNotFound('key');
      await this.epoch.bump(tx);
    });
    await this.epoch.refresh();
    return this.get(token);
  }

  /** A new secret for the same key record: spend, budget and settings are kept; the old secret stops working. */
  async regenerate(keyOrToken: string, now = Date.now()): Promise<CreatedKey> {
    const oldToken = tokenOf(keyOrToken);
    const rawKey = generateVirtualKey();
    const token = hashKey(rawKey);
    await this.sql.transaction(async (tx) => {
      const updated = await tx.query(`UPDATE api_keys SET token = ?, key_name = ?, updated_at = ? WHERE token = ?`, [token, maskKey(rawKey), now, oldToken]);
      if (updated.changes === 0) throw keyNotFound('key');
      await tx.query(`UPDATE budget_reservations SET token = ? WHERE token = ?`, [token, oldToken]);
      await this.epoch.bump(tx);
    });
    await this.epoch.refresh();
    return { key: rawKey, record: await this.get(token) };
  }

  async delete(dto: DeleteKeysDto): Promise<string[]> {
    const deleted: string[] = [];
    await this.sql.transaction(async (tx) => {
      for (const key of dto.keys ?? []) {
        const result = await tx.query(`DELETE FROM api_keys WHERE token = ?`, [tokenOf(key)]);
        if (result.changes === 0) throw keyNotFound('keys');
        deleted.push(key);
      }
      for (const alias of dto.key_aliases ?? []) {
        const result = await tx.query(`DELETE FROM api_keys WHERE key_alias = ?`, [alias]);
        if (result.changes === 0) throw new AdminError(AdminErrorCode.KEY_NOT_FOUND, `No key has the alias ${alias}`, 'key_aliases');
        deleted.push(alias);
      }
      await this.epoch.bump(tx);
    });
    await this.epoch.refresh();
    return deleted;
  }

  async get(keyOrToken: string): Promise<ApiKey> {
    const key = await this.find(tokenOf(keyOrToken));
    if (!key) throw keyNotFound('key');
    return key;
  }

  async find(token: string): Promise<ApiKey | null> {
    const result = await this.sql.query(`SELECT * FROM api_keys WHERE token = ?`, [token]);
    return result.rows.length > 0 ? apiKeyFromRow(result.rows[0]) : null;
  }

  async list(filter: { teamId?: string; userId?: string; keyAlias?: string }, page: number, size: number): Promise<KeyPage> {
    const where = new Where().equals('team_id', filter.teamId).equals('user_id', filter.userId).equals('key_alias', filter.keyAlias);
    const total = await this.sql.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM api_keys ${where.sql}`, where.params);
    const rows = await this.sql.query(`SELECT * FROM api_keys ${where.sql} ORDER BY created_at DESC, token LIMIT ? OFFSET ?`, [...where.params, size, (page - 1) * size]);
    return { keys: rows.rows.map(apiKeyFromRow), total: toInt(total.rows[0]?.n) };
  }

  private async assertAliasFree(tx: SqlRunner, alias: string | null, exceptToken: string | null): Promise<void> {
    if (!alias) return;
    const taken = await tx.query<{ token: string }>(`SELECT token FROM api_keys WHERE key_alias = ?`, [alias]);
    if (taken.rows.length > 0 && taken.rows[0].token !== exceptToken) {
      throw new AdminError(AdminErrorCode.KEY_ALIAS_EXISTS, `A key with the alias ${alias} already exists`, 'key_alias');
    }
  }
}

/** `duration` (key lifetime) uses budget_duration's syntax; months count as calendar months. */
function expiryAfter(duration: string, now: number): number {
  const { amount, unit } = parseBudgetDuration(duration)!;
  if (unit === 'mo') {
    const date = new Date(now);
    date.setUTCMonth(date.getUTCMonth() + amount);
    return date.getTime();
  }
  return now + amount * UNIT_MS[unit];
}

function keyNotFound(param: string): AdminError {
  return new AdminError(AdminErrorCode.KEY_NOT_FOUND, 'Key not found', param);
}
