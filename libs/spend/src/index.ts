export * from './call-record';
export * from './cost';
export * from './price-catalog';
export * from './spend-ledger';
export * from './spend-recorder';
export * from './spend.interceptor';
export * from './spend.module';
export * from './unsettled-recovery';
