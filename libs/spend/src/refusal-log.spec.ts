import { REFUSAL_ROWS_PER_KEY_MINUTE, RefusalLog } from './refusal-log';

describe('RefusalLog', () => {
  it('writes at most REFUSAL_ROWS_PER_KEY_MINUTE refusal rows per key per minute (refusal flood)', () => {
    const log = new RefusalLog();
    const written = Array.from({ length: 1000 }, () => log.admit('k', 60_000)).filter((r) => r.write).length;
    expect(written).toBe(REFUSAL_ROWS_PER_KEY_MINUTE);
  });

  it('counts the refusals it did not write on the key’s next written row', () => {
    const log = new RefusalLog();
    for (let i = 0; i < REFUSAL_ROWS_PER_KEY_MINUTE + 7; i++) log.admit('k', 60_000);
    expect(log.admit('k', 120_000)).toEqual({ write: true, coalesced: 7 });
    expect(log.admit('k', 120_001)).toEqual({ write: true, coalesced: 0 });
  });

  it('bounds each key separately', () => {
    const log = new RefusalLog();
    for (let i = 0; i < REFUSAL_ROWS_PER_KEY_MINUTE; i++) log.admit('a', 0);
    expect(log.admit('a', 1).write).toBe(false);
    expect(log.admit('b', 1).write).toBe(true);
  });
});
