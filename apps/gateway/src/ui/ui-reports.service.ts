import { Injectable } from '@nestjs/common';
import { nanosToUsd } from '@tollgate/budgets';
import { type ApiKey, ApiKeysRepository, isKeyToken, MASTER_KEY_LEDGER_LABEL } from '@tollgate/keys';
import { ModelRegistry } from '@tollgate/routing';
import { DAY_MS, SpendLogRepository, utcMidnight } from '@tollgate/spend';
import { budgetResetAt, currentSpendNanos, type Team, TeamsRepository } from '@tollgate/teams';

import { InvalidRequestError } from '../common/invalid-request.errors';
import { HealthService } from '../health/health.service';
import type { UiLogsQueryDto } from './ui.dto';

/** Days in the overview chart, today (UTC) included. */
export const CHART_DAYS = 30;
/** Teams drawn as their own colour in the chart; the rest are summed as "Other teams". */
const CHART_SERIES = 8;
const DEFAULT_LOG_PAGE = 50;

/** Ledger rows without a team: virtual keys outside teams, and master-key calls. */
export const NO_TEAM_LABEL = 'No team';
/** How a master-key call's key is shown: its hash is never sent to the browser. */
export const MASTER_KEY_LABEL = 'master key';

interface Holder {
  kind: 'team' | 'key';
  id: string;
  label: string;
  spendNanos: number;
  reservedNanos: number;
  maxBudgetNanos: number | null;
  budgetDuration: string | null;
  blocked: boolean;
}

/**
 * The dashboard's read side: the same repositories the admin API and /spend reports use, shaped
 * for the pages. Money leaves here as USD (converted from integer nano-dollars only at this edge).
 */
@Injectable()
export class UiReportsService {
  constructor(
    private readonly spendLogs: SpendLogRepository,
    private readonly apiKeys: ApiKeysRepository,
    private readonly teams: TeamsRepository,
    private readonly registry: ModelRegistry,
    private readonly health: HealthService,
  ) {}

  async overview(now = Date.now()): Promise<Record<string, unknown>> {
    const [teams, keys] = await Promise.all([this.teams.list(), this.apiKeys.all()]);
    const teamHolders = teams.map((team) => teamHolder(team, now));
    const keyHolders = keys.map((key) => keyHolder(key, now));
    const bySpend = (a: Holder, b: Holder) => b.spendNanos - a.spendNanos || a.label.localeCompare(b.label);
    const teamLabels = new Map(teams.map((team) => [team.teamId, team.teamAlias ?? team.teamId]));

    const closest = [...teamHolders, ...keyHolders]
      .filter((holder) => holder.maxBudgetNanos !== null)
      .map((holder) => ({ holder, used: budgetUsed(holder) }))
      .sort((a, b) => b.used - a.used || b.holder.spendNanos - a.holder.spendNanos)
      .slice(0, 5)
      .map(({ holder, used }) => ({ ...holderToApi(holder, now), used_ratio: used }));

    return {
      generated_at: new Date(now).toISOString(),
      // Each key's spend in its own current budget window: what counts against budgets right now.
      period_spend: nanosToUsd(keyHolders.reduce((sum, holder) => sum + holder.spendNanos, 0)),
      team_count: teams.length,
      key_count: keys.length,
      teams: [...teamHolders]
        .sort(bySpend)
        .slice(0, 20)
        .map((holder) => holderToApi(holder, now)),
      keys: [...keyHolders]
        .sort(bySpend)
        .slice(0, 10)
        .map((holder) => {
          const teamId = keys.find((key) => key.token === holder.id)?.teamId ?? null;
          return { ...holderToApi(holder, now), team_id: teamId, team_label: teamId ? (teamLabels.get(teamId) ?? teamId) : null };
        }),
      closest_to_budget: closest,
      ...(await this.last30Days(teamLabels, now)),
    };
  }

  /** Daily spend per team and traffic totals since midnight UTC 29 days ago. */
  private async last30Days(teamLabels: Map<string, string>, now: number): Promise<Record<string, unknown>> {
    const firstDay = Math.floor(now / DAY_MS) - (CHART_DAYS - 1);
    const teamDays = await this.spendLogs.teamDays(firstDay * DAY_MS);
    const days = Array.from({ length: CHART_DAYS }, (_, i) => new Date((firstDay + i) * DAY_MS).toISOString().slice(0, 10));
    const perTeam = new Map<string, number[]>();
    const traffic = { requests: 0, tokens: 0, errors: 0, refused: 0, spend: 0 };
    for (const row of teamDays) {
      const index = row.day - firstDay;
      if (index < 0 || index >= CHART_DAYS) continue;
      const team = row.teamId ?? '';
      const series = perTeam.get(team) ?? new Array<number>(CHART_DAYS).fill(0);
      series[index] += row.spendNanos;
      perTeam.set(team, series);
      traffic.requests += row.requests;
      traffic.tokens += row.tokens;
      traffic.errors += row.errors;
      traffic.refused += row.refused;
      traffic.spend += row.spendNanos;
    }
    const ranked = [...perTeam.entries()]
      .map(([teamId, values]) => ({ teamId, values, total: values.reduce((a, b) => a + b, 0) }))
      .sort((a, b) => b.total - a.total || a.teamId.localeCompare(b.teamId));
    const shown = ranked.slice(0, CHART_SERIES);
    const rest = ranked.slice(CHART_SERIES);
    const series = shown.map(({ teamId, values, total }) => ({
      team_id: teamId || null,
      label: teamId ? (teamLabels.get(teamId) ?? teamId) : NO_TEAM_LABEL,
      values: values.map(nanosToUsd),
      total: nanosToUsd(total),
    }));
    if (rest.length > 0) {
      const values = new Array<number>(CHART_DAYS).fill(0);
      for (const team of rest) team.values.forEach((v, i) => (values[i] += v));
      series.push({
        team_id: null,
        label: `Other teams (${rest.length})`,
        values: values.map(nanosToUsd),
        total: nanosToUsd(values.reduce((a, b) => a + b, 0)),
      });
    }
    return {
      daily_spend: { days, series, total: nanosToUsd(traffic.spend) },
      traffic: {
        requests: traffic.requests,
        total_tokens: traffic.tokens,
        errors: traffic.errors,
        budget_refusals: traffic.refused,
        error_rate: traffic.requests === 0 ? 0 : traffic.errors / traffic.requests,
      },
    };
  }

  /**
   * Ledger rows, newest first, one page at a time. Keyset pagination: the cursor is the last
   * row's (start_time, request_id), so a page costs the same on row 50 or row 5,000,000 — no
   * OFFSET, and no COUNT(*) over the table.
   */
  async logs(query: UiLogsQueryDto): Promise<{ rows: Record<string, unknown>[]; next_before: string | null }> {
    const apiKey = query.key?.trim() ? await this.tokenForKeyFilter(query.key.trim()) : undefined;
    const from = query.from ? utcDay(query.from, 'from') : null;
    const to = query.to ? utcDay(query.to, 'to') + DAY_MS : null;
    if (from !== null && to !== null && to <= from)
      throw new InvalidRequestError(`"to" (${query.to}) is before "from" (${query.from})`, 'to', 'invalid_field');
    const split = query.before?.indexOf(':') ?? -1;
    const limit = query.limit ?? DEFAULT_LOG_PAGE;
    // One row more than the page tells whether another page exists, without counting.
    const found = await this.spendLogs.newestFirst(
      {
        apiKey,
        teamId: query.team_id?.trim(),
        modelGroup: query.model?.trim(),
        status: query.status?.trim(),
        sessionId: query.session_id?.trim(),
        source: query.source?.trim(),
        range: { fromMs: from, toMs: to },
        before: query.before ? { startTime: Number(query.before.slice(0, split)), requestId: query.before.slice(split + 1) } : undefined,
      },
      limit + 1,
    );
    const page = found.slice(0, limit);
    const [keyNames, teamAliases] = await Promise.all([
      this.apiKeys.namesOf(page.flatMap((row) => (row.apiKey === null ? [] : [row.apiKey]))),
      this.teams.aliasesOf(page.flatMap((row) => (row.teamId === null ? [] : [row.teamId]))),
    ]);
    const rows = page.map((row) => {
      const isMaster = row.apiKey === MASTER_KEY_LEDGER_LABEL;
      const key = row.apiKey === null ? undefined : keyNames.get(row.apiKey);
      return {
        request_id: row.requestId,
        start_time: new Date(row.startTime).toISOString(),
        end_time: new Date(row.endTime).toISOString(),
        status: row.status,
        call_type: row.callType,
        api_key: isMaster ? null : row.apiKey,
        key_label: isMaster ? MASTER_KEY_LABEL : (key?.keyAlias ?? key?.keyName ?? (row.apiKey ? 'deleted key' : null)),
        key_name: isMaster ? null : (key?.keyName ?? null),
        team_id: row.teamId,
        team_label: row.teamId ? (teamAliases.get(row.teamId) ?? row.teamId) : null,
        end_user: row.endUser,
        model_group: row.modelGroup,
        model: row.model,
        deployment_id: row.deploymentId,
        provider: row.provider,
        api_base: row.apiBase,
        prompt_tokens: row.promptTokens,
        completion_tokens: row.completionTokens,
        cache_read_tokens: row.cacheReadTokens,
        cache_write_tokens: row.cacheWriteTokens,
        total_tokens: row.totalTokens,
        spend: nanosToUsd(row.spendNanos),
        unpriced: row.unpriced,
        estimated: row.estimated,
        attempted_fallbacks: row.attemptedFallbacks,
        latency_ms: row.latencyMs,
        ttft_ms: row.ttftMs,
        session_id: row.sessionId,
        error: row.error,
        source: row.source,
        client_tool: row.clientTool,
        client_tool_version: row.clientToolVersion,
        reported_cost: row.reportedCostNanos === null ? null : nanosToUsd(row.reportedCostNanos),
      };
    });
    const last = page[page.length - 1];
    return { rows, next_before: found.length > limit && last ? `${last.startTime}:${last.requestId}` : null };
  }

  /** Every alias with its deployments, their health (Ollama probed live) and the fallback chain. */
  async models(): Promise<Record<string, unknown>[]> {
    const reports = new Map((await this.health.report(false)).map((report) => [report.model_id, report]));
    return this.registry.aliases().map((alias) => ({
      alias,
      fallbacks: this.fallbackChain(alias),
      deployments: this.registry.deploymentsOf(alias).map((deployment) => {
        const report = reports.get(deployment.id);
        return {
          id: deployment.id,
          provider: deployment.provider,
          model: deployment.model,
          api_base: deployment.apiBase,
          // `unknown`: a cloud deployment not probed and without failures seen in traffic.
          state: report?.state ?? 'unknown',
          probed: report?.probed ?? false,
          error: report?.error ?? null,
          cooldown_until: report?.cooldown_until ?? null,
        };
      }),
    }));
  }

  /** The order the router tries aliases in after this one fails: fallbacks of fallbacks, each once. */
  private fallbackChain(alias: string): string[] {
    const chain: string[] = [];
    const queue = [...this.registry.fallbacksOf(alias)];
    while (queue.length > 0 && chain.length < 20) {
      const next = queue.shift()!;
      if (next === alias || chain.includes(next)) continue;
      chain.push(next);
    }
    return chain;
  }

  /** The Logs filter takes an alias or a token; a raw key would have to travel in a URL, so it is refused. */
  private async tokenForKeyFilter(value: string): Promise<string> {
    if (isKeyToken(value)) return value;
    if (value.startsWith('sk-') && !value.startsWith('sk-...')) {
      throw new InvalidRequestError('Filter by the key alias or its token, not the raw key', 'key', 'invalid_field');
    }
    const token = await this.apiKeys.tokenOfAlias(value);
    if (token === null) throw new InvalidRequestError(`No key has the alias "${value}"`, 'key', 'invalid_field');
    return token;
  }
}

function teamHolder(team: Team, now: number): Holder {
  return {
    kind: 'team',
    id: team.teamId,
    label: team.teamAlias ?? team.teamId,
    spendNanos: currentSpendNanos(team, now),
    reservedNanos: team.reservedNanos,
    maxBudgetNanos: team.maxBudgetNanos,
    budgetDuration: team.budgetDuration,
    blocked: team.blocked,
  };
}

function keyHolder(key: ApiKey, now: number): Holder {
  return {
    kind: 'key',
    id: key.token,
    label: key.keyAlias ?? key.keyName,
    spendNanos: currentSpendNanos(key, now),
    reservedNanos: key.reservedNanos,
    maxBudgetNanos: key.maxBudgetNanos,
    budgetDuration: key.budgetDuration,
    blocked: key.blocked,
  };
}

/** (spend + reserved) / max_budget; a zero budget admits nothing, so it counts as used up. */
export function budgetUsed(holder: { spendNanos: number; reservedNanos: number; maxBudgetNanos: number | null }): number {
  if (holder.maxBudgetNanos === null) return 0;
  if (holder.maxBudgetNanos === 0) return 1;
  return (holder.spendNanos + holder.reservedNanos) / holder.maxBudgetNanos;
}

function holderToApi(holder: Holder, now: number): Record<string, unknown> {
  return {
    kind: holder.kind,
    id: holder.id,
    label: holder.label,
    spend: nanosToUsd(holder.spendNanos),
    reserved_spend: nanosToUsd(holder.reservedNanos),
    max_budget: holder.maxBudgetNanos === null ? null : nanosToUsd(holder.maxBudgetNanos),
    budget_duration: holder.budgetDuration,
    budget_reset_at: budgetResetAt(holder.budgetDuration, now),
    blocked: holder.blocked,
  };
}

/** A dashboard date filter → the UTC midnight it names; 2025-02-30 and friends are refused, not rolled over. */
function utcDay(text: string, param: string): number {
  const ms = utcMidnight(text);
  if (ms === null) throw new InvalidRequestError(`"${param}" is not a calendar date: ${text}`, param, 'invalid_field');
  return ms;
}
