import { Injectable } from '@nestjs/common';
import { Sql, type SqlRunner, toInt } from '@tollgate/database';
import { BudgetExceededError, BudgetStoreUnavailableError, type BudgetLevel } from './budget.errors';
import { budgetWindow } from './budget-window';

/** A budget holder as the hot path knows it: from the key cache, without reading the database. */
export interface BudgetHolder {
  level: BudgetLevel;
  /** `api_keys.key_id` (stable across /key/regenerate) or `teams.team_id`. */
  id: string;
  /** What to call it in messages: a team id or a masked key name. */
  label: string;
  budgetDuration: string | null;
}

export interface Reservation {
  requestId: string;
  holders: BudgetHolder[];
  amountNanos: number;
}

export interface ReservationDetails {
  requestId: string;
  instanceId: string;
  /** The key's token when the call started: what the ledger row names if crash recovery settles it. */
  apiKey: string;
  holders: BudgetHolder[];
  amountNanos: number;
  modelGroup: string;
  deploymentId: string;
  provider: string;
}

const TABLES: Record<BudgetLevel, { table: string; id: string }> = {
  key: { table: 'api_keys', id: 'key_id' },
  team: { table: 'teams', id: 'team_id' },
};

/**
 * Reserve before, settle after. Each holder row carries `spend_nanos` (settled in the current
 * window), `reserved_nanos` (in flight) and `max_budget_nanos`; a reservation is one conditional
 * UPDATE per holder — `… WHERE spend + reserved + amount <= max` — inside one transaction, so it
 * is all-or-nothing and the invariant spend + reserved <= max holds however many requests race,
 * on SQLite (serialised) and on PostgreSQL (row locks; holders always locked key first, then team).
 * The window roll-over happens inside the same statements, at request time.
 */
@Injectable()
export class BudgetAccounts {
  constructor(private readonly sql: Sql) {}

  async reserve(details: ReservationDetails, now = Date.now()): Promise<Reservation> {
    try {
      if (this.sql.dialect === 'postgres') await this.reserveInOneCall(details, now);
      else await this.reserveInTransaction(details, now);
    } catch (error) {
      if (error instanceof BudgetExceededError) throw error;
      throw new BudgetStoreUnavailableError(error);
    }
    return { requestId: details.requestId, holders: details.holders, amountNanos: details.amountNanos };
  }

  /** Gives a reservation back untouched: the attempt failed before anything was spent. */
  async release(reservation: Reservation): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const deleted = await tx.query(`DELETE FROM budget_reservations WHERE request_id = ?`, [reservation.requestId]);
      if (deleted.changes === 0 || reservation.amountNanos === 0) return;
      for (const holder of reservation.holders) {
        const { table, id } = TABLES[holder.level];
        await tx.query(`UPDATE ${table} SET reserved_nanos = reserved_nanos - ? WHERE ${id} = ?`, [reservation.amountNanos, holder.id]);
      }
    });
  }

  /**
   * Writes the request's ledger row (`record`, an INSERT … ON CONFLICT (request_id) DO NOTHING)
   * and swaps the reservation, if still held, for the actual cost — atomically, once per request.
   * Returns whether the row was new, and the key's spend in its current window afterwards.
   */
  async settleWithRecord(
    record: { sql: string; params: unknown[] },
    requestId: string,
    holders: BudgetHolder[],
    actualNanos: number,
    now = Date.now(),
  ): Promise<{ recorded: boolean; keySpendNanos: number | null }> {
    if (this.sql.dialect === 'postgres') {
      const key = holders.find((h) => h.level === 'key');
      if (!key) {
        const inserted = await this.sql.query(`${record.sql} RETURNING request_id`, record.params);
        return { recorded: inserted.rows.length > 0, keySpendNanos: null };
      }
      const team = holders.find((h) => h.level === 'team');
      // One statement: the settle function runs only for a row the INSERT actually added.
      const settled = await this.sql.query<{ key_spend: unknown }>(
        `WITH logged AS (${record.sql} RETURNING request_id)
         SELECT tollgate_settle(?, ?, ?, ?, ?, ?, ?) AS key_spend FROM logged`,
        [
          ...record.params,
          requestId,
          actualNanos,
          key.id,
          budgetWindow(key.budgetDuration, now).start,
          team?.id ?? null,
          team ? budgetWindow(team.budgetDuration, now).start : 0,
          now,
        ],
      );
      if (settled.rows.length === 0) return { recorded: false, keySpendNanos: null };
      const spend = settled.rows[0].key_spend;
      return { recorded: true, keySpendNanos: spend === null ? null : toInt(spend) };
    }
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.query(record.sql, record.params);
      if (inserted.changes === 0) return { recorded: false, keySpendNanos: null };
      return { recorded: true, keySpendNanos: holders.length === 0 ? null : await this.settleIn(tx, requestId, holders, actualNanos, now) };
    });
  }

  /** SQLite: the settlement statements, inside the caller's transaction. */
  private async settleIn(tx: SqlRunner, requestId: string, holders: BudgetHolder[], actualNanos: number, now: number): Promise<number | null> {
    const reserved = await tx.query<{ amount_nanos: unknown }>(
      `DELETE FROM budget_reservations WHERE request_id = ? RETURNING amount_nanos`,
      [requestId],
    );
    const reservedNanos = reserved.rows.length > 0 ? toInt(reserved.rows[0].amount_nanos) : 0;
    let keySpend: number | null = null;
    for (const holder of holders) {
      const { table, id } = TABLES[holder.level];
      const { start } = budgetWindow(holder.budgetDuration, now);
      // Keys also remember when they were last used (the dashboard shows it); teams have no such column.
      const lastUsed = holder.level === 'key' ? ', last_used_at = ?' : '';
      const updated = await tx.query<{ spend_nanos: unknown }>(
        `UPDATE ${table}
            SET spend_nanos = (CASE WHEN window_start < ? THEN 0 ELSE spend_nanos END) + ?,
                window_start = CASE WHEN window_start < ? THEN ? ELSE window_start END,
                reserved_nanos = reserved_nanos - ?${lastUsed}
          WHERE ${id} = ?
          RETURNING spend_nanos`,
        holder.level === 'key' ? [start, actualNanos, start, start, reservedNanos, now, holder.id] : [start, actualNanos, start, start, reservedNanos, holder.id],
      );
      if (holder.level === 'key' && updated.rows.length > 0) keySpend = toInt(updated.rows[0].spend_nanos);
    }
    return keySpend;
  }

  /** PostgreSQL: one call to tollgate_reserve, so the hot team row is locked for microseconds. */
  private async reserveInOneCall(details: ReservationDetails, now: number): Promise<void> {
    const key = details.holders.find((h) => h.level === 'key')!;
    const team = details.holders.find((h) => h.level === 'team');
    const result = await this.sql.query<{ refused: string | null }>(`SELECT tollgate_reserve(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS refused`, [
      details.requestId,
      details.instanceId,
      details.amountNanos,
      key.id,
      budgetWindow(key.budgetDuration, now).start,
      team?.id ?? null,
      team ? budgetWindow(team.budgetDuration, now).start : 0,
      details.modelGroup,
      details.deploymentId,
      details.provider,
      now,
      details.apiKey,
    ]);
    const refused = result.rows[0]?.refused;
    if (refused) throw await this.exceeded(this.sql, refused === 'team' && team ? team : key, now);
  }

  /** SQLite: conditional updates in one transaction (SQLite serialises writers, so nothing waits on a lock). */
  private async reserveInTransaction(details: ReservationDetails, now: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      // A zero reservation (free local model) only records that the call is in flight, so a crash
      // cannot lose it from the ledger; it never touches budgets, so it can never be blocked.
      if (details.amountNanos > 0) {
        for (const holder of details.holders) await this.reserveOn(tx, holder, details.amountNanos, now);
      }
      await tx.query(
        `INSERT INTO budget_reservations (request_id, token, key_id, team_id, amount_nanos, instance_id, model_group, deployment_id, provider, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          details.requestId,
          details.apiKey,
          details.holders.find((h) => h.level === 'key')?.id ?? null,
          details.holders.find((h) => h.level === 'team')?.id ?? null,
          details.amountNanos,
          details.instanceId,
          details.modelGroup,
          details.deploymentId,
          details.provider,
          now,
        ],
      );
    });
  }

  private async reserveOn(tx: SqlRunner, holder: BudgetHolder, amount: number, now: number): Promise<void> {
    const { table, id } = TABLES[holder.level];
    const { start } = budgetWindow(holder.budgetDuration, now);
    const updated = await tx.query(
      `UPDATE ${table}
          SET spend_nanos = CASE WHEN window_start < ? THEN 0 ELSE spend_nanos END,
              window_start = CASE WHEN window_start < ? THEN ? ELSE window_start END,
              reserved_nanos = reserved_nanos + ?
        WHERE ${id} = ?
          AND (max_budget_nanos IS NULL
               OR (CASE WHEN window_start < ? THEN 0 ELSE spend_nanos END) + reserved_nanos + ? <= max_budget_nanos)`,
      [start, start, start, amount, holder.id, start, amount],
    );
    if (updated.changes === 1) return;
    throw await this.exceeded(tx, holder, now);
  }

  /** The refusal, with the holder's current numbers for LiteLLM's message. */
  private async exceeded(runner: SqlRunner, holder: BudgetHolder, now: number): Promise<BudgetExceededError> {
    const { table, id } = TABLES[holder.level];
    const { start } = budgetWindow(holder.budgetDuration, now);
    const current = await runner.query<{ spend_nanos: unknown; reserved_nanos: unknown; max_budget_nanos: unknown; window_start: unknown }>(
      `SELECT spend_nanos, reserved_nanos, max_budget_nanos, window_start FROM ${table} WHERE ${id} = ?`,
      [holder.id],
    );
    const row = current.rows[0];
    const spent = row && toInt(row.window_start) >= start ? toInt(row.spend_nanos) : 0;
    return new BudgetExceededError(holder.level, holder.label, spent, row ? toInt(row.reserved_nanos) : 0, row ? toInt(row.max_budget_nanos) : 0);
  }
}
