import { DynamicModule, Module } from '@nestjs/common';
import { KeysModule } from '@tollgate/keys';
import { CallMetrics } from '@tollgate/spend';
import { TeamsModule } from '@tollgate/teams';

import { GatewayMetrics } from './gateway-metrics';
import { METRICS_OPTIONS, type MetricsOptions } from './metrics-options';
import { PrometheusCallMetrics } from './prometheus-call-metrics';

/** Prometheus metrics. Global: settlement (SpendModule) tells CallMetrics of every call. */
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsOptions): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      imports: [KeysModule, TeamsModule],
      providers: [
        { provide: METRICS_OPTIONS, useValue: options },
        PrometheusCallMetrics,
        { provide: CallMetrics, useExisting: PrometheusCallMetrics },
        GatewayMetrics,
      ],
      exports: [CallMetrics, GatewayMetrics],
    };
  }
}
