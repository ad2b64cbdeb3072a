import { DynamicModule, Module } from '@nestjs/common';
import type { Deployment } from '@tollgate/providers';

import { DeploymentHealth } from './deployment-health';
import { ModelRegistry } from './model-registry';
import { ModelRouter } from './model-router';
import { DEPLOYMENTS, ROUTING_SETTINGS, type RoutingSettings } from './routing-settings';

@Module({})
export class RoutingModule {
  static forRoot(deployments: Deployment[], settings: RoutingSettings): DynamicModule {
    return {
      module: RoutingModule,
      global: true,
      providers: [
        { provide: DEPLOYMENTS, useValue: deployments },
        { provide: ROUTING_SETTINGS, useValue: settings },
        ModelRegistry,
        DeploymentHealth,
        ModelRouter,
      ],
      exports: [DEPLOYMENTS, ModelRegistry, DeploymentHealth, ModelRouter],
    };
  }
}
