import fc from 'fast-check';

import { attributesOf, countAttribute, MAX_ATTRIBUTE_KEY_CHARS, MAX_ATTRIBUTE_VALUE_CHARS, MAX_ATTRIBUTES } from './otlp-attributes';

describe('OTLP attributes', () => {
  it('reads scalars, 64-bit integers sent as strings or numbers, and drops maps, arrays and bytes', () => {
    expect(
      attributesOf([
        { key: 'a', value: { stringValue: 'x' } },
        { key: 'b', value: { intValue: '3272' } },
        { key: 'c', value: { intValue: 7 } },
        { key: 'd', value: { doubleValue: 0.5 } },
        { key: 'e', value: { boolValue: false } },
        { key: 'f', value: { kvlistValue: { values: [{ key: 'prompt', value: { stringValue: 'secret' } }] } } },
        { key: 'g', value: { arrayValue: { values: [] } } },
        { key: 'h', value: { bytesValue: 'AAAA' } },
        { key: 'a', value: { stringValue: 'second a is ignored' } },
      ]),
    ).toEqual({ a: 'x', b: 3272, c: 7, d: 0.5, e: false });
  });

  it('caps a flood of attributes, long keys and long values like every client value', () => {
    const flood = Array.from({ length: 10_000 }, (_, i) => ({
      key: `k${i}${'x'.repeat(1000)}`,
      value: { stringValue: 'v'.repeat(100_000) },
    }));
    const attributes = attributesOf(flood);
    expect(Object.keys(attributes)).toHaveLength(MAX_ATTRIBUTES);
    for (const [key, value] of Object.entries(attributes)) {
      expect(key.length).toBeLessThanOrEqual(MAX_ATTRIBUTE_KEY_CHARS);
      expect(String(value).length).toBeLessThanOrEqual(MAX_ATTRIBUTE_VALUE_CHARS);
    }
  });

  it('survives whatever an attacker sends as an attribute list (no throw, no prototype pollution)', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), (input) => {
        const attributes = attributesOf(input);
        expect(Object.keys(attributes).length).toBeLessThanOrEqual(MAX_ATTRIBUTES);
      }),
    );
    const polluted = attributesOf([{ key: '__proto__', value: { stringValue: 'x' } }]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.getPrototypeOf(polluted)).toBe(Object.prototype);
  });

  it('takes counts only as non-negative safe integers', () => {
    expect(countAttribute({ n: '30' }, 'n')).toBe(30);
    expect(countAttribute({ n: -1 }, 'n')).toBeUndefined();
    expect(countAttribute({ n: 1.5 }, 'n')).toBeUndefined();
    expect(countAttribute({ n: '9007199254740993' }, 'n')).toBeUndefined();
  });
});
