import { nanosToUsd } from '@tollgate/budgets';

import { callLabel, type CallTally, FALLBACK_LABELS, type FallbackTally } from './call-tally';
import type { LatencyHistogram } from './latency-histogram';
import type { SeriesMetric } from './series-collector';
import type { Series } from './series-table';

/*
 * LiteLLM's per-call metrics, with its names and label sets (litellm/integrations/prometheus.py and
 * types/integrations/prometheus.py). Its Python client exposes counters with a `_total` suffix,
 * so the names below carry it: dashboards query `litellm_spend_metric_total`. `end_user` is left
 * out, as LiteLLM leaves it empty unless end-user tracking is switched on, to bound cardinality.
 */

const KEY_LABELS = ['hashed_api_key', 'api_key_alias'];
const CALLER_LABELS = ['hashed_api_key', 'api_key_alias', 'team', 'team_alias', 'user'];
const DEPLOYMENT_LABELS = [
  'requested_model',
  'litellm_model_name',
  'model_id',
  'api_base',
  'api_provider',
  'hashed_api_key',
  'api_key_alias',
  'team',
  'team_alias',
];
const EXCEPTION_LABELS = ['exception_status', 'exception_class'];

const failedCall = (series: Series<CallTally>) => callLabel(series, 'status_code') !== '200';
const budgetRefusal = (series: Series<CallTally>) => callLabel(series, 'exception_class') === 'BudgetExceededError';
const callCounter = (
  name: string,
  help: string,
  labelNames: string[],
  valueOf: (tally: CallTally) => number,
  include?: (series: Series<CallTally>) => boolean,
): SeriesMetric<CallTally> => ({
  type: 'counter',
  name,
  help,
  labelNames,
  labelOf: callLabel,
  valueOf,
  include,
});
const callHistogram = (
  name: string,
  help: string,
  labelNames: string[],
  histogramOf: (tally: CallTally) => LatencyHistogram | undefined,
): SeriesMetric<CallTally> => ({
  type: 'histogram',
  name,
  help,
  labelNames,
  labelOf: callLabel,
  histogramOf,
});

export const CALL_METRICS: SeriesMetric<CallTally>[] = [
  callCounter(
    'litellm_requests_metric_total',
    'Model calls answered successfully, per key, model and team',
    [...KEY_LABELS, 'model', 'team', 'team_alias', 'user'],
    (t) => t.answered,
  ),
  callCounter(
    'litellm_proxy_total_requests_metric_total',
    "Requests to the gateway's model routes, by the status the client got",
    [...KEY_LABELS, 'requested_model', 'team', 'team_alias', 'user', 'status_code'],
    (t) => t.requests,
  ),
  callCounter(
    'litellm_proxy_failed_requests_metric_total',
    "Requests to the gateway's model routes that did not succeed",
    [...KEY_LABELS, 'requested_model', 'team', 'team_alias', 'user', ...EXCEPTION_LABELS],
    (t) => t.requests,
    failedCall,
  ),
  callCounter(
    'litellm_spend_metric_total',
    'Spend in USD, as the ledger charges it',
    [...KEY_LABELS, 'model', 'team', 'team_alias', 'user'],
    (t) => nanosToUsd(t.spendNanos),
  ),
  callCounter(
    'litellm_total_tokens_total',
    'Input + output tokens billed',
    [...CALLER_LABELS, 'model', 'requested_model'],
    (t) => t.inputTokens + t.outputTokens,
  ),
  callCounter(
    'litellm_input_tokens_total',
    'Input tokens billed (cached included)',
    [...CALLER_LABELS, 'model', 'requested_model'],
    (t) => t.inputTokens,
  ),
  callCounter('litellm_output_tokens_total', 'Output tokens billed', [...CALLER_LABELS, 'model', 'requested_model'], (t) => t.outputTokens),
  callCounter(
    'litellm_deployment_success_responses_total',
    'Successful calls to a deployment',
    DEPLOYMENT_LABELS,
    (t) => t.deploymentSuccesses,
  ),
  callCounter(
    'litellm_deployment_failure_responses_total',
    'Failed calls to a deployment (every failed attempt, retried or not)',
    [...DEPLOYMENT_LABELS, ...EXCEPTION_LABELS],
    (t) => t.deploymentFailures,
  ),
  callCounter(
    'litellm_deployment_total_requests_total',
    'Calls to a deployment, successful or not',
    DEPLOYMENT_LABELS,
    (t) => t.deploymentSuccesses + t.deploymentFailures,
  ),
  callHistogram(
    'litellm_request_total_latency_metric',
    "Seconds from the start of a request to its end (a stream's last byte)",
    [...KEY_LABELS, 'requested_model', 'team', 'team_alias', 'user', 'model'],
    (t) => t.totalLatency,
  ),
  callHistogram(
    'litellm_llm_api_latency_metric',
    'Seconds from the upstream call to the end of its answer',
    ['model', ...KEY_LABELS, 'team', 'team_alias', 'requested_model', 'user'],
    (t) => t.llmApiLatency,
  ),
  callHistogram(
    'litellm_llm_api_time_to_first_token_metric',
    'Seconds from the upstream call to the first byte streamed to the client (streams only)',
    ['model', ...KEY_LABELS, 'team', 'team_alias'],
    (t) => t.timeToFirstToken,
  ),
  callHistogram(
    'litellm_overhead_latency_metric',
    'Seconds the gateway spent before calling the upstream (auth, checks, reservation)',
    [...KEY_LABELS, 'requested_model', 'team', 'team_alias', 'user', 'model'],
    (t) => t.overheadLatency,
  ),
  callCounter(
    'tollgate_budget_refusals_total',
    'Calls refused with 429 budget_exceeded, per team and key',
    ['team', 'team_alias', ...KEY_LABELS],
    (t) => t.requests,
    budgetRefusal,
  ),
];

const FALLBACK_LABEL_NAMES: readonly string[] = FALLBACK_LABELS;
const fallbackLabel = (series: Series<FallbackTally>, name: string) => series.labels[FALLBACK_LABEL_NAMES.indexOf(name)];

export const FALLBACK_METRICS: SeriesMetric<FallbackTally>[] = [
  {
    type: 'counter',
    name: 'litellm_deployment_successful_fallbacks_total',
    help: 'Requests answered by a fallback alias after the requested one failed',
    labelNames: FALLBACK_LABEL_NAMES,
    labelOf: fallbackLabel,
    valueOf: (t) => t.successful,
  },
  {
    type: 'counter',
    name: 'litellm_deployment_failed_fallbacks_total',
    help: 'Requests whose fallbacks were tried and failed too',
    labelNames: FALLBACK_LABEL_NAMES,
    labelOf: fallbackLabel,
    valueOf: (t) => t.failed,
  },
];
