import { Injectable } from '@nestjs/common';
import { nanosToUsd } from '@tollgate/budgets';
import { isoTimeOrNull, toInt } from '@tollgate/database';
import { ApiKeysRepository, apiKeyToApi } from '@tollgate/keys';
import { currentSpendNanos, TeamsRepository, teamToApi } from '@tollgate/teams';

import type { LedgerRow } from './ledger-row';
import { MetricPointsRepository } from './metric-points.repository';
import { metricTotal } from './metric-total';
import { SpendLogRepository } from './spend-log.repository';
import { DAY_MS, type Pagination, type ReportGroupBy, type SessionFilter, type SpendLogFilter } from './spend-query.dto';

/** How LiteLLM's admin UI labels spend that belongs to no team. */
export const UNASSIGNED_TEAM = 'Unassigned';

/** One ledger row with LiteLLM's SpendLogs field names; money in USD, times ISO 8601. */
export function spendLogToApi(row: LedgerRow): Record<string, unknown> {
  return {
    request_id: row.requestId,
    call_type: row.callType,
    api_key: row.apiKey,
    team_id: row.teamId,
    user: row.endUser,
    model: row.model,
    model_group: row.modelGroup,
    model_id: row.deploymentId,
    custom_llm_provider: row.provider,
    api_base: row.apiBase,
    status: row.status,
    spend: nanosToUsd(row.spendNanos),
    prompt_tokens: row.promptTokens,
    completion_tokens: row.completionTokens,
    total_tokens: row.totalTokens,
    cache_read_input_tokens: row.cacheReadTokens,
    cache_creation_input_tokens: row.cacheWriteTokens,
    startTime: isoTimeOrNull(row.startTime),
    endTime: isoTimeOrNull(row.endTime),
    request_duration_ms: row.latencyMs,
    time_to_first_token_ms: row.ttftMs,
    session_id: row.sessionId,
    attempted_fallbacks: row.attemptedFallbacks,
    unpriced: row.unpriced,
    estimated: row.estimated,
    error: row.error,
    metadata: row.metadata,
    source: row.source,
    client_tool: row.clientTool,
    client_tool_version: row.clientToolVersion,
    reported_cost: row.reportedCostNanos === null ? null : nanosToUsd(row.reportedCostNanos),
  };
}

function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Read side of the spend ledger: LiteLLM's /spend and /global/spend reports, shaped from what the
 * repositories read. Sums are integer nano-dollars and become USD only here, at the edge.
 */
@Injectable()
export class SpendReportsService {
  constructor(
    private readonly spendLogs: SpendLogRepository,
    private readonly metricPoints: MetricPointsRepository,
    private readonly apiKeys: ApiKeysRepository,
    private readonly teamsTable: TeamsRepository,
  ) {}

  /** Ledger rows, newest first. request_id breaks ties so pages never overlap or skip a row. */
  async logs(filter: SpendLogFilter, page: Pagination): Promise<Record<string, unknown>[]> {
    const rows = await this.spendLogs.newestFirst(
      {
        requestId: filter.requestId,
        apiKey: filter.apiKeyToken,
        sessionId: filter.sessionId,
        teamId: filter.teamId,
        endUser: filter.endUser,
        modelGroup: filter.modelGroup,
        status: filter.status,
        source: filter.source,
        range: filter.range,
      },
      page.pageSize,
      (page.page - 1) * page.pageSize,
    );
    return rows.map(spendLogToApi);
  }

  /** Keys with their spend in the current budget window, highest first; `token` narrows it to one key. */
  async keys(token?: string, now = Date.now()): Promise<Record<string, unknown>[]> {
    const one = token ? await this.apiKeys.findByToken(token) : null;
    const keys = token ? (one ? [one] : []) : await this.apiKeys.all();
    keys.sort((a, b) => currentSpendNanos(b, now) - currentSpendNanos(a, now));
    return keys.map((key) => apiKeyToApi(key, now));
  }

  /** Teams with their budget state and how many keys they hold, highest spend first. */
  async teams(now = Date.now()): Promise<Record<string, unknown>[]> {
    const [list, keyCounts] = await Promise.all([this.teamsTable.list(), this.apiKeys.countByTeam()]);
    const teams = list.map((team) => ({ team, keyCount: keyCounts.get(team.teamId) ?? 0 }));
    teams.sort((a, b) => currentSpendNanos(b.team, now) - currentSpendNanos(a.team, now));
    return teams.map(({ team, keyCount }) => {
      const api = teamToApi(team, now);
      return {
        team_id: api.team_id,
        team_alias: api.team_alias,
        spend: api.spend,
        reserved_spend: api.reserved_spend,
        max_budget: api.max_budget,
        budget_duration: api.budget_duration,
        budget_reset_at: api.budget_reset_at,
        keys: keyCount,
      };
    });
  }

  /**
   * LiteLLM's /global/spend/teams: daily spend per team since midnight UTC 30 days ago, for charts.
   * Teams are named by id (aliases need not be unique); ledger rows without a team are "Unassigned".
   */
  async globalTeams(now = Date.now()): Promise<{
    teams: string[];
    total_spend_per_team: { team_id: string; total_spend: number }[];
    daily_spend: Record<string, unknown>[];
  }> {
    const since = (Math.floor(now / DAY_MS) - 30) * DAY_MS;
    const totals = new Map<string, number>();
    const days = new Map<number, Map<string, number>>();
    for (const { teamId, day, spendNanos: spend } of await this.spendLogs.teamDays(since)) {
      const team = teamId ?? UNASSIGNED_TEAM;
      totals.set(team, (totals.get(team) ?? 0) + spend);
      const perTeam = days.get(day) ?? new Map<string, number>();
      perTeam.set(team, (perTeam.get(team) ?? 0) + spend);
      days.set(day, perTeam);
    }
    const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return {
      teams: ranked.map(([team]) => team),
      total_spend_per_team: ranked.map(([team, nanos]) => ({ team_id: team, total_spend: nanosToUsd(nanos) })),
      daily_spend: [...days.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([day, perTeam]) => {
          const entry: Record<string, unknown> = { date: isoDay(day) };
          for (const [team, nanos] of perTeam) entry[team] = nanosToUsd(nanos);
          return entry;
        }),
    };
  }

  /** LiteLLM's /global/spend/keys: all-time spend per virtual key from the ledger, highest first. */
  async globalKeys(limit: number): Promise<Record<string, unknown>[]> {
    return (await this.spendLogs.spendPerKey(limit)).map((row) => ({
      api_key: row.apiKey,
      key_alias: row.keyAlias,
      key_name: row.keyName,
      total_spend: nanosToUsd(row.spendNanos),
    }));
  }

  /**
   * LiteLLM's /global/spend/report: per UTC day, per team (or key, or end user), spend split by model.
   * Team entries are named by alias (falling back to the id), as LiteLLM's `team_name` is.
   */
  async report(
    range: { fromMs: number; toMs: number },
    groupBy: ReportGroupBy,
    filter: { teamId?: string; apiKeyToken?: string },
  ): Promise<Record<string, unknown>[]> {
    const rows = await this.spendLogs.subjectModelDays(range, groupBy, { teamId: filter.teamId, apiKey: filter.apiKeyToken });
    const labels = await this.labelsFor(
      groupBy,
      rows.map((row) => row.subject),
    );

    interface Group {
      subject: string | null;
      nanos: number;
      models: { model: string | null; nanos: number; tokens: number }[];
    }
    const days = new Map<number, Map<string | null, Group>>();
    for (const row of rows) {
      const groups = days.get(row.day) ?? new Map<string | null, Group>();
      days.set(row.day, groups);
      const group = groups.get(row.subject) ?? { subject: row.subject, nanos: 0, models: [] };
      groups.set(row.subject, group);
      group.nanos += row.spendNanos;
      group.models.push({ model: row.model, nanos: row.spendNanos, tokens: row.tokens });
    }

    const listName = { team: 'teams', api_key: 'api_keys', customer: 'customers' }[groupBy];
    return [...days.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([day, groups]) => ({
        group_by_day: isoDay(day),
        [listName]: [...groups.values()]
          .sort((a, b) => b.nanos - a.nanos || String(a.subject).localeCompare(String(b.subject)))
          .map((group) => ({
            ...labels(group.subject),
            total_spend: nanosToUsd(group.nanos),
            metadata: group.models
              .sort((a, b) => b.nanos - a.nanos || String(a.model).localeCompare(String(b.model)))
              .map((m) => ({ model: m.model, spend: nanosToUsd(m.nanos), total_tokens: m.tokens })),
          })),
      }));
  }

  /** How a report names each group: LiteLLM's field first, plus the id or alias that makes it unambiguous. */
  private async labelsFor(
    groupBy: ReportGroupBy,
    subjects: (string | null)[],
  ): Promise<(subject: string | null) => Record<string, unknown>> {
    const ids = subjects.filter((s): s is string => s !== null);
    if (groupBy === 'customer') return (subject) => ({ customer: subject });
    if (groupBy === 'team') {
      const aliases = await this.teamsTable.aliasesOf(ids);
      return (subject) => ({
        team_name: subject === null ? UNASSIGNED_TEAM : (aliases.get(subject) ?? subject),
        team_id: subject,
      });
    }
    const names = await this.apiKeys.namesOf(ids);
    return (subject) => ({ api_key: subject, key_alias: subject === null ? null : names.get(subject)?.keyAlias || null });
  }

  /**
   * Per-session totals (Claude Code's `x-claude-code-session-id`, LiteLLM's `x-litellm-session-id`,
   * and sessions that subscription tools reported over OTLP), most recently active first: what a
   * client's coding session cost, for invoicing. `spend` is at list prices; `reported_cost` is what
   * the tool itself reported (null when it reports none). Active time is the tool's own measure
   * (Claude Code's active_time.total metric) where there is one, else the span of the session's calls.
   */
  async sessions(filter: SessionFilter, page: Pagination): Promise<Record<string, unknown>[]> {
    const rows = await this.spendLogs.sessionTotals(
      { apiKey: filter.apiKeyToken, teamId: filter.teamId, source: filter.source, range: filter.range },
      page.pageSize,
      (page.page - 1) * page.pageSize,
    );
    const activeSeconds = await this.reportedActiveSeconds(rows.filter((row) => row.client_tool).map((row) => String(row.session_id)));
    return rows.map((row) => ({
      session_id: row.session_id,
      source: row.source ?? 'gateway',
      client_tool: row.client_tool ?? null,
      api_key: row.api_key ?? null,
      team_id: row.team_id ?? null,
      requests: toInt(row.requests),
      prompt_tokens: toInt(row.prompt_tokens),
      completion_tokens: toInt(row.completion_tokens),
      total_tokens: toInt(row.total_tokens),
      cache_read_input_tokens: toInt(row.cache_read_tokens),
      cache_creation_input_tokens: toInt(row.cache_write_tokens),
      spend: nanosToUsd(toInt(row.spend)),
      reported_cost: toInt(row.reported_costs) > 0 ? nanosToUsd(toInt(row.reported_cost)) : null,
      first_call: new Date(toInt(row.first_call)).toISOString(),
      last_call: new Date(toInt(row.last_call)).toISOString(),
      active_time_seconds: activeSeconds.get(String(row.session_id)) ?? Math.max(0, toInt(row.last_end) - toInt(row.first_call)) / 1000,
    }));
  }

  /** Active seconds per session from the tools' own metric (Claude Code's claude_code.active_time.total). */
  private async reportedActiveSeconds(sessionIds: string[]): Promise<Map<string, number>> {
    const points = await this.metricPoints.ofSessions('active_seconds', sessionIds);
    return new Map([...points].map(([session, list]) => [session, Math.round(metricTotal(list) * 1000) / 1000]));
  }
}
