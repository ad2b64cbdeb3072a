import { type SqlRunner, toIntOrNull } from '@tollgate/database';

import { type BudgetMovement, BudgetStore, type ReservationDetails } from './budget-store';
import { budgetWindow } from './budget-window';

/**
 * PostgreSQL: reserve and settle are PL/pgSQL functions (migrations/postgres), one call each, so
 * the hot team row is locked for microseconds. Rows are locked key first, then team.
 */
export class PostgresBudgetStore extends BudgetStore {
  async reserve(details: ReservationDetails, now: number): Promise<void> {
    const key = details.holders.find((h) => h.level === 'key')!;
    const team = details.holders.find((h) => h.level === 'team');
    const result = await this.sql.query<{ refused: string | null }>(
      `SELECT tollgate_reserve(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS refused`,
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
  }

  async settle(tx: SqlRunner, movement: BudgetMovement): Promise<number | null> {
    const step = this.settlementStep(movement);
    if (!step) return null;
    const settled = await tx.query<{ key_spend: unknown }>(step.select, step.params);
    return toIntOrNull(settled.rows[0]?.key_spend);
  }

  /** `tollgate_settle`, which moves the key's and the team's money and returns the key's spend. */
  override settlementStep({ requestId, holders, actualNanos, now }: BudgetMovement): { select: string; params: unknown[] } | null {
    const key = holders.find((h) => h.level === 'key');
    if (!key) return null;
    const team = holders.find((h) => h.level === 'team');
    return {
      select: `SELECT tollgate_settle(?, ?, ?, ?, ?, ?, ?) AS key_spend`,
      params: [
        requestId,
        actualNanos,
        key.id,
        budgetWindow(key.budgetDuration, now).start,
        team?.id ?? null,
        team ? budgetWindow(team.budgetDuration, now).start : 0,
        now,
      ],
    };
  }
}
