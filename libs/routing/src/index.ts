export * from './deployment-health';
export * from './model-registry';
export * from './model-router';
export * from './routing.errors';
export * from './routing.module';
export * from './routing-settings';
