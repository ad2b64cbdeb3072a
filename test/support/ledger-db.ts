/**
 * Direct, read-mostly access to a gateway's database from a test: the spend ledger and the open
 * reservations have no HTTP route yet, and money assertions must be checked against the rows
 * themselves. Statements use `?` placeholders on both drivers; money columns come back as numbers.
 */
import Database from 'better-sqlite3';
import { Client } from 'pg';

import type { TestDatabase } from './test-database';

export interface LedgerRow {
  request_id: string;
  api_key: string | null;
  team_id: string | null;
  model_group: string | null;
  provider: string | null;
  status: string;
  prompt_tokens: number;
  completion_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  spend_nanos: number;
  error: string | null;
}

export interface ReservationRow {
  request_id: string;
  token: string;
  team_id: string | null;
  amount_nanos: number;
  instance_id: string;
}

const NUMERIC = [
  'prompt_tokens',
  'completion_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'total_tokens',
  'spend_nanos',
  'amount_nanos',
  'n',
  'total',
];

export class LedgerDb {
  private constructor(
    private readonly runQuery: (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>,
    readonly close: () => Promise<void>,
  ) {}

  /** Opens a second connection to the database a gateway (in this process or another) is using. */
  static async open(database: Pick<TestDatabase, 'target'>): Promise<LedgerDb> {
    const target = database.target;
    if (target.type === 'sqlite') {
      const db = new Database(target.path, { fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      return new LedgerDb(
        async (sql, params) => {
          const statement = db.prepare(sql);
          // better-sqlite3 refuses .all() on statements that return nothing (a test planting rows).
          if (!statement.reader) {
            statement.run(...params);
            return [];
          }
          return statement.all(...params) as Record<string, unknown>[];
        },
        async () => {
          db.close();
        },
      );
    }
    const client = new Client({ connectionString: target.url });
    await client.connect();
    return new LedgerDb(
      async (sql, params) => {
        let index = 0;
        const result = await client.query(
          sql.replace(/\?/g, () => `$${++index}`),
          params,
        );
        return result.rows as Record<string, unknown>[];
      },
      async () => client.end(),
    );
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const rows = await this.runQuery(sql, params);
    // pg returns BIGINT and SUM() as strings; the ledger's integers are far below 2^53.
    return rows.map((row) => {
      const copy: Record<string, unknown> = { ...row };
      for (const column of NUMERIC) if (copy[column] !== undefined && copy[column] !== null) copy[column] = Number(copy[column]);
      return copy as T;
    });
  }

  /** Ledger rows of one key (by token), oldest first. */
  ledgerOfKey(token: string): Promise<LedgerRow[]> {
    return this.query<LedgerRow>(`SELECT * FROM spend_logs WHERE api_key = ? ORDER BY start_time, request_id`, [token]);
  }

  ledgerOfTeam(teamId: string): Promise<LedgerRow[]> {
    return this.query<LedgerRow>(`SELECT * FROM spend_logs WHERE team_id = ? ORDER BY start_time, request_id`, [teamId]);
  }

  openReservations(token: string): Promise<ReservationRow[]> {
    return this.query<ReservationRow>(`SELECT * FROM budget_reservations WHERE token = ? ORDER BY created_at, request_id`, [token]);
  }
}
