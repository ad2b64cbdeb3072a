import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';

import { decodeExportRequest } from './otlp-codec';
import { reportedCallsOf, toolOf } from './reported-calls';

/** Exports recorded from Claude Code 2.1.197 and Codex 0.171.0 against the provider fakes (prompt logging on). */
const recorded = (name: string) =>
  decodeExportRequest('logs', name.endsWith('.pb') ? 'protobuf' : 'json', readFileSync(join(__dirname, '__fixtures__', name)));

const claudeResource = { tool: 'claude-code', serviceName: 'claude-code', toolVersion: '2.1.197', client: 'acme' };
const codexResource = { tool: 'codex', serviceName: 'codex_exec', toolVersion: '0.171.0', client: 'acme' };

describe('reportedCallsOf', () => {
  it('turns Claude Code claude_code.api_request into one call; prompts and responses are not calls', () => {
    expect(reportedCallsOf(recorded('claude-code-logs.json'))).toEqual({
      resources: [{ resource: claudeResource, records: 3 }],
      rejections: [],
      calls: [
        {
          resource: claudeResource,
          sessionId: '96dd1295-47f7-443b-b4ff-769f95c01cb3',
          callKey: 'req_011Cfake9d199e295a0d8036',
          model: 'claude-opus-4-8',
          promptTokens: 3272,
          completionTokens: 9,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          reasoningTokens: 0,
          reportedCostNanos: 16_585_000,
          durationMs: 161,
          timeMs: Date.parse('2026-12-03T15:43:33.882Z'),
        },
      ],
    });
  });

  it('reads the protobuf export of the same tool identically', () => {
    const mapped = reportedCallsOf(recorded('claude-code-logs-2.pb'));
    expect(mapped.calls).toEqual([
      expect.objectContaining({
        resource: claudeResource,
        sessionId: 'bd37c2d8-8a0b-4e5a-89a1-d618f49902c1',
        callKey: 'req_011Cfake779c0dece1edfe1b',
        promptTokens: 3272,
        reportedCostNanos: 16_585_000,
      }),
    ]);
  });

  it('counts Anthropic cache reads and writes into the prompt tokens (input_tokens excludes them)', () => {
    const request = recorded('claude-code-logs.json') as any;
    const record = request.resourceLogs[0].scopeLogs[0].logRecords[1];
    for (const attribute of record.attributes) {
      if (attribute.key === 'cache_read_tokens') attribute.value = { intValue: '1000' };
      if (attribute.key === 'cache_creation_tokens') attribute.value = { intValue: '200' };
    }
    expect(reportedCallsOf(request).calls[0]).toMatchObject({
      promptTokens: 3272 + 1000 + 200,
      cacheReadTokens: 1000,
      cacheWriteTokens: 200,
    });
  });

  it.each(['codex-logs-2.json', 'codex-logs-1.pb'])(
    'turns the Codex response.completed that carries usage into one call, not the one logged on arrival (%s)',
    (name) => {
      const mapped = reportedCallsOf(recorded(name));
      expect(mapped.rejections).toEqual([]);
      expect(mapped.calls).toEqual([
        {
          resource: codexResource,
          sessionId: expect.stringMatching(/^01a23c93-/),
          callKey: expect.stringMatching(/^ts-2026-12-03T15:44:/),
          model: 'gpt-4o',
          promptTokens: 5170,
          completionTokens: 9,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          reasoningTokens: 0,
          reportedCostNanos: null,
          durationMs: null,
          timeMs: expect.any(Number),
        },
      ]);
    },
  );

  it('accepts and drops the rest of a Codex session (conversation start, start-up phases)', () => {
    expect(reportedCallsOf(recorded('codex-logs-1.json'))).toEqual({
      resources: [{ resource: codexResource, records: 3 }],
      rejections: [],
      calls: [],
    });
  });

  it('never carries prompt or response text, though the recordings contain both', () => {
    for (const name of [
      'claude-code-logs.json',
      'claude-code-logs-1.pb',
      'claude-code-logs-2.pb',
      'codex-logs-2.json',
      'codex-logs-1.pb',
    ]) {
      expect(JSON.stringify(recorded(name))).toMatch(/SECRET-PROMPT-MARKER|héllo/);
      expect(JSON.stringify(reportedCallsOf(recorded(name)))).not.toMatch(/SECRET-PROMPT-MARKER|héllo/);
    }
  });

  it('rejects records from a service that is not a known tool, and model requests it cannot identify', () => {
    const stranger = {
      resourceLogs: [
        { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'my-app' } }] }, scopeLogs: [{ logRecords: [{}, {}] }] },
      ],
    };
    expect(reportedCallsOf(stranger).rejections).toHaveLength(2);
    const request = recorded('claude-code-logs.json') as any;
    const record = request.resourceLogs[0].scopeLogs[0].logRecords[1];
    record.attributes = record.attributes.filter((a: { key: string }) => a.key !== 'session.id');
    const mapped = reportedCallsOf(request);
    expect(mapped.calls).toEqual([]);
    expect(mapped.rejections).toEqual([{ resource: claudeResource, reason: expect.stringContaining('session.id') }]);
  });

  it('tolerates junk where OTLP structure should be', () => {
    for (const junk of [
      {},
      { resourceLogs: 'x' },
      { resourceLogs: [null] },
      { resourceLogs: [{ scopeLogs: [null, { logRecords: [null, 1] }] }] },
    ]) {
      expect(() => reportedCallsOf(junk as Record<string, unknown>)).not.toThrow();
    }
  });

  it('names the tools by service.name', () => {
    expect(toolOf('claude-code')).toBe('claude-code');
    expect(toolOf('codex_exec')).toBe('codex');
    expect(toolOf('codex_cli_rs')).toBe('codex');
    expect(toolOf('codexmalicious')).toBeNull();
    expect(toolOf(undefined)).toBeNull();
  });
});

describe('reportedCallsOf under fuzzing', () => {
  it('maps any decoded JSON without throwing, and every call it finds has a session, a model and token counts', () => {
    const anyValue = fc.oneof(
      fc.record({ stringValue: fc.string() }),
      fc.record({ intValue: fc.oneof(fc.integer(), fc.string()) }),
      fc.record({ doubleValue: fc.double() }),
      fc.anything(),
    );
    const attribute = fc.record({
      key: fc.constantFrom(
        'session.id',
        'model',
        'input_tokens',
        'request_id',
        'event.name',
        'event.kind',
        'conversation.id',
        'input_token_count',
        'x',
      ),
      value: anyValue,
    });
    const record = fc.record({
      body: fc.oneof(fc.record({ stringValue: fc.constantFrom('claude_code.api_request', 'x') }), fc.anything()),
      attributes: fc.array(attribute, { maxLength: 12 }),
    });
    const service = fc.record({
      key: fc.constant('service.name'),
      value: fc.record({ stringValue: fc.constantFrom('claude-code', 'codex_exec', 'other') }),
    });
    const request = fc.record({
      resourceLogs: fc.array(
        fc.record({
          resource: fc.record({ attributes: fc.array(service, { maxLength: 1 }) }),
          scopeLogs: fc.array(fc.record({ logRecords: fc.array(record, { maxLength: 5 }) }), { maxLength: 2 }),
        }),
        { maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(fc.oneof(request, fc.anything()), (input) => {
        const mapped = reportedCallsOf((input ?? {}) as Record<string, unknown>, 0);
        for (const call of mapped.calls) {
          expect(call.sessionId.length).toBeGreaterThan(0);
          expect(call.model.length).toBeGreaterThan(0);
          expect(Number.isSafeInteger(call.promptTokens) && call.promptTokens >= 0).toBe(true);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
