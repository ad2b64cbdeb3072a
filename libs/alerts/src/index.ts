export * from './alert-event';
export * from './alert-settings';
export * from './alerts.module';
export * from './budget-alerts';
export * from './webhook-delivery';
