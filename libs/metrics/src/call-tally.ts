import type { Deployment } from '@tollgate/providers';

import { type LatencyHistogram } from './latency-histogram';
import type { Series } from './series-table';

/**
 * The label tuple every call is counted under: who called, what they asked for, which deployment
 * answered (or failed) and how the call ended. Each LiteLLM metric is a projection of these at
 * scrape time, so a call updates one tally however many metrics it feeds.
 */
export const CALL_LABELS = [
  'hashed_api_key',
  'api_key_alias',
  'team',
  'team_alias',
  'user',
  'requested_model',
  'model_id',
  'status_code',
  'exception_class',
] as const;

export type CallLabel = (typeof CALL_LABELS)[number];

/** What one label tuple has seen. Histograms are allocated on first use. */
export class CallTally {
  /** The deployment behind `model_id`, for the labels derived from it (model name, api_base, provider). */
  deployment?: Deployment;
  /** Requests to the gateway that ended with this tuple (LiteLLM's proxy-level count). */
  requests = 0;
  /** Of those, calls the model answered successfully (LiteLLM's `litellm_requests_metric`). */
  answered = 0;
  spendNanos = 0;
  inputTokens = 0;
  outputTokens = 0;
  deploymentSuccesses = 0;
  deploymentFailures = 0;
  totalLatency?: LatencyHistogram;
  llmApiLatency?: LatencyHistogram;
  overheadLatency?: LatencyHistogram;
  timeToFirstToken?: LatencyHistogram;
}

/** Fallback outcomes per requested alias, fallback alias, caller and the failure that caused them. */
export const FALLBACK_LABELS = [
  'requested_model',
  'fallback_model',
  'hashed_api_key',
  'api_key_alias',
  'team',
  'team_alias',
  'exception_status',
  'exception_class',
] as const;

export class FallbackTally {
  successful = 0;
  failed = 0;
}

const INDEX = Object.fromEntries(CALL_LABELS.map((name, i) => [name, i])) as Record<CallLabel, number>;

/** A label of a call series by name, including those derived from its deployment. */
export function callLabel(series: Series<CallTally>, name: string): string {
  const deployment = series.value.deployment;
  switch (name) {
    case 'model':
    case 'litellm_model_name':
      return deployment?.model ?? '';
    case 'api_base':
      return deployment?.apiBase ?? '';
    case 'api_provider':
      return deployment?.provider ?? '';
    case 'exception_status':
      return series.labels[INDEX.status_code];
    default:
      return series.labels[INDEX[name as CallLabel]];
  }
}
