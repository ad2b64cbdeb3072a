import type { Database as BetterSqliteDatabase, Statement } from 'better-sqlite3';
import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlResult<T> {
  rows: T[];
  /** Rows changed by an INSERT/UPDATE/DELETE: how conditional updates report success. */
  changes: number;
}

export interface SqlRunner {
  readonly dialect: SqlDialect;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlResult<T>>;
}

/**
 * The SQL layer for everything the gateway writes: one set of `?`-placeholder statements for
 * both drivers, prepared once, with real transactions.
 *
 * Not TypeORM repositories, on purpose: TypeORM 0.3 drives better-sqlite3 through one shared
 * query runner, so two concurrent `dataSource.transaction()` calls collide ("cannot start a
 * transaction within a transaction") and unrelated queries can slip into an open transaction.
 * Here SQLite work is serialised through one queue, which is also what SQLite does underneath.
 * TypeORM still owns the connection, the migrations and the schema.
 */
export abstract class Sql implements SqlRunner {
  abstract readonly dialect: SqlDialect;
  abstract query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlResult<T>>;
  /** Runs `work` in one transaction; it commits when `work` resolves and rolls back when it throws. */
  abstract transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T>;

  static fromDataSource(dataSource: DataSource): Sql {
    if (dataSource.options.type === 'postgres') {
      return new PostgresSql((dataSource.driver as unknown as { master: Pool }).master);
    }
    return new SqliteSql((dataSource.driver as unknown as { databaseConnection: BetterSqliteDatabase }).databaseConnection);
  }
}

class SqliteSql extends Sql {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Statement>();
  private queue: Promise<unknown> = Promise.resolve();
  // Prepared once: db.exec() would parse these on every transaction of the hot path.
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;

  constructor(private readonly db: BetterSqliteDatabase) {
    super();
    // IMMEDIATE takes the write lock up front, so a concurrent process fails fast on busy_timeout instead of deadlocking.
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  query<T>(sql: string, params: unknown[] = []): Promise<SqlResult<T>> {
    return this.exclusive(async () => this.run<T>(sql, params));
  }

  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.begin.run();
      const tx: SqlRunner = { dialect: 'sqlite', query: async <R>(sql: string, params: unknown[] = []) => this.run<R>(sql, params) };
      try {
        const result = await work(tx);
        this.commit.run();
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.rollback.run();
        throw error;
      }
    });
  }

  private run<T>(sql: string, params: unknown[]): SqlResult<T> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    const values = params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
    if (statement.reader) return { rows: statement.all(...values) as T[], changes: 0 };
    return { rows: [], changes: statement.run(...values).changes };
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/**
 * How many distinct statements PostgreSQL keeps prepared on each connection. The hot path's few
 * (reserve, settle, key lookup) are named on first use; ad-hoc report queries beyond this run unnamed.
 */
const MAX_NAMED_STATEMENTS = 200;

class PostgresSql extends Sql {
  readonly dialect = 'postgres' as const;
  private readonly translated = new Map<string, { text: string; name?: string }>();

  constructor(private readonly pool: Pool) {
    super();
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<SqlResult<T>> {
    return this.run<T>(this.pool, sql, params);
  }

  async transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work({
        dialect: 'postgres',
        query: <R>(sql: string, params: unknown[] = []) => this.run<R>(client, sql, params),
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async run<T>(target: Pool | PoolClient, sql: string, params: unknown[]): Promise<SqlResult<T>> {
    const values = params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
    // A named statement is parsed and planned once per connection, then only bound and executed:
    // still one round trip, with less work on the server for every call after the first.
    const result = await target.query({ ...this.prepared(sql), values });
    return { rows: result.rows as T[], changes: result.rowCount ?? 0 };
  }

  /** `?` → `$1, $2…` and a statement name, once per distinct statement. Statements here never contain a literal `?`. */
  private prepared(sql: string): { text: string; name?: string } {
    let statement = this.translated.get(sql);
    if (statement === undefined) {
      let index = 0;
      const text = sql.replace(/\?/g, () => `$${++index}`);
      statement = this.translated.size < MAX_NAMED_STATEMENTS ? { text, name: `tollgate_${this.translated.size}` } : { text };
      this.translated.set(sql, statement);
    }
    return statement;
  }
}

/** pg returns BIGINT and COUNT(*) as strings; every money and token column goes through this. */
export function toInt(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}

export function toIntOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toInt(value);
}
