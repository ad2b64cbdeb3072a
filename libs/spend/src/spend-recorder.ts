import { Inject, Injectable, Logger } from '@nestjs/common';
import { BudgetAccounts, BudgetStoreUnavailableError, INSTANCE_ID, nanosToUsd } from '@tollgate/budgets';
import { RequestLogLine } from '@tollgate/logging';
import { type Deployment, ProviderRequestError, upstreamOutputLimit } from '@tollgate/providers';
import { RATE_LIMITER, type RateLimiter } from '@tollgate/rate-limits';

import { CallMetrics } from './call-metrics';
import type { CallRecord } from './call-record';
import { costNanos, costUpperBoundNanos, inputTokensBoundFor, type TokenCounts, tokenCountsOf } from './cost';
import { isFree, pricingFor } from './price-catalog';
import { RefusalLog } from './refusal-log';
import { SettlementBatcher } from './settlement-batcher';
import { trustedTokenCounts } from './usage-check';

/**
 * Reserve before, settle after, for one request: the budget side of the request path.
 * `reserveForAttempt` runs before each upstream attempt (the deployment decides the price);
 * `settle` runs once when the request is over, whatever its outcome.
 */
@Injectable()
export class SpendRecorder {
  private readonly logger = new Logger('SpendRecorder');
  private readonly refusals = new RefusalLog();

  constructor(
    private readonly budgets: BudgetAccounts,
    private readonly settlements: SettlementBatcher,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
    @Inject(RATE_LIMITER) private readonly rateLimiter: RateLimiter,
    private readonly metrics: CallMetrics,
  ) {}

  /**
   * Reserves the call's cost upper bound on this deployment at every budget level, or throws
   * BudgetExceededError before anything is sent. Free deployments reserve zero: recorded as in
   * flight (for crash recovery) but never blocked by a money budget.
   *
   * The bound is the one the gateway enforces: the output limit is what the adapter sends upstream
   * (the smaller of the request's and the deployment's cap), and input that cannot be measured is
   * bounded by the model's context window. A limit beyond the model's maximum output is refused.
   */
  async reserveForAttempt(record: CallRecord, deployment: Deployment, request: OutputLimits): Promise<void> {
    const pricing = pricingFor(deployment);
    record.attempting(deployment, pricing);
    let outputLimit = upstreamOutputLimit(deployment, request) ?? pricing.maxOutputTokens;
    if (outputLimit > pricing.maxOutputTokens) {
      const param = request.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
      if (!request.lowerToModelMaximum?.(deployment)) {
        throw new ProviderRequestError(
          `${param}: ${outputLimit} is more than ${pricing.maxOutputTokens}, the most output tokens model "${deployment.alias}" allows`,
          param,
        );
      }
      outputLimit = pricing.maxOutputTokens;
    }
    const choices = Math.max(1, request.n ?? 1);
    const inputTokens = inputTokensBoundFor(record.inputTokensBound, record.unmeasuredInput, pricing);
    record.boundedBy({ inputTokens, outputTokens: outputLimit * choices });
    if (record.caller.budgetHolders.length === 0) return;
    const amountNanos = isFree(pricing) ? 0 : costUpperBoundNanos(inputTokens, outputLimit, choices, pricing);
    const reserve = this.budgets.reserve({
      requestId: record.requestId,
      instanceId: this.instanceId,
      apiKey: record.caller.token,
      holders: record.caller.budgetHolders,
      amountNanos,
      modelGroup: deployment.alias,
      deploymentId: deployment.id,
      provider: deployment.provider,
    });
    if (amountNanos > 0) {
      record.reserved(await reserve);
      return;
    }
    // Fail closed only where money is at stake: a free local model is still served when the
    // budget store is down (its ledger row may then be lost, which costs nothing).
    record.reserved(
      await reserve.catch((error: unknown) => {
        if (!(error instanceof BudgetStoreUnavailableError)) throw error;
        this.logger.warn(
          new RequestLogLine(record.requestId, `Serving free ${deployment.alias} without a ledger reservation: ${error.message}`),
        );
        return undefined;
      }),
    );
  }

  /** The attempt failed before spending anything: hand the reservation back at once. */
  async releaseAttempt(record: CallRecord): Promise<void> {
    const reservation = record.takeReservation();
    if (reservation) await this.budgets.release(reservation);
  }

  /**
   * Prices the call and queues its ledger row and budget movement (the reservation swapped for the
   * actual cost), written with everything else that finished in this event-loop turn
   * (SettlementBatcher): once per request, by SpendInterceptor when the request is over. Returns
   * the charge at once, for the answer's cost headers.
   */
  settle(record: CallRecord): Charge {
    const now = Date.now();
    const status = record.status ?? 'error';
    const { tokens, estimated } = this.tokensFor(record);
    // Abandoned mid-call with nothing received: what the provider billed is unknowable, so the
    // reservation (the call's upper bound) is charged, exactly as recovery does after a crash.
    const chargeReservation = !record.usage && record.leftWhileInFlight && record.firstByteAt === undefined;
    const cost = chargeReservation ? (record.reservation?.amountNanos ?? 0) : record.pricing ? costNanos(tokens, record.pricing) : 0;
    this.metrics.callSettled(record, { costNanos: cost, tokens, endTime: now });
    // A refusal holds no reservation, so a refusal row that is only counted loses no money.
    const refusal =
      status === 'budget_exceeded' && !record.reservation
        ? this.refusals.admit(record.caller.budgetHolders[0]?.id ?? record.caller.token, now)
        : null;
    if (refusal && !refusal.write) return { costNanos: cost };
    const coalesced = refusal && refusal.coalesced > 0 ? { coalesced_refusals: refusal.coalesced } : {};
    this.settlements.add({
      entry: {
        requestId: record.requestId,
        apiKey: record.caller.token,
        teamId: record.caller.teamId,
        endUser: record.endUser,
        modelGroup: record.servedByAlias ?? record.modelGroup,
        model: record.deployment?.model ?? null,
        deploymentId: record.deployment?.id ?? null,
        provider: record.deployment?.provider ?? null,
        apiBase: record.deployment?.apiBase ?? null,
        callType: record.callType,
        status,
        tokens,
        spendNanos: cost,
        unpriced: record.pricing?.unpriced ?? false,
        estimated: chargeReservation || estimated,
        attemptedFallbacks: record.attemptedFallbacks,
        startTime: record.startTime,
        endTime: now,
        ttftMs: record.firstByteAt === undefined ? null : record.firstByteAt - record.startTime,
        sessionId: record.sessionId,
        error: record.error ?? null,
        metadata: { ...record.metadata, ...coalesced, requested_model: record.modelGroup, key_alias: record.caller.keyAlias },
      },
      holders: record.caller.budgetHolders,
    });
    const totalTokens = tokens.promptTokens + tokens.completionTokens;
    if (totalTokens > 0 && record.caller.rateSubjects.some((s) => s.tpmLimit !== null)) {
      void this.rateLimiter
        .recordTokens(
          record.caller.rateSubjects.map((s) => s.id),
          totalTokens,
          now,
        )
        .catch(() => undefined);
    }
    // LiteLLM's x-litellm-key-spend: the key's spend before the call (read when it reserved) plus this call.
    const spendBefore = record.reservation?.keySpendNanos;
    return { costNanos: cost, keySpendNanos: spendBefore === undefined || spendBefore === null ? spendBefore : spendBefore + cost };
  }

  /**
   * The tokens to bill: the upstream's usage when it is believable, else — when the upstream answered
   * or streamed anything — a conservative estimate: the input bound plus the output actually
   * received, within the output limit. Never more than the reservation was sized by.
   */
  private tokensFor(record: CallRecord): { tokens: TokenCounts; estimated: boolean } {
    const none = { tokens: tokenCountsOf(undefined), estimated: false };
    const bounds = record.bounds;
    if (!bounds) return none;
    const outputReceived = record.outputReceived;
    const trusted = trustedTokenCounts(record.usage, {
      maxPromptTokens: Math.max(bounds.inputTokens, record.pricing?.maxInputTokens ?? 0),
      maxCompletionTokens: bounds.outputTokens,
      outputReceived,
    });
    if (trusted) return { tokens: trusted, estimated: false };
    const answered = record.usage !== undefined || record.status === 'success' || record.firstByteAt !== undefined || outputReceived;
    if (!answered) return none;
    return {
      tokens: {
        promptTokens: bounds.inputTokens,
        completionTokens: Math.min(bounds.outputTokens, record.generatedTokensEstimate()),
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
      },
      estimated: true,
    };
  }
}

/**
 * What settlement charges one call. `keySpendNanos`: the key's spend in its window before the call
 * plus this call's cost; undefined or null when the call held no reservation on a key.
 */
export interface Charge {
  costNanos: number;
  keySpendNanos?: number | null;
}

/** Headers LiteLLM users read: cost of this call and the key's spend, in USD. */
export function costHeaders(charge: Charge): Record<string, string> {
  const headers: Record<string, string> = { 'x-litellm-response-cost': String(nanosToUsd(charge.costNanos)) };
  if (charge.keySpendNanos !== undefined && charge.keySpendNanos !== null)
    headers['x-litellm-key-spend'] = String(nanosToUsd(charge.keySpendNanos));
  return headers;
}

/** What the budget needs to bound a call's output: the request's token caps and choice count. */
export interface OutputLimits {
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  n?: number | null;
  /**
   * True for a deployment whose limit the client cannot know (its request was translated from
   * another provider's dialect): a limit above the model's maximum is then lowered to it, as the
   * translation does, instead of refused.
   */
  lowerToModelMaximum?: (deployment: Deployment) => boolean;
}
