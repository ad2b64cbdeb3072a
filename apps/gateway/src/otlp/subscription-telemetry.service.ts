import { Injectable, Logger } from '@nestjs/common';
import type { BudgetHolder } from '@tollgate/budgets';
import type { Caller } from '@tollgate/keys';
import type { ProviderName } from '@tollgate/providers';
import {
  costNanos,
  MetricPointsRepository,
  metricTotal,
  pricingFor,
  SpendLogRepository,
  SubscriptionLedger,
  type TokenCounts,
} from '@tollgate/spend';
import { type Team, TeamsRepository } from '@tollgate/teams';

import { OtlpError, OtlpErrorCode } from './otlp.errors';
import { reportedCallsOf, type ReportedModelCall, type ReportingResource, type SubscriptionTool } from './reported-calls';
import { costsDisagree, type SessionMetricPoint, sessionMetricsOf } from './session-metrics';

/** What an export answers: how many records or points were rejected, and why. */
export interface ExportOutcome {
  rejected: number;
  errorMessage: string;
}

/** Key metadata listing the further teams (ids or aliases) a key may report subscription usage for. */
export const REPORTS_FOR_METADATA = 'tollgate_clients';
/** Team metadata: `true` makes subscription rows count against the team's (and key's) money budget. */
export const COUNT_SUBSCRIPTION_SPEND_METADATA = 'count_subscription_spend';

const TOOL_API: Record<SubscriptionTool, { provider: ProviderName; callType: string }> = {
  'claude-code': { provider: 'anthropic', callType: 'messages' },
  codex: { provider: 'openai', callType: 'responses' },
};

type Attribution = { team: Team | null } | { refused: string };

/** Sessions whose cost disagreement was logged; bounded, so a flood of sessions cannot grow it forever. */
const MAX_REMEMBERED_SESSIONS = 10_000;

/**
 * Turns what Claude Code and Codex export over OTLP into ledger rows and session metrics, for
 * the key that sent them and the team it reports for.
 */
@Injectable()
export class SubscriptionTelemetryService {
  private readonly logger = new Logger('SubscriptionTelemetry');
  private readonly disagreementsLogged = new Set<string>();

  constructor(
    private readonly ledger: SubscriptionLedger,
    private readonly spendLogs: SpendLogRepository,
    private readonly metricPoints: MetricPointsRepository,
    private readonly teams: TeamsRepository,
  ) {}

  async ingestLogs(caller: Caller, request: Record<string, unknown>, now = Date.now()): Promise<ExportOutcome> {
    const mapped = reportedCallsOf(request, now);
    const attributions = await this.attribute(
      caller,
      mapped.resources.map((sent) => sent.resource),
    );
    const refusal = (resource: ReportingResource) => {
      const attribution = attributions.get(resource.client)!;
      return 'refused' in attribution ? attribution.refused : null;
    };
    const reasons = new Set<string>();
    let refused = 0;
    let records = 0;
    for (const sent of mapped.resources) {
      records += sent.records;
      const reason = refusal(sent.resource);
      if (reason === null) continue;
      refused += sent.records;
      reasons.add(reason);
    }
    // Every record is for a team the key may not report for: the export as a whole is refused.
    if (refused > 0 && refused === records) throw new OtlpError(OtlpErrorCode.FOREIGN_CLIENT, [...reasons].join('; '));
    const rejections = mapped.rejections.filter((rejection) => refusal(rejection.resource) === null);
    for (const rejection of rejections) reasons.add(rejection.reason);
    for (const call of mapped.calls) {
      const attribution = attributions.get(call.resource.client)!;
      if (!('refused' in attribution)) await this.recordCall(caller, call, attribution.team);
    }
    return { rejected: refused + rejections.length, errorMessage: [...reasons].join('; ') };
  }

  async ingestMetrics(caller: Caller, request: Record<string, unknown>, now = Date.now()): Promise<ExportOutcome> {
    const mapped = sessionMetricsOf(request);
    const attributions = await this.attribute(
      caller,
      mapped.points.map((point) => point.resource),
    );
    const reasons = new Set<string>(mapped.rejected > 0 ? ['data points without session.id or a value'] : []);
    let refused = 0;
    const costSessions = new Map<string, { tool: string; sessionId: string }>();
    for (const point of mapped.points) {
      const attribution = attributions.get(point.resource.client)!;
      if ('refused' in attribution) {
        refused++;
        reasons.add(attribution.refused);
        continue;
      }
      await this.recordPoint(caller, point, attribution.team, now);
      if (point.metric === 'cost_usd')
        costSessions.set(`${point.resource.tool}\u0000${point.sessionId}`, { tool: point.resource.tool!, sessionId: point.sessionId });
    }
    if (refused > 0 && refused === mapped.points.length && mapped.rejected === 0) {
      throw new OtlpError(OtlpErrorCode.FOREIGN_CLIENT, [...reasons].join('; '));
    }
    for (const { tool, sessionId } of costSessions.values()) await this.crossCheckCost(tool, sessionId);
    return { rejected: refused + mapped.rejected, errorMessage: [...reasons].join('; ') };
  }

  /**
   * The team each distinct `tollgate.client` reports for. Without one, the key's own team. With one,
   * it must be the key's team or a team the key's metadata lists under `tollgate_clients` (by id or
   * alias); the master key may name any team. Anything else is refused.
   */
  private async attribute(caller: Caller, resources: ReportingResource[]): Promise<Map<string | null, Attribution>> {
    const attributions = new Map<string | null, Attribution>();
    for (const client of new Set(resources.map((r) => r.client))) {
      const team = await this.findTeam(client ?? caller.teamId);
      if (client === null) {
        attributions.set(null, { team });
        continue;
      }
      const listed = Array.isArray(caller.metadata[REPORTS_FOR_METADATA]) ? (caller.metadata[REPORTS_FOR_METADATA] as unknown[]) : [];
      const allowed =
        team !== null &&
        (caller.kind === 'master' ||
          team.teamId === caller.teamId ||
          listed.some((name) => name === team.teamId || (team.teamAlias !== null && name === team.teamAlias)));
      attributions.set(
        client,
        allowed
          ? { team }
          : { refused: `Key ${caller.keyAlias ?? caller.keyName} may not report for client "${client.slice(0, 64)}" (tollgate.client)` },
      );
    }
    return attributions;
  }

  private async findTeam(name: string | null): Promise<Team | null> {
    if (name === null) return null;
    return this.teams.findByIdOrAlias(name);
  }

  private async recordCall(caller: Caller, call: ReportedModelCall, team: Team | null): Promise<void> {
    const tool = call.resource.tool!;
    const { provider, callType } = TOOL_API[tool];
    const pricing = pricingFor({
      id: `subscription:${tool}`,
      alias: call.model,
      provider,
      model: call.model,
      apiBase: '',
      timeoutMs: 0,
      streamTimeoutMs: 0,
    });
    const tokens: TokenCounts = {
      promptTokens: call.promptTokens,
      completionTokens: call.completionTokens,
      cacheReadTokens: call.cacheReadTokens,
      cacheWriteTokens: call.cacheWriteTokens,
    };
    await this.ledger.record(
      {
        requestId: `sub:${tool}:${call.sessionId}:${call.callKey}`,
        apiKey: caller.kind === 'virtual_key' ? caller.token : null,
        teamId: team?.teamId ?? null,
        model: call.model,
        provider,
        callType,
        clientTool: tool,
        clientToolVersion: call.resource.toolVersion,
        sessionId: call.sessionId,
        tokens,
        spendNanos: costNanos(tokens, pricing),
        unpriced: pricing.unpriced,
        reportedCostNanos: call.reportedCostNanos,
        startTime: call.timeMs - (call.durationMs ?? 0),
        endTime: call.timeMs,
        metadata: { reasoning_tokens: call.reasoningTokens, ...(call.resource.client ? { reported_for: call.resource.client } : {}) },
      },
      this.budgetHoldersFor(caller, team),
    );
  }

  /** Empty (the subscription is prepaid) unless the team opted to count subscription spend. */
  private budgetHoldersFor(caller: Caller, team: Team | null): BudgetHolder[] {
    if (team === null || team.metadata[COUNT_SUBSCRIPTION_SPEND_METADATA] !== true) return [];
    const key = caller.budgetHolders.find((holder) => holder.level === 'key');
    // Settlement moves the key's budget with the team's; the master key has none to move.
    if (!key) return [];
    return [key, { level: 'team', id: team.teamId, label: team.teamId, budgetDuration: team.budgetDuration }];
  }

  private async recordPoint(caller: Caller, point: SessionMetricPoint, team: Team | null, now: number): Promise<void> {
    await this.metricPoints.insert({
      clientTool: point.resource.tool!,
      sessionId: point.sessionId,
      metric: point.metric,
      series: point.series,
      startTimeUnixNano: point.startTimeUnixNano,
      timeUnixNano: point.timeUnixNano,
      value: point.value,
      cumulative: point.cumulative,
      apiKey: caller.kind === 'virtual_key' ? caller.token : null,
      teamId: team?.teamId ?? null,
      receivedAt: now,
    });
  }

  /** The metric stream's cost for a session against the sum of its events' reported costs; a disagreement is logged once. */
  private async crossCheckCost(tool: string, sessionId: string): Promise<void> {
    const remembered = `${tool}\u0000${sessionId}`;
    if (this.disagreementsLogged.has(remembered)) return;
    const events = await this.spendLogs.reportedCostOfSession(tool, sessionId);
    // Metrics may arrive before the session's events; with no event yet there is nothing to compare.
    if (events.requests === 0) return;
    const metricUsd = metricTotal(await this.metricPoints.ofSession(tool, sessionId, 'cost_usd'));
    const eventNanos = events.reportedNanos;
    if (!costsDisagree(metricUsd, eventNanos)) return;
    if (this.disagreementsLogged.size >= MAX_REMEMBERED_SESSIONS) this.disagreementsLogged.clear();
    this.disagreementsLogged.add(remembered);
    this.logger.warn(
      `${tool} session ${sessionId}: the cost metric reports $${metricUsd.toFixed(6)} but its request events add up to $${(eventNanos / 1e9).toFixed(6)}`,
    );
  }
}
