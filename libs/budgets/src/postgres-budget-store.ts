import { type SqlRunner, toIntOrNull } from '@tollgate/database';

import { type BudgetMovement, BudgetStore, type ReservationDetails } from './budget-store';
import { budgetWindow } from './budget-window';

/**
 * PostgreSQL: reserve and settle are PL/pgSQL functions (migrations/postgres), one call each, so
 * the hot team row is locked for microseconds. Rows are locked key first, then team; a batch of
 * settlements locks all its keys, then all its teams.
 */
export class PostgresBudgetStore extends BudgetStore {
  async reserve(details: ReservationDetails, now: number): Promise<number | null> {
    const key = details.holders.find((h) => h.level === 'key')!;
    const team = details.holders.find((h) => h.level === 'team');
    const result = await this.sql.query<{ refused: string | null; key_spend: unknown }>(
      `SELECT refused, key_spend FROM tollgate_reserve(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
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
      ],
    );
    const refused = result.rows[0]?.refused;
    if (refused) throw await this.exceeded(this.sql, refused === 'team' && team ? team : key, now);
    return toIntOrNull(result.rows[0]?.key_spend);
  }

  async settle(tx: SqlRunner, movement: BudgetMovement): Promise<number | null> {
    const step = settleCall(movement);
    if (!step) return null;
    const settled = await tx.query<{ key_spend: unknown }>(`SELECT tollgate_settle(?, ?, ?, ?, ?, ?, ?) AS key_spend`, step);
    return toIntOrNull(settled.rows[0]?.key_spend);
  }

  /** `tollgate_settle_batch`: every movement's arguments as one array per parameter (pg sends JS arrays as PostgreSQL arrays). */
  override settlementBatchStep(movements: BudgetMovement[]): { expression: string; params: unknown[] } {
    const columns: unknown[][] = [[], [], [], [], [], [], []];
    for (const movement of movements) {
      // A call without budget holders still writes its row; the function skips it (null key).
      const args = settleCall(movement) ?? [movement.requestId, movement.actualNanos, null, 0, null, 0, movement.now];
      args.forEach((value, i) => columns[i].push(value));
    }
    return {
      expression: `tollgate_settle_batch(ARRAY(SELECT request_id FROM logged), ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[])`,
      params: columns,
    };
  }
}

/** `tollgate_settle`'s arguments for one movement; null when it has no key to settle on. */
function settleCall({ requestId, holders, actualNanos, now }: BudgetMovement): unknown[] | null {
  const key = holders.find((h) => h.level === 'key');
  if (!key) return null;
  const team = holders.find((h) => h.level === 'team');
  return [
    requestId,
    actualNanos,
    key.id,
    budgetWindow(key.budgetDuration, now).start,
    team?.id ?? null,
    team ? budgetWindow(team.budgetDuration, now).start : 0,
    now,
  ];
}
