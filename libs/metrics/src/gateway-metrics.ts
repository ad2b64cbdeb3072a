import { Injectable } from '@nestjs/common';
import { WebhookDelivery } from '@tollgate/alerts';
import { BudgetStore } from '@tollgate/budgets';
import { ApiKeysRepository } from '@tollgate/keys';
import { DeploymentHealth, ModelRegistry } from '@tollgate/routing';
import { SettlementRetry } from '@tollgate/spend';
import { TeamsRepository } from '@tollgate/teams';
import { collectDefaultMetrics, type MetricObjectWithValues, type MetricValue, Registry } from 'prom-client';

import { registerAlertDeliveryMetrics } from './alert-delivery-metrics';
import { registerBudgetMetrics } from './budget-metrics';
import { registerDeploymentMetrics } from './deployment-metrics';
import { CALL_METRICS, FALLBACK_METRICS } from './litellm-call-metrics';
import { PrometheusCallMetrics } from './prometheus-call-metrics';
import { SeriesCollector } from './series-collector';
import { registerSettlementMetrics } from './settlement-metrics';

/** A registry's metrics as prom-client's cluster aggregation takes them (`Registry.getMetricsAsJSON`). */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/**
 * Everything `/metrics` shows, in prom-client registries of this gateway's own (several gateways
 * may share a process in tests). Two of them, because under --num_workers they are gathered
 * differently: what this process counted or knows alone (per-call metrics, deployment health,
 * settlement backlog, alert deliveries, Node's process metrics from prom-client's defaults) is
 * summed over the workers; the budget gauges read the shared database and are reported once.
 */
@Injectable()
export class GatewayMetrics {
  private readonly perProcess = new Registry();
  private readonly shared = new Registry();
  private readonly all: Registry;

  constructor(
    calls: PrometheusCallMetrics,
    models: ModelRegistry,
    health: DeploymentHealth,
    teams: TeamsRepository,
    keys: ApiKeysRepository,
    store: BudgetStore,
    settlement: SettlementRetry,
    alertDelivery: WebhookDelivery,
  ) {
    collectDefaultMetrics({ register: this.perProcess });
    for (const metric of CALL_METRICS) new SeriesCollector(calls.calls, metric).registerIn(this.perProcess);
    for (const metric of FALLBACK_METRICS) new SeriesCollector(calls.fallbacks, metric).registerIn(this.perProcess);
    registerDeploymentMetrics(this.perProcess, models, health);
    registerSettlementMetrics(this.perProcess, settlement);
    registerAlertDeliveryMetrics(this.perProcess, alertDelivery);
    registerBudgetMetrics(this.shared, { teams, keys, store });
    this.all = Registry.merge([this.perProcess, this.shared]);
  }

  get contentType(): string {
    return this.all.contentType;
  }

  /** The Prometheus text exposition of every metric of this process, collected now. */
  exposition(): Promise<string> {
    return this.all.metrics();
  }

  /** What this process counted or knows alone, for a cluster primary to aggregate with the other workers'. */
  perProcessMetrics(): Promise<MetricsJson> {
    return this.perProcess.getMetricsAsJSON();
  }

  /** The gauges read from the shared database, as text: the same through every worker. */
  sharedExposition(): Promise<string> {
    return this.shared.metrics();
  }
}
