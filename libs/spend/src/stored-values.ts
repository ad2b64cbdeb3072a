/**
 * Client-controlled values on their way into the ledger. Whatever a caller sends as `user`, a
 * session header, `metadata.tags` or a model name ends up in a column (some of them indexed), so
 * it is made storable before the INSERT: PostgreSQL refuses NUL in text ("invalid byte sequence"),
 * both drivers choke on lone UTF-16 surrogates when encoding to UTF-8, and a btree index entry
 * larger than ~2.7 kB aborts the INSERT. A settlement that fails on a value the client chose would
 * let the client spend for free, so these rules never refuse: they trim.
 */

/** Longest stored identifier (user, session, model names, request ids, key alias, tags). */
export const MAX_STORED_ID_CHARS = 256;
/** Most tags kept per request. */
export const MAX_STORED_TAGS = 32;
/** Largest metadata document, as stored JSON. */
export const MAX_STORED_METADATA_CHARS = 8_192;
/** Longest stored error message. */
export const MAX_STORED_ERROR_CHARS = 2_000;

/** NUL and unpaired UTF-16 surrogates removed, then cut to `maxChars` without splitting a pair. */
export function storableText(text: string, maxChars: number): string {
  let out = '';
  for (let i = 0; i < text.length && out.length < maxChars; i++) {
    const code = text.charCodeAt(i);
    if (code === 0) continue;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        if (out.length + 2 > maxChars) break;
        out += text[i] + text[i + 1];
        i++;
      }
      continue;
    }
    if (code >= 0xdc00 && code <= 0xdfff) continue;
    out += text[i];
  }
  return out;
}

/** An identifier column: null stays null, an empty result becomes null. */
export function storableId(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = storableText(value, MAX_STORED_ID_CHARS);
  return text === '' ? null : text;
}

/** Tags as LiteLLM takes them (`metadata.tags`): strings only, cleaned, de-duplicated, capped in count. */
export function storableTags(tags: unknown): string[] {
  if (!Array.isArray(tags)) return [];
  const kept = new Set<string>();
  for (const tag of tags) {
    if (kept.size >= MAX_STORED_TAGS) break;
    if (typeof tag !== 'string') continue;
    const text = storableText(tag, MAX_STORED_ID_CHARS);
    if (text !== '') kept.add(text);
  }
  return [...kept];
}

/**
 * The ledger's metadata column: strings cleaned, tags capped, and the whole document at most
 * MAX_STORED_METADATA_CHARS. A document still too large keeps only its tags and says so, rather
 * than being cut into invalid JSON.
 */
export function storableMetadata(metadata: Record<string, unknown>): string {
  const cleaned: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(metadata)) {
    const key = storableText(name, MAX_STORED_ID_CHARS);
    if (key === '') continue;
    if (key === 'tags') cleaned.tags = storableTags(value);
    else if (typeof value === 'string') cleaned[key] = storableText(value, MAX_STORED_ID_CHARS);
    else if (value === null || typeof value === 'number' || typeof value === 'boolean')
      cleaned[key] = Number.isFinite(value) || typeof value !== 'number' ? value : null;
  }
  const json = JSON.stringify(cleaned);
  if (json.length <= MAX_STORED_METADATA_CHARS) return json;
  return JSON.stringify({ tags: storableTags(cleaned.tags).slice(0, 8), truncated: true });
}
