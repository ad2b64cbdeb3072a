/** An OTLP attribute value reduced to what Tollgate reads: scalars only. */
export type AttributeValue = string | number | boolean;
export type Attributes = Readonly<Record<string, AttributeValue>>;

/**
 * Like every client value, attributes are capped: at most this many per record (the rest are
 * ignored, never rejected: exporters add attributes between releases) and keys and string values
 * cut to these lengths. Tollgate reads ids, model names and counts, all far shorter.
 */
export const MAX_ATTRIBUTES = 128;
export const MAX_ATTRIBUTE_KEY_CHARS = 128;
export const MAX_ATTRIBUTE_VALUE_CHARS = 256;

interface KeyValue {
  key?: unknown;
  value?: Record<string, unknown> | null;
}

/**
 * An OTLP AnyValue as a scalar. `intValue` is a 64-bit integer, a decimal string in OTLP/JSON (and
 * after protobuf decoding) but a plain number from some exporters. Arrays, maps and bytes are
 * dropped: nothing Tollgate reads has that shape, and a map can hide prompt text.
 */
function scalarOf(value: Record<string, unknown> | null | undefined): AttributeValue | undefined {
  if (!value || typeof value !== 'object') return undefined;
  if (typeof value.stringValue === 'string') return value.stringValue.slice(0, MAX_ATTRIBUTE_VALUE_CHARS);
  if (typeof value.boolValue === 'boolean') return value.boolValue;
  for (const numeric of [value.intValue, value.doubleValue]) {
    if (typeof numeric === 'number' && Number.isFinite(numeric)) return numeric;
    if (typeof numeric === 'string' && numeric.trim() !== '' && Number.isFinite(Number(numeric))) return Number(numeric);
  }
  return undefined;
}

/** A KeyValue list as a capped record; a repeated key keeps its first value. */
export function attributesOf(list: unknown): Attributes {
  const attributes: Record<string, AttributeValue> = {};
  if (!Array.isArray(list)) return attributes;
  let count = 0;
  for (const entry of list as KeyValue[]) {
    if (count >= MAX_ATTRIBUTES) break;
    if (!entry || typeof entry.key !== 'string') continue;
    const key = entry.key.slice(0, MAX_ATTRIBUTE_KEY_CHARS);
    if (Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    const value = scalarOf(entry.value);
    if (value === undefined) continue;
    attributes[key] = value;
    count++;
  }
  return attributes;
}

export function stringAttribute(attributes: Attributes, key: string): string | undefined {
  const value = attributes[key];
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** A count: a non-negative integer, also from the decimal strings some exporters send (`prompt_length`). */
export function countAttribute(attributes: Attributes, key: string): number | undefined {
  const value = typeof attributes[key] === 'string' ? Number(attributes[key]) : attributes[key];
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

export function numberAttribute(attributes: Attributes, key: string): number | undefined {
  const value = typeof attributes[key] === 'string' ? Number(attributes[key]) : attributes[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
