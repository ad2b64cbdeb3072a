import { nanosToUsd } from '@tollgate/budgets';
import { isoTimeOrNull, storedJsonObject, storedJsonStrings, toInt, toIntOrNull } from '@tollgate/database';
import { budgetResetAt, currentSpendNanos } from '@tollgate/teams';

export interface ApiKey {
  /** Stable for the key's life; budgets and reservations are held under it. */
  keyId: string;
  /** SHA-256 of the current secret: changes on /key/regenerate. */
  token: string;
  keyName: string;
  keyAlias: string | null;
  teamId: string | null;
  userId: string | null;
  models: string[];
  maxBudgetNanos: number | null;
  budgetDuration: string | null;
  tpmLimit: number | null;
  rpmLimit: number | null;
  expiresAt: number | null;
  metadata: Record<string, unknown>;
  blocked: boolean;
  spendNanos: number;
  reservedNanos: number;
  windowStart: number;
  lastUsedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export function apiKeyFromRow(row: Record<string, unknown>): ApiKey {
  return {
    keyId: String(row.key_id ?? row.token),
    token: String(row.token),
    keyName: String(row.key_name),
    keyAlias: (row.key_alias as string | null) ?? null,
    teamId: (row.team_id as string | null) ?? null,
    userId: (row.user_id as string | null) ?? null,
    models: storedJsonStrings(row.models),
    maxBudgetNanos: toIntOrNull(row.max_budget_nanos),
    budgetDuration: (row.budget_duration as string | null) ?? null,
    tpmLimit: toIntOrNull(row.tpm_limit),
    rpmLimit: toIntOrNull(row.rpm_limit),
    expiresAt: toIntOrNull(row.expires_at),
    metadata: storedJsonObject(row.metadata),
    blocked: toInt(row.blocked) === 1,
    spendNanos: toInt(row.spend_nanos),
    reservedNanos: toInt(row.reserved_nanos),
    windowStart: toInt(row.window_start),
    lastUsedAt: toIntOrNull(row.last_used_at),
    createdAt: toInt(row.created_at),
    updatedAt: toInt(row.updated_at),
  };
}

/** LiteLLM's key object (without the raw key, which exists only in the /key/generate answer). */
export function apiKeyToApi(key: ApiKey, now = Date.now()): Record<string, unknown> {
  return {
    token: key.token,
    key_name: key.keyName,
    key_alias: key.keyAlias,
    team_id: key.teamId,
    user_id: key.userId,
    models: key.models,
    max_budget: key.maxBudgetNanos === null ? null : nanosToUsd(key.maxBudgetNanos),
    budget_duration: key.budgetDuration,
    budget_reset_at: budgetResetAt(key.budgetDuration, now),
    spend: nanosToUsd(currentSpendNanos(key, now)),
    reserved_spend: nanosToUsd(key.reservedNanos),
    tpm_limit: key.tpmLimit,
    rpm_limit: key.rpmLimit,
    expires: isoTimeOrNull(key.expiresAt),
    metadata: key.metadata,
    blocked: key.blocked,
    last_used_at: isoTimeOrNull(key.lastUsedAt),
    created_at: isoTimeOrNull(key.createdAt),
    updated_at: isoTimeOrNull(key.updatedAt),
  };
}
