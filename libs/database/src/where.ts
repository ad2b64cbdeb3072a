/**
 * A WHERE clause built from optional filters, with its parameters in placeholder order. Column
 * names and conditions are code, never caller input; values only ever travel as parameters.
 */
export class Where {
  private readonly terms: string[] = [];
  private readonly values: unknown[] = [];

  /** `column = value`; skipped when the filter is absent (undefined, null or an empty string). */
  equals(column: string, value: unknown): this {
    if (value === undefined || value === null || value === '') return this;
    return this.and(`${column} = ?`, value);
  }

  /** A half-open window `from <= column < to`; either end may be open. */
  within(column: string, range: { fromMs: number | null; toMs: number | null }): this {
    if (range.fromMs !== null) this.and(`${column} >= ?`, range.fromMs);
    if (range.toMs !== null) this.and(`${column} < ?`, range.toMs);
    return this;
  }

  /** Any condition, with a `?` for each parameter. */
  and(condition: string, ...params: unknown[]): this {
    this.terms.push(condition.includes(' OR ') ? `(${condition})` : condition);
    this.values.push(...params);
    return this;
  }

  /** `WHERE a AND b`, or nothing when no filter applies. */
  get sql(): string {
    return this.terms.length > 0 ? `WHERE ${this.terms.join(' AND ')}` : '';
  }

  get params(): unknown[] {
    return [...this.values];
  }
}

/** Rows for many ids, fetched `IN (…)` 500 at a time: SQLite's limit on bound parameters is high, but not unbounded. */
export async function inChunks<T>(ids: Iterable<string>, query: (chunk: string[], list: string) => Promise<{ rows: T[] }>): Promise<T[]> {
  const distinct = [...new Set([...ids].filter((id) => id !== ''))];
  const rows: T[] = [];
  for (let i = 0; i < distinct.length; i += 500) {
    const chunk = distinct.slice(i, i + 500);
    rows.push(...(await query(chunk, placeholders(chunk.length))).rows);
  }
  return rows;
}

/** `(?, ?, ?)` for an IN list of `count` values. */
export function placeholders(count: number): string {
  return `(${Array.from({ length: count }, () => '?').join(', ')})`;
}

/** `a = ?, b = ?` for the columns whose value is not undefined (null is a value: it clears the column). */
export function assignments(columns: Record<string, unknown>): { sql: string; params: unknown[] } {
  const set = Object.entries(columns).filter(([, value]) => value !== undefined);
  return {
    sql: set.map(([column]) => `${column} = ?`).join(', '),
    params: set.map(([, value]) => (typeof value === 'boolean' ? (value ? 1 : 0) : value)),
  };
}
