import { Injectable } from '@nestjs/common';
import { type BudgetExceededError, BudgetRefusals } from '@tollgate/budgets';
import { callerOf } from '@tollgate/keys';
import { ModelRegistry } from '@tollgate/routing';
import { type CallType, isFree, pricingFor, SpendRecorder } from '@tollgate/spend';
import type { Request } from 'express';

import { BudgetedRouter } from '../calls/budgeted-router';

/** The ledger's call type of each model route the BudgetGuard stands in front of. */
const CALL_TYPES: [suffix: string, callType: CallType][] = [
  ['chat/completions', 'chat_completion'],
  ['embeddings', 'embedding'],
  ['messages', 'messages'],
  ['responses', 'responses'],
];

/**
 * What the BudgetGuard needs from the gateway: whether an alias can be served for free (a money
 * budget never stops a free local model, nor an alias that may fall back to one), and the ledger
 * row of an early refusal, written like a refusal at reservation (bounded by the RefusalLog).
 */
@Injectable()
export class GatewayBudgetRefusals extends BudgetRefusals {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly calls: BudgetedRouter,
    private readonly spend: SpendRecorder,
  ) {
    super();
  }

  mayBeFree(alias: string): boolean {
    // An unknown alias is the router's to refuse, with its own error.
    if (!this.registry.has(alias)) return true;
    return [alias, ...this.registry.fallbacksOf(alias)].some((group) =>
      this.registry.deploymentsOf(group).some((deployment) => isFree(pricingFor(deployment))),
    );
  }

  async record(request: Request, error: BudgetExceededError): Promise<void> {
    const caller = callerOf(request);
    const callType = CALL_TYPES.find(([suffix]) => request.path.replace(/\/+$/, '').endsWith(suffix))?.[1];
    if (!caller || !callType) return;
    // A request the handler would reject as invalid (checked before any reservation) keeps that answer.
    const record = this.calls.beginRecord(request, caller, callType, request.body);
    record.failed(error);
    await this.spend.settle(record);
  }
}
