import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { INSTANCE_ID, type BudgetHolder } from '@tollgate/budgets';
import { Sql, toInt } from '@tollgate/database';
import { SpendLedger } from './spend-ledger';

const HEARTBEAT_MS = 2_000;
/** An instance silent this long is dead (crashed or killed); its open reservations will never settle by themselves. */
const DEAD_AFTER_MS = 10_000;
const SWEEP_MS = 5_000;

interface OpenReservation {
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

/**
 * After a crash, a reservation written before an upstream call has no settlement: the call may
 * have reached the provider and cost money. It is charged at its reserved amount (an upper bound:
 * never under-count) and flagged `unsettled` in the ledger, which also frees it from `reserved`.
 * Each instance heartbeats; reservations of instances that stopped heartbeating are swept.
 * SQLite serves one process, so there every other instance's reservation is from a dead process.
 */
@Injectable()
export class UnsettledRecovery implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('UnsettledRecovery');
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly sql: Sql,
    private readonly ledger: SpendLedger,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.heartbeat();
    await this.sweep();
    this.timers = [
      setInterval(() => void this.heartbeat().catch((e) => this.logger.warn(`heartbeat failed: ${(e as Error).message}`)), HEARTBEAT_MS),
      setInterval(() => void this.sweep().catch((e) => this.logger.warn(`sweep failed: ${(e as Error).message}`)), SWEEP_MS),
    ];
    for (const timer of this.timers) timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.sql.query(`DELETE FROM gateway_instances WHERE instance_id = ?`, [this.instanceId]).catch(() => undefined);
  }

  /** Settles every reservation left by a dead instance. Returns how many it charged. */
  async sweep(now = Date.now()): Promise<number> {
    const orphans =
      this.sql.dialect === 'sqlite'
        ? await this.sql.query<OpenReservation>(`SELECT * FROM budget_reservations WHERE instance_id <> ?`, [this.instanceId])
        : await this.sql.query<OpenReservation>(
            `SELECT r.* FROM budget_reservations r
              WHERE r.instance_id <> ?
                AND NOT EXISTS (SELECT 1 FROM gateway_instances i WHERE i.instance_id = r.instance_id AND i.heartbeat_at > ?)`,
            [this.instanceId, now - DEAD_AFTER_MS],
          );
    for (const orphan of orphans.rows) {
      const amount = toInt(orphan.amount_nanos);
      const holders: BudgetHolder[] = [{ level: 'key', id: orphan.key_id ?? orphan.token, label: orphan.token, budgetDuration: null }];
      if (orphan.team_id) holders.push({ level: 'team', id: orphan.team_id, label: orphan.team_id, budgetDuration: null });
      await this.ledger.settle(
        {
          requestId: orphan.request_id,
          apiKey: orphan.token,
          teamId: orphan.team_id,
          endUser: null,
          modelGroup: orphan.model_group,
          model: null,
          deploymentId: orphan.deployment_id,
          provider: orphan.provider,
          apiBase: null,
          callType: 'chat_completion',
          status: 'unsettled',
          tokens: { promptTokens: 0, completionTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
          spendNanos: amount,
          unpriced: false,
          attemptedFallbacks: 0,
          startTime: toInt(orphan.created_at),
          endTime: now,
          ttftMs: null,
          sessionId: null,
          error: 'gateway stopped before this request settled; charged at its reserved amount',
          metadata: {},
        },
        holders,
      );
    }
    if (orphans.rows.length > 0) this.logger.warn(`Charged ${orphans.rows.length} unsettled reservation(s) left by stopped gateway instances`);
    return orphans.rows.length;
  }

  private async heartbeat(): Promise<void> {
    const now = Date.now();
    await this.sql.query(
      `INSERT INTO gateway_instances (instance_id, heartbeat_at) VALUES (?, ?)
       ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
      [this.instanceId, now],
    );
  }
}
