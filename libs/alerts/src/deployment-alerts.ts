import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { Deployment } from '@tollgate/providers';
import { DeploymentHealth, DEPLOYMENTS, type DeploymentStateChange } from '@tollgate/routing';

import type { DeploymentAlertEvent } from './alert-event';
import { ALERT_SETTINGS, type AlertSettings } from './alert-settings';
import { WebhookDelivery } from './webhook-delivery';

/**
 * LiteLLM's `cooldown_deployment` alerts: a deployment taken out of rotation after `allowed_fails`
 * failures, and the same deployment serving a request again. Health is learnt per instance, so
 * each instance reports what its own traffic saw; a deployment that stays down is reported once.
 */
@Injectable()
export class DeploymentAlerts implements OnModuleInit {
  private readonly deployments: Map<string, Deployment>;
  private sequence = 0;

  constructor(
    @Inject(ALERT_SETTINGS) private readonly settings: AlertSettings,
    @Inject(DEPLOYMENTS) deployments: Deployment[],
    private readonly health: DeploymentHealth,
    private readonly delivery: WebhookDelivery,
  ) {
    this.deployments = new Map(deployments.map((d) => [d.id, d]));
  }

  onModuleInit(): void {
    if (this.settings.webhooks.length === 0 || !this.settings.alertTypes.has('cooldown_deployment')) return;
    this.health.onStateChange((change) => this.delivery.send(this.eventFor(change, Date.now())));
  }

  private eventFor(change: DeploymentStateChange, now: number): DeploymentAlertEvent {
    const deployment = this.deployments.get(change.deploymentId);
    const modelGroup = deployment?.alias ?? change.deploymentId;
    const cooling = change.state === 'cooling_down';
    return {
      id: `deployment:${change.deploymentId}:${now}:${++this.sequence}`,
      event: cooling ? 'deployment_cooldown' : 'deployment_recovered',
      event_group: 'deployment',
      event_message: cooling
        ? `Deployment ${change.deploymentId} of ${modelGroup} is cooling down after ${change.consecutiveFailures} consecutive failures (${change.reason})`
        : `Deployment ${change.deploymentId} of ${modelGroup} is serving requests again`,
      time: new Date(now).toISOString(),
      model_group: modelGroup,
      deployment: change.deploymentId,
      provider: deployment?.provider ?? 'unknown',
      cooldown_until: change.cooldownUntil === null ? null : new Date(change.cooldownUntil).toISOString(),
      consecutive_failures: change.consecutiveFailures,
      reason: change.reason,
    };
  }
}
