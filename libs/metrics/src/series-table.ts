/** One series: its label values (in the table's order) and what is counted under them. */
export interface Series<T> {
  readonly labels: readonly string[];
  readonly value: T;
}

/** The label value every label of the overflow series carries. */
export const OVERFLOW_LABEL = '__overflow__';

/**
 * Series keyed by a fixed number of label values, in nested maps: a lookup is one Map.get per label,
 * with no string joined and no object allocated once the series exists. At most `maxSeries` series
 * are kept: past that, every new label tuple is counted in one overflow series (all labels
 * `__overflow__`), so no caller can grow the table, or the scrape, without bound.
 */
export class SeriesTable<T> {
  private readonly root = new Map<string, unknown>();
  private readonly all: Series<T>[] = [];
  private overflow?: Series<T>;

  constructor(
    private readonly depth: number,
    private readonly create: () => T,
    private readonly maxSeries: number,
  ) {}

  get(labels: readonly string[]): T {
    let node = this.root;
    for (let i = 0; i < this.depth - 1; i++) {
      const next = node.get(labels[i]) as Map<string, unknown> | undefined;
      if (!next) return this.added(labels);
      node = next;
    }
    const found = node.get(labels[this.depth - 1]) as Series<T> | undefined;
    return found ? found.value : this.added(labels);
  }

  series(): readonly Series<T>[] {
    return this.overflow ? [...this.all, this.overflow] : this.all;
  }

  get size(): number {
    return this.all.length;
  }

  private added(labels: readonly string[]): T {
    if (this.all.length >= this.maxSeries) {
      this.overflow ??= { labels: labels.map(() => OVERFLOW_LABEL), value: this.create() };
      return this.overflow.value;
    }
    let node = this.root;
    for (let i = 0; i < this.depth - 1; i++) {
      let next = node.get(labels[i]) as Map<string, unknown> | undefined;
      if (!next) {
        next = new Map();
        node.set(labels[i], next);
      }
      node = next;
    }
    const series: Series<T> = { labels: labels.slice(0, this.depth), value: this.create() };
    node.set(labels[this.depth - 1], series);
    this.all.push(series);
    return series.value;
  }
}
