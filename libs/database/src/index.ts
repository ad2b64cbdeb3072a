export * from './access-epoch';
export * from './database.module';
export * from './gateway-settings';
export * from './sql';
export * from './stored-values';
export * from './where';
