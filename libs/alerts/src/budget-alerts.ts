import { createHash } from 'node:crypto';

import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { type BudgetHolder, budgetWindow, nanosToUsd } from '@tollgate/budgets';
import { Sql, toInt } from '@tollgate/database';

import type { BudgetAlertEvent } from './alert-event';
import { ALERT_SETTINGS, type AlertSettings } from './alert-settings';
import { BudgetAlertMarks } from './budget-alert-marks';
import { WebhookDelivery } from './webhook-delivery';

/** Settled holders are checked in batches this often: one read per table, whatever the traffic. */
export const BUDGET_CHECK_DELAY_MS = 500;
const BATCH = 500;

/** Which key (`api_keys.key_id`) or team to check. */
type HolderRef = Pick<BudgetHolder, 'level' | 'id'>;

interface HolderRow {
  id: string;
  spend_nanos: unknown;
  max_budget_nanos: unknown;
  budget_duration: string | null;
  window_start: unknown;
  team_id: string | null;
  team_alias: string | null;
  key_alias: string | null;
  key_name: string | null;
}

const HOLDER_QUERIES = {
  key: (placeholders: string) =>
    `SELECT k.key_id AS id, k.spend_nanos, k.max_budget_nanos, k.budget_duration, k.window_start, k.team_id,
            t.team_alias, k.key_alias, k.key_name
       FROM api_keys k LEFT JOIN teams t ON t.team_id = k.team_id WHERE k.key_id IN (${placeholders})`,
  team: (placeholders: string) =>
    `SELECT team_id AS id, spend_nanos, max_budget_nanos, budget_duration, window_start, team_id, team_alias,
            NULL AS key_alias, NULL AS key_name
       FROM teams WHERE team_id IN (${placeholders})`,
};

/**
 * Budget alerts: when a key's or team's spend in its window first reaches a configured fraction of
 * its `max_budget` (80 % and 100 % by default), one event per threshold per window, sent by exactly
 * one gateway instance (BudgetAlertMarks).
 *
 * The ledger calls `spent(holders)` once a paid call's settlement has landed, which records the
 * holders in a set; the spend is read back from the database in one batched query per table at most every
 * BUDGET_CHECK_DELAY_MS. So an alert costs a request nothing measurable, sees every instance's
 * spend, and does not depend on how settlement writes it.
 */
@Injectable()
export class BudgetAlerts implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Alerts');
  private readonly enabled: boolean;
  private dirty = new Map<string, HolderRef>();
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> = Promise.resolve();

  constructor(
    @Inject(ALERT_SETTINGS) private readonly settings: AlertSettings,
    private readonly sql: Sql,
    private readonly marks: BudgetAlertMarks,
    private readonly delivery: WebhookDelivery,
  ) {
    this.enabled = settings.webhooks.length > 0 && settings.alertTypes.has('budget_alerts');
  }

  /** These holders' spend moved: check them against their thresholds soon. */
  spent(holders: readonly HolderRef[]): void {
    if (!this.enabled || holders.length === 0) return;
    for (const holder of holders) this.dirty.set(`${holder.level}:${holder.id}`, holder);
    this.timer ??= setTimeout(() => {
      this.checking = this.checking.then(() => this.checkDirty());
    }, BUDGET_CHECK_DELAY_MS).unref();
  }

  /**
   * An admin set this holder's `max_budget` or `budget_duration`: spend already past a threshold of
   * the new budget is alerted now, as LiteLLM's users expect, not after the next paid call (which
   * a budget already spent would refuse).
   */
  budgetChanged(holder: HolderRef): void {
    this.spent([holder]);
  }

  beforeApplicationShutdown(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async checkDirty(): Promise<void> {
    this.timer = null;
    const holders = [...this.dirty.values()];
    this.dirty = new Map();
    try {
      for (const level of ['key', 'team'] as const) {
        const ids = holders.filter((h) => h.level === level).map((h) => h.id);
        for (let i = 0; i < ids.length; i += BATCH) {
          const batch = ids.slice(i, i + BATCH);
          const rows = await this.sql.query<HolderRow>(HOLDER_QUERIES[level](batch.map(() => '?').join(', ')), batch);
          for (const row of rows.rows) await this.check(level, row, Date.now());
        }
      }
    } catch (error) {
      // The next settlement of these holders checks them again.
      this.logger.warn(`Budget alert check failed: ${(error as Error).message}`);
    }
  }

  private async check(level: 'key' | 'team', row: HolderRow, now: number): Promise<void> {
    const maxNanos = row.max_budget_nanos === null ? 0 : toInt(row.max_budget_nanos);
    if (maxNanos <= 0) return;
    const window = budgetWindow(row.budget_duration, now);
    const spendNanos = toInt(row.window_start) >= window.start ? toInt(row.spend_nanos) : 0;
    for (const threshold of this.settings.budgetThresholds) {
      const thresholdBp = Math.round(threshold * 10_000);
      // Exact in integers: spend / max >= bp / 10 000.
      if (BigInt(spendNanos) * 10_000n < BigInt(thresholdBp) * BigInt(maxNanos)) break;
      if (!(await this.marks.claim(level, row.id, window.start, thresholdBp))) continue;
      this.delivery.send(budgetEvent(level, row, threshold, thresholdBp, spendNanos, maxNanos, window, now));
    }
  }
}

/**
 * A key's `key_id` is its first token, the SHA-256 of the key: a stable digest of it names the key
 * in event ids instead, so no webhook receiver ever holds a key's hash.
 */
function opaqueKeyId(keyId: string): string {
  return createHash('sha256').update(`budget-alert-key:${keyId}`).digest('hex').slice(0, 24);
}

function budgetEvent(
  level: 'key' | 'team',
  row: HolderRow,
  threshold: number,
  thresholdBp: number,
  spendNanos: number,
  maxNanos: number,
  window: { start: number; end: number },
  now: number,
): BudgetAlertEvent {
  const spend = nanosToUsd(spendNanos);
  const maxBudget = nanosToUsd(maxNanos);
  const who = level === 'team' ? `Team ${row.team_alias ?? row.id}` : `Key ${row.key_alias ?? row.key_name ?? ''}`.trimEnd();
  const crossed = threshold >= 1;
  const period = row.budget_duration ? ` this ${row.budget_duration} window` : '';
  return {
    id: `${level}:${level === 'key' ? opaqueKeyId(row.id) : row.id}:${window.start}:${thresholdBp}`,
    event: crossed ? 'budget_crossed' : 'threshold_crossed',
    event_group: level,
    event_message: `${who} has spent $${spend.toFixed(2)} of its $${maxBudget.toFixed(2)} budget${period} (${Math.floor((spendNanos / maxNanos) * 100)}%, threshold ${Math.round(threshold * 100)}%)`,
    time: new Date(now).toISOString(),
    threshold,
    spend,
    max_budget: maxBudget,
    budget_duration: row.budget_duration,
    window_start: new Date(window.start).toISOString(),
    window_end: window.end >= Number.MAX_SAFE_INTEGER ? null : new Date(window.end).toISOString(),
    team_id: row.team_id,
    team_alias: row.team_alias,
    key_alias: level === 'key' ? row.key_alias : null,
    key_name: level === 'key' ? row.key_name : null,
  };
}
