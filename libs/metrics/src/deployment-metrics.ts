import type { Deployment } from '@tollgate/providers';
import { type DeploymentHealth, type DeploymentState, type ModelRegistry } from '@tollgate/routing';
import { Counter, Gauge, type Registry } from 'prom-client';

const DEPLOYMENT_LABELS = ['litellm_model_name', 'model_id', 'api_base', 'api_provider'] as const;

/** LiteLLM's `litellm_deployment_state` values: 0 healthy, 1 partial outage, 2 complete outage. */
const STATE_VALUE: Record<DeploymentState, number> = { healthy: 0, unhealthy: 1, cooling_down: 2 };

function deploymentLabels(deployment: Deployment): Record<(typeof DEPLOYMENT_LABELS)[number], string> {
  return { litellm_model_name: deployment.model, model_id: deployment.id, api_base: deployment.apiBase, api_provider: deployment.provider };
}

/**
 * Deployment health as LiteLLM exposes it: the state of each deployment, read from DeploymentHealth
 * at scrape time (failing but not yet cooled down is a partial outage), and a count of cooldowns,
 * told by DeploymentHealth as each one begins.
 */
export function registerDeploymentMetrics(registry: Registry, models: ModelRegistry, health: DeploymentHealth): void {
  const byId = new Map(models.allDeployments().map((d) => [d.id, d]));
  const state: Gauge = new Gauge({
    name: 'litellm_deployment_state',
    help: 'The state of the deployment: 0 = healthy, 1 = partial outage (failing), 2 = complete outage (cooling down)',
    labelNames: DEPLOYMENT_LABELS,
    registers: [registry],
    // Under --num_workers each worker learns health itself: the gateway's state is the worst any worker saw.
    aggregator: 'max',
    collect: () => {
      const now = Date.now();
      for (const deployment of byId.values())
        state.set(deploymentLabels(deployment), STATE_VALUE[health.snapshot(deployment.id, now).state]);
    },
  });
  const cooledDown = new Counter({
    name: 'litellm_deployment_cooled_down_total',
    help: 'Times a deployment left rotation after allowed_fails consecutive failures (once per outage); exception_status is the failure that put it there',
    labelNames: [...DEPLOYMENT_LABELS, 'exception_status'],
    registers: [registry],
  });
  health.onStateChange(({ deploymentId, state, exceptionStatus }) => {
    const deployment = byId.get(deploymentId);
    if (deployment && state === 'cooling_down')
      cooledDown.inc({ ...deploymentLabels(deployment), exception_status: String(exceptionStatus) });
  });
}
