/**
 * Budget windows (`budget_duration`), computed from the clock at request time: a budget rolls
 * over exactly at its boundary, with no reset job that can lag. Alignment follows LiteLLM:
 * `1mo` and `30d` reset on the 1st of the month (UTC), `7d`/`1w` on Monday, `1d` at midnight UTC;
 * other lengths are aligned to multiples of themselves since the Unix epoch.
 */

export interface BudgetDuration {
  amount: number;
  unit: 's' | 'm' | 'h' | 'd' | 'w' | 'mo';
}

export const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const MONDAY_EPOCH_OFFSET_MS = 4 * UNIT_MS.d; // 1970-01-01 was a Thursday; the first Monday is 4 days later.

export function parseBudgetDuration(text: string): BudgetDuration | null {
  const match = /^(\d+)\s*(mo|s|m|h|d|w)$/.exec(text.trim());
  if (!match) return null;
  const amount = Number(match[1]);
  if (!Number.isSafeInteger(amount) || amount <= 0) return null;
  return { amount, unit: match[2] as BudgetDuration['unit'] };
}

export interface BudgetWindow {
  start: number;
  end: number;
}

/** The window containing `now` (epoch ms). A budget without duration never resets: one window forever. */
export function budgetWindow(duration: string | null | undefined, now: number): BudgetWindow {
  if (!duration) return { start: 0, end: Number.MAX_SAFE_INTEGER };
  const parsed = parseBudgetDuration(duration);
  if (!parsed) return { start: 0, end: Number.MAX_SAFE_INTEGER };
  const { amount, unit } = parsed;
  if (unit === 'mo' || (unit === 'd' && amount === 30)) {
    const months = unit === 'mo' ? amount : 1;
    const date = new Date(now);
    const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth();
    const startIndex = monthIndex - (monthIndex % months);
    return {
      start: Date.UTC(Math.floor(startIndex / 12), startIndex % 12, 1),
      end: Date.UTC(Math.floor((startIndex + months) / 12), (startIndex + months) % 12, 1),
    };
  }
  if ((unit === 'd' && amount === 7) || (unit === 'w' && amount === 1)) {
    const week = UNIT_MS.w;
    const start = Math.floor((now - MONDAY_EPOCH_OFFSET_MS) / week) * week + MONDAY_EPOCH_OFFSET_MS;
    return { start, end: start + week };
  }
  const length = amount * UNIT_MS[unit];
  const start = Math.floor(now / length) * length;
  return { start, end: start + length };
}

/** Longest `budget_duration` or key `duration` accepted: ten years (a month counts as 31 days). */
export const MAX_DURATION_DAYS = 3_650;

/** A positive duration no longer than MAX_DURATION_DAYS, or null. */
export function parseBoundedDuration(text: string): BudgetDuration | null {
  const parsed = parseBudgetDuration(text);
  if (!parsed) return null;
  const days = parsed.unit === 'mo' ? parsed.amount * 31 : (parsed.amount * UNIT_MS[parsed.unit]) / UNIT_MS.d;
  return days <= MAX_DURATION_DAYS ? parsed : null;
}
