import { type Sql, type SqlRunner, toInt } from '@tollgate/database';

import { BudgetExceededError, type BudgetLevel } from './budget.errors';
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
  /** The key's settled spend in its window when the reservation was taken: what `x-litellm-key-spend` starts from. */
  keySpendNanos: number | null;
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

/** A request's reservation swapped for what it actually cost: one step of its settlement. */
export interface BudgetMovement {
  requestId: string;
  holders: BudgetHolder[];
  actualNanos: number;
  now: number;
}

/** A reservation whose gateway instance stopped before settling it. */
export interface OpenReservation {
  request_id: string;
  token: string;
  key_id: string | null;
  team_id: string | null;
  amount_nanos: unknown;
  model_group: string | null;
  deployment_id: string | null;
  provider: string | null;
  created_at: unknown;
}

export const TABLES: Record<BudgetLevel, { table: string; id: string }> = {
  key: { table: 'api_keys', id: 'key_id' },
  team: { table: 'teams', id: 'team_id' },
};

/**
 * Where budgets live: `spend_nanos` (settled in the current window), `reserved_nanos` (in flight)
 * and `max_budget_nanos` on each holder row, and `budget_reservations` for what is in flight.
 * One implementation per database driver, chosen in BudgetsModule; the rest of the code never
 * asks which driver it runs on.
 *
 * Invariant on both: spend + reserved <= max however many requests race. A reservation is
 * all-or-nothing over the request's holders, always locked key first, then team. The window
 * roll-over happens inside the same statements, at request time.
 */
export abstract class BudgetStore {
  constructor(protected readonly sql: Sql) {}

  /**
   * Reserves `amountNanos` on every holder and records the call as in flight; throws BudgetExceededError.
   * Returns the key's settled spend in its current window, read by the same statement that reserved.
   */
  abstract reserve(details: ReservationDetails, now: number): Promise<number | null>;

  /**
   * Swaps the request's reservation, if still held, for its actual cost, inside the caller's
   * transaction (the one that writes the ledger row). Returns the key's spend in its window afterwards.
   */
  abstract settle(tx: SqlRunner, movement: BudgetMovement): Promise<number | null>;

  /**
   * The movements of a batch of settlements as one expression, where the store can express it so:
   * evaluated after the caller's CTE `logged (request_id)` — the rows its `INSERT … RETURNING`
   * actually added — it moves money only for those, so a replayed settlement moves nothing. One
   * statement is one round trip for the whole batch. Null: call settle() per row in a transaction.
   */
  settlementBatchStep(_movements: BudgetMovement[]): { expression: string; params: unknown[] } | null {
    return null;
  }

  /**
   * Reservations of instances that stopped heartbeating `deadAfterMs` ago or more. On SQLite too:
   * the workers of `--num_workers` share the file, so another instance's reservation may be a live
   * worker's call still at the provider.
   */
  async orphanedReservations(instanceId: string, now: number, deadAfterMs: number): Promise<OpenReservation[]> {
    const orphans = await this.sql.query<OpenReservation>(
      `SELECT r.* FROM budget_reservations r
        WHERE r.instance_id <> ?
          AND NOT EXISTS (SELECT 1 FROM gateway_instances i WHERE i.instance_id = r.instance_id AND i.heartbeat_at > ?)`,
      [instanceId, now - deadAfterMs],
    );
    return orphans.rows;
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

  /** Reservations not yet settled, on every instance: calls in flight, and any a stopped instance left behind. */
  async openReservationCount(): Promise<number> {
    const result = await this.sql.query<{ open: unknown }>(`SELECT COUNT(*) AS open FROM budget_reservations`);
    return toInt(result.rows[0]?.open);
  }

  async heartbeat(instanceId: string, now: number): Promise<void> {
    await this.sql.query(
      `INSERT INTO gateway_instances (instance_id, heartbeat_at) VALUES (?, ?)
       ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
      [instanceId, now],
    );
  }

  async forgetInstance(instanceId: string): Promise<void> {
    await this.sql.query(`DELETE FROM gateway_instances WHERE instance_id = ?`, [instanceId]);
  }

  /** The refusal, with the holder's current numbers for LiteLLM's message. */
  protected async exceeded(runner: SqlRunner, holder: BudgetHolder, now: number): Promise<BudgetExceededError> {
    const { table, id } = TABLES[holder.level];
    const { start } = budgetWindow(holder.budgetDuration, now);
    const current = await runner.query<{ spend_nanos: unknown; reserved_nanos: unknown; max_budget_nanos: unknown; window_start: unknown }>(
      `SELECT spend_nanos, reserved_nanos, max_budget_nanos, window_start FROM ${table} WHERE ${id} = ?`,
      [holder.id],
    );
    const row = current.rows[0];
    const spent = row && toInt(row.window_start) >= start ? toInt(row.spend_nanos) : 0;
    return new BudgetExceededError(
      holder.level,
      holder.label,
      spent,
      row ? toInt(row.reserved_nanos) : 0,
      row ? toInt(row.max_budget_nanos) : 0,
    );
  }
}
