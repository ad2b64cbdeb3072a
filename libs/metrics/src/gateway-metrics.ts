import { Injectable } from '@nestjs/common';
import { BudgetStore } from '@tollgate/budgets';
import { ApiKeysRepository } from '@tollgate/keys';
import { DeploymentHealth, ModelRegistry } from '@tollgate/routing';
import { SettlementRetry } from '@tollgate/spend';
import { TeamsRepository } from '@tollgate/teams';
import { collectDefaultMetrics, Registry } from 'prom-client';

import { registerBudgetMetrics } from './budget-metrics';
import { registerDeploymentMetrics } from './deployment-metrics';
import { CALL_METRICS, FALLBACK_METRICS } from './litellm-call-metrics';
import { PrometheusCallMetrics } from './prometheus-call-metrics';
import { SeriesCollector } from './series-collector';

/**
 * Everything `/metrics` shows, in one prom-client registry of this gateway's own (several gateways
 * may share a process in tests): the per-call metrics, deployment health, budgets, and Node's
 * process metrics from prom-client's defaults (event-loop lag, heap, RSS, GC).
 */
@Injectable()
export class GatewayMetrics {
  private readonly registry = new Registry();

  constructor(
    calls: PrometheusCallMetrics,
    models: ModelRegistry,
    health: DeploymentHealth,
    teams: TeamsRepository,
    keys: ApiKeysRepository,
    store: BudgetStore,
    settlement: SettlementRetry,
  ) {
    collectDefaultMetrics({ register: this.registry });
    for (const metric of CALL_METRICS) new SeriesCollector(calls.calls, metric).registerIn(this.registry);
    for (const metric of FALLBACK_METRICS) new SeriesCollector(calls.fallbacks, metric).registerIn(this.registry);
    registerDeploymentMetrics(this.registry, models, health);
    registerBudgetMetrics(this.registry, { teams, keys, store, settlement });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric, collected now. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}
