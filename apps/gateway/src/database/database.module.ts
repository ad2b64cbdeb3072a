import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { dataSourceOptions } from './data-source-options';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig) => ({
        ...dataSourceOptions(config.database),
        autoLoadEntities: true,
        // Fail start-up quickly with the driver's message instead of retrying for half a minute.
        retryAttempts: 2,
        retryDelay: 1_000,
      }),
    }),
  ],
})
export class DatabaseModule {}
