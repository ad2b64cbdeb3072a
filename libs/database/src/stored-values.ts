/**
 * Readers for values already in the database. Rows written by older versions, by hand, or
 * before a validation existed must never make a listing answer 500, so a value a reader cannot
 * use is shown as absent rather than thrown.
 */

/** Latest instant a JS Date can hold (±8.64e15 ms). */
const MAX_DATE_MS = 8.64e15;

/** Epoch milliseconds as ISO 8601, or null when absent or outside what a date can hold. */
export function isoTimeOrNull(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return null;
  return new Date(ms).toISOString();
}

/** A JSON object column: `{}` when unreadable or not an object. */
export function storedJsonObject(text: unknown): Record<string, unknown> {
  const value = parseStored(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A JSON list-of-strings column: its strings, or `[]` when unreadable. */
export function storedJsonStrings(text: unknown): string[] {
  const value = parseStored(text);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function parseStored(text: unknown): unknown {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(String(text));
  } catch {
    return null;
  }
}

/**
 * PostgreSQL refusing a text value it cannot hold (NUL: 22021, untranslatable character: 22P05).
 * Stored values are cleaned or validated before they are written; this catches a lookup by a
 * client-chosen string, which is a bad request, not a server failure.
 */
export function isUnstorableTextError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '22021' || code === '22P05';
}
