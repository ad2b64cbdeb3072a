import fc from 'fast-check';

import {
  MAX_STORED_ID_CHARS,
  MAX_STORED_METADATA_CHARS,
  MAX_STORED_TAGS,
  storableId,
  storableMetadata,
  storableTags,
  storableText,
} from './stored-values';

/** What PostgreSQL and SQLite can store as text: no NUL, and valid UTF-16 (so valid UTF-8). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isStorable = (text: string) => !text.includes('\u0000') && !LONE_SURROGATE.test(text);

describe('stored values', () => {
  it('removes NUL from a user id (PostgreSQL: invalid byte sequence)', () => {
    expect(storableId('a\u0000b')).toBe('ab');
  });

  it('removes lone surrogates but keeps paired ones (emoji)', () => {
    expect(storableText('x\ud800y\udc00z😀', 100)).toBe('xyz😀');
  });

  it('caps an 8 KB user id (PostgreSQL: index row too large)', () => {
    expect(storableId('u'.repeat(8192))).toHaveLength(MAX_STORED_ID_CHARS);
  });

  it('never splits a surrogate pair at the cap', () => {
    const text = 'a' + '😀'.repeat(200);
    const stored = storableText(text, MAX_STORED_ID_CHARS);
    expect(stored.length).toBeLessThanOrEqual(MAX_STORED_ID_CHARS);
    expect(isStorable(stored)).toBe(true);
  });

  it('turns an id made only of NUL into null', () => {
    expect(storableId('\u0000\u0000')).toBeNull();
  });

  it('keeps string tags only, de-duplicated and capped in count', () => {
    const tags = [...Array.from({ length: 100 }, (_, i) => `t${i}`), 't1', 5, null, { a: 1 }];
    const stored = storableTags(tags);
    expect(stored).toHaveLength(MAX_STORED_TAGS);
    expect(new Set(stored).size).toBe(stored.length);
  });

  it('keeps metadata within its cap even when every tag is at its longest', () => {
    const metadata = { tags: Array.from({ length: 1000 }, (_, i) => `${i}`.padEnd(10_000, 'x')), requested_model: 'm'.repeat(10_000) };
    const json = storableMetadata(metadata);
    expect(json.length).toBeLessThanOrEqual(MAX_STORED_METADATA_CHARS);
    expect(JSON.parse(json)).toEqual(expect.objectContaining({ truncated: true }));
  });

  it('makes any string storable and bounded (property, 2,000 runs)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (text) => {
        const stored = storableText(text, MAX_STORED_ID_CHARS);
        return isStorable(stored) && stored.length <= MAX_STORED_ID_CHARS;
      }),
      { numRuns: 2_000 },
    );
  });

  it('makes any metadata storable JSON within its cap (property, 500 runs)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary', maxLength: 50 }), fc.jsonValue({ maxDepth: 3 })), (metadata) => {
        const json = storableMetadata(metadata);
        return isStorable(json) && json.length <= MAX_STORED_METADATA_CHARS && typeof JSON.parse(json) === 'object';
      }),
      { numRuns: 500 },
    );
  });
});
