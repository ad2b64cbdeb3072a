import { storedJsonObject, toInt, toIntOrNull } from '@tollgate/database';

import type { LedgerEntry } from './spend-ledger';

/** One `spend_logs` row as read back: numbers as numbers, flags as booleans, metadata parsed. */
export interface LedgerRow extends Pick<
  LedgerEntry,
  | 'requestId'
  | 'apiKey'
  | 'teamId'
  | 'endUser'
  | 'modelGroup'
  | 'model'
  | 'deploymentId'
  | 'provider'
  | 'apiBase'
  | 'spendNanos'
  | 'unpriced'
  | 'attemptedFallbacks'
  | 'startTime'
  | 'endTime'
  | 'ttftMs'
  | 'sessionId'
  | 'error'
  | 'metadata'
> {
  /** Wider than a gateway call's: subscription tools report their own. */
  callType: string;
  status: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  latencyMs: number;
  estimated: boolean;
  source: string;
  clientTool: string | null;
  clientToolVersion: string | null;
  reportedCostNanos: number | null;
}

const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

export function ledgerRowFromDb(row: Record<string, unknown>): LedgerRow {
  return {
    requestId: String(row.request_id),
    callType: String(row.call_type),
    apiKey: text(row.api_key),
    teamId: text(row.team_id),
    endUser: text(row.end_user),
    modelGroup: text(row.model_group),
    model: text(row.model),
    deploymentId: text(row.deployment_id),
    provider: text(row.provider),
    apiBase: text(row.api_base),
    status: String(row.status),
    spendNanos: toInt(row.spend_nanos),
    promptTokens: toInt(row.prompt_tokens),
    completionTokens: toInt(row.completion_tokens),
    totalTokens: toInt(row.total_tokens),
    cacheReadTokens: toInt(row.cache_read_tokens),
    cacheWriteTokens: toInt(row.cache_write_tokens),
    startTime: toInt(row.start_time),
    endTime: toInt(row.end_time),
    latencyMs: toInt(row.latency_ms),
    ttftMs: toIntOrNull(row.ttft_ms),
    sessionId: text(row.session_id),
    attemptedFallbacks: toInt(row.attempted_fallbacks),
    unpriced: toInt(row.unpriced) === 1,
    estimated: toInt(row.estimated) === 1,
    error: text(row.error),
    metadata: storedJsonObject(row.metadata),
    source: text(row.source) ?? 'gateway',
    clientTool: text(row.client_tool),
    clientToolVersion: text(row.client_tool_version),
    reportedCostNanos: toIntOrNull(row.reported_cost_nanos),
  };
}
