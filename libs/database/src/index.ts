export * from './database.module';
export * from './sql';
export * from './access-epoch';
export * from './gateway-settings';
export * from './stored-values';
export * from './where';
