/**
 * Self-test of the fake upstreams: each must speak its provider's wire format well enough that the
 * provider's official SDK (or a plain HTTP client) parses it exactly, and must fail the ways the real
 * provider fails. If these pass, an e2e failure elsewhere is the gateway's, not the fake's.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { type Dispatcher, request } from 'undici';

import {
  AnthropicFake,
  DEFAULT_COMPLETION_TOKENS,
  DEFAULT_OLLAMA_DURATIONS,
  DEFAULT_REPLY_TEXT,
  estimateTokens,
  fakeEmbedding,
  OllamaFake,
  OpenAIFake,
  promptTokensForAnthropic,
  promptTokensForOllama,
  promptTokensForOpenAI,
} from './index';

/** The body as the separate chunks the client actually received. */
async function receiveChunks(res: Dispatcher.ResponseData): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(Buffer.from(chunk as Uint8Array));
  return chunks;
}

/** True when a chunk ends part-way through a multi-byte UTF-8 character. */
function endsInsideCharacter(chunk: Buffer): boolean {
  for (let back = 1; back <= Math.min(3, chunk.length); back++) {
    const byte = chunk[chunk.length - back];
    if (byte < 0x80) return false;
    if (byte >= 0xc0) {
      const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return back < length;
    }
  }
  return false;
}

function sseEvents(text: string): Array<{ event?: string; data: string }> {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split(/\r?\n/);
      const event = lines.find((l) => l.startsWith('event: '))?.slice('event: '.length);
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice('data: '.length))
        .join('\n');
      return { event, data };
    });
}

async function connectionError(url: string): Promise<{ code?: string }> {
  try {
    await request(url);
  } catch (error) {
    return error as { code?: string };
  }
  throw new Error(`expected ${url} to refuse the connection`);
}

describe('OpenAIFake', () => {
  const fake = new OpenAIFake({ apiKey: 'sk-test-openai' });
  let client: OpenAI;

  beforeAll(async () => {
    await fake.start();
    client = new OpenAI({ apiKey: 'sk-test-openai', baseURL: fake.apiBase, maxRetries: 0 });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'Say héllo' }] },
  ];

  it('answers a non-streamed completion with deterministic text and usage', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages });
    // "Be brief." + "Say héllo" = 18 UTF-16 units → ceil(18 / 4) = 5 tokens.
    expect(promptTokensForOpenAI({ messages })).toBe(5);
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: DEFAULT_REPLY_TEXT }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 5,
        completion_tokens: DEFAULT_COMPLETION_TOKENS,
        total_tokens: 5 + DEFAULT_COMPLETION_TOKENS,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
    expect(fake.lastRequest).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { authorization: 'Bearer sk-test-openai' },
      body: { model: 'gpt-4o', messages },
    });
  });

  it('streams chunks the SDK reassembles, with the usage chunk only when include_usage is set', async () => {
    fake.enqueue({ kind: 'reply', promptTokens: 1000, cachedTokens: 600, completionTokens: 42 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({
      prompt_tokens: 1000,
      completion_tokens: 42,
      total_tokens: 1042,
      prompt_tokens_details: { cached_tokens: 600 },
    });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(DEFAULT_REPLY_TEXT);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('stop');

    const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const plainChunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of plain) plainChunks.push(chunk);
    expect(plainChunks.every((c) => c.choices.length === 1 && !('usage' in c))).toBe(true);
  });

  it('writes the stream in many pieces, cutting through UTF-8 characters, and ends with [DONE]', async () => {
    const res = await request(`${fake.apiBase}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-openai', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages, stream: true }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const chunks = await receiveChunks(res);
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.some(endsInsideCharacter)).toBe(true);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const payloads = sseEvents(text).map((e) => e.data);
    expect(payloads.filter((d) => d !== '[DONE]').every((d) => !('usage' in JSON.parse(d)))).toBe(true);
  });

  it('streams tool calls by index: id, type and name first, then argument pieces', async () => {
    const args = { city: 'Zürich', days: 3 };
    fake.enqueue({ kind: 'reply', toolCalls: [{ name: 'get_weather', arguments: args }] });
    const runner = client.chat.completions.stream({ model: 'gpt-4o', messages, stream_options: { include_usage: true } });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0].finish_reason).toBe('tool_calls');
    expect(final.choices[0].message.tool_calls).toEqual([
      { id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: JSON.stringify(args) } },
    ]);

    fake.enqueue({ kind: 'reply', toolCalls: [{ id: 'call_1', name: 'a', arguments: '{"x":1}', argumentChunks: ['{"x"', ':1}'] }] });
    const res = await request(`${fake.apiBase}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-openai' },
      body: JSON.stringify({ model: 'gpt-4o', messages, stream: true }),
    });
    const deltas = sseEvents(await res.body.text())
      .filter((e) => e.data !== '[DONE]')
      .map((e) => JSON.parse(e.data).choices[0].delta);
    expect(deltas[0]).toEqual({ role: 'assistant', content: null, refusal: null });
    expect(deltas.slice(1, 4)).toEqual([
      { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'a', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"x"' } }] },
      { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] },
    ]);
  });

  it('refuses a wrong or missing key with OpenAI’s 401 bodies', async () => {
    const wrong = new OpenAI({ apiKey: 'sk-wrong-key-123456', baseURL: fake.apiBase, maxRetries: 0 });
    await expect(wrong.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
      type: 'invalid_request_error',
    });
    const res = await request(`${fake.apiBase}/models`);
    expect(res.statusCode).toBe(401);
    expect(((await res.body.json()) as { error: { message: string } }).error.message).toMatch(/You didn't provide an API key/);
  });

  it('answers scripted errors with OpenAI’s bodies and headers', async () => {
    fake.enqueue({ kind: 'error', status: 429 });
    const limited = await client.chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'requests' });
    expect((limited as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('1');

    fake.enqueue({ kind: 'error', status: 500 });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toBeInstanceOf(OpenAI.InternalServerError);

    const res = await request(`${fake.apiBase}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-openai' },
      body: JSON.stringify({ model: 'gpt-4o' }),
    });
    expect(res.statusCode).toBe(400);
    expect(await res.body.json()).toEqual({
      error: {
        message: "Missing required parameter: 'messages'.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'missing_required_parameter',
      },
    });
  });

  it('fails mid-stream with a data: {"error"} line and no [DONE]', async () => {
    fake.enqueue({ kind: 'midStreamError', message: 'boom', afterEvents: 3 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const received: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    ).rejects.toMatchObject({ message: expect.stringContaining('boom') });
    expect(received).toHaveLength(3);

    fake.enqueue({ kind: 'midStreamError' });
    const res = await request(`${fake.apiBase}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-openai' },
      body: JSON.stringify({ model: 'gpt-4o', messages, stream: true }),
    });
    const text = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(text).not.toContain('[DONE]');
    expect(JSON.parse(sseEvents(text).pop()!.data)).toEqual({
      error: {
        message: 'The server had an error while processing your request. Sorry about that!',
        type: 'server_error',
        param: null,
        code: null,
      },
    });
  });

  it('answers the Responses API as the SDK reads it: output_text, function calls, cached and reasoning usage', async () => {
    fake.enqueue({
      kind: 'reply',
      text: 'Listing.',
      toolCalls: [{ id: 'call_ls', name: 'exec_command', arguments: { cmd: 'ls' } }],
      promptTokens: 900,
      cachedTokens: 512,
      completionTokens: 30,
      reasoningTokens: 12,
    });
    const response = await client.responses.create({ model: 'gpt-4o', instructions: 'Be brief.', input: 'Say héllo' });
    expect(response.output_text).toBe('Listing.');
    expect(response.output[1]).toMatchObject({
      type: 'function_call',
      call_id: 'call_ls',
      name: 'exec_command',
      arguments: '{"cmd":"ls"}',
    });
    expect(response.usage).toEqual({
      input_tokens: 900,
      input_tokens_details: { cached_tokens: 512 },
      output_tokens: 30,
      output_tokens_details: { reasoning_tokens: 12 },
      total_tokens: 930,
    });
    // "Be brief." + "Say héllo" = 18 UTF-16 units → 5 tokens, as for the same chat request.
    fake.enqueue({ kind: 'reply' });
    expect((await client.responses.create({ model: 'gpt-4o', instructions: 'Be brief.', input: 'Say héllo' })).usage?.input_tokens).toBe(5);
  });

  it('streams the Responses event sequence with sequence numbers, reasoning summary first, incomplete after a length stop', async () => {
    fake.enqueue({ kind: 'reply', text: 'ab', chunks: ['a', 'b'], reasoningSummary: 'hm', finishReason: 'length' });
    const events = [];
    for await (const event of await client.responses.create({ model: 'gpt-4o', input: 'hi', stream: true })) events.push(event);
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.incomplete',
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(events[events.length - 1]).toMatchObject({
      response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } },
    });
  });

  it('fails a Responses stream mid-way with an error event, then response.failed', async () => {
    fake.enqueue({ kind: 'midStreamError', message: 'boom', errorType: 'server_error', afterEvents: 3 });
    const res = await request(`${fake.apiBase}/responses`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-openai' },
      body: JSON.stringify({ model: 'gpt-4o', input: 'hi', stream: true }),
    });
    const events = sseEvents(await res.body.text());
    expect(events.map((event) => event.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'error',
      'response.failed',
    ]);
    expect(JSON.parse(events[3].data)).toEqual({ type: 'error', sequence_number: 3, code: 'server_error', message: 'boom', param: null });
    expect(JSON.parse(events[4].data)).toMatchObject({
      sequence_number: 4,
      response: { status: 'failed', error: { code: 'server_error', message: 'boom' } },
    });
  });

  it('serves embeddings as floats and as the SDK’s default base64, and lists models', async () => {
    const viaSdk = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['héllo', 'wörld'] });
    expect(viaSdk.data.map((d) => d.embedding)).toEqual([fakeEmbedding('héllo'), fakeEmbedding('wörld')]);
    expect(viaSdk.usage).toEqual({ prompt_tokens: estimateTokens('héllo') + estimateTokens('wörld'), total_tokens: 4 });
    expect(fake.lastRequest?.body).toMatchObject({ encoding_format: 'base64' });

    const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x', encoding_format: 'float', dimensions: 3 });
    expect(floats.data[0].embedding).toEqual(fakeEmbedding('x', 3));

    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small']);
  });

  it('works with \\r\\n line endings, cutting between \\r and \\n', async () => {
    const crlf = new OpenAIFake({ lineEnding: '\r\n' });
    await crlf.start();
    try {
      const sdk = new OpenAI({ apiKey: 'anything', baseURL: crlf.apiBase, maxRetries: 0 });
      const stream = await sdk.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe(DEFAULT_REPLY_TEXT);

      const res = await request(`${crlf.apiBase}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'm', messages, stream: true }),
      });
      const chunks = await receiveChunks(res);
      expect(chunks.some((c) => c[c.length - 1] === 0x0d)).toBe(true);
    } finally {
      await crlf.stop();
    }
  });
});

describe('AnthropicFake', () => {
  const fake = new AnthropicFake({ apiKey: 'sk-ant-test' });
  let client: Anthropic;

  beforeAll(async () => {
    await fake.start();
    client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.url, maxRetries: 0 });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  const params = {
    model: 'claude-sonnet-4-6',
    max_tokens: 256,
    system: 'Be brief.',
    messages: [{ role: 'user' as const, content: 'Say héllo' }],
  };

  it('answers a non-streamed Message with cache usage that adds up to the prompt', async () => {
    expect(promptTokensForAnthropic(params)).toBe(5);
    fake.enqueue({ kind: 'reply', cacheReadInputTokens: 3, cacheCreationInputTokens: 1, outputTokens: 17 });
    const message = await client.messages.create(params);
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [{ type: 'text', text: DEFAULT_REPLY_TEXT }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 1, cache_read_input_tokens: 3, cache_creation_input_tokens: 1, output_tokens: 17 },
    });
    // This SDK release authenticates with `authorization: Bearer` and its own anthropic-version date.
    expect(fake.lastRequest?.headers).toMatchObject({ authorization: 'Bearer sk-ant-test', 'anthropic-version': expect.any(String) });
  });

  it('streams events the SDK assembles into the same Message, tool input included', async () => {
    const input = { city: 'Zürich', units: 'metric' };
    fake.enqueue({
      kind: 'reply',
      text: 'Let me check… ✓',
      thinking: { text: 'The user wants weather.', signature: 'sig-1' },
      toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: input }],
      cacheReadInputTokens: 2,
      outputTokens: 33,
    });
    const final = await client.messages.stream(params).finalMessage();
    expect(final.content).toEqual([
      { type: 'thinking', thinking: 'The user wants weather.', signature: 'sig-1' },
      { type: 'text', text: 'Let me check… ✓' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input },
    ]);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.usage).toMatchObject({ input_tokens: 3, cache_read_input_tokens: 2, cache_creation_input_tokens: 0, output_tokens: 33 });
  });

  it('sends message_start, ping, block events, cumulative message_delta and message_stop in pieces', async () => {
    const res = await request(`${fake.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ ...params, stream: true }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['request-id']).toMatch(/^req_/);
    const chunks = await receiveChunks(res);
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.some(endsInsideCharacter)).toBe(true);
    const events = sseEvents(Buffer.concat(chunks).toString('utf8'));
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...Array(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const e of events) expect(JSON.parse(e.data).type).toBe(e.event);
    expect(JSON.parse(events[0].data).message.usage).toMatchObject({ input_tokens: 5, output_tokens: 1 });
    expect(JSON.parse(events[events.length - 2].data)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: DEFAULT_COMPLETION_TOKENS },
    });
    expect(fake.lastRequest?.query).toEqual({ beta: 'true' });
  });

  it('records the exact request body bytes', async () => {
    const raw = '{ "model":"claude-haiku-4-5",\n  "max_tokens": 8, "messages":[{"role":"user","content":"日本 \\u00e9"}] }';
    await request(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-ant-test', 'anthropic-version': '2023-06-01' },
      body: raw,
    }).then((r) => r.body.dump());
    expect(fake.lastRequest?.rawBody).toBe(raw);
  });

  it('validates headers and required fields like Anthropic', async () => {
    const post = (headers: Record<string, string>, body: unknown) =>
      request(`${fake.url}/v1/messages`, { method: 'POST', headers, body: JSON.stringify(body) });

    const noVersion = await post({ 'x-api-key': 'sk-ant-test' }, params);
    expect(noVersion.statusCode).toBe(400);
    expect(await noVersion.body.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
    });

    const { max_tokens: _omitted, ...withoutMax } = params;
    const noMax = await post({ 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' }, withoutMax);
    expect(noMax.statusCode).toBe(400);
    expect(await noMax.body.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });

    const wrong = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: fake.url, maxRetries: 0 });
    await expect(wrong.messages.create(params)).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('answers scripted errors with Anthropic’s bodies and request-id', async () => {
    fake.enqueue({ kind: 'error', status: 529 });
    const overloaded = (await client.messages.create(params).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(overloaded.status).toBe(529);
    expect(overloaded.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(overloaded.requestID).toMatch(/^req_/);

    fake.enqueue({ kind: 'error', status: 429, message: 'slow down' });
    const limited = await client.messages.create(params).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect((limited as InstanceType<typeof Anthropic.RateLimitError>).headers.get('retry-after')).toBe('1');
  });

  it('fails mid-stream with event: error after a 200', async () => {
    fake.enqueue({ kind: 'midStreamError' });
    const stream = client.messages.stream(params);
    await expect(stream.finalMessage()).rejects.toMatchObject({
      error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });

    fake.enqueue({ kind: 'midStreamError', afterEvents: 2 });
    const res = await request(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ ...params, stream: true }),
    });
    const events = sseEvents(await res.body.text());
    expect(events.map((e) => e.event)).toEqual(['message_start', 'content_block_start', 'error']);
  });

  it('counts tokens and lists models', async () => {
    const { max_tokens: _omitted, ...countParams } = params;
    await expect(client.messages.countTokens(countParams)).resolves.toEqual({ input_tokens: 5 });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['claude-sonnet-4-6', 'claude-opus-4-6', 'claude-haiku-4-5']);
  });
});

describe('OllamaFake', () => {
  const fake = new OllamaFake({ models: ['llama3.2', 'nomic-embed-text:latest'] });
  const chat = {
    model: 'llama3.2',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say héllo' },
    ],
  };

  beforeAll(() => fake.start());
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  it('answers the liveness, version and tags endpoints', async () => {
    const root = await request(`${fake.url}/`);
    expect(await root.body.text()).toBe('Ollama is running');
    expect(await (await request(`${fake.url}/api/version`)).body.json()).toEqual({ version: '0.12.6' });
    const tags = (await (await request(`${fake.url}/api/tags`)).body.json()) as { models: Array<{ name: string }> };
    expect(tags.models.map((m) => m.name)).toEqual(['llama3.2:latest', 'nomic-embed-text:latest']);
  });

  it('streams NDJSON by default when `stream` is absent, with counters on the last line', async () => {
    const res = await request(`${fake.url}/api/chat`, { method: 'POST', body: JSON.stringify(chat) });
    expect(res.headers['content-type']).toBe('application/x-ndjson');
    const chunks = await receiveChunks(res);
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.some(endsInsideCharacter)).toBe(true);
    const lines = Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
    expect(lines.slice(0, -1).every((l) => l.done === false && l.model === 'llama3.2' && typeof l.created_at === 'string')).toBe(true);
    expect(lines.map((l) => l.message.content).join('')).toBe(DEFAULT_REPLY_TEXT);
    expect(promptTokensForOllama(chat)).toBe(5);
    expect(lines[lines.length - 1]).toEqual({
      model: 'llama3.2',
      created_at: expect.any(String),
      message: { role: 'assistant', content: '' },
      done_reason: 'stop',
      done: true,
      total_duration: DEFAULT_OLLAMA_DURATIONS.total,
      load_duration: DEFAULT_OLLAMA_DURATIONS.load,
      prompt_eval_count: 5,
      prompt_eval_duration: DEFAULT_OLLAMA_DURATIONS.promptEval,
      eval_count: DEFAULT_COMPLETION_TOKENS,
      eval_duration: DEFAULT_OLLAMA_DURATIONS.eval,
    });
  });

  it('answers one JSON object when stream is false, tool-call arguments as an object', async () => {
    fake.enqueue({ kind: 'reply', toolCalls: [{ name: 'get_weather', arguments: { city: 'Zürich' } }], evalCount: 0 });
    const res = await request(`${fake.url}/api/chat`, { method: 'POST', body: JSON.stringify({ ...chat, stream: false }) });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = (await res.body.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      done: true,
      done_reason: 'stop',
      message: {
        role: 'assistant',
        content: '',
        tool_calls: [{ id: expect.stringMatching(/^call_/), function: { index: 0, name: 'get_weather', arguments: { city: 'Zürich' } } }],
      },
    });
    // Go's omitempty: a zero counter is absent, not 0.
    expect(body).not.toHaveProperty('eval_count');
  });

  it('refuses a model that is not pulled with Ollama’s 404', async () => {
    const chatRes = await request(`${fake.url}/api/chat`, { method: 'POST', body: JSON.stringify({ ...chat, model: 'mistral' }) });
    expect(chatRes.statusCode).toBe(404);
    expect(await chatRes.body.json()).toEqual({ error: "model 'mistral' not found" });
    const embedRes = await request(`${fake.url}/api/embed`, { method: 'POST', body: JSON.stringify({ model: 'mistral', input: 'x' }) });
    expect(embedRes.statusCode).toBe(404);
    expect(await embedRes.body.json()).toEqual({ error: 'model "mistral" not found, try pulling it first' });
  });

  it('reports a failure after the 200 as an {"error"} line', async () => {
    fake.enqueue({ kind: 'midStreamError', message: 'llama runner process has terminated: signal: killed' });
    const res = await request(`${fake.url}/api/chat`, { method: 'POST', body: JSON.stringify(chat) });
    expect(res.statusCode).toBe(200);
    const lines = (await res.body.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[2]).toEqual({ error: 'llama runner process has terminated: signal: killed' });
  });

  it('embeds deterministically', async () => {
    const res = await request(`${fake.url}/api/embed`, {
      method: 'POST',
      body: JSON.stringify({ model: 'nomic-embed-text', input: ['héllo', 'wörld'] }),
    });
    expect(await res.body.json()).toEqual({
      model: 'nomic-embed-text',
      embeddings: [fakeEmbedding('héllo'), fakeEmbedding('wörld')],
      total_duration: DEFAULT_OLLAMA_DURATIONS.total,
      load_duration: DEFAULT_OLLAMA_DURATIONS.load,
      prompt_eval_count: 4,
    });
  });

  it('refuses connections once stopped and serves again on the same port after restart()', async () => {
    const port = fake.port;
    await fake.stop();
    expect((await connectionError(`${fake.url}/api/tags`)).code).toBe('ECONNREFUSED');
    expect(await fake.restart()).toBe(`http://127.0.0.1:${port}`);
    const res = await request(`${fake.url}/`);
    expect(await res.body.text()).toBe('Ollama is running');
  });
});

describe('scripted connection behaviours', () => {
  const fake = new OllamaFake();
  const chat = { model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] };
  const post = (options: Partial<Dispatcher.RequestOptions> = {}) =>
    request(`${fake.url}/api/chat`, { method: 'POST', body: JSON.stringify(chat), ...options } as Parameters<typeof request>[1]);

  beforeAll(() => fake.start());
  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  it('applies scripted behaviours in order, only to matching requests', async () => {
    fake.enqueue({ kind: 'error', status: 503 }).enqueue({ kind: 'reply', text: 'second' });
    await request(`${fake.url}/api/tags`).then((r) => r.body.dump());
    const first = await post();
    expect(first.statusCode).toBe(503);
    expect(await first.body.json()).toEqual({ error: 'server busy, please try again.  maximum pending requests exceeded' });
    const second = await post({ body: JSON.stringify({ ...chat, stream: false }) });
    expect(((await second.body.json()) as { message: { content: string } }).message.content).toBe('second');
    expect(fake.pendingBehaviours).toBe(0);
    expect(fake.requests.map((r) => r.behaviour)).toEqual(['default', 'error', 'reply']);
  });

  it('delays the first byte, before or after the headers', async () => {
    fake.enqueue({ kind: 'slowFirstByte', delayMs: 300 });
    let started = Date.now();
    const slow = await post();
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    await slow.body.dump();

    fake.enqueue({ kind: 'slowFirstByte', delayMs: 300, afterHeaders: true });
    started = Date.now();
    const open = await post();
    expect(Date.now() - started).toBeLessThan(200);
    const bodyStarted = Date.now();
    await open.body.text();
    expect(Date.now() - bodyStarted).toBeGreaterThanOrEqual(250);
  });

  it('hangs until the client gives up, and resets connections on demand', async () => {
    fake.enqueue({ kind: 'hang' });
    await expect(post({ headersTimeout: 200 })).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });

    fake.enqueue({ kind: 'destroy' });
    // Errors from undici come from another realm than jest's, so they are checked by code, not class.
    const reset = (await post().catch((e: unknown) => e)) as { code?: string };
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(reset.code);
  });

  it('applies default-reply overrides and sends string error bodies verbatim', async () => {
    fake.setDefaultReply({ text: 'always this', evalCount: 77 });
    const first = (await (await post({ body: JSON.stringify({ ...chat, stream: false }) })).body.json()) as Record<string, unknown>;
    expect(first).toMatchObject({ message: { content: 'always this' }, eval_count: 77 });

    fake.enqueue({ kind: 'error', status: 502, body: '<html>502 Bad Gateway</html>' });
    const proxied = await post();
    expect(proxied.statusCode).toBe(502);
    expect(proxied.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(await proxied.body.text()).toBe('<html>502 Bad Gateway</html>');
  });

  it('marks a request aborted when the client leaves mid-stream', async () => {
    const controller = new AbortController();
    const res = await post({ signal: controller.signal });
    for await (const _chunk of res.body) {
      controller.abort();
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.requests[0].aborted).toBe(true);
  });

  it('fails a hung request at once when the fake stops', async () => {
    fake.enqueue({ kind: 'hang' });
    const pending = post().catch((e: unknown) => e);
    await fake.waitForRequests(1);
    const stoppedAt = Date.now();
    await fake.stop();
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(((await pending) as { code?: string }).code);
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
    expect(fake.requests[0].aborted).toBe(true);
    await fake.restart();
  });
});

describe('fakes that lie about usage', () => {
  const openai = new OpenAIFake();
  const anthropic = new AnthropicFake();
  const ollama = new OllamaFake();
  const messages = [{ role: 'user', content: 'hi' }];
  const postJson = async (url: string, body: unknown, headers: Record<string, string> = {}) =>
    (
      await request(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } })
    ).body.text();
  const LIE = { prompt_tokens: -5, completion_tokens: 1.5 };

  beforeAll(() => Promise.all([openai.start(), anthropic.start(), ollama.start()]));
  afterEach(() => [openai, anthropic, ollama].forEach((fake) => fake.reset()));
  afterAll(() => Promise.all([openai.stop(), anthropic.stop(), ollama.stop()]));

  it('OpenAI: sends a scripted usage object verbatim, or none at all, streamed or not', async () => {
    openai.enqueue({ kind: 'reply', usage: LIE }).enqueue({ kind: 'reply', usage: null });
    expect(JSON.parse(await postJson(`${openai.apiBase}/chat/completions`, { model: 'gpt-4o', messages })).usage).toEqual(LIE);
    const stream = await postJson(`${openai.apiBase}/chat/completions`, {
      model: 'gpt-4o',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(stream).not.toContain('"prompt_tokens"');
    expect(stream).toContain('data: [DONE]');
  });

  it('OpenAI: puts streamed usage on the finish chunk, which still carries choices', async () => {
    openai.enqueue({ kind: 'reply', promptTokens: 1000, completionTokens: 450, usageOnChoicesChunk: true });
    const text = await postJson(`${openai.apiBase}/chat/completions`, {
      model: 'gpt-4o',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)));
    const withUsage = chunks.filter((c) => c.usage);
    expect(withUsage).toHaveLength(1);
    expect(withUsage[0].choices[0].finish_reason).toBe('stop');
    expect(withUsage[0].usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 450 });
  });

  it('Anthropic: the scripted usage replaces it in message_start, message_delta and a whole message', async () => {
    const headers = { 'anthropic-version': '2023-06-01', 'x-api-key': 'k' };
    const lie = { input_tokens: -500, output_tokens: '9' };
    anthropic.enqueue({ kind: 'reply', usage: lie }).enqueue({ kind: 'reply', usage: null });
    const body = { model: 'claude-sonnet-4-6', max_tokens: 10, messages };
    expect(JSON.parse(await postJson(`${anthropic.url}/v1/messages`, body, headers)).usage).toEqual(lie);
    const stream = await postJson(`${anthropic.url}/v1/messages`, { ...body, stream: true }, headers);
    expect(stream).not.toContain('"usage"');
    expect(stream).toContain('event: message_stop');
  });

  it('Ollama: the scripted counts replace prompt_eval_count and eval_count', async () => {
    ollama.enqueue({ kind: 'reply', usage: { prompt_eval_count: -3 } });
    const answer = JSON.parse(await postJson(`${ollama.url}/api/chat`, { model: 'llama3.2', messages, stream: false }));
    expect(answer.prompt_eval_count).toBe(-3);
    expect(answer).not.toHaveProperty('eval_count');
  });

  it('answers 200 with an error body, or with text that is not JSON, when scripted as an error with status 200', async () => {
    openai
      .enqueue({ kind: 'error', status: 200, body: { error: { message: 'boom' } } })
      .enqueue({ kind: 'error', status: 200, body: '<html>' });
    expect(JSON.parse(await postJson(`${openai.apiBase}/chat/completions`, { model: 'gpt-4o', messages }))).toEqual({
      error: { message: 'boom' },
    });
    expect(await postJson(`${openai.apiBase}/chat/completions`, { model: 'gpt-4o', messages })).toBe('<html>');
  });
});
