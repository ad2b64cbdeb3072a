import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';
import { Root } from 'protobufjs';

import { OtlpError } from './otlp.errors';
import { decodeExportRequest, encodeExportResponse, encodeStatus, encodingOf } from './otlp-codec';

const fixture = (name: string) => readFileSync(join(__dirname, '__fixtures__', name));

describe('OTLP codec', () => {
  it('reads both encodings into the same OTLP/JSON shape (lowerCamelCase, 64-bit integers as strings)', () => {
    const decoded = decodeExportRequest('logs', 'protobuf', fixture('claude-code-logs-2.pb')) as any;
    const record = decoded.resourceLogs[0].scopeLogs[0].logRecords.find((r: any) => r.body.stringValue === 'claude_code.api_request');
    expect(record.timeUnixNano).toMatch(/^\d{19}$/);
    expect(record.attributes).toEqual(
      expect.arrayContaining([
        { key: 'input_tokens', value: { intValue: '3272' } },
        { key: 'cost_usd', value: { doubleValue: 0.016585 } },
      ]),
    );
    const json = decodeExportRequest('logs', 'json', fixture('claude-code-logs.json')) as any;
    expect(Object.keys(json.resourceLogs[0]).sort()).toEqual(Object.keys(decoded.resourceLogs[0]).sort());
  });

  it('knows OTLP/HTTP content types only', () => {
    expect(encodingOf('application/json; charset=utf-8')).toBe('json');
    expect(encodingOf('application/x-protobuf')).toBe('protobuf');
    expect(encodingOf('text/plain')).toBeUndefined();
    expect(encodingOf(undefined)).toBeUndefined();
  });

  it.each([
    ['truncated JSON', 'json', Buffer.from('{"resourceLogs": [')],
    ['a JSON array', 'json', Buffer.from('[]')],
    ['JSON null', 'json', Buffer.from('null')],
    ['a protobuf varint that never ends', 'protobuf', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
    ['a protobuf length beyond the body', 'protobuf', Buffer.from([0x0a, 0x7f, 0x01])],
  ] as const)('refuses %s as undecodable rather than crashing', (_name, encoding, body) => {
    expect(() => decodeExportRequest('logs', encoding, body)).toThrow(OtlpError);
  });

  it('answers a full success with an empty message and a partial one with the rejected count', () => {
    expect(encodeExportResponse('logs', 'json', 0, '')).toBe('{}');
    expect(JSON.parse(String(encodeExportResponse('metrics', 'json', 2, 'no session.id')))).toEqual({
      partialSuccess: { rejectedDataPoints: '2', errorMessage: 'no session.id' },
    });
    expect((encodeExportResponse('logs', 'protobuf', 0, '') as Buffer).length).toBe(0);
    const root = Root.fromJSON({
      nested: {
        R: { fields: { partialSuccess: { type: 'P', id: 1 } } },
        P: { fields: { rejectedLogRecords: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } } },
      },
    });
    const type = root.lookupType('R');
    const decoded = type.toObject(type.decode(encodeExportResponse('logs', 'protobuf', 3, 'bad') as Buffer), { longs: Number });
    expect(decoded).toEqual({ partialSuccess: { rejectedLogRecords: 3, errorMessage: 'bad' } });
  });

  it('writes errors as google.rpc.Status in the request encoding', () => {
    expect(JSON.parse(String(encodeStatus('json', 16, 'no key')))).toEqual({ code: 16, message: 'no key' });
    // field 1 varint 16, field 2 string "no key"
    expect(encodeStatus('protobuf', 16, 'no key')).toEqual(Buffer.from([0x08, 0x10, 0x12, 0x06, ...Buffer.from('no key')]));
  });
});

describe('OTLP codec under fuzzing', () => {
  it('answers random bytes with a decoded request or an OtlpError, never another exception', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }),
        fc.constantFrom('logs' as const, 'metrics' as const),
        fc.constantFrom('json' as const, 'protobuf' as const),
        (bytes, signal, encoding) => {
          try {
            decodeExportRequest(signal, encoding, Buffer.from(bytes));
          } catch (error) {
            expect(error).toBeInstanceOf(OtlpError);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
