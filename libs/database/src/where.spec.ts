import { placeholders, Where } from './where';

describe('Where', () => {
  it('is empty when no filter applies, so a query without filters reads the whole table', () => {
    const where = new Where()
      .equals('team_id', undefined)
      .equals('api_key', null)
      .equals('status', '')
      .within('start_time', { fromMs: null, toMs: null });
    expect(where.sql).toBe('');
    expect(where.params).toEqual([]);
  });

  it.each([
    ['one equality', (w: Where) => w.equals('team_id', 't1'), 'WHERE team_id = ?', ['t1']],
    [
      'equalities in the order given',
      (w: Where) => w.equals('api_key', 'k').equals('source', 'gateway'),
      'WHERE api_key = ? AND source = ?',
      ['k', 'gateway'],
    ],
    ['a window open at its end', (w: Where) => w.within('start_time', { fromMs: 10, toMs: null }), 'WHERE start_time >= ?', [10]],
    [
      'a closed window',
      (w: Where) => w.within('l.start_time', { fromMs: 10, toMs: 20 }),
      'WHERE l.start_time >= ? AND l.start_time < ?',
      [10, 20],
    ],
    [
      'a condition without parameters',
      (w: Where) => w.and('session_id IS NOT NULL').equals('team_id', 't'),
      'WHERE session_id IS NOT NULL AND team_id = ?',
      ['t'],
    ],
    [
      'a disjunction, bracketed so AND cannot bind into it',
      (w: Where) => w.equals('team_id', 't').and('start_time < ? OR (start_time = ? AND request_id < ?)', 5, 5, 'r'),
      'WHERE team_id = ? AND (start_time < ? OR (start_time = ? AND request_id < ?))',
      ['t', 5, 5, 'r'],
    ],
  ])('%s', (_name, build, sql, params) => {
    const where = build(new Where());
    expect(where.sql).toBe(sql);
    expect(where.params).toEqual(params);
  });

  it('a value that looks like SQL stays a parameter', () => {
    const where = new Where().equals('team_id', "x' OR 1=1 --");
    expect(where.sql).toBe('WHERE team_id = ?');
    expect(where.params).toEqual(["x' OR 1=1 --"]);
  });

  it('writes one placeholder per value of an IN list', () => {
    expect(placeholders(1)).toBe('(?)');
    expect(placeholders(3)).toBe('(?, ?, ?)');
  });
});
