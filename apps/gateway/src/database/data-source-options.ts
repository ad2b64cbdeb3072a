import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import type { DataSourceOptions } from 'typeorm';

import { postgresMigrations, sqliteMigrations } from '../../../../migrations';
import type { DatabaseTarget } from '../config/gateway-config';

/**
 * One set of entities, two drivers. Schema changes go through the driver's own migrations,
 * run at start; `synchronize` is never used against a real database.
 */
export function dataSourceOptions(target: DatabaseTarget): DataSourceOptions {
  if (target.type === 'postgres') {
    return {
      type: 'postgres',
      url: target.url,
      migrations: postgresMigrations,
      migrationsRun: true,
      migrationsTransactionMode: 'each',
      extra: { max: 20, connectionTimeoutMillis: 5_000 },
    };
  }
  if (target.path !== ':memory:') mkdirSync(dirname(target.path), { recursive: true });
  return {
    type: 'better-sqlite3',
    database: target.path,
    // WAL lets readers (spend reports) run while the ledger writes; NORMAL sync keeps every
    // committed transaction across a process crash (only an OS crash can lose the last ones).
    enableWAL: true,
    prepareDatabase: (db: { pragma(statement: string): unknown }) => {
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
    },
    migrations: sqliteMigrations,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
  };
}
