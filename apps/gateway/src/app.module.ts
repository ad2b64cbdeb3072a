import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ProvidersModule } from '@tollgate/providers';
import { RoutingModule } from '@tollgate/routing';
import { ChatController } from './chat/chat.controller';
import { ChatService } from './chat/chat.service';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import type { GatewayConfig } from './config/gateway-config';
import { GatewayConfigModule } from './config/gateway-config.module';
import { DatabaseModule } from './database/database.module';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { ModelsController } from './models/models.controller';

@Module({})
export class AppModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        GatewayConfigModule.forRoot(config),
        DatabaseModule,
        ProvidersModule,
        RoutingModule.forRoot(config.deployments, config.routing),
      ],
      controllers: [ChatController, ModelsController, HealthController],
      providers: [ChatService, HealthService, { provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
