import { Injectable } from '@nestjs/common';
import { Sql, type SqlRunner, toInt } from '@tollgate/database';
import { BudgetExceededError, BudgetStoreUnavailableError, type BudgetLevel } from './budget.errors';
import { budgetWindow } from './budget-window';

/** A budget holder as the hot path knows it: from the key cache, without reading the database. */
export interface BudgetHolder {
  level: BudgetLevel;
  /** `api_keys.token` or `teams.team_id`. */
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
  holders: BudgetHolder[];
  amountNanos: number;
  modelGroup: string;
  deploymentId: string;
  provider: string;
}

const TABLES: Record<BudgetLevel, { table: string; id: string }> = {
  key: { table: 'api_keys', id: 'token' },
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
      await this.sql.transaction(async (tx) => {
        // A zero reservation (free local model) only records that the call is in flight, so a crash
        // cannot lose it from the ledger; it never touches budgets, so it can never be blocked.
        if (details.amountNanos > 0) {
          for (const holder of details.holders) await this.reserveOn(tx, holder, details.amountNanos, now);
        }
        await tx.query(
          `INSERT INTO budget_reservations (request_id, token, team_id, amount_nanos, instance_id, model_group, deployment_id, provider, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            details.requestId,
            details.holders.find((h) => h.level === 'key')?.id ?? '',
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
   * Inside the ledger's transaction: swap the reservation (if still held) for the actual cost.
   * Returns the key's spend in the current window after settlement.
   */
  async settleIn(tx: SqlRunner, requestId: string, holders: BudgetHolder[], actualNanos: number, now = Date.now()): Promise<number | null> {
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
    const current = await tx.query<{ spend_nanos: unknown; reserved_nanos: unknown; max_budget_nanos: unknown; window_start: unknown }>(
      `SELECT spend_nanos, reserved_nanos, max_budget_nanos, window_start FROM ${table} WHERE ${id} = ?`,
      [holder.id],
    );
    const row = current.rows[0];
    const spent = row && toInt(row.window_start) >= start ? toInt(row.spend_nanos) : 0;
    throw new BudgetExceededError(holder.level, holder.label, spent, row ? toInt(row.reserved_nanos) : 0, row ? toInt(row.max_budget_nanos) : 0);
  }
}
