import { type SqlRunner, toInt } from '@tollgate/database';

import { type BudgetHolder, type BudgetMovement, BudgetStore, type ReservationDetails, TABLES } from './budget-store';
import { budgetWindow } from './budget-window';

/**
 * SQLite: conditional UPDATEs in one transaction. SQLite serialises writers (BEGIN IMMEDIATE takes
 * the file's write lock, so the workers of `--num_workers` queue on busy_timeout, never interleave).
 */
export class SqliteBudgetStore extends BudgetStore {
  async reserve(details: ReservationDetails, now: number): Promise<number | null> {
    return this.sql.transaction(async (tx) => {
      const key = details.holders.find((h) => h.level === 'key');
      let keySpend: number | null = null;
      // A zero reservation (free local model) only records that the call is in flight, so a crash
      // cannot lose it from the ledger; it never touches budgets, so it can never be blocked.
      if (details.amountNanos > 0) {
        for (const holder of details.holders) {
          const spend = await this.reserveOn(tx, holder, details.amountNanos, now);
          if (holder === key) keySpend = spend;
        }
      } else if (key) {
        keySpend = await this.spendInWindow(tx, key, now);
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
      return keySpend;
    });
  }

  async settle(tx: SqlRunner, { requestId, holders, actualNanos, now }: BudgetMovement): Promise<number | null> {
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
        holder.level === 'key'
          ? [start, actualNanos, start, start, reservedNanos, now, holder.id]
          : [start, actualNanos, start, start, reservedNanos, holder.id],
      );
      if (holder.level === 'key' && updated.rows.length > 0) keySpend = toInt(updated.rows[0].spend_nanos);
    }
    return keySpend;
  }

  /** Reserves on one holder; returns its settled spend in its current window. */
  private async reserveOn(tx: SqlRunner, holder: BudgetHolder, amount: number, now: number): Promise<number> {
    const { table, id } = TABLES[holder.level];
    const { start } = budgetWindow(holder.budgetDuration, now);
    const updated = await tx.query<{ spend_nanos: unknown }>(
      `UPDATE ${table}
          SET spend_nanos = CASE WHEN window_start < ? THEN 0 ELSE spend_nanos END,
              window_start = CASE WHEN window_start < ? THEN ? ELSE window_start END,
              reserved_nanos = reserved_nanos + ?
        WHERE ${id} = ?
          AND (max_budget_nanos IS NULL
               OR (CASE WHEN window_start < ? THEN 0 ELSE spend_nanos END) + reserved_nanos + ? <= max_budget_nanos)
        RETURNING spend_nanos`,
      [start, start, start, amount, holder.id, start, amount],
    );
    if (updated.rows.length === 1) return toInt(updated.rows[0].spend_nanos);
    throw await this.exceeded(tx, holder, now);
  }

  private async spendInWindow(tx: SqlRunner, holder: BudgetHolder, now: number): Promise<number | null> {
    const { table, id } = TABLES[holder.level];
    const { start } = budgetWindow(holder.budgetDuration, now);
    const current = await tx.query<{ spend_nanos: unknown }>(
      `SELECT CASE WHEN window_start < ? THEN 0 ELSE spend_nanos END AS spend_nanos FROM ${table} WHERE ${id} = ?`,
      [start, holder.id],
    );
    return current.rows.length > 0 ? toInt(current.rows[0].spend_nanos) : null;
  }
}
