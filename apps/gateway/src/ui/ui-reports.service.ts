import { Injectable } from '@nestjs/common';
import { nanosToUsd } from '@tollgate/budgets';
import { Sql, toInt, toIntOrNull } from '@tollgate/database';
import { apiKeyFromRow, MASTER_KEY_LEDGER_LABEL, type ApiKey } from '@tollgate/keys';
import { ModelRegistry } from '@tollgate/routing';
import { budgetResetAt, currentSpendNanos, teamFromRow, type Team } from '@tollgate/teams';
import { InvalidRequestError } from '../common/invalid-request.errors';
import { HealthService } from '../health/health.service';
import type { UiLogsQueryDto } from './ui.dto';

export const DAY_MS = 86_400_000;
/** Days in the overview chart, today (UTC) included. */
export const CHART_DAYS = 30;
/** Teams drawn as their own colour in the chart; the rest are summed as "Other teams". */
const CHART_SERIES = 8;
const DEFAULT_LOG_PAGE = 50;
const TOKEN = /^[0-9a-f]{64}$/;

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
 * The dashboard's read side: plain SQL over the same tables the admin API uses, shaped for the
 * pages. Money leaves here as USD (converted from integer nano-dollars only at this edge).
 */
@Injectable()
export class UiReportsService {
  constructor(
    private readonly sql: Sql,
    private readonly registry: ModelRegistry,
    private readonly health: HealthService,
  ) {}

  async overview(now = Date.now()): Promise<Record<string, unknown>> {
    const [teamRows, keyRows] = await Promise.all([this.sql.query(`SELECT * FROM teams`), this.sql.query(`SELECT * FROM api_keys`)]);
    const teams = teamRows.rows.map(teamFromRow);
    const keys = keyRows.rows.map(apiKeyFromRow);
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
      teams: [...teamHolders].sort(bySpend).slice(0, 20).map((holder) => holderToApi(holder, now)),
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

  /**
   * Daily spend per team and traffic totals since midnight UTC 29 days ago: one grouped range
   * scan over the `start_time` index, bucketed by integer division (exact on both drivers).
   */
  private async last30Days(teamLabels: Map<string, string>, now: number): Promise<Record<string, unknown>> {
    const firstDay = Math.floor(now / DAY_MS) - (CHART_DAYS - 1);
    const result = await this.sql.query<Record<string, unknown>>(
      `SELECT team_id, start_time / 86400000 AS day, COUNT(*) AS requests, SUM(total_tokens) AS tokens, SUM(spend_nanos) AS spend,
              SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors,
              SUM(CASE WHEN status = 'budget_exceeded' THEN 1 ELSE 0 END) AS refused
         FROM spend_logs
        WHERE start_time >= ?
        GROUP BY team_id, start_time / 86400000`,
      [firstDay * DAY_MS],
    );
    const days = Array.from({ length: CHART_DAYS }, (_, i) => new Date((firstDay + i) * DAY_MS).toISOString().slice(0, 10));
    const perTeam = new Map<string, number[]>();
    const traffic = { requests: 0, tokens: 0, errors: 0, refused: 0, spend: 0 };
    for (const row of result.rows) {
      const index = toInt(row.day) - firstDay;
      if (index < 0 || index >= CHART_DAYS) continue;
      const team = (row.team_id as string | null) ?? '';
      const series = perTeam.get(team) ?? new Array<number>(CHART_DAYS).fill(0);
      series[index] += toInt(row.spend);
      perTeam.set(team, series);
      traffic.requests += toInt(row.requests);
      traffic.tokens += toInt(row.tokens);
      traffic.errors += toInt(row.errors);
      traffic.refused += toInt(row.refused);
      traffic.spend += toInt(row.spend);
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
      series.push({ team_id: null, label: `Other teams (${rest.length})`, values: values.map(nanosToUsd), total: nanosToUsd(values.reduce((a, b) => a + b, 0)) });
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
    const where: string[] = [];
    const values: unknown[] = [];
    const equal = (column: string, value: string | undefined) => {
      if (value === undefined || value.trim() === '') return;
      where.push(`${column} = ?`);
      values.push(value.trim());
    };
    if (query.key?.trim()) {
      where.push('api_key = ?');
      values.push(await this.tokenForKeyFilter(query.key.trim()));
    }
    equal('team_id', query.team_id);
    equal('model_group', query.model);
    equal('status', query.status);
    equal('session_id', query.session_id);
    equal('source', query.source);
    const from = query.from ? utcDay(query.from, 'from') : null;
    const to = query.to ? utcDay(query.to, 'to') + DAY_MS : null;
    if (from !== null && to !== null && to <= from) throw new InvalidRequestError(`"to" (${query.to}) is before "from" (${query.from})`, 'to', 'invalid_field');
    if (from !== null) {
      where.push('start_time >= ?');
      values.push(from);
    }
    if (to !== null) {
      where.push('start_time < ?');
      values.push(to);
    }
    if (query.before) {
      const split = query.before.indexOf(':');
      const startTime = Number(query.before.slice(0, split));
      const requestId = query.before.slice(split + 1);
      where.push('(start_time < ? OR (start_time = ? AND request_id < ?))');
      values.push(startTime, startTime, requestId);
    }
    const limit = query.limit ?? DEFAULT_LOG_PAGE;
    // One row more than the page tells whether another page exists, without counting.
    const result = await this.sql.query(
      `SELECT * FROM spend_logs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY start_time DESC, request_id DESC LIMIT ?`,
      [...values, limit + 1],
    );
    const page = result.rows.slice(0, limit);
    const [keyNames, teamNames] = await Promise.all([
      this.lookup<{ token: string; key_alias: string | null; key_name: string }>('api_keys', 'token', 'token, key_alias, key_name', page.map((r) => r.api_key)),
      this.lookup<{ team_id: string; team_alias: string | null }>('teams', 'team_id', 'team_id, team_alias', page.map((r) => r.team_id)),
    ]);
    const rows = page.map((row) => {
      const isMaster = row.api_key === MASTER_KEY_LEDGER_LABEL;
      const key = keyNames.get(String(row.api_key));
      const team = teamNames.get(String(row.team_id));
      return {
        request_id: row.request_id,
        start_time: new Date(toInt(row.start_time)).toISOString(),
        end_time: new Date(toInt(row.end_time)).toISOString(),
        status: row.status,
        call_type: row.call_type,
        api_key: isMaster ? null : (row.api_key ?? null),
        key_label: isMaster ? MASTER_KEY_LABEL : (key?.key_alias ?? key?.key_name ?? (row.api_key ? 'deleted key' : null)),
        key_name: isMaster ? null : (key?.key_name ?? null),
        team_id: row.team_id ?? null,
        team_label: row.team_id ? (team?.team_alias ?? String(row.team_id)) : null,
        end_user: row.end_user ?? null,
        model_group: row.model_group ?? null,
        model: row.model ?? null,
        deployment_id: row.deployment_id ?? null,
        provider: row.provider ?? null,
        api_base: row.api_base ?? null,
        prompt_tokens: toInt(row.prompt_tokens),
        completion_tokens: toInt(row.completion_tokens),
        cache_read_tokens: toInt(row.cache_read_tokens),
        cache_write_tokens: toInt(row.cache_write_tokens),
        total_tokens: toInt(row.total_tokens),
        spend: nanosToUsd(toInt(row.spend_nanos)),
        unpriced: toInt(row.unpriced) === 1,
        estimated: toInt(row.estimated) === 1,
        attempted_fallbacks: toInt(row.attempted_fallbacks),
        latency_ms: toInt(row.latency_ms),
        ttft_ms: toIntOrNull(row.ttft_ms),
        session_id: row.session_id ?? null,
        error: row.error ?? null,
        source: row.source ?? 'gateway',
        client_tool: row.client_tool ?? null,
        client_tool_version: row.client_tool_version ?? null,
        reported_cost: row.reported_cost_nanos === null || row.reported_cost_nanos === undefined ? null : nanosToUsd(toInt(row.reported_cost_nanos)),
      };
    });
    const last = page[page.length - 1];
    return { rows, next_before: result.rows.length > limit && last ? `${toInt(last.start_time)}:${String(last.request_id)}` : null };
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
    if (TOKEN.test(value)) return value;
    if (value.startsWith('sk-') && !value.startsWith('sk-...')) {
      throw new InvalidRequestError('Filter by the key alias or its token, not the raw key', 'key', 'invalid_field');
    }
    const found = await this.sql.query<{ token: string }>(`SELECT token FROM api_keys WHERE key_alias = ?`, [value]);
    if (found.rows.length === 0) throw new InvalidRequestError(`No key has the alias "${value}"`, 'key', 'invalid_field');
    return found.rows[0].token;
  }

  private async lookup<T extends Record<string, unknown>>(table: string, column: string, columns: string, ids: unknown[]): Promise<Map<string, T>> {
    const distinct = [...new Set(ids.filter((id): id is string => typeof id === 'string' && id !== ''))];
    if (distinct.length === 0) return new Map();
    const rows = await this.sql.query<T>(`SELECT ${columns} FROM ${table} WHERE ${column} IN (${distinct.map(() => '?').join(', ')})`, distinct);
    return new Map(rows.rows.map((row) => [String(row[column]), row]));
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

/** `YYYY-MM-DD` → the UTC midnight it names; 2025-02-30 and friends are refused, not rolled over. */
export function utcDay(text: string, param: string): number {
  const [year, month, day] = text.split('-').map(Number);
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    throw new InvalidRequestError(`"${param}" is not a calendar date: ${text}`, param, 'invalid_field');
  }
  return ms;
}
