import { budgetWindow, MAX_DURATION_DAYS, parseBoundedDuration, parseBudgetDuration } from './budget-window';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('budget windows', () => {
  it('bounds admin durations: positive, at most MAX_DURATION_DAYS, a month counted as 31 days', () => {
    expect(parseBoundedDuration(`${MAX_DURATION_DAYS}d`)).toEqual({ amount: MAX_DURATION_DAYS, unit: 'd' });
    expect(parseBoundedDuration(`${MAX_DURATION_DAYS + 1}d`)).toBeNull();
    expect(parseBoundedDuration('117mo')).not.toBeNull();
    expect(parseBoundedDuration('118mo')).toBeNull();
    expect(parseBoundedDuration('521w')).not.toBeNull();
    expect(parseBoundedDuration('99999999999999999999d')).toBeNull();
    expect(parseBoundedDuration('0s')).toBeNull();
    expect(parseBoundedDuration(`${MAX_DURATION_DAYS * 86_400}s`)).not.toBeNull();
  });

  it('parses LiteLLM durations and rejects the rest', () => {
    expect(parseBudgetDuration('30d')).toEqual({ amount: 30, unit: 'd' });
    expect(parseBudgetDuration('1mo')).toEqual({ amount: 1, unit: 'mo' });
    expect(parseBudgetDuration('24h')).toEqual({ amount: 24, unit: 'h' });
    expect(parseBudgetDuration('0d')).toBeNull();
    expect(parseBudgetDuration('monthly')).toBeNull();
  });

  it('aligns 1mo and 30d to the first of the month, UTC', () => {
    for (const duration of ['1mo', '30d']) {
      const w = budgetWindow(duration, at('2026-11-27T11:00:00Z'));
      expect([iso(w.start), iso(w.end)]).toEqual(['2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z']);
    }
    const december = budgetWindow('1mo', at('2026-12-31T23:59:59.999Z'));
    expect(iso(december.end)).toBe('2027-01-01T00:00:00.000Z');
  });

  it('rolls over exactly at the boundary', () => {
    expect(iso(budgetWindow('1mo', at('2026-11-30T23:59:59.999Z')).start)).toBe('2026-11-01T00:00:00.000Z');
    expect(iso(budgetWindow('1mo', at('2026-12-01T00:00:00.000Z')).start)).toBe('2026-12-01T00:00:00.000Z');
  });

  it('starts 7d weeks on Monday and 1d days at midnight UTC', () => {
    const week = budgetWindow('7d', at('2026-11-27T11:00:00Z')); // a Friday
    expect([iso(week.start), iso(week.end)]).toEqual(['2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z']);
    const day = budgetWindow('1d', at('2026-11-27T11:00:00Z'));
    expect([iso(day.start), iso(day.end)]).toEqual(['2026-11-27T00:00:00.000Z', '2026-11-28T00:00:00.000Z']);
    expect(budgetWindow('24h', at('2026-11-27T11:00:00Z'))).toEqual(day);
  });

  it('never resets without a duration', () => {
    expect(budgetWindow(null, at('2026-11-27T11:00:00Z'))).toEqual({ start: 0, end: Number.MAX_SAFE_INTEGER });
  });
});
