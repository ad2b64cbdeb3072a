import { InvalidAdminQueryError } from '@tollgate/teams';

export const DAY_MS = 86_400_000;

/** A half-open time window over `spend_logs.start_time`: `fromMs <= start_time < toMs`. Either end may be open. */
export interface TimeRange {
  fromMs: number | null;
  toMs: number | null;
}

export interface Pagination {
  page: number;
  pageSize: number;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * `start_date` / `end_date` as LiteLLM's admin UI sends them (`2025-01-31`) or as an ISO instant.
 * A bare date is a whole UTC day, so `end_date=2025-01-31` includes everything on the 31st; an
 * instant is taken exactly (inclusive). A date-time without a zone is UTC, never the server's local time.
 */
export function parseTimeRange(startText: string | undefined, endText: string | undefined): TimeRange {
  const fromMs = startText ? parseInstant(startText, 'start_date', 'start') : null;
  const toMs = endText ? parseInstant(endText, 'end_date', 'end') : null;
  if (fromMs !== null && toMs !== null && toMs <= fromMs) {
    throw new InvalidAdminQueryError(`"end_date" (${endText}) is before "start_date" (${startText})`, 'end_date');
  }
  return { fromMs, toMs };
}

/** Like parseTimeRange, for reports that need both ends (LiteLLM's /global/spend/report requires them too). */
export function parseRequiredTimeRange(startText: string | undefined, endText: string | undefined): { fromMs: number; toMs: number } {
  if (!startText) throw new InvalidAdminQueryError('Query parameter "start_date" is required (YYYY-MM-DD)', 'start_date');
  if (!endText) throw new InvalidAdminQueryError('Query parameter "end_date" is required (YYYY-MM-DD)', 'end_date');
  const range = parseTimeRange(startText, endText);
  return { fromMs: range.fromMs!, toMs: range.toMs! };
}

/** `YYYY-MM-DD` → the UTC midnight it names, or null for a day that does not exist (2025-02-30). */
export function utcMidnight(text: string): number | null {
  const date = DATE_ONLY.exec(text);
  if (!date) return null;
  const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  // Date.UTC rolls 2025-02-30 over to March; a date that does not round-trip does not exist.
  return back.getUTCFullYear() === year && back.getUTCMonth() === month - 1 && back.getUTCDate() === day ? ms : null;
}

/** `start`: the first millisecond the bound admits; `end`: the first millisecond it excludes. */
function parseInstant(text: string, param: string, edge: 'start' | 'end'): number {
  const value = text.trim();
  if (DATE_ONLY.test(value)) {
    const ms = utcMidnight(value);
    if (ms === null) throw invalidDate(text, param);
    return edge === 'start' ? ms : ms + DAY_MS;
  }
  if (ISO_DATE_TIME.test(value)) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`;
    const ms = Date.parse(zoned);
    if (Number.isNaN(ms)) throw invalidDate(text, param);
    return edge === 'start' ? ms : ms + 1;
  }
  throw invalidDate(text, param);
}

function invalidDate(text: string, param: string): InvalidAdminQueryError {
  return new InvalidAdminQueryError(`"${param}" must be a date (YYYY-MM-DD) or an ISO 8601 date-time, got "${text}"`, param);
}

export function parsePositiveInt(text: string | undefined, fallback: number, param: string, max?: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidAdminQueryError(`"${param}" must be a positive integer, got "${text}"`, param);
  }
  // Refused rather than clamped: a silently smaller page would make the client's page arithmetic skip rows.
  if (max !== undefined && value > max) throw new InvalidAdminQueryError(`"${param}" may be at most ${max}, got ${value}`, param);
  return value;
}

export const MAX_PAGE_SIZE = 1000;

export function parsePagination(pageText: string | undefined, pageSizeText: string | undefined, defaultPageSize = 100): Pagination {
  return {
    page: parsePositiveInt(pageText, 1, 'page'),
    pageSize: parsePositiveInt(pageSizeText, defaultPageSize, 'page_size', MAX_PAGE_SIZE),
  };
}

export type ReportGroupBy = 'team' | 'api_key' | 'customer';

export function parseGroupBy(text: string | undefined): ReportGroupBy {
  if (text === undefined || text === '') return 'team';
  if (text === 'team' || text === 'api_key' || text === 'customer') return text;
  throw new InvalidAdminQueryError(`"group_by" must be one of team, api_key, customer, got "${text}"`, 'group_by');
}

/** Filters of GET /spend/logs, already normalised (api_key as its token). */
export interface SpendLogFilter {
  apiKeyToken?: string;
  teamId?: string;
  endUser?: string;
  requestId?: string;
  sessionId?: string;
  modelGroup?: string;
  status?: string;
  /** `gateway` or `subscription` (rows reported by Claude Code / Codex over OTLP). */
  source?: string;
  range: TimeRange;
}

export interface SessionFilter {
  apiKeyToken?: string;
  teamId?: string;
  source?: string;
  range: TimeRange;
}

export const SPEND_SOURCES = ['gateway', 'subscription'] as const;

export function parseSource(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if ((SPEND_SOURCES as readonly string[]).includes(text)) return text;
  throw new InvalidAdminQueryError(`"source" must be one of ${SPEND_SOURCES.join(', ')}, got "${text}"`, 'source');
}
