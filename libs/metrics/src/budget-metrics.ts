import { Logger } from '@nestjs/common';
import { type BudgetStore, budgetWindow, nanosToUsd } from '@tollgate/budgets';
import type { ApiKey, ApiKeysRepository } from '@tollgate/keys';
import { currentSpendNanos, type Team, type TeamsRepository } from '@tollgate/teams';
import { Gauge, type Registry } from 'prom-client';

interface BudgetSnapshot {
  teams: Team[];
  keys: ApiKey[];
  openReservations: number;
  now: number;
}

export interface BudgetSources {
  teams: TeamsRepository;
  keys: ApiKeysRepository;
  store: BudgetStore;
}

const HOUR_MS = 3_600_000;

/**
 * Budgets read at scrape time, never on the request path: LiteLLM's remaining and maximum budget
 * and hours to reset per team and per key (only holders with a max_budget), and Tollgate's own
 * reserved amount per team and open reservations. One database read per scrape serves every gauge;
 * when the database cannot be read the budget gauges are left out. They read the shared database,
 * so every process of a gateway would report the same values: under --num_workers one worker does.
 */
export function registerBudgetMetrics(registry: Registry, sources: BudgetSources): void {
  const logger = new Logger('Metrics');
  let inFlight: Promise<BudgetSnapshot | null> | undefined;
  // prom-client collects every metric at once: they share one read, started by the first of them.
  const snapshot = (): Promise<BudgetSnapshot | null> => {
    inFlight ??= read(sources)
      .catch((error: unknown) => {
        logger.warn(`Budget metrics left out of this scrape: ${(error as Error).message}`);
        return null;
      })
      .finally(() => (inFlight = undefined));
    return inFlight;
  };

  const teamGauge = (name: string, help: string, valueOf: (team: Team, now: number) => number | null) => {
    const gauge: Gauge = new Gauge({
      name,
      help,
      labelNames: ['team', 'team_alias'],
      registers: [registry],
      collect: async () => {
        gauge.reset();
        const data = await snapshot();
        for (const team of data?.teams ?? []) {
          const value = valueOf(team, data!.now);
          if (value !== null) gauge.set({ team: team.teamId, team_alias: team.teamAlias ?? '' }, value);
        }
      },
    });
  };
  const keyGauge = (name: string, help: string, valueOf: (key: ApiKey, now: number) => number | null) => {
    const gauge: Gauge = new Gauge({
      name,
      help,
      labelNames: ['hashed_api_key', 'api_key_alias'],
      registers: [registry],
      collect: async () => {
        gauge.reset();
        const data = await snapshot();
        for (const key of data?.keys ?? []) {
          const value = valueOf(key, data!.now);
          if (value !== null) gauge.set({ hashed_api_key: key.token, api_key_alias: key.keyAlias ?? '' }, value);
        }
      },
    });
  };

  teamGauge(
    'litellm_remaining_team_budget_metric',
    'Remaining budget for team in USD (max_budget minus settled spend in the current window)',
    remaining,
  );
  teamGauge('litellm_team_max_budget_metric', 'Maximum budget set for team in USD', maxBudget);
  teamGauge('litellm_team_budget_remaining_hours_metric', 'Hours until the team budget resets', hoursToReset);
  teamGauge('tollgate_team_reserved_spend', 'USD reserved by calls in flight for team (not yet settled)', (team) =>
    team.reservedNanos > 0 || team.maxBudgetNanos !== null ? nanosToUsd(team.reservedNanos) : null,
  );
  keyGauge(
    'litellm_remaining_api_key_budget_metric',
    'Remaining budget for api key in USD (max_budget minus settled spend in the current window)',
    remaining,
  );
  keyGauge('litellm_api_key_max_budget_metric', 'Maximum budget set for api key in USD', maxBudget);
  keyGauge('litellm_api_key_budget_remaining_hours_metric', 'Hours until the api key budget resets', hoursToReset);

  const open: Gauge = new Gauge({
    name: 'tollgate_unsettled_reservations',
    help: 'Reservations not yet settled, on every instance: calls in flight, and any a stopped instance left for crash recovery',
    registers: [registry],
    collect: async () => {
      const data = await snapshot();
      if (data) open.set(data.openReservations);
    },
  });
}

async function read(sources: BudgetSources): Promise<BudgetSnapshot> {
  const [teams, keys, openReservations] = await Promise.all([
    sources.teams.list(),
    sources.keys.all(),
    sources.store.openReservationCount(),
  ]);
  return { teams, keys, openReservations, now: Date.now() };
}

type BudgetHolderRow = { maxBudgetNanos: number | null; spendNanos: number; windowStart: number; budgetDuration: string | null };

function remaining(holder: BudgetHolderRow, now: number): number | null {
  return holder.maxBudgetNanos === null ? null : nanosToUsd(holder.maxBudgetNanos - currentSpendNanos(holder, now));
}

function maxBudget(holder: BudgetHolderRow): number | null {
  return holder.maxBudgetNanos === null ? null : nanosToUsd(holder.maxBudgetNanos);
}

function hoursToReset(holder: BudgetHolderRow, now: number): number | null {
  if (holder.maxBudgetNanos === null || !holder.budgetDuration) return null;
  const end = budgetWindow(holder.budgetDuration, now).end;
  // A duration that cannot be read never resets (budgetWindow's open-ended window).
  return end < Number.MAX_SAFE_INTEGER ? (end - now) / HOUR_MS : null;
}
