export * from './gateway-metrics';
export * from './metrics.module';
export * from './metrics-options';
