import type { BudgetAccounts, BudgetHolder } from '@tollgate/budgets';
import type { Sql } from '@tollgate/database';

/**
 * A ledger row and its budget movement in one transaction (SpendLogRepository's composition, for
 * one row, when the store has no one-statement batch step), for store-level suites that write the
 * smallest row the ledger accepts.
 */
export async function settleWithRecord(
  sql: Sql,
  budgets: BudgetAccounts,
  row: { sql: string; params: unknown[] },
  requestId: string,
  holders: BudgetHolder[],
  actualNanos: number,
  now = Date.now(),
): Promise<{ recorded: boolean; keySpendNanos: number | null }> {
  return sql.transaction(async (tx) => {
    const inserted = await tx.query(row.sql, row.params);
    if (inserted.changes === 0) return { recorded: false, keySpendNanos: null };
    return { recorded: true, keySpendNanos: await budgets.settle(tx, { requestId, holders, actualNanos, now }) };
  });
}
