import { OVERFLOW_LABEL, SeriesTable } from './series-table';

class Count {
  n = 0;
}

describe('SeriesTable', () => {
  it('returns the same series for the same label values, even from a reused array', () => {
    const table = new SeriesTable(3, () => new Count(), 100);
    const tuple = ['key', 'model', '200'];
    table.get(tuple).n++;
    tuple[2] = '500';
    table.get(tuple).n++;
    tuple[2] = '200';
    table.get(tuple).n++;
    expect(table.series().map((s) => [s.labels, s.value.n])).toEqual([
      [['key', 'model', '200'], 2],
      [['key', 'model', '500'], 1],
    ]);
  });

  it('keeps label tuples apart when one value contains what another is joined by', () => {
    const table = new SeriesTable(2, () => new Count(), 100);
    table.get(['a,b', 'c']).n++;
    table.get(['a', 'b,c']).n++;
    expect(table.size).toBe(2);
  });

  it('folds every series past the limit into one overflow series, so a flood of new keys cannot grow it', () => {
    const table = new SeriesTable(2, () => new Count(), 3);
    for (let i = 0; i < 1000; i++) table.get([`key-${i}`, 'model']).n++;
    expect(table.size).toBe(3);
    const overflow = table.series().at(-1)!;
    expect(overflow.labels).toEqual([OVERFLOW_LABEL, OVERFLOW_LABEL]);
    expect(overflow.value.n).toBe(997);
    // Known series still count as themselves.
    table.get(['key-0', 'model']).n++;
    expect(table.series()[0].value.n).toBe(2);
  });
});
