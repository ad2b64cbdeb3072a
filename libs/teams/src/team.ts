import { budgetWindow, nanosToUsd } from '@tollgate/budgets';
import { isoTimeOrNull, storedJsonObject, storedJsonStrings, toInt, toIntOrNull } from '@tollgate/database';

export interface Team {
  teamId: string;
  teamAlias: string | null;
  models: string[];
  maxBudgetNanos: number | null;
  budgetDuration: string | null;
  tpmLimit: number | null;
  rpmLimit: number | null;
  metadata: Record<string, unknown>;
  blocked: boolean;
  spendNanos: number;
  reservedNanos: number;
  windowStart: number;
  createdAt: number;
  updatedAt: number;
}

export function teamFromRow(row: Record<string, unknown>): Team {
  return {
    teamId: String(row.team_id),
    teamAlias: (row.team_alias as string | null) ?? null,
    models: storedJsonStrings(row.models),
    maxBudgetNanos: toIntOrNull(row.max_budget_nanos),
    budgetDuration: (row.budget_duration as string | null) ?? null,
    tpmLimit: toIntOrNull(row.tpm_limit),
    rpmLimit: toIntOrNull(row.rpm_limit),
    metadata: storedJsonObject(row.metadata),
    blocked: toInt(row.blocked) === 1,
    spendNanos: toInt(row.spend_nanos),
    reservedNanos: toInt(row.reserved_nanos),
    windowStart: toInt(row.window_start),
    createdAt: toInt(row.created_at),
    updatedAt: toInt(row.updated_at),
  };
}

/** Settled spend in the current budget window: a window that has rolled over reads as zero. */
export function currentSpendNanos(
  holder: { spendNanos: number; windowStart: number; budgetDuration: string | null },
  now = Date.now(),
): number {
  return holder.windowStart >= budgetWindow(holder.budgetDuration, now).start ? holder.spendNanos : 0;
}

export function budgetResetAt(budgetDuration: string | null, now = Date.now()): string | null {
  if (!budgetDuration) return null;
  // A duration stored before durations were bounded has no printable end: shown as never resetting.
  return isoTimeOrNull(budgetWindow(budgetDuration, now).end);
}

/** LiteLLM's team object. Money in USD. */
export function teamToApi(team: Team, now = Date.now()): Record<string, unknown> {
  return {
    team_id: team.teamId,
    team_alias: team.teamAlias,
    models: team.models,
    max_budget: team.maxBudgetNanos === null ? null : nanosToUsd(team.maxBudgetNanos),
    budget_duration: team.budgetDuration,
    budget_reset_at: budgetResetAt(team.budgetDuration, now),
    spend: nanosToUsd(currentSpendNanos(team, now)),
    reserved_spend: nanosToUsd(team.reservedNanos),
    tpm_limit: team.tpmLimit,
    rpm_limit: team.rpmLimit,
    metadata: team.metadata,
    blocked: team.blocked,
    created_at: isoTimeOrNull(team.createdAt),
    updated_at: isoTimeOrNull(team.updatedAt),
  };
}
