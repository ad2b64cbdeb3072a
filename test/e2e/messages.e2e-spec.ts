/**
 * Anthropic's Messages API (`POST /v1/messages`, count_tokens, `HEAD /api/hello`) through the real
 * gateway, with the official @anthropic-ai/sdk as the client: relayed untouched to an Anthropic
 * deployment, translated for OpenAI and Ollama deployments. Every case checks both ends — what the
 * SDK got, and what the upstream received — and streams are checked event by event on the wire.
 */
import Anthropic from '@anthropic-ai/sdk';
import { validateAnthropicEventSequence } from '@tollgate/providers';

import {
  AnthropicFake,
  chunkText,
  DEFAULT_COMPLETION_TOKENS,
  DEFAULT_REPLY_TEXT,
  type FakeToolCall,
  type FakeUpstream,
  OllamaFake,
  OpenAIFake,
  promptTokensForAnthropic,
  type RecordedRequest,
} from '../fakes';
import { parseSse, type SseRecord, textOf } from '../fixtures/anthropic-sse';
import { AdminApi, nanosToUsd, sendRaw, uniqueId, usdToNanos, waitFor } from '../support/admin-api';
import { caught } from '../support/e2e-helpers';
import { costNanos } from '../support/expected-cost';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const ANTHROPIC_KEY = 'sk-ant-test';
const OPENAI_KEY = 'sk-openai-test';

const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
const ollama = new OllamaFake();
/** Started once for a port, then stopped: connections to it are refused. */
const stoppedOllama = new OllamaFake();
const fakes: FakeUpstream<any>[] = [anthropic, openai, ollama];

let gateway: TestGateway;
let admin: AdminApi;
/** A virtual key in a team with plenty of budget. */
let virtualKey: string;

beforeAll(async () => {
  await Promise.all([anthropic.start(), openai.start(), ollama.start(), stoppedOllama.start()]);
  await stoppedOllama.stop();
  gateway = await startTestGateway({
    model_list: [
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY } },
      // Same upstream, own alias (and so own cooldown): the error tests fail it on purpose.
      {
        model_name: 'claude-errors',
        litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY },
      },
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } },
      { model_name: 'local', litellm_params: { model: 'ollama_chat/llama3.2', api_base: ollama.url } },
      { model_name: 'local-coding', litellm_params: { model: 'ollama_chat/llama3.2', api_base: stoppedOllama.url } },
      {
        model_name: 'claude-then-gpt',
        litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY },
      },
    ],
    // No cooldowns: the error tests fail claude-errors on purpose, over and over.
    router_settings: { fallbacks: [{ 'local-coding': ['claude'] }, { 'claude-then-gpt': ['gpt'] }], allowed_fails: 1000 },
  });
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
  const teamId = uniqueId('messages');
  await admin.newTeam({ team_id: teamId, max_budget: 100, budget_duration: '30d' });
  virtualKey = (await admin.generateKey({ team_id: teamId })).key;
});

afterEach(() => fakes.forEach((fake) => fake.reset()));

afterAll(async () => {
  await gateway?.close();
  await Promise.all([...fakes, stoppedOllama].map((fake) => fake.stop()));
});

interface RecordingAnthropic {
  client: Anthropic;
  /** The full raw body of the most recent response, once it has ended. */
  lastRawBody(): Promise<string>;
}

/** The official SDK aimed at the gateway, keeping a copy of every response body it reads. */
function anthropicClient(baseUrl: string, key: string, as: 'apiKey' | 'authToken' = 'apiKey'): RecordingAnthropic {
  let last: Promise<string> = Promise.resolve('');
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    last = response.clone().text();
    return response;
  };
  const credentials = as === 'apiKey' ? { apiKey: key, authToken: null } : { apiKey: null, authToken: key };
  const client = new Anthropic({ ...credentials, baseURL: baseUrl, maxRetries: 0, fetch: recordingFetch });
  return { client, lastRawBody: () => last };
}

const question: Anthropic.MessageParam[] = [{ role: 'user', content: 'Say hello.' }];

const WEATHER_TOOL: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] },
};

/** Nested, non-ASCII and numeric: an input that only survives if nobody rebuilds it wrongly. */
const WEATHER_INPUT = { city: 'Zürich', days: 3, units: { temperature: 'celsius', wind: ['km/h', 'bft'] }, verbose: false };

function onlyRequest(fake: FakeUpstream<any>, path: string): RecordedRequest {
  const requests = fake.requestsTo(path);
  expect(requests).toHaveLength(1);
  return requests[0];
}

function expectValidSequence(records: SseRecord[]): void {
  expect(validateAnthropicEventSequence(records.map(({ event, data }) => ({ event, data })))).toEqual([]);
}

async function costOfRequest(requestId: string): Promise<{ spend: number; rows: Record<string, any>[] }> {
  const rows = await waitFor(
    async () => {
      const response = await admin.send<Record<string, any>[]>(`/spend/logs?request_id=${encodeURIComponent(requestId)}`);
      expect(response.status).toBe(200);
      return response.json.length > 0 ? response.json : undefined;
    },
    5_000,
    25,
    `the ledger row of ${requestId}`,
  );
  return { spend: usdToNanos(rows[0].spend), rows };
}

interface ProviderCase {
  provider: 'anthropic' | 'openai' | 'ollama';
  alias: string;
  fake: FakeUpstream<any>;
  chatPath: string;
  /** Scripts distinctive token counts; returns the Anthropic usage the client must see and the exact cost. */
  scriptUsage(): { usage: Record<string, number>; costNanos: number };
  scriptToolCall(call: FakeToolCall): void;
  toolCallId: string;
  /** What the upstream must have received for the tool_result turn. */
  expectToolResultReceived(request: RecordedRequest, sent: Anthropic.MessageCreateParamsNonStreaming): void;
}

const TOOL_RESULT_TEXT = 'Zürich: 21 °C, light wind';

const cases: ProviderCase[] = [
  {
    provider: 'anthropic',
    alias: 'claude',
    fake: anthropic,
    chatPath: '/v1/messages',
    scriptUsage: () => {
      anthropic.enqueue({ kind: 'reply', inputTokens: 100, cacheReadInputTokens: 300, cacheCreationInputTokens: 50, outputTokens: 20 });
      return {
        // Relayed untouched: the fake's own usage object, field for field.
        usage: { input_tokens: 100, cache_creation_input_tokens: 50, cache_read_input_tokens: 300, output_tokens: 20 },
        costNanos: costNanos('claude-sonnet-4-6', { freshInput: 100, cacheRead: 300, cacheWrite: 50, output: 20 }),
      };
    },
    scriptToolCall: (call) => anthropic.enqueue({ kind: 'reply', toolCalls: [call] }),
    toolCallId: 'toolu_01WeatherCall000000000001',
    expectToolResultReceived: (request, sent) => {
      // Passthrough: the exact bytes the SDK sent, with only the model swapped in place.
      expect(request.rawBody).toBe(JSON.stringify({ ...sent, model: 'claude-sonnet-4-6' }));
    },
  },
  {
    provider: 'openai',
    alias: 'gpt',
    fake: openai,
    chatPath: '/v1/chat/completions',
    scriptUsage: () => {
      openai.enqueue({ kind: 'reply', promptTokens: 1000, cachedTokens: 600, completionTokens: 42 });
      // OpenAI's prompt_tokens includes the cached ones; Anthropic's input_tokens excludes them.
      return {
        usage: { input_tokens: 400, output_tokens: 42, cache_read_input_tokens: 600, cache_creation_input_tokens: 0 },
        costNanos: costNanos('gpt-4o', { freshInput: 400, cacheRead: 600, output: 42 }),
      };
    },
    scriptToolCall: (call) => openai.enqueue({ kind: 'reply', toolCalls: [call] }),
    toolCallId: 'call_weather_openai_1',
    expectToolResultReceived: (request) => {
      const messages = (request.body as { messages: Record<string, unknown>[] }).messages;
      expect(messages).toEqual([
        { role: 'user', content: 'What is the weather in Zürich?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_weather_openai_1', type: 'function', function: { name: 'get_weather', arguments: JSON.stringify(WEATHER_INPUT) } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_weather_openai_1', content: TOOL_RESULT_TEXT },
      ]);
      expect((request.body as { tools: unknown }).tools).toEqual([
        {
          type: 'function',
          function: { name: 'get_weather', description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.input_schema },
        },
      ]);
    },
  },
  {
    provider: 'ollama',
    alias: 'local',
    fake: ollama,
    chatPath: '/api/chat',
    scriptUsage: () => {
      ollama.enqueue({ kind: 'reply', promptEvalCount: 31, evalCount: 7 });
      return { usage: { input_tokens: 31, output_tokens: 7, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }, costNanos: 0 };
    },
    scriptToolCall: (call) => ollama.enqueue({ kind: 'reply', toolCalls: [call] }),
    toolCallId: 'call_weather_ollama_1',
    expectToolResultReceived: (request) => {
      const messages = (request.body as { messages: Record<string, unknown>[] }).messages;
      expect(messages).toHaveLength(3);
      expect(messages[1]).toMatchObject({
        role: 'assistant',
        tool_calls: [{ function: { name: 'get_weather', arguments: WEATHER_INPUT } }],
      });
      // Ollama matches a result to its call by the tool's name.
      expect(messages[2]).toEqual({ role: 'tool', content: TOOL_RESULT_TEXT, tool_name: 'get_weather' });
    },
  },
];

describe.each(cases)('/v1/messages to $provider (alias $alias)', (testCase) => {
  const { alias, fake, chatPath } = testCase;

  it('answers a non-streaming create with the exact text, usage and cost', async () => {
    const expected = testCase.scriptUsage();
    const { client } = anthropicClient(gateway.url, virtualKey);

    const { data: message, response } = await client.messages.create({ model: alias, max_tokens: 256, messages: question }).withResponse();

    expect(message.type).toBe('message');
    expect(message.role).toBe('assistant');
    expect(message.content).toEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject(expected.usage);
    expect(response.headers.get('x-litellm-model-group')).toBe(alias);
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('0');
    expect(usdToNanos(Number(response.headers.get('x-litellm-response-cost')))).toBe(expected.costNanos);
    if (testCase.provider !== 'anthropic') expect(message.model).toBe(alias);

    const received = onlyRequest(fake, chatPath);
    expect((received.body as { stream?: boolean }).stream).toBeFalsy();
    const { spend, rows } = await costOfRequest(response.headers.get('x-litellm-call-id')!);
    expect(spend).toBe(expected.costNanos);
    expect(rows[0]).toMatchObject({ call_type: 'messages', status: 'success', model_group: alias });
  });

  it('streams the exact text as a valid event sequence, with the final usage', async () => {
    const expected = testCase.scriptUsage();
    const recording = anthropicClient(gateway.url, virtualKey);

    const stream = recording.client.messages.stream({ model: alias, max_tokens: 256, messages: question });
    const final = await stream.finalMessage();
    const records = parseSse(await recording.lastRawBody());

    expect(final.content).toEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage).toMatchObject(expected.usage);
    expectValidSequence(records);
    expect(textOf(records)).toBe(DEFAULT_REPLY_TEXT);
    expect(stream.response?.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const { spend } = await costOfRequest(stream.response!.headers.get('x-litellm-call-id')!);
    expect(spend).toBe(expected.costNanos);
  });

  it('round-trips a tool call: tool_use with the exact input, then the tool_result reaches the upstream', async () => {
    testCase.scriptToolCall({ id: testCase.toolCallId, name: 'get_weather', arguments: WEATHER_INPUT });
    const recording = anthropicClient(gateway.url, virtualKey);
    const ask: Anthropic.MessageParam = { role: 'user', content: 'What is the weather in Zürich?' };

    const stream = recording.client.messages.stream({ model: alias, max_tokens: 256, messages: [ask], tools: [WEATHER_TOOL] });
    const first = await stream.finalMessage();
    expectValidSequence(parseSse(await recording.lastRawBody()));

    expect(first.stop_reason).toBe('tool_use');
    const toolUse = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
    expect(toolUse).toMatchObject({ type: 'tool_use', id: testCase.toolCallId, name: 'get_weather' });
    expect(toolUse!.input).toEqual(WEATHER_INPUT);

    fake.reset();
    const followUp: Anthropic.MessageCreateParamsNonStreaming = {
      model: alias,
      max_tokens: 256,
      tools: [WEATHER_TOOL],
      messages: [
        ask,
        { role: 'assistant', content: [{ type: 'tool_use', id: toolUse!.id, name: toolUse!.name, input: toolUse!.input }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse!.id, content: TOOL_RESULT_TEXT }] },
      ],
    };
    const answer = await recording.client.messages.create(followUp);

    expect(answer.content).toEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
    testCase.expectToolResultReceived(onlyRequest(fake, chatPath), followUp);
  });

  it('counts tokens: with Anthropic where it serves the alias, estimated elsewhere', async () => {
    const { client } = anthropicClient(gateway.url, virtualKey);
    const body = { model: alias, system: 'Be brief.', messages: [{ role: 'user' as const, content: 'How many tokens is this sentence?' }] };

    const { data, response } = await client.messages.countTokens(body).withResponse();

    if (testCase.provider === 'anthropic') {
      expect(response.headers.get('x-tollgate-token-count')).toBe('anthropic');
      const received = onlyRequest(anthropic, '/v1/messages/count_tokens');
      expect(received.body).toEqual({ ...body, model: 'claude-sonnet-4-6' });
      expect(data).toEqual({ input_tokens: promptTokensForAnthropic(body) });
    } else {
      expect(response.headers.get('x-tollgate-token-count')).toBe('estimated');
      expect(Number.isInteger(data.input_tokens)).toBe(true);
      expect(data.input_tokens).toBeGreaterThan(0);
      expect(fake.requests).toHaveLength(0);
    }
  });
});

describe.each([
  {
    provider: 'openai',
    alias: 'gpt',
    fail: () => openai.enqueue({ kind: 'midStreamError', afterEvents: 3, message: 'The server had an error' }),
  },
  {
    provider: 'ollama',
    alias: 'local',
    fail: () => ollama.enqueue({ kind: 'midStreamError', afterEvents: 2, message: 'llama runner process has terminated' }),
  },
])('a translated $provider stream that fails after the 200', ({ alias, fail }) => {
  it('ends with an Anthropic error event after whole blocks, and the ledger says error', async () => {
    fail();
    const recording = anthropicClient(gateway.url, virtualKey);

    const stream = recording.client.messages.stream({ model: alias, max_tokens: 64, messages: question });
    const error = await caught(() => stream.finalMessage());
    const records = parseSse(await recording.lastRawBody());

    expect(error).toBeInstanceOf(Anthropic.APIError);
    expectValidSequence(records);
    expect(records[0].event).toBe('message_start');
    const last = records[records.length - 1];
    expect(last.event).toBe('error');
    expect(last.data).toEqual({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
    expect(textOf(records).length).toBeGreaterThan(0);

    const { rows } = await costOfRequest(stream.response!.headers.get('x-litellm-call-id')!);
    expect(rows[0].status).toBe('error');
  });
});

describe('passthrough fidelity to an Anthropic deployment', () => {
  const system: Anthropic.TextBlockParam[] = [
    { type: 'text', text: 'You are a terse assistant.', cache_control: { type: 'ephemeral' } },
    { type: 'text', text: 'Project context: ünïcödé ✓ 日本 🚀', cache_control: { type: 'ephemeral', ttl: '1h' } },
  ];

  it('sends the identical JSON (model aside), the anthropic-* headers, and the deployment key only', async () => {
    const { client } = anthropicClient(gateway.url, virtualKey);
    const body = {
      model: 'claude',
      max_tokens: 300,
      system,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral' } }] }],
      temperature: 0.2,
      top_k: 5,
      metadata: { user_id: 'user-42' },
      // A field this gateway has never heard of: Anthropic's to judge, not ours.
      context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] },
    } as unknown as Anthropic.MessageCreateParamsNonStreaming;

    const message = await client.messages.create(body, {
      headers: { 'anthropic-beta': 'prompt-caching-2024-07-31,context-management-2025-06-27', 'anthropic-foo': 'bar baz' },
    });

    expect(message.content).toEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
    const received = onlyRequest(anthropic, '/v1/messages');
    expect(received.body).toEqual({ ...body, model: 'claude-sonnet-4-6' });
    expect(received.rawBody).toBe(JSON.stringify({ ...body, model: 'claude-sonnet-4-6' }));
    expect(received.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31,context-management-2025-06-27');
    expect(received.headers['anthropic-foo']).toBe('bar baz');
    expect(received.headers['anthropic-version']).toBeDefined();
    expect(received.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    // The client's virtual key is the gateway's business, never the upstream's.
    expect(JSON.stringify(received.headers)).not.toContain(virtualKey);
  });

  it('takes the virtual key as x-api-key too (ANTHROPIC_API_KEY), and never forwards it', async () => {
    const response = await sendRaw(gateway.url, '/v1/messages', {
      key: null,
      headers: { 'x-api-key': virtualKey, 'anthropic-version': '2023-06-01' },
      body: { model: 'claude', max_tokens: 64, messages: question },
    });

    expect(response.status).toBe(200);
    expect(response.json.content).toEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
    expect(onlyRequest(anthropic, '/v1/messages').headers['x-api-key']).toBe(ANTHROPIC_KEY);
  });

  it('accepts ?beta=true (the SDK beta resource, as Claude Code calls it)', async () => {
    const { client } = anthropicClient(gateway.url, virtualKey);

    const message = await client.beta.messages.create({
      model: 'claude',
      max_tokens: 64,
      messages: question,
      betas: ['interleaved-thinking-2025-05-14'],
    });

    expect(message.content).toEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
    const received = onlyRequest(anthropic, '/v1/messages');
    expect(received.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
  });

  it('relays the stream event by event, the upstream ping included', async () => {
    const recording = anthropicClient(gateway.url, virtualKey);

    await recording.client.messages.stream({ model: 'claude', max_tokens: 64, system, messages: question }).finalMessage();
    const records = parseSse(await recording.lastRawBody());

    expectValidSequence(records);
    const deltas = chunkText(DEFAULT_REPLY_TEXT).map(() => 'content_block_delta');
    // Exactly the fake's sequence: Anthropic's documented ping right after the first block opens.
    expect(records.map((r) => r.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...deltas,
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(records[2].data).toEqual({ type: 'ping' });
    expect(records.find((r) => r.event === 'message_delta')!.data.usage.output_tokens).toBe(DEFAULT_COMPLETION_TOKENS);
  });

  it('relays request-id and anthropic-ratelimit-* headers of a successful answer', async () => {
    anthropic.enqueue({
      kind: 'reply',
      headers: { 'request-id': 'req_011CfakeRelayedOk', 'anthropic-ratelimit-requests-remaining': '41' },
    });
    const { client } = anthropicClient(gateway.url, virtualKey);

    const { request_id, response } = await client.messages.create({ model: 'claude', max_tokens: 64, messages: question }).withResponse();

    expect(request_id).toBe('req_011CfakeRelayedOk');
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('41');
  });

  it('relays an error event after the 200 as it came, and nothing after it', async () => {
    anthropic.enqueue({ kind: 'midStreamError', afterEvents: 4, errorType: 'overloaded_error', message: 'Overloaded' });
    const recording = anthropicClient(gateway.url, virtualKey);

    const error = await caught(() =>
      recording.client.messages.stream({ model: 'claude', max_tokens: 64, messages: question }).finalMessage(),
    );
    const records = parseSse(await recording.lastRawBody());

    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(records.map((r) => r.event)).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta', 'error']);
    expect(records[4].rawData).toBe(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
    expectValidSequence(records);
  });

  it('bills the output relayed before a mid-stream error, not the placeholder count of message_start', async () => {
    // message_start, content_block_start, ping, then three text deltas, then the error.
    anthropic.enqueue({ kind: 'midStreamError', afterEvents: 6, inputTokens: 40 });
    const recording = anthropicClient(gateway.url, virtualKey);

    const stream = recording.client.messages.stream({ model: 'claude', max_tokens: 64, messages: question });
    await caught(() => stream.finalMessage());
    const records = parseSse(await recording.lastRawBody());
    const relayedDeltas = records.filter((r) => r.event === 'content_block_delta').length;
    expect(relayedDeltas).toBe(3);
    // The fake's message_start says output_tokens: 1, as Anthropic's does; the usage that would
    // correct it never came. Anthropic bills what it generated, so the ledger must not count less.
    expect(records[0].data.message.usage.output_tokens).toBe(1);

    const { rows, spend } = await costOfRequest(stream.response!.headers.get('x-litellm-call-id')!);
    expect(rows[0].status).toBe('error');
    expect(rows[0].prompt_tokens).toBe(40);
    expect(rows[0].completion_tokens).toBeGreaterThanOrEqual(relayedDeltas);
    expect(spend).toBe(costNanos('claude-sonnet-4-6', { freshInput: 40, output: rows[0].completion_tokens }));
  });

  describe.each([
    { status: 529, type: 'overloaded_error', message: 'Overloaded', stream: false },
    { status: 529, type: 'overloaded_error', message: 'Overloaded', stream: true },
    {
      status: 400,
      type: 'invalid_request_error',
      message: 'messages.0.content.0.text: text content blocks must be non-empty',
      stream: false,
    },
    { status: 429, type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit', stream: true },
  ])('an upstream $status (stream: $stream)', ({ status, type, message, stream }) => {
    const requestId = `req_011Cfake${status}native`;
    const failWithNativeBody = async () => {
      const nativeBody = { type: 'error', error: { type, message }, request_id: requestId };
      anthropic.enqueue({ kind: 'error', status, body: nativeBody, headers: { 'request-id': requestId, 'retry-after': '7' } });
      const response = await sendRaw(gateway.url, '/v1/messages', {
        key: virtualKey,
        headers: { 'anthropic-version': '2023-06-01' },
        body: { model: 'claude-errors', max_tokens: 64, messages: question, stream },
      });
      return { nativeBody, response };
    };

    it('reaches the client with its native status and body unchanged, and its retry-after', async () => {
      const { nativeBody, response } = await failWithNativeBody();

      expect(response.status).toBe(status);
      expect(response.text).toBe(JSON.stringify(nativeBody));
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('retry-after')).toBe('7');
      expect(anthropic.requestsTo('/v1/messages')).toHaveLength(1);
    });

    // The id a user quotes to Anthropic support must survive the relay.
    it('relays the upstream request-id header of the error', async () => {
      const { response } = await failWithNativeBody();

      expect(response.headers.get('request-id')).toBe(requestId);
    });
  });

  it('gives the SDK a typed error for an upstream 529', async () => {
    anthropic.enqueue({ kind: 'error', status: 529 });
    const { client } = anthropicClient(gateway.url, virtualKey);

    const error = (await caught(() =>
      client.messages.create({ model: 'claude-errors', max_tokens: 64, messages: question }),
    )) as InstanceType<typeof Anthropic.APIError>;

    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.status).toBe(529);
    expect(error.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });
});

describe('aliases and fallbacks', () => {
  it('serves local-coding from Anthropic when its Ollama is down', async () => {
    const { client } = anthropicClient(gateway.url, virtualKey);

    const { data, response } = await client.messages.create({ model: 'local-coding', max_tokens: 64, messages: question }).withResponse();

    expect(data.content).toEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    expect(response.headers.get('x-litellm-model-group')).toBe('claude');
    const received = onlyRequest(anthropic, '/v1/messages');
    expect(received.body).toEqual({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: question });
  });

  // Anthropic often reports overload as a 200 whose first event is `error`. Nothing has reached
  // the client yet, so the gateway can still fall back — and must, or Claude Code users of an
  // alias with a fallback see the overload anyway.
  it('falls back when the Anthropic stream fails with its very first event', async () => {
    anthropic.enqueue({ kind: 'midStreamError', afterEvents: 0, errorType: 'overloaded_error', message: 'Overloaded' });
    const recording = anthropicClient(gateway.url, virtualKey);

    const stream = recording.client.messages.stream({ model: 'claude-then-gpt', max_tokens: 64, messages: question });
    const final = await stream.finalMessage();

    expect(final.content).toEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
    expect(stream.response!.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    expect(stream.response!.headers.get('x-litellm-model-group')).toBe('gpt');
    expectValidSequence(parseSse(await recording.lastRawBody()));
    expect(anthropic.requestsTo('/v1/messages')).toHaveLength(1);
    expect(openai.requestsTo('/v1/chat/completions')).toHaveLength(1);
  });

  it('answers an error-first Anthropic stream with no fallback as Anthropic would have: status and body', async () => {
    anthropic.enqueue({ kind: 'midStreamError', afterEvents: 0, errorType: 'overloaded_error', message: 'Overloaded' });

    const response = await sendRaw(gateway.url, '/v1/messages', {
      key: virtualKey,
      body: { model: 'claude-errors', max_tokens: 64, messages: question, stream: true },
    });

    expect(response.status).toBe(529);
    expect(response.json).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });

  it('streams from the fallback too, as a valid sequence', async () => {
    const recording = anthropicClient(gateway.url, virtualKey);

    const stream = recording.client.messages.stream({ model: 'local-coding', max_tokens: 64, messages: question });
    const final = await stream.finalMessage();

    expect(final.content).toEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
    expect(stream.response!.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    expectValidSequence(parseSse(await recording.lastRawBody()));
  });
});

describe('errors in Anthropic shape', () => {
  it('names max_tokens when it is missing (400 invalid_request_error), sending nothing upstream', async () => {
    const response = await sendRaw(gateway.url, '/v1/messages', { key: virtualKey, body: { model: 'claude', messages: question } });

    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') },
    });
    expect(anthropic.requests).toHaveLength(0);
  });

  it('refuses what a translated deployment cannot do (a server tool) with 400 naming the field, sending nothing upstream', async () => {
    const { client } = anthropicClient(gateway.url, virtualKey);
    const tools = [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] as unknown as Anthropic.Tool[];

    const error = (await caught(() => client.messages.create({ model: 'gpt', max_tokens: 64, messages: question, tools }))) as InstanceType<
      typeof Anthropic.BadRequestError
    >;

    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('web_search_20250305') },
    });
    expect(openai.requests).toHaveLength(0);
  });

  it('answers 401 authentication_error without a key, and the SDK sees AuthenticationError with a wrong one', async () => {
    const response = await sendRaw(gateway.url, '/v1/messages', {
      key: null,
      body: { model: 'claude', max_tokens: 64, messages: question },
    });
    expect(response.status).toBe(401);
    expect(response.json).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.any(String) } });

    const { client } = anthropicClient(gateway.url, 'sk-not-a-real-key-000000', 'authToken');
    const error = await caught(() => client.messages.create({ model: 'claude', max_tokens: 64, messages: question }));
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(anthropic.requests).toHaveLength(0);
  });

  it('answers 404 not_found_error for an unknown model', async () => {
    const { client } = anthropicClient(gateway.url, virtualKey);

    const error = (await caught(() =>
      client.messages.create({ model: 'no-such-model', max_tokens: 64, messages: question }),
    )) as InstanceType<typeof Anthropic.NotFoundError>;

    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect(error.error).toEqual({ type: 'error', error: { type: 'not_found_error', message: expect.stringContaining('no-such-model') } });
  });

  it('refuses a call the budget cannot cover with 429 rate_limit_error, sending nothing upstream', async () => {
    const teamId = uniqueId('tiny');
    await admin.newTeam({ team_id: teamId, max_budget: nanosToUsd(1_000) });
    const { key } = await admin.generateKey({ team_id: teamId });

    const response = await sendRaw(gateway.url, '/v1/messages', {
      key,
      body: { model: 'claude', max_tokens: 64, messages: question, stream: true },
    });
    expect(response.status).toBe(429);
    expect(response.json).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: expect.stringContaining('Budget has been exceeded') },
    });
    expect(response.headers.get('x-should-retry')).toBe('false');

    const { client } = anthropicClient(gateway.url, key);
    const error = await caught(() => client.messages.create({ model: 'claude', max_tokens: 64, messages: question }));
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(anthropic.requests).toHaveLength(0);
  });

  it('answers HEAD /api/hello with 200 and no credentials', async () => {
    const response = await fetch(`${gateway.url}/api/hello`, { method: 'HEAD' });
    expect(response.status).toBe(200);
  });
});

describe('keep-alive pings while the upstream is silent', () => {
  // Every piece of the stream is followed by 350 ms of silence: a model thinking between tokens.
  const slowAnthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY, chunkDelayMs: 350, splitWrites: false });
  const slowOpenAI = new OpenAIFake({ apiKey: OPENAI_KEY, chunkDelayMs: 350, splitWrites: false });
  let pinging: TestGateway;
  let key: string;

  beforeAll(async () => {
    await Promise.all([slowAnthropic.start(), slowOpenAI.start()]);
    pinging = await startTestGateway(
      {
        model_list: [
          {
            model_name: 'claude',
            litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: slowAnthropic.url, api_key: ANTHROPIC_KEY },
          },
          { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: slowOpenAI.apiBase, api_key: OPENAI_KEY } },
        ],
      },
      { env: { TOLLGATE_STREAM_KEEPALIVE_MS: '200' } },
    );
    key = (await new AdminApi(pinging.url, TEST_MASTER_KEY).generateKey({})).key;
  });

  afterAll(async () => {
    await pinging?.close();
    await Promise.all([slowAnthropic.stop(), slowOpenAI.stop()]);
  });

  it.each([
    { alias: 'claude', fake: slowAnthropic, upstreamPings: 1 },
    { alias: 'gpt', fake: slowOpenAI, upstreamPings: 0 },
  ])('adds ping events between whole events on $alias, and the sequence still validates', async ({ alias, fake, upstreamPings }) => {
    fake.enqueue({ kind: 'reply', text: 'héllo wörld', chunks: ['héllo', ' wörld'] });
    const recording = anthropicClient(pinging.url, key);

    const final = await recording.client.messages.stream({ model: alias, max_tokens: 64, messages: question }).finalMessage();
    const records = parseSse(await recording.lastRawBody());

    expect(final.content).toEqual([{ type: 'text', text: 'héllo wörld' }]);
    const pings = records.filter((r) => r.event === 'ping');
    expect(pings.length).toBeGreaterThan(upstreamPings);
    for (const ping of pings) expect(ping.data).toEqual({ type: 'ping' });
    expectValidSequence(records);
  });

  it('bills at least the relayed output when the client leaves a relayed stream mid-way', async () => {
    slowAnthropic.enqueue({
      kind: 'reply',
      text: 'one two three four five six',
      chunks: ['one ', 'two ', 'three ', 'four ', 'five ', 'six'],
      inputTokens: 30,
    });
    const abort = new AbortController();
    const response = await fetch(`${pinging.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude', max_tokens: 64, messages: question, stream: true }),
      signal: abort.signal,
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (parseSse(text).filter((r) => r.event === 'content_block_delta').length < 3) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended before three deltas');
      text += decoder.decode(value, { stream: true });
    }
    abort.abort();

    const pingingAdmin = new AdminApi(pinging.url, TEST_MASTER_KEY);
    const requestId = response.headers.get('x-litellm-call-id')!;
    const row = await waitFor(
      async () => (await pingingAdmin.send<Record<string, any>[]>(`/spend/logs?request_id=${requestId}`)).json[0],
      5_000,
      25,
      'the ledger row',
    );
    expect(row.status).toBe('client_cancelled');
    expect(row.prompt_tokens).toBe(30);
    expect(row.completion_tokens).toBeGreaterThanOrEqual(3);
  });
});
