import { Injectable } from '@nestjs/common';
import { type Caller, mayCallModel } from '@tollgate/keys';
import type { Deployment } from '@tollgate/providers';
import { type Attempt, ModelRouter, type RoutedResult } from '@tollgate/routing';
import {
  attachCallRecord,
  CallRecord,
  type CallType,
  hasUnmeasuredInput,
  inputTokensUpperBound,
  type OutputLimits,
  serverToolsIn,
  SpendRecorder,
} from '@tollgate/spend';
import type { Request } from 'express';

import { InvalidRequestError } from '../common/invalid-request.errors';
import { requestIdOf } from '../common/request-id';
import { sessionIdOf } from '../common/session';

/**
 * The router with budgets around every attempt: each deployment tried first reserves its own
 * cost bound (prices differ between a free local model and its cloud fallback) and hands the
 * reservation back if the attempt fails. Shared by chat, embeddings and Anthropic messages.
 */
@Injectable()
export class BudgetedRouter {
  constructor(
    private readonly router: ModelRouter,
    private readonly spend: SpendRecorder,
  ) {}

  /** Starts the request's ledger record; the spend interceptor settles it when the request ends. */
  beginRecord(
    req: Request,
    caller: Caller,
    callType: CallType,
    body: { model: string; user?: unknown; metadata?: unknown; messages?: unknown; input?: unknown; system?: unknown; tools?: unknown },
  ): CallRecord {
    refuseUnboundedFees(caller, body);
    const tags = (body.metadata as { tags?: unknown } | undefined)?.tags;
    const record = new CallRecord({
      requestId: requestIdOf(req),
      callType,
      caller,
      modelGroup: body.model,
      endUser: typeof body.user === 'string' ? body.user : null,
      sessionId: sessionIdOf(req, body),
      metadata: Array.isArray(tags) ? { tags } : {},
      inputTokensBound: inputTokensUpperBound(body),
      unmeasuredInput: hasUnmeasuredInput(body),
    });
    attachCallRecord(req, record);
    return record;
  }

  async route<T>(alias: string, record: CallRecord, limits: OutputLimits, signal: AbortSignal, call: Attempt<T>): Promise<RoutedResult<T>> {
    const routed = await this.router.route(
      alias,
      async (deployment: Deployment) => {
        await this.spend.reserveForAttempt(record, deployment, limits);
        record.callingUpstream();
        try {
          return await call(deployment);
        } catch (error) {
          // A client that leaves while the upstream works does not stop the provider billing the
          // prompt it already has: keep the reservation and charge it, as after a crash.
          if (signal.aborted) {
            record.abandonedInFlight();
            throw error;
          }
          record.attemptFailed(error);
          await this.spend.releaseAttempt(record);
          throw error;
        }
      },
      signal,
      (fallback) => mayCallModel(record.caller, fallback),
      record.requestId,
    );
    record.servedBy(routed.servedByAlias, routed.attemptedFallbacks);
    return routed;
  }
}

/** Server-tool fees cannot be bounded before the call: under a money budget they are refused, not guessed. */
function refuseUnboundedFees(caller: Caller, body: object): void {
  if (!caller.underMoneyBudget) return;
  const tools = serverToolsIn(body);
  if (tools.length === 0) return;
  throw new InvalidRequestError(
    `Server-side tools (${tools.join(', ')}) are billed by the provider per use and cannot be bounded in advance, so keys and teams with a max_budget may not use them`,
    'tools',
    'server_tools_not_allowed_under_budget',
  );
}
