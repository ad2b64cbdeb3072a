import { InvalidRequestError } from './invalid-request.errors';

/** Envelope checks shared by the /v1 request validators: each names the offending field in its 400. */
export function optionalBoolean(object: Record<string, unknown>, field: string, param = field): void {
  const value = object[field];
  if (value !== undefined && value !== null && typeof value !== 'boolean') {
    throw new InvalidRequestError(`'${param}' must be a boolean`, param);
  }
}

export function optionalInteger(object: Record<string, unknown>, field: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  const value = object[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidRequestError(`'${field}' must be an integer between ${min} and ${max}`, field);
  }
}

export function optionalNumber(object: Record<string, unknown>, field: string, min: number, max: number): void {
  const value = object[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidRequestError(`'${field}' must be a number between ${min} and ${max}`, field);
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
