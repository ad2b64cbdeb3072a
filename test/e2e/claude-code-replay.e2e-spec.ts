/**
 * A Claude Code session replayed byte for byte against the gateway with raw HTTP (undici), as the
 * CLI would send it: `?beta=true`, its beta and session headers, a Bearer token, cache_control
 * blocks and streamed answers. Once against an Anthropic deployment (relayed) and once against an
 * OpenAI one (translated). Each replay must give Claude Code an event stream it accepts, the tool
 * input exactly as the model wrote it, and a ledger that attributes both turns to the session.
 *
 * Then the corpus recorded from the real Claude Code 2.1.197 (scripts/record-claude-code.mjs: first
 * turn with default tools, tool result, subagent, compaction, session title, count_tokens), each
 * replayed through an Anthropic, an OpenAI and an Ollama alias.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { validateAnthropicEventSequence } from '@tollgate/providers';
import { request } from 'undici';

import { AnthropicFake, type FakeUpstream, OllamaFake, OpenAIFake } from '../fakes';
import { inputJsonOf, parseSse, type SseRecord, textOf } from '../fixtures/anthropic-sse';
import recording from '../fixtures/claude-code/session-two-turns.json';
import { AdminApi, uniqueId, usdToNanos, waitFor } from '../support/admin-api';
import { costNanos } from '../support/expected-cost';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const ANTHROPIC_KEY = 'sk-ant-test';
const OPENAI_KEY = 'sk-openai-test';

const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
const ollama = new OllamaFake({ models: ['qwen2.5-coder:14b', 'qwen3:8b'] });

let gateway: TestGateway;
let admin: AdminApi;

beforeAll(async () => {
  await Promise.all([anthropic.start(), openai.start(), ollama.start()]);
  gateway = await startTestGateway({
    model_list: [
      // Claude Code asks for the model by its own name unless ANTHROPIC_MODEL says otherwise.
      {
        model_name: 'claude-sonnet-4-6',
        litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY },
      },
      // ANTHROPIC_MODEL=coder-gpt: the same session, served by OpenAI through the translation.
      { model_name: 'coder-gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } },
      { model_name: 'coder-o4', litellm_params: { model: 'openai/o4-mini', api_base: openai.apiBase, api_key: OPENAI_KEY } },
      { model_name: 'local-coding', litellm_params: { model: 'ollama/qwen2.5-coder:14b', api_base: ollama.url } },
      { model_name: 'local-thinking', litellm_params: { model: 'ollama/qwen3:8b', api_base: ollama.url } },
      // Ollama first, Claude when Ollama cannot take the request.
      { model_name: 'local-then-claude', litellm_params: { model: 'ollama/qwen2.5-coder:14b', api_base: ollama.url } },
    ],
    router_settings: { fallbacks: [{ 'local-then-claude': ['claude-sonnet-4-6'] }] },
  });
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
});

afterEach(() => {
  anthropic.reset();
  openai.reset();
  ollama.reset();
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([anthropic.stop(), openai.stop(), ollama.stop()]);
});

type RecordedRequest = (typeof recording.turns)[number]['request'];

interface Replayed {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  records: SseRecord[];
}

/** The recording with its identifiers swapped for live ones (every occurrence, headers and body alike). */
function rewrite(recorded: RecordedRequest, replacements: Record<string, string>): RecordedRequest {
  let text = JSON.stringify(recorded);
  for (const [from, to] of Object.entries(replacements)) text = text.split(from).join(to);
  return JSON.parse(text) as RecordedRequest;
}

async function replay(req: RecordedRequest): Promise<Replayed> {
  const response = await request(`${gateway.url}${req.path}`, {
    method: req.method as 'POST',
    headers: req.headers,
    body: JSON.stringify(req.body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, records: parseSse(text) };
}

function expectAcceptedByClaudeCode(replayed: Replayed): void {
  expect(replayed.status).toBe(200);
  expect(replayed.headers['content-type']).toMatch(/^text\/event-stream/);
  expect(validateAnthropicEventSequence(replayed.records.map(({ event, data }) => ({ event, data })))).toEqual([]);
}

function stopReasonOf(replayed: Replayed): string {
  return replayed.records.find((r) => r.event === 'message_delta')!.data.delta.stop_reason;
}

async function teamKey(): Promise<{ teamId: string; key: string }> {
  const teamId = uniqueId('claude-code');
  await admin.newTeam({ team_id: teamId, max_budget: 50, budget_duration: '1mo' });
  return { teamId, key: (await admin.generateKey({ team_id: teamId })).key };
}

async function sessionLogs(sessionId: string, count: number): Promise<Record<string, any>[]> {
  return waitFor(
    async () => {
      const response = await admin.send<Record<string, any>[]>(`/spend/logs?session_id=${encodeURIComponent(sessionId)}`);
      expect(response.status).toBe(200);
      return response.json.length >= count ? response.json : undefined;
    },
    5_000,
    25,
    `${count} ledger rows for session ${sessionId}`,
  );
}

interface Target {
  name: string;
  alias: string;
  fake: FakeUpstream<any>;
  /** Scripts both model turns with distinctive usage; returns the live tool_use id and each turn's exact cost. */
  script(): { toolUseId: string; costs: [number, number] };
  /** What the upstream must have received for the second turn. */
  expectSecondTurnReceived(sent: RecordedRequest, toolUseId: string): void;
}

const [turn1, turn2] = recording.turns;

const targets: Target[] = [
  {
    name: 'an Anthropic deployment (relayed)',
    alias: 'claude-sonnet-4-6',
    fake: anthropic,
    script: () => {
      const toolUseId = `toolu_01${randomUUID().replace(/-/g, '').slice(0, 22)}`;
      anthropic.enqueue({
        kind: 'reply',
        toolCalls: [{ id: toolUseId, name: turn1.model.toolCall!.name, arguments: turn1.model.toolCall!.argumentsJson }],
        inputTokens: 12,
        cacheCreationInputTokens: 1800,
        cacheReadInputTokens: 0,
        outputTokens: 40,
      });
      anthropic.enqueue({
        kind: 'reply',
        text: turn2.model.text!,
        inputTokens: 25,
        cacheReadInputTokens: 1800,
        cacheCreationInputTokens: 60,
        outputTokens: 12,
      });
      return {
        toolUseId,
        costs: [
          costNanos('claude-sonnet-4-6', { freshInput: 12, cacheWrite: 1800, output: 40 }),
          costNanos('claude-sonnet-4-6', { freshInput: 25, cacheRead: 1800, cacheWrite: 60, output: 12 }),
        ],
      };
    },
    expectSecondTurnReceived: (sent) => {
      const received = anthropic.requestsTo('/v1/messages');
      expect(received).toHaveLength(2);
      // Untouched but for the model: system blocks, every cache_control, the tool_result as sent.
      expect(received[1].body).toEqual({ ...sent.body, model: 'claude-sonnet-4-6' });
      expect(received[1].headers['anthropic-beta']).toBe(sent.headers['anthropic-beta']);
      expect(received[1].headers['anthropic-version']).toBe('2023-06-01');
      expect(received[1].headers['x-api-key']).toBe(ANTHROPIC_KEY);
      expect(received[1].headers.authorization).toBeUndefined();
    },
  },
  {
    name: 'an OpenAI deployment (translated)',
    alias: 'coder-gpt',
    fake: openai,
    script: () => {
      const toolUseId = `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
      openai.enqueue({
        kind: 'reply',
        toolCalls: [{ id: toolUseId, name: turn1.model.toolCall!.name, arguments: turn1.model.toolCall!.argumentsJson }],
        promptTokens: 1900,
        completionTokens: 30,
      });
      openai.enqueue({ kind: 'reply', text: turn2.model.text!, promptTokens: 1950, cachedTokens: 1792, completionTokens: 8 });
      return {
        toolUseId,
        costs: [
          costNanos('gpt-4o', { freshInput: 1900, output: 30 }),
          costNanos('gpt-4o', { freshInput: 1950 - 1792, cacheRead: 1792, output: 8 }),
        ],
      };
    },
    expectSecondTurnReceived: (sent, toolUseId) => {
      const received = openai.requestsTo('/v1/chat/completions');
      expect(received).toHaveLength(2);
      const body = received[1].body as Record<string, any>;
      expect(body.model).toBe('gpt-4o');
      expect(body.stream).toBe(true);
      expect(body.stream_options).toEqual({ include_usage: true });
      // Claude Code's user_id is longer than the 64 characters OpenAI takes: its SHA-256 goes instead.
      expect(body.user).toBe(createHash('sha256').update(sent.body.metadata.user_id).digest('hex'));
      expect(body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['Bash', 'Read']);
      expect(body.messages[0]).toEqual({ role: 'system', content: sent.body.system.map((block) => block.text).join('\n') });
      expect(body.messages.slice(-2)).toEqual([
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: toolUseId,
              type: 'function',
              function: { name: 'Bash', arguments: JSON.stringify(JSON.parse(turn1.model.toolCall!.argumentsJson)) },
            },
          ],
        },
        { role: 'tool', tool_call_id: toolUseId, content: ' M src/cart.ts\n?? src/cart.spec.ts' },
      ]);
    },
  },
];

describe.each(targets)('Claude Code session against $name', (target) => {
  it('streams both turns as Claude Code needs them and attributes their exact cost to the session', async () => {
    const { teamId, key } = await teamKey();
    const sessionId = randomUUID();
    const { toolUseId, costs } = target.script();
    const live = { [recording.recorded.sessionId]: sessionId, [recording.recorded.authorization]: `Bearer ${key}` };

    // Turn 1: the model calls Bash; its input must arrive exactly as the model wrote it.
    const first = rewrite(turn1.request, live);
    first.body.model = target.alias;
    const firstReply = await replay(first);
    expectAcceptedByClaudeCode(firstReply);
    expect(stopReasonOf(firstReply)).toBe('tool_use');
    const toolStart = firstReply.records.find((r) => r.event === 'content_block_start' && r.data.content_block.type === 'tool_use')!;
    expect(toolStart.data.content_block).toEqual({ type: 'tool_use', id: toolUseId, name: 'Bash', input: {} });
    expect(inputJsonOf(firstReply.records, toolStart.data.index)).toBe(turn1.model.toolCall!.argumentsJson);

    // Turn 2: the tool result goes back under the id the gateway gave; the model answers in text.
    const second = rewrite(turn2.request, { ...live, [recording.recorded.toolUseId]: toolUseId });
    second.body.model = target.alias;
    const secondReply = await replay(second);
    expectAcceptedByClaudeCode(secondReply);
    expect(stopReasonOf(secondReply)).toBe('end_turn');
    expect(textOf(secondReply.records)).toBe(turn2.model.text);
    target.expectSecondTurnReceived(second, toolUseId);

    const rows = await sessionLogs(sessionId, 2);
    expect(rows).toHaveLength(2);
    expect(rows.map((row) => usdToNanos(row.spend)).sort((a, b) => a - b)).toEqual([...costs].sort((a, b) => a - b));
    for (const row of rows) {
      expect(row).toMatchObject({
        session_id: sessionId,
        team_id: teamId,
        call_type: 'messages',
        status: 'success',
        model_group: target.alias,
      });
      expect(row.spend).toBeGreaterThan(0);
    }

    const sessions = await admin.send<Record<string, any>[]>(`/spend/sessions?team_id=${encodeURIComponent(teamId)}`);
    expect(sessions.status).toBe(200);
    expect(sessions.json).toHaveLength(1);
    expect(sessions.json[0]).toMatchObject({ session_id: sessionId, team_id: teamId, requests: 2 });
    expect(usdToNanos(sessions.json[0].spend)).toBe(costs[0] + costs[1]);
  });
});

describe('session attribution from metadata.user_id alone', () => {
  /** Turn 1 without the x-claude-code-session-id header, as older Claude Code versions send it. */
  function withoutSessionHeader(userId: string, key: string): RecordedRequest {
    const req = rewrite(turn1.request, { [recording.recorded.authorization]: `Bearer ${key}` });
    delete (req.headers as Record<string, string>)['x-claude-code-session-id'];
    req.body.metadata.user_id = userId;
    return req;
  }

  it.each([
    {
      form: 'JSON',
      userId: (sessionId: string) =>
        JSON.stringify({ device_id: recording.recorded.deviceId, account_uuid: recording.recorded.accountUuid, session_id: sessionId }),
    },
    {
      form: 'legacy user_…_account_…_session_…',
      userId: (sessionId: string) => recording.legacyUserId.replace(recording.recorded.sessionId, sessionId),
    },
  ])('attributes the call to the session in the $form form', async ({ userId }) => {
    const { key } = await teamKey();
    const sessionId = randomUUID();
    anthropic.enqueue({ kind: 'reply', text: 'ok', inputTokens: 10, outputTokens: 2 });

    const replayed = await replay(withoutSessionHeader(userId(sessionId), key));

    expectAcceptedByClaudeCode(replayed);
    const rows = await sessionLogs(sessionId, 1);
    expect(rows).toHaveLength(1);
    expect(usdToNanos(rows[0].spend)).toBe(costNanos('claude-sonnet-4-6', { freshInput: 10, output: 2 }));
  });
});

interface CorpusRequest {
  claudeCode: string;
  placeholders: { authorization: string; sessionId: string };
  request: { method: string; url: string; headers: Record<string, string>; body: Record<string, any> };
}

const CORPUS_DIR = join(__dirname, '../fixtures/claude-code/corpus');
const corpus: Record<string, CorpusRequest> = Object.fromEntries(
  readdirSync(CORPUS_DIR).map((file) => [
    file.replace(/\.json$/, ''),
    JSON.parse(readFileSync(join(CORPUS_DIR, file), 'utf8')) as CorpusRequest,
  ]),
);

/** A corpus request as the CLI would send it to the gateway with `key`, for `alias`. */
async function replayCorpus(
  name: string,
  alias: string,
  key: string,
  edit: (body: Record<string, any>) => void = () => {},
): Promise<Replayed & { text: string }> {
  const recorded = corpus[name];
  const headers = { ...recorded.request.headers, authorization: `Bearer ${key}` };
  const body = structuredClone(recorded.request.body);
  body.model = alias;
  edit(body);
  const response = await request(`${gateway.url}${recorded.request.url}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, records: parseSse(text), text };
}

const MESSAGE_CALLS = ['first-turn', 'tool-result', 'subagent', 'compaction', 'title'];

describe('the recorded Claude Code 2.1.197 corpus', () => {
  it('was recorded from the pinned CLI and uses the mid-conversation system beta', () => {
    expect(corpus['first-turn'].claudeCode).toMatch(/^2\.1\.197\b/);
    expect(corpus['first-turn'].request.headers['anthropic-beta']).toContain('mid-conversation-system-2026-04-07');
    expect(corpus['first-turn'].request.body.messages.some((m: { role: string }) => m.role === 'system')).toBe(true);
    expect(Object.keys(corpus).sort()).toEqual(['compaction', 'count-tokens', 'first-turn', 'subagent', 'title', 'tool-result']);
  });

  describe.each([
    { backend: 'Anthropic', alias: 'claude-sonnet-4-6' },
    { backend: 'OpenAI (gpt-4o)', alias: 'coder-gpt' },
    { backend: 'Ollama (qwen2.5-coder)', alias: 'local-coding' },
    { backend: 'Ollama (qwen3, a thinking model)', alias: 'local-thinking' },
  ])('through $backend', ({ alias }) => {
    it.each(MESSAGE_CALLS)('%s is answered with an event stream Claude Code accepts', async (name) => {
      const { key } = await teamKey();
      const replayed = await replayCorpus(name, alias, key);
      expect(replayed.text).not.toContain('"type":"error"');
      expectAcceptedByClaudeCode(replayed);
      const start = replayed.records.find((r) => r.event === 'message_start')!;
      const usage = start.data.message.usage;
      // Claude Code rejects a message_start whose usage is all zero.
      expect(usage.input_tokens + (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0)).toBeGreaterThan(0);
    });

    it('count_tokens answers with a positive count', async () => {
      const { key } = await teamKey();
      const replayed = await replayCorpus('count-tokens', alias, key);
      expect(replayed.status).toBe(200);
      expect(JSON.parse(replayed.text).input_tokens).toBeGreaterThan(0);
    });
  });

  it('reaches OpenAI with the system messages in place, no billing header, no reasoning for gpt-4o and max_tokens within its limit', async () => {
    const { key } = await teamKey();
    expectAcceptedByClaudeCode(await replayCorpus('first-turn', 'coder-gpt', key));
    const sent = openai.requestsTo('/v1/chat/completions')[0].body as Record<string, any>;
    const recorded = corpus['first-turn'].request.body;
    expect(sent.messages.map((m: { role: string }) => m.role)).toEqual([
      'system',
      ...recorded.messages.map((m: { role: string }) => m.role),
    ]);
    expect(sent.messages[2]).toEqual({ role: 'system', content: recorded.messages[1].content });
    expect(JSON.stringify(sent)).not.toContain('x-anthropic-billing-header');
    expect(sent).not.toHaveProperty('reasoning_effort');
    expect(sent).not.toHaveProperty('context_management');
    expect(sent).not.toHaveProperty('output_config');
    expect(sent.max_tokens).toBe(16_384);
    expect(sent.tools).toHaveLength(recorded.tools.length);
  });

  it("gives an OpenAI reasoning model Claude Code's effort, with the output cap as max_completion_tokens", async () => {
    const { key } = await teamKey();
    expectAcceptedByClaudeCode(await replayCorpus('first-turn', 'coder-o4', key));
    const sent = openai.requestsTo('/v1/chat/completions')[0].body as Record<string, any>;
    expect(sent).toMatchObject({
      model: 'o4-mini',
      reasoning_effort: 'high',
      max_completion_tokens: corpus['first-turn'].request.body.max_tokens,
    });
    expect(sent).not.toHaveProperty('max_tokens');
  });

  it('asks a thinking Ollama model to think, and not the others', async () => {
    const { key } = await teamKey();
    expectAcceptedByClaudeCode(await replayCorpus('first-turn', 'local-thinking', key));
    expectAcceptedByClaudeCode(await replayCorpus('first-turn', 'local-coding', key));
    const [thinking, coder] = ollama.requestsTo('/api/chat').map((r) => r.body as Record<string, any>);
    expect(thinking).toMatchObject({ model: 'qwen3:8b', think: true });
    expect(coder.model).toBe('qwen2.5-coder:14b');
    expect(coder).not.toHaveProperty('think');
    expect(coder.messages[2].role).toBe('system');
  });

  it("passes the session-title call's JSON schema on as OpenAI response_format and Ollama format", async () => {
    const { key } = await teamKey();
    const schema = corpus.title.request.body.output_config.format.schema;
    openai.enqueue({ kind: 'reply', text: '{"title":"Fix the login bug"}' });
    const replayed = await replayCorpus('title', 'coder-gpt', key);
    expect(textOf(replayed.records)).toBe('{"title":"Fix the login bug"}');
    expect((openai.requestsTo('/v1/chat/completions')[0].body as Record<string, any>).response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'output', schema },
    });
    expectAcceptedByClaudeCode(await replayCorpus('title', 'local-coding', key));
    expect((ollama.requestsTo('/api/chat')[0].body as Record<string, any>).format).toEqual(schema);
  });

  it("reports the backend's real input count in message_delta where message_start could only estimate it", async () => {
    const { key } = await teamKey();
    openai.enqueue({ kind: 'reply', text: 'hi', promptTokens: 30, completionTokens: 2 });
    const replayed = await replayCorpus('first-turn', 'coder-gpt', key);
    const estimate = replayed.records.find((r) => r.event === 'message_start')!.data.message.usage.input_tokens;
    const final = replayed.records.find((r) => r.event === 'message_delta')!.data.usage;
    expect(final).toMatchObject({ input_tokens: 30, output_tokens: 2 });
    // The estimate reads the request's text at four characters a token, not one token a byte.
    expect(estimate).toBeLessThan(JSON.stringify(corpus['first-turn'].request.body).length / 3);
  });

  it('falls back to Claude when the local model cannot represent the request, and answers 400 naming the field when nothing can', async () => {
    const { key } = await teamKey();
    // Ollama cannot fetch an image by URL; Anthropic can.
    const withImageUrl = (body: Record<string, any>) =>
      body.messages[0].content.push({ type: 'image', source: { type: 'url', url: 'https://example.com/screenshot.png' } });
    const replayed = await replayCorpus('first-turn', 'local-then-claude', key, withImageUrl);
    expectAcceptedByClaudeCode(replayed);
    expect(replayed.headers['x-litellm-attempted-fallbacks']).toBe('1');
    expect(ollama.requestsTo('/api/chat')).toHaveLength(0);
    expect(anthropic.requestsTo('/v1/messages')).toHaveLength(1);

    const refused = await replayCorpus('first-turn', 'local-coding', key, withImageUrl);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('Ollama cannot fetch image URLs') },
    });
  });
});
