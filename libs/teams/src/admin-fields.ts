import { MAX_DURATION_DAYS, NANOS_PER_USD, parseBoundedDuration, usdToNanos } from '@tollgate/budgets';
import { registerDecorator, type ValidationOptions } from 'class-validator';

/**
 * Bounds on admin fields, checked before anything is written: every value here is stored, and
 * later read by every listing and by the budget arithmetic, so a value that passes must be one
 * those readers can handle (a date they can print, a number a BIGINT and a JS number both hold).
 */

/** Largest budget in USD: its nano-dollars must stay an exact JS integer. */
export const MAX_BUDGET_USD = Math.floor(Number.MAX_SAFE_INTEGER / NANOS_PER_USD);
/** Longest admin-chosen name (aliases, ids, model names in allow-lists). */
export const MAX_ADMIN_NAME_CHARS = 256;
/** Metadata on keys and teams: nesting depth and size as stored JSON. */
export const MAX_ADMIN_METADATA_DEPTH = 8;
export const MAX_ADMIN_METADATA_CHARS = 16_384;

export const DURATION_MESSAGE = `must be a positive duration like 30s, 5m, 24h, 1d, 7d, 30d or 1mo, at most ${MAX_DURATION_DAYS}d`;

function rule(name: string, message: string, test: (value: unknown) => boolean, options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} ${message}`, ...options },
      validator: { validate: test },
    });
}

/** `budget_duration` / `duration`: positive and at most MAX_DURATION_DAYS. */
export function IsBoundedDuration(options?: ValidationOptions) {
  return rule('isBoundedDuration', DURATION_MESSAGE, (value) => typeof value === 'string' && parseBoundedDuration(value) !== null, options);
}

/** `max_budget`: money is stored in whole nano-dollars, so a budget has at most nine decimals. */
export function IsWholeNanoDollars(options?: ValidationOptions) {
  return rule(
    'isWholeNanoDollars',
    'must be in USD with at most 9 decimal places',
    (value) => typeof value === 'number' && Number.isInteger(usdToNanos(value)),
    options,
  );
}

/** Text that both databases store as given: no NUL, no unpaired surrogate, bounded length. */
export function IsStorableName(options?: ValidationOptions) {
  return rule(
    'isStorableName',
    `must be a string of at most ${MAX_ADMIN_NAME_CHARS} characters without NUL or unpaired surrogates`,
    (value) => typeof value === 'string' && isStorableName(value),
    options,
  );
}

/** A plain object nested at most MAX_ADMIN_METADATA_DEPTH levels, at most MAX_ADMIN_METADATA_CHARS as JSON. */
export function IsBoundedMetadata(options?: ValidationOptions) {
  return rule(
    'isBoundedMetadata',
    `must be an object nested at most ${MAX_ADMIN_METADATA_DEPTH} levels and at most ${MAX_ADMIN_METADATA_CHARS} characters as JSON`,
    (value) => isBoundedMetadata(value),
    options,
  );
}

export function isStorableName(text: string): boolean {
  return (
    text.length <= MAX_ADMIN_NAME_CHARS &&
    !text.includes('\u0000') &&
    !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)
  );
}

function isBoundedMetadata(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  if (depthOver(value, MAX_ADMIN_METADATA_DEPTH)) return false;
  return JSON.stringify(value).length <= MAX_ADMIN_METADATA_CHARS;
}

/** Recursion is safe here: it never goes deeper than `limit`. */
function depthOver(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit === 0) return true;
  return (Array.isArray(value) ? value : Object.values(value)).some((child) => depthOver(child, limit - 1));
}
