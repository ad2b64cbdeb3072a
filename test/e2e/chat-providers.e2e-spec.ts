/**
 * Chat completions through the real gateway to each provider, with the official OpenAI SDK as the
 * client. Every case checks both ends: what the SDK got back, and what the upstream received.
 */
import type OpenAI from 'openai';

import {
  AnthropicFake,
  DEFAULT_REPLY_TEXT,
  type FakeToolCall,
  type FakeUpstream,
  OllamaFake,
  OpenAIFake,
  type RecordedRequest,
} from '../fakes';
import { collectChunks, contentOf, type RecordingClient, recordingClient, WEATHER_TOOL } from '../support/e2e-helpers';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

const ANTHROPIC_KEY = 'sk-ant-test';
const OPENAI_KEY = 'sk-openai-test';

const ollama = new OllamaFake();
const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
const openai = new OpenAIFake({ apiKey: OPENAI_KEY });

interface ProviderCase {
  provider: 'openai' | 'anthropic' | 'ollama';
  alias: string;
  upstreamModel: string;
  fake: FakeUpstream<any>;
  chatPath: string;
  apiBase: () => string;
  /** Scripts the next reply with distinctive token counts and returns the usage the client must see. */
  scriptUsage: (streamed: boolean) => OpenAI.CompletionUsage & Record<string, unknown>;
  /** Scripts the next reply to call tools, optionally after some text. */
  scriptToolCalls: (calls: FakeToolCall[], text?: string) => void;
  /** The id the client must see on the tool call, when the provider sends one that must survive. */
  toolCallId?: string;
}

const cases: ProviderCase[] = [
  {
    provider: 'openai',
    alias: 'gpt',
    upstreamModel: 'gpt-4o',
    fake: openai,
    chatPath: '/v1/chat/completions',
    apiBase: () => openai.apiBase,
    scriptUsage: () => {
      openai.enqueue({ kind: 'reply', promptTokens: 1000, cachedTokens: 600, completionTokens: 42 });
      // OpenAI's usage is relayed untouched, so it must equal the fake's object field for field.
      return {
        prompt_tokens: 1000,
        completion_tokens: 42,
        total_tokens: 1042,
        prompt_tokens_details: { cached_tokens: 600, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      };
    },
    scriptToolCalls: (toolCalls, text) => openai.enqueue({ kind: 'reply', toolCalls, ...(text ? { text } : {}) }),
    toolCallId: 'call_weather_1',
  },
  {
    provider: 'anthropic',
    alias: 'claude',
    upstreamModel: 'claude-sonnet-4-6',
    fake: anthropic,
    chatPath: '/v1/messages',
    apiBase: () => anthropic.url,
    scriptUsage: () => {
      anthropic.enqueue({ kind: 'reply', inputTokens: 100, cacheReadInputTokens: 300, cacheCreationInputTokens: 50, outputTokens: 20 });
      // Anthropic's input_tokens excludes cached tokens; OpenAI's prompt_tokens includes both kinds.
      return {
        prompt_tokens: 450,
        completion_tokens: 20,
        total_tokens: 470,
        prompt_tokens_details: { cached_tokens: 300 },
        cache_read_input_tokens: 300,
        cache_creation_input_tokens: 50,
      };
    },
    scriptToolCalls: (toolCalls, text) => anthropic.enqueue({ kind: 'reply', toolCalls, ...(text ? { text } : {}) }),
    toolCallId: 'toolu_01WeatherCall',
  },
  {
    provider: 'ollama',
    alias: 'local-coding',
    upstreamModel: 'llama3.2',
    fake: ollama,
    chatPath: '/api/chat',
    apiBase: () => ollama.url,
    scriptUsage: () => {
      ollama.enqueue({ kind: 'reply', promptEvalCount: 31, evalCount: 7 });
      return { prompt_tokens: 31, completion_tokens: 7, total_tokens: 38 };
    },
    scriptToolCalls: (toolCalls, text) => ollama.enqueue({ kind: 'reply', toolCalls, ...(text ? { text } : {}) }),
    toolCallId: 'call_ollama_weather',
  },
];

let gateway: TestGateway;
let recording: RecordingClient;
let client: OpenAI;

beforeAll(async () => {
  await Promise.all([ollama.start(), anthropic.start(), openai.start()]);
  gateway = await startTestGateway({
    model_list: [
      { model_name: 'local-coding', litellm_params: { model: 'ollama_chat/llama3.2', api_base: ollama.url } },
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY } },
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } },
    ],
  });
  recording = recordingClient(gateway);
  client = recording.client;
});

afterEach(() => {
  ollama.reset();
  anthropic.reset();
  openai.reset();
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([ollama.stop(), anthropic.stop(), openai.stop()]);
});

const question: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'Answer briefly.' },
  { role: 'user', content: 'Say hello.' },
];

function onlyChatRequest(fake: FakeUpstream<any>, path: string): RecordedRequest {
  const requests = fake.requestsTo(path);
  expect(requests).toHaveLength(1);
  return requests[0];
}

/** The routing headers, and proof that no header value carries an upstream credential. */
function expectRoutingHeaders(headers: Headers, testCase: ProviderCase): void {
  expect(headers.get('x-litellm-model-group')).toBe(testCase.alias);
  expect(headers.get('x-litellm-model-api-base')).toBe(testCase.apiBase());
  expect(headers.get('x-litellm-attempted-fallbacks')).toBe('0');
  headers.forEach((value) => {
    expect(value).not.toContain(ANTHROPIC_KEY);
    expect(value).not.toContain(OPENAI_KEY);
  });
}

describe.each(cases)('$provider through alias $alias', (testCase) => {
  const { alias, fake, chatPath, upstreamModel } = testCase;

  it('answers a non-streamed completion with the upstream text and exact usage', async () => {
    const expectedUsage = testCase.scriptUsage(false);
    const { data: completion, response } = await client.chat.completions.create({ model: alias, messages: question }).withResponse();

    expect(response.status).toBe(200);
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0].message.role).toBe('assistant');
    expect(completion.choices[0].message.content).toBe(DEFAULT_REPLY_TEXT);
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.usage).toEqual(expectedUsage);
    expectRoutingHeaders(response.headers, testCase);

    const received = onlyChatRequest(fake, chatPath);
    expect((received.body as { model: string }).model).toBe(upstreamModel);
  });

  it('streams the reply text without usage when include_usage is not asked for, and ends with [DONE]', async () => {
    testCase.scriptUsage(true);
    const { data: stream, response } = await client.chat.completions
      .create({ model: alias, messages: question, stream: true })
      .withResponse();
    const chunks = await collectChunks(stream);

    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expectRoutingHeaders(response.headers, testCase);
    expect(contentOf(chunks)).toBe(DEFAULT_REPLY_TEXT);
    expect(chunks.filter((chunk) => 'usage' in chunk)).toEqual([]);
    expect(chunks.every((chunk) => chunk.choices.length === 1)).toBe(true);
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('stop');
    expect(await recording.lastRawBody()).toMatch(/\n\ndata: \[DONE\]\n\n$/);

    const received = onlyChatRequest(fake, chatPath);
    expect((received.body as { model: string }).model).toBe(upstreamModel);
    expect((received.body as { stream?: boolean }).stream).toBe(true);
  });

  it('streams exactly one final usage chunk with exact counts when include_usage is set', async () => {
    const expectedUsage = testCase.scriptUsage(true);
    const stream = await client.chat.completions.create({
      model: alias,
      messages: question,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collectChunks(stream);

    const usageChunks = chunks.filter((chunk) => chunk.choices.length === 0);
    expect(usageChunks).toHaveLength(1);
    expect(chunks[chunks.length - 1]).toBe(usageChunks[0]);
    expect(usageChunks[0].usage).toEqual(expectedUsage);
    // OpenAI's convention under include_usage: every other chunk says `usage: null`.
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(contentOf(chunks)).toBe(DEFAULT_REPLY_TEXT);
    expect(await recording.lastRawBody()).toMatch(/\n\ndata: \[DONE\]\n\n$/);
  });

  it('returns a tool call with JSON arguments and sends the tool result back in the provider format', async () => {
    const args = { city: 'Zürich', days: 3 };
    testCase.scriptToolCalls([{ id: testCase.toolCallId, name: 'get_weather', arguments: args }]);
    const first = await client.chat.completions.create({
      model: alias,
      messages: [{ role: 'user', content: 'Weather in Zürich?' }],
      tools: [WEATHER_TOOL],
    });

    expect(first.choices[0].finish_reason).toBe('tool_calls');
    const calls = first.choices[0].message.tool_calls ?? [];
    expect(calls).toHaveLength(1);
    const call = calls[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.type).toBe('function');
    expect(call.function.name).toBe('get_weather');
    expect(typeof call.function.arguments).toBe('string');
    expect(JSON.parse(call.function.arguments)).toEqual(args);
    expect(call.id).toBe(testCase.toolCallId);

    fake.reset();
    const toolResult = '{"temp_c":21,"sky":"clear"}';
    const second = await client.chat.completions.create({
      model: alias,
      messages: [
        { role: 'user', content: 'Weather in Zürich?' },
        first.choices[0].message as OpenAI.ChatCompletionAssistantMessageParam,
        { role: 'tool', tool_call_id: call.id, content: toolResult },
      ],
      tools: [WEATHER_TOOL],
    });
    expect(second.choices[0].message.content).toBe(DEFAULT_REPLY_TEXT);

    const sent = onlyChatRequest(fake, chatPath).body as { messages: Array<Record<string, unknown>> };
    if (testCase.provider === 'anthropic') {
      // A tool_use must be answered by a tool_result, with the same id, in the very next (user) message.
      expect(sent.messages).toHaveLength(3);
      expect(sent.messages[1]).toEqual({
        role: 'assistant',
        content: [{ type: 'tool_use', id: call.id, name: 'get_weather', input: args }],
      });
      expect(sent.messages[2]).toEqual({
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: call.id, content: toolResult }],
      });
    } else if (testCase.provider === 'ollama') {
      // Ollama's arguments are an object, and it pairs a result with its call through the tool's name.
      expect(sent.messages).toHaveLength(3);
      expect(sent.messages[1]).toMatchObject({
        role: 'assistant',
        tool_calls: [{ function: { name: 'get_weather', arguments: args } }],
      });
      expect(sent.messages[2]).toEqual({ role: 'tool', content: toolResult, tool_name: 'get_weather' });
    } else {
      expect(sent.messages).toHaveLength(3);
      expect(sent.messages[1]).toMatchObject({
        role: 'assistant',
        tool_calls: [{ id: call.id, type: 'function', function: { name: 'get_weather', arguments: call.function.arguments } }],
      });
      expect(sent.messages[2]).toEqual({ role: 'tool', tool_call_id: call.id, content: toolResult });
    }
  });

  it('streams text then two tool calls that reassemble by tool-call index into parseable JSON arguments', async () => {
    const calls = [
      { id: `${testCase.toolCallId}_a`, name: 'get_weather', arguments: { city: 'Zürich', days: 3 } },
      { id: `${testCase.toolCallId}_b`, name: 'get_weather', arguments: { city: 'Bern' } },
    ];
    testCase.scriptToolCalls(calls, 'Let me check.');
    const stream = await client.chat.completions.create({
      model: alias,
      messages: [{ role: 'user', content: 'Weather in Zürich and Bern?' }],
      tools: [WEATHER_TOOL],
      stream: true,
    });
    const chunks = await collectChunks(stream);

    expect(contentOf(chunks)).toBe('Let me check.');
    // Clients key their accumulators on the tool-call index: it must count tool calls from 0,
    // whatever position the call had among the upstream's content blocks.
    const fragments = chunks.flatMap((chunk) => chunk.choices[0]?.delta?.tool_calls ?? []);
    const assembled = new Map<number, { id?: string; name?: string; arguments: string }>();
    for (const fragment of fragments) {
      const call = assembled.get(fragment.index) ?? { arguments: '' };
      if (fragment.id) call.id = fragment.id;
      if (fragment.function?.name) call.name = fragment.function.name;
      call.arguments += fragment.function?.arguments ?? '';
      assembled.set(fragment.index, call);
    }
    expect([...assembled.keys()]).toEqual([0, 1]);
    expect([0, 1].map((index) => ({ ...assembled.get(index)!, arguments: JSON.parse(assembled.get(index)!.arguments) }))).toEqual(
      calls.map((call) => ({ id: call.id, name: call.name, arguments: call.arguments })),
    );
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('tool_calls');
  });
});

describe('what the upstreams receive', () => {
  it('always asks an OpenAI upstream for stream usage, whatever the client asked', async () => {
    await collectChunks(await client.chat.completions.create({ model: 'gpt', messages: question, stream: true }));
    await collectChunks(
      await client.chat.completions.create({ model: 'gpt', messages: question, stream: true, stream_options: { include_usage: false } }),
    );
    const bodies = openai.requestsTo('/v1/chat/completions').map((r) => r.body as Record<string, unknown>);
    expect(bodies).toHaveLength(2);
    for (const body of bodies) {
      expect(body.model).toBe('gpt-4o');
      expect(body.stream).toBe(true);
      expect(body.stream_options).toEqual({ include_usage: true });
    }
  });

  it('relays the client messages to OpenAI unchanged and sends no stream fields on a non-streamed call', async () => {
    await client.chat.completions.create({ model: 'gpt', messages: question, temperature: 0.2 });
    const received = onlyChatRequest(openai, '/v1/chat/completions');
    expect(received.body).toEqual({ model: 'gpt-4o', messages: question, temperature: 0.2 });
    expect(received.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
  });

  it('authenticates to Anthropic with x-api-key and a version, and moves the system prompt to `system`', async () => {
    await client.chat.completions.create({ model: 'claude', messages: question, max_tokens: 256 });
    const received = onlyChatRequest(anthropic, '/v1/messages');
    expect(received.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(received.headers['anthropic-version']).toBe('2023-06-01');
    expect(received.body).toMatchObject({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      system: [{ type: 'text', text: 'Answer briefly.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello.' }] }],
      stream: false,
    });
  });

  it('sends Ollama a native /api/chat request with stream set explicitly', async () => {
    await client.chat.completions.create({ model: 'local-coding', messages: question });
    const received = onlyChatRequest(ollama, '/api/chat');
    expect(received.body).toMatchObject({ model: 'llama3.2', messages: question, stream: false });
  });
});
