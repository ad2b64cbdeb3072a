import { Inject, Injectable } from '@nestjs/common';
import type { Deployment } from '@tollgate/providers';

import { DEPLOYMENTS, ROUTING_SETTINGS, type RoutingSettings } from './routing-settings';

/** Aliases (`local-coding`) and the deployments behind them, in config order. */
@Injectable()
export class ModelRegistry {
  private readonly byAlias = new Map<string, Deployment[]>();

  constructor(
    @Inject(DEPLOYMENTS) deployments: Deployment[],
    @Inject(ROUTING_SETTINGS) private readonly settings: RoutingSettings,
  ) {
    for (const deployment of deployments) {
      const group = this.byAlias.get(deployment.alias) ?? [];
      group.push(deployment);
      this.byAlias.set(deployment.alias, group);
    }
  }

  has(alias: string): boolean {
    return this.byAlias.has(alias);
  }

  aliases(): string[] {
    return [...this.byAlias.keys()];
  }

  deploymentsOf(alias: string): readonly Deployment[] {
    return this.byAlias.get(alias) ?? [];
  }

  allDeployments(): Deployment[] {
    return [...this.byAlias.values()].flat();
  }

  fallbacksOf(alias: string): readonly string[] {
    return this.settings.fallbacks[alias] ?? [];
  }
}
