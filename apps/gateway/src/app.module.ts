import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AlertsModule } from '@tollgate/alerts';
import { BudgetRefusals, BudgetsModule } from '@tollgate/budgets';
import { SqlModule } from '@tollgate/database';
import { AuthGuard, KeysModule } from '@tollgate/keys';
import { MetricsModule } from '@tollgate/metrics';
import { ProvidersModule } from '@tollgate/providers';
import { RateLimitsModule } from '@tollgate/rate-limits';
import { RoutingModule } from '@tollgate/routing';
import { SpendModule } from '@tollgate/spend';
import { TeamsModule } from '@tollgate/teams';

import { GatewayBudgetRefusals } from './budgets/gateway-budget-refusals';
import { BudgetedRouter } from './calls/budgeted-router';
import { ChatController } from './chat/chat.controller';
import { ChatService } from './chat/chat.service';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { describeError } from './common/error-descriptor';
import { adminValidationPipe } from './common/validation.pipe';
import type { GatewayConfig } from './config/gateway-config';
import { GatewayConfigModule } from './config/gateway-config.module';
import { DatabaseModule } from './database/database.module';
import { EmbeddingsController } from './embeddings/embeddings.controller';
import { EmbeddingsService } from './embeddings/embeddings.service';
import { HealthModule } from './health/health.module';
import { MessagesController } from './messages/messages.controller';
import { MessagesService } from './messages/messages.service';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsExposition } from './metrics/metrics-exposition';
import { ModelsController } from './models/models.controller';
import { OtlpModule } from './otlp/otlp.module';
import { ResponseStore } from './responses/response-store';
import { ResponsesController } from './responses/responses.controller';
import { ResponsesService } from './responses/responses.service';
import { UiModule } from './ui/ui.module';

@Module({})
export class AppModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        GatewayConfigModule.forRoot(config),
        DatabaseModule,
        SqlModule,
        RateLimitsModule.forRoot({ redisUrl: config.redisUrl }),
        ProvidersModule,
        RoutingModule.forRoot(config.deployments, config.routing),
        BudgetsModule,
        AlertsModule.forRoot(config.alerting),
        TeamsModule,
        KeysModule,
        SpendModule,
        MetricsModule.forRoot({ statusOf: (error) => describeError(error, '').status }),
        HealthModule,
        UiModule,
        OtlpModule,
      ],
      controllers: [ChatController, MessagesController, ResponsesController, EmbeddingsController, ModelsController, MetricsController],
      providers: [
        BudgetedRouter,
        ChatService,
        EmbeddingsService,
        MessagesService,
        ResponsesService,
        ResponseStore,
        MetricsExposition,
        { provide: BudgetRefusals, useClass: GatewayBudgetRefusals },
        // Every route needs the master key unless it declares otherwise with @Auth(); routes name their other guards.
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_PIPE, useFactory: adminValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
