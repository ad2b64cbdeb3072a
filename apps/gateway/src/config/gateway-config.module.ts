import { DynamicModule, Global, Module } from '@nestjs/common';
import { CONFIGURED_MASTER_KEY } from '@tollgate/keys';

import { GATEWAY_CONFIG, type GatewayConfig } from './gateway-config';

/** Makes the validated start-up configuration injectable everywhere as GATEWAY_CONFIG. */
@Global()
@Module({})
export class GatewayConfigModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayConfigModule,
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: CONFIGURED_MASTER_KEY, useValue: config.masterKey },
      ],
      exports: [GATEWAY_CONFIG, CONFIGURED_MASTER_KEY],
    };
  }
}
