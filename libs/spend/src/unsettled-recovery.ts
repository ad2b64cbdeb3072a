import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { type BudgetHolder, BudgetStore, INSTANCE_ID } from '@tollgate/budgets';
import { toInt } from '@tollgate/database';

import { SpendLedger } from './spend-ledger';

const HEARTBEAT_MS = 2_000;
/** An instance silent this long is dead (crashed or killed); its open reservations will never settle by themselves. */
const DEAD_AFTER_MS = 10_000;
const SWEEP_MS = 5_000;

/**
 * After a crash, a reservation written before an upstream call has no settlement: the call may
 * have reached the provider and cost money. It is charged at its reserved amount (an upper bound:
 * never under-count) and flagged `unsettled` in the ledger, which also frees it from `reserved`.
 * Each instance heartbeats; reservations of instances that stopped heartbeating are swept, on
 * both databases: several instances share one SQLite file too (the workers of `--num_workers`).
 */
@Injectable()
export class UnsettledRecovery implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('UnsettledRecovery');
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly store: BudgetStore,
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
    await this.store.forgetInstance(this.instanceId).catch(() => undefined);
  }

  /** Settles every reservation left by a dead instance. Returns how many it charged. */
  async sweep(now = Date.now()): Promise<number> {
    const orphans = await this.store.orphanedReservations(this.instanceId, now, DEAD_AFTER_MS);
    for (const orphan of orphans) {
      const amount = toInt(orphan.amount_nanos);
      const holders: BudgetHolder[] = [{ level: 'key', id: orphan.key_id ?? orphan.token, label: orphan.token, budgetDuration: null }];
      if (orphan.team_id) holders.push({ level: 'team', id: orphan.team_id, label: orphan.team_id, budgetDuration: null });
      await this.ledger.settle([
        {
          entry: {
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
        },
      ]);
    }
    if (orphans.length > 0) this.logger.warn(`Charged ${orphans.length} unsettled reservation(s) left by stopped gateway instances`);
    return orphans.length;
  }

  private async heartbeat(): Promise<void> {
    await this.store.heartbeat(this.instanceId, Date.now());
  }
}
