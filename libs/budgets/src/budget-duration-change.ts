import type { SqlRunner } from '@tollgate/database';

import { budgetWindow } from './budget-window';

/**
 * Moves an account to a new `budget_duration`, inside the caller's transaction. What was spent in
 * the current window of the old duration carries over into the current window of the new one:
 * that money was spent now, and changing the period must not forgive it (nor must a call in
 * flight, settling under the old duration, land in a window that then reads as expired).
 */
export async function carrySpendIntoNewWindow(
  tx: SqlRunner,
  account: { table: 'api_keys'; column: 'token' } | { table: 'teams'; column: 'team_id' },
  id: string,
  newDuration: string | null,
  now: number,
): Promise<void> {
  const { table, column } = account;
  const current = await tx.query<{ budget_duration: string | null }>(`SELECT budget_duration FROM ${table} WHERE ${column} = ?`, [id]);
  if (current.rows.length === 0) return;
  const oldStart = budgetWindow(current.rows[0].budget_duration, now).start;
  await tx.query(
    `UPDATE ${table} SET spend_nanos = CASE WHEN window_start < ? THEN 0 ELSE spend_nanos END, window_start = ? WHERE ${column} = ?`,
    [oldStart, budgetWindow(newDuration, now).start, id],
  );
}
