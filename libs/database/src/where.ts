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

/** `(?, ?, ?)` for an IN list of `count` values. */
export function placeholders(count: number): string {
  return `(${Array.from({ length: count }, () => '?').join(', ')})`;
}
