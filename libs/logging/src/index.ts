export * from './request-log-line';
