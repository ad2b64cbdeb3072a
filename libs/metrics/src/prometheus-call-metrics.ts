import { Inject, Injectable, Logger } from '@nestjs/common';
import { UpstreamError } from '@tollgate/providers';
import { ModelRegistry, RouteFailedError } from '@tollgate/routing';
import { CallMetrics, type CallRecord, type SettledCall } from '@tollgate/spend';

import { CALL_LABELS, CallTally, FALLBACK_LABELS, FallbackTally } from './call-tally';
import { exceptionClassFor } from './exception-class';
import { LatencyHistogram } from './latency-histogram';
import { METRICS_OPTIONS, type MetricsOptions } from './metrics-options';
import { SeriesTable } from './series-table';

/**
 * Series kept per table. Keys are the only dimension a deployment's configuration does not bound;
 * past this, new tuples share one overflow series instead of growing memory and the scrape.
 */
export const MAX_SERIES = 20_000;

/** `requested_model` of a call for an alias that does not exist: the client's string is not a label. */
export const UNKNOWN_MODEL_LABEL = 'unknown_model';

/**
 * Counts every settled call under one label tuple (CallTally): plain additions and a few map
 * lookups on the request path; the LiteLLM metrics are projected from the tallies at scrape time.
 */
@Injectable()
export class PrometheusCallMetrics extends CallMetrics {
  readonly calls = new SeriesTable(CALL_LABELS.length, () => new CallTally(), MAX_SERIES);
  readonly fallbacks = new SeriesTable(FALLBACK_LABELS.length, () => new FallbackTally(), MAX_SERIES);
  private readonly logger = new Logger('Metrics');
  /** Reused for every lookup: the table copies it only when it creates a series. */
  private readonly tuple: string[] = new Array<string>(CALL_LABELS.length);
  private failedOnce = false;

  constructor(
    private readonly registry: ModelRegistry,
    @Inject(METRICS_OPTIONS) private readonly options: MetricsOptions,
  ) {
    super();
  }

  callSettled(record: CallRecord, call: SettledCall): void {
    try {
      this.count(record, call);
    } catch (error) {
      // Metrics must never fail a settlement; one log line says they are broken.
      if (!this.failedOnce) this.logger.error(`Could not count a call in /metrics: ${(error as Error).stack ?? String(error)}`);
      this.failedOnce = true;
    }
  }

  private count(record: CallRecord, call: SettledCall): void {
    const [status, exceptionClass] = this.outcomeOf(record);
    const tally = this.tallyFor(record, record.deployment?.id ?? '', status, exceptionClass);
    if (record.deployment) tally.deployment ??= record.deployment;
    tally.requests++;
    if (record.status === 'success') tally.answered++;
    tally.spendNanos += call.costNanos;
    tally.inputTokens += call.tokens.promptTokens;
    tally.outputTokens += call.tokens.completionTokens;
    if (record.servedByAlias !== undefined) {
      if (record.status === 'error') tally.deploymentFailures++;
      else tally.deploymentSuccesses++;
    }
    (tally.totalLatency ??= new LatencyHistogram()).observe((call.endTime - record.startTime) / 1000);
    const upstreamStart = record.upstreamStartedAt;
    if (upstreamStart !== undefined) {
      (tally.llmApiLatency ??= new LatencyHistogram()).observe((call.endTime - upstreamStart) / 1000);
      (tally.overheadLatency ??= new LatencyHistogram()).observe((upstreamStart - record.startTime) / 1000);
      const firstByte = record.firstByteAt;
      if (firstByte !== undefined) (tally.timeToFirstToken ??= new LatencyHistogram()).observe((firstByte - upstreamStart) / 1000);
    }
    if (record.failedAttempts.length > 0) this.countFailedAttempts(record);
  }

  /** Attempts before the last, or all of them when the call failed: each a failure of its deployment. */
  private countFailedAttempts(record: CallRecord): void {
    let trigger: { status: string; exceptionClass: string } | undefined;
    for (const { deployment, error } of record.failedAttempts) {
      if (!(error instanceof UpstreamError)) continue;
      const status = String(error.status);
      const exceptionClass = exceptionClassFor(error.status);
      const tally = this.tallyFor(record, deployment.id, status, exceptionClass);
      tally.deployment ??= deployment;
      tally.deploymentFailures++;
      if (deployment.alias === record.modelGroup) trigger = { status, exceptionClass };
    }
    const failure = record.failureCause;
    const fallbackAlias =
      record.servedByAlias !== undefined && record.attemptedFallbacks > 0
        ? record.servedByAlias
        : failure instanceof RouteFailedError && failure.attemptedFallbacks > 0
          ? failure.servedByAlias
          : undefined;
    if (fallbackAlias === undefined || !trigger) return;
    const caller = record.caller;
    const fallback = this.fallbacks.get([
      this.requestedModel(record),
      fallbackAlias,
      caller.token,
      caller.keyAlias ?? '',
      caller.teamId ?? '',
      caller.teamAlias ?? '',
      trigger.status,
      trigger.exceptionClass,
    ]);
    if (record.servedByAlias !== undefined) fallback.successful++;
    else fallback.failed++;
  }

  private tallyFor(record: CallRecord, deploymentId: string, status: string, exceptionClass: string): CallTally {
    const caller = record.caller;
    const tuple = this.tuple;
    tuple[0] = caller.token;
    tuple[1] = caller.keyAlias ?? '';
    tuple[2] = caller.teamId ?? '';
    tuple[3] = caller.teamAlias ?? '';
    tuple[4] = caller.userId ?? '';
    tuple[5] = this.requestedModel(record);
    tuple[6] = deploymentId;
    tuple[7] = status;
    tuple[8] = exceptionClass;
    return this.calls.get(tuple);
  }

  private requestedModel(record: CallRecord): string {
    return this.registry.has(record.modelGroup) ? record.modelGroup : UNKNOWN_MODEL_LABEL;
  }

  /** The status the client got and LiteLLM's exception class for it ('' for a success). */
  private outcomeOf(record: CallRecord): [status: string, exceptionClass: string] {
    switch (record.status) {
      case 'success':
        return ['200', ''];
      case 'budget_exceeded':
        return ['429', 'BudgetExceededError'];
      case 'client_cancelled':
        return ['499', exceptionClassFor(499)];
      default: {
        // An error reported inside an answer that had begun (an `error` event after the 200) is the upstream's.
        const cause = record.failureCause;
        const status = cause === undefined ? 502 : this.options.statusOf(cause);
        return [String(status), exceptionClassFor(status)];
      }
    }
  }
}
