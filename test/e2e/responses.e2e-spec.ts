/**
 * OpenAI's Responses API through the gateway with the official `openai` SDK
 * (`client.responses.create`, streamed and not) on OpenAI (relayed), Anthropic and Ollama
 * (translated) deployments: the event sequence, function calls, reasoning summaries, conversation
 * state across backends and fallbacks, per-key ownership, budgets and the ledger.
 */
import { randomUUID } from 'node:crypto';

import OpenAI, { type APIError } from 'openai';

import { AdminApi, uniqueId, usdToNanos, waitFor } from '../support/admin-api';
import { AgentBackends, OPENAI_KEY } from '../support/agent-backends';
import { caught, collectChunks } from '../support/e2e-helpers';
import { costNanos } from '../support/expected-cost';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const backends = new AgentBackends('local');
const { openai, anthropic, ollama } = backends;

let gateway: TestGateway;
let admin: AdminApi;

const RUN_TOOL: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'run',
  description: 'Runs a shell command',
  parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] },
  strict: false,
};

beforeAll(async () => {
  await backends.start();
  gateway = await startTestGateway(backends.gatewayConfig());
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
});

afterEach(() => backends.reset());

afterAll(async () => {
  await gateway?.close();
  await backends.stop();
});

function client(key: string, sessionId = randomUUID()): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0, defaultHeaders: { 'session-id': sessionId } });
}

async function newKey(fields: Record<string, unknown> = {}): Promise<string> {
  return (await admin.generateKey({ key_alias: uniqueId('responses'), ...fields })).key;
}

async function sessionLogs(sessionId: string, count: number): Promise<Record<string, any>[]> {
  return waitFor(
    async () => {
      const response = await admin.send<Record<string, any>[]>(`/spend/logs?session_id=${encodeURIComponent(sessionId)}`);
      return response.json.length >= count ? response.json : undefined;
    },
    5_000,
    25,
    `${count} ledger rows for session ${sessionId}`,
  );
}

function typesOf(events: { type: string }[]): string[] {
  return events.map((event) => event.type);
}

/** Event types with runs of the same delta event collapsed to one, where the number of pieces is the upstream's choice. */
function shapeOf(events: { type: string }[]): string[] {
  return typesOf(events).filter((type, index, all) => !(type.endsWith('.delta') && all[index - 1] === type));
}

describe('an OpenAI deployment (relayed)', () => {
  it('relays the body untouched but for the model, and bills cached and reasoning tokens exactly', async () => {
    const key = await newKey();
    const sessionId = randomUUID();
    openai.enqueue({ kind: 'reply', text: 'relayed', promptTokens: 2000, cachedTokens: 1536, completionTokens: 40, reasoningTokens: 16 });

    const fields = {
      instructions: 'Be brief.',
      input: 'hello',
      include: ['reasoning.encrypted_content' as const],
      prompt_cache_key: 'cache-1',
      metadata: { ticket: 'T-1' },
      store: true,
    };

    const response = await client(key, sessionId).responses.create({ model: 'gpt', ...fields });

    expect(response.output_text).toBe('relayed');
    expect(response.usage).toMatchObject({
      input_tokens: 2000,
      input_tokens_details: { cached_tokens: 1536 },
      output_tokens_details: { reasoning_tokens: 16 },
    });
    const sent = openai.requestsTo('/v1/responses')[0];
    expect(sent.body).toEqual({ model: 'gpt-4o', ...fields });
    expect(sent.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    const [row] = await sessionLogs(sessionId, 1);
    expect(row).toMatchObject({ call_type: 'responses', status: 'success', model_group: 'gpt', session_id: sessionId });
    expect(usdToNanos(row.spend)).toBe(costNanos('gpt-4o', { freshInput: 2000 - 1536, cacheRead: 1536, output: 40 }));
  });

  it('answers an upstream 200 whose body is not JSON with a 502, never an internal error', async () => {
    openai.enqueue({ kind: 'error', status: 200, body: '<html>proxy login</html>' }, '/v1/responses');

    const error = (await caught(() => client(TEST_MASTER_KEY).responses.create({ model: 'gpt', input: 'hi' }))) as APIError;

    expect(error.status).toBe(502);
    expect(error.error).toMatchObject({ code: 'bad_upstream_response' });
  });

  it('relays every streamed event in order, with its sequence number', async () => {
    const key = await newKey();
    openai.enqueue({ kind: 'reply', text: 'one two', reasoningSummary: 'thinking it over' });

    const events = await collectChunks(
      await client(key).responses.create({ model: 'gpt', input: 'hi', stream: true, reasoning: { summary: 'auto' } }),
    );

    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(typesOf(events)).toContain('response.reasoning_summary_text.delta');
    expect(events[events.length - 1]).toMatchObject({
      type: 'response.completed',
      response: { output: [{ type: 'reasoning' }, { type: 'message' }] },
    });
  });

  it('survives an upstream that fails mid-stream: the client gets response.failed and the ledger an error', async () => {
    const key = await newKey();
    const sessionId = randomUUID();
    openai.enqueue({ kind: 'midStreamError', afterEvents: 4, message: 'upstream broke' });

    const events = await collectChunks(await client(key, sessionId).responses.create({ model: 'gpt', input: 'hi', stream: true }));

    expect(events[events.length - 1]).toMatchObject({
      type: 'response.failed',
      response: { status: 'failed', error: { message: 'upstream broke' } },
    });
    const [row] = await sessionLogs(sessionId, 1);
    expect(row).toMatchObject({ call_type: 'responses', status: 'error' });
  });
});

describe.each([
  { name: 'Anthropic', alias: 'claude', received: () => anthropic.requestsTo('/v1/messages') },
  { name: 'Ollama', alias: 'local', received: () => ollama.requestsTo('/api/chat') },
])('a translated $name deployment', ({ alias, received }) => {
  it('streams the documented event sequence for a text answer', async () => {
    const events = await collectChunks(await client(await newKey()).responses.create({ model: alias, input: 'hi', stream: true }));

    expect(shapeOf(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const completed = events[events.length - 1] as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.response.output).toEqual([
      expect.objectContaining({ type: 'message', content: [expect.objectContaining({ text: 'héllo wörld ✓ 日本 🚀' })] }),
    ]);
    expect(completed.response.usage?.output_tokens).toBe(9);
    expect(completed.response.model).toBe(alias);
  });

  it('runs a function-call loop: the call streams as argument deltas, its output goes back as a tool result', async () => {
    const key = await newKey();
    const api = client(key);
    const upstream = alias === 'claude' ? anthropic : ollama;
    upstream.enqueue({ kind: 'reply', text: '', toolCalls: [{ id: 'call_run_1', name: 'run', arguments: { cmd: 'ls' } }] });

    const events = await collectChunks(
      await api.responses.create({ model: alias, input: 'list files', tools: [RUN_TOOL, { type: 'web_search' }], stream: true }),
    );

    const done = events.find((event) => event.type === 'response.output_item.done') as OpenAI.Responses.ResponseOutputItemDoneEvent;
    expect(done.item).toMatchObject({ type: 'function_call', name: 'run', arguments: '{"cmd":"ls"}' });
    const callId = (done.item as OpenAI.Responses.ResponseFunctionToolCall).call_id;
    expect(
      events
        .filter((event) => event.type === 'response.function_call_arguments.delta')
        .map((event) => (event as { delta: string }).delta)
        .join(''),
    ).toBe('{"cmd":"ls"}');
    const first = (events[events.length - 1] as OpenAI.Responses.ResponseCompletedEvent).response;

    const answer = await api.responses.create({
      model: alias,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: callId, output: 'a.txt' }],
      tools: [RUN_TOOL],
    });

    expect(answer.output_text).toBe('héllo wörld ✓ 日本 🚀');
    expect(answer.previous_response_id).toBe(first.id);
    const second = JSON.stringify(received()[1].body);
    // The stored turn (the user's words and the call) came back, then the tool's output.
    expect(second).toContain('list files');
    expect(second).toContain('a.txt');
    // Hosted tools are left out for a backend that cannot run them.
    expect(JSON.stringify(received()[0].body)).not.toContain('web_search');
  });

  it('refuses a tool_choice that forces a hosted tool with a 400 naming it', async () => {
    const error = (await caught(() =>
      client(TEST_MASTER_KEY).responses.create({
        model: alias,
        input: 'x',
        tools: [{ type: 'web_search' }],
        tool_choice: { type: 'web_search' } as never,
      }),
    )) as APIError;
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({ param: 'tool_choice', type: 'invalid_request_error' });
  });
});

describe('reasoning summaries from a translated backend', () => {
  it("turns Anthropic's thinking into reasoning summary events when the client asks for a summary", async () => {
    anthropic.enqueue({ kind: 'reply', text: 'done', thinking: { text: 'let me think', signature: 'sig' } });

    const events = await collectChunks(
      await client(await newKey()).responses.create({
        model: 'claude',
        input: 'q',
        stream: true,
        reasoning: { effort: 'low', summary: 'auto' },
      }),
    );

    expect(shapeOf(events).slice(2, 9)).toEqual([
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
    ]);
    const completed = events[events.length - 1] as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.response.output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'let me think' }] });
  });
});

describe('conversation state', () => {
  it('continues a conversation after a fallback moved it from Ollama to Anthropic', async () => {
    const api = client(await newKey());
    const first = await api.responses.create({ model: 'local', input: 'remember the word kiwi' });
    await ollama.stop();

    const second = await api.responses.create({ model: 'local', previous_response_id: first.id, input: 'which word?' });

    expect(second.previous_response_id).toBe(first.id);
    const sent = anthropic.requestsTo('/v1/messages')[0].body as { messages: { role: string; content: unknown }[] };
    expect(sent.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(sent.messages)).toContain('remember the word kiwi');
    expect(JSON.stringify(sent.messages[1])).toContain('héllo wörld');
  });

  it('expands a stored conversation for an OpenAI deployment, which never sees previous_response_id', async () => {
    const api = client(await newKey());
    const first = await api.responses.create({ model: 'claude', input: 'first' });

    await api.responses.create({ model: 'gpt', previous_response_id: first.id, input: 'second' });

    const body = openai.requestsTo('/v1/responses')[0].body as Record<string, any>;
    expect(body.previous_response_id).toBeUndefined();
    expect(body.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'first' }] },
      {
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'héllo wörld ✓ 日本 🚀', annotations: [] }],
      },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'second' }] },
    ]);
  });

  it('serves GET, input_items and DELETE to the key that created the response, and to no other key', async () => {
    const owner = client(await newKey());
    const stranger = client(await newKey());
    const created = await owner.responses.create({
      model: 'claude',
      input: [
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ],
    });

    expect((await owner.responses.retrieve(created.id)).output_text).toBe(created.output_text);
    const items = await owner.responses.inputItems.list(created.id, { order: 'asc' });
    expect(items.data.map((item) => (item as { content: unknown }).content)).toEqual(['a', 'b']);
    for (const attempt of [
      () => stranger.responses.retrieve(created.id),
      () => stranger.responses.delete(created.id),
      () => stranger.responses.create({ model: 'claude', previous_response_id: created.id, input: 'x' }),
    ]) {
      const error = (await caught(attempt)) as APIError;
      expect([400, 404]).toContain(error.status);
      expect(error.message).toContain(created.id);
    }

    await owner.responses.delete(created.id);
    expect(((await caught(() => owner.responses.retrieve(created.id))) as APIError).status).toBe(404);
  });

  it('stores nothing with store: false', async () => {
    const api = client(await newKey());
    const created = await api.responses.create({ model: 'claude', input: 'secret', store: false });

    expect(((await caught(() => api.responses.retrieve(created.id))) as APIError).status).toBe(404);
    const error = (await caught(() => api.responses.create({ model: 'claude', previous_response_id: created.id, input: 'x' }))) as APIError;
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({ param: 'previous_response_id', code: 'previous_response_not_found' });
  });
});

describe('governance', () => {
  it('refuses a key over its budget before any upstream call, in OpenAI dialect', async () => {
    const key = await newKey({ max_budget: 0.000001 });
    const error = (await caught(() =>
      client(key).responses.create({ model: 'claude', input: 'hello there', max_output_tokens: 1000 }),
    )) as APIError;
    expect(error.status).toBe(429);
    expect(error.error).toMatchObject({ type: 'budget_exceeded' });
    expect(anthropic.requests).toHaveLength(0);
  });

  it("holds a key to its rpm_limit as on chat completions, with LiteLLM's retry hint", async () => {
    const api = client(await newKey({ rpm_limit: 1 }));
    await api.responses.create({ model: 'claude', input: 'one' });

    const error = (await caught(() => api.responses.create({ model: 'claude', input: 'two' }))) as APIError;

    expect(error.status).toBe(429);
    expect(error.error).toMatchObject({ type: 'rate_limit_exceeded', code: 'rpm_limit_exceeded' });
    expect(error.headers?.get('retry-after')).toMatch(/^\d+$/);
    expect(anthropic.requests).toHaveLength(1);
  });

  it('tells the exact cost of a translated answer in its headers, Anthropic cache reads and writes priced apart', async () => {
    const key = await newKey();
    anthropic.enqueue({
      kind: 'reply',
      text: 'cached',
      inputTokens: 12,
      cacheReadInputTokens: 1800,
      cacheCreationInputTokens: 60,
      outputTokens: 7,
    });

    const { data, response } = await client(key).responses.create({ model: 'claude', input: 'hello' }).withResponse();

    expect(data.usage).toMatchObject({ input_tokens: 1872, input_tokens_details: { cached_tokens: 1800 }, output_tokens: 7 });
    const expected = costNanos('claude-sonnet-4-6', { freshInput: 12, cacheRead: 1800, cacheWrite: 60, output: 7 });
    expect(usdToNanos(Number(response.headers.get('x-litellm-response-cost')))).toBe(expected);
    expect(response.headers.get('x-litellm-model-group')).toBe('claude');
  });

  it('ends a translated stream that breaks mid-way with response.failed, billed as an error', async () => {
    const sessionId = randomUUID();
    anthropic.enqueue({ kind: 'midStreamError', afterEvents: 4, errorType: 'overloaded_error', message: 'Overloaded' });

    const events = await collectChunks(
      await client(await newKey(), sessionId).responses.create({ model: 'claude', input: 'hi', stream: true }),
    );

    expect(events[0].type).toBe('response.created');
    expect(events[events.length - 1]).toMatchObject({
      type: 'response.failed',
      response: { status: 'failed', error: { message: expect.stringContaining('Overloaded') } },
    });
    const [row] = await sessionLogs(sessionId, 1);
    expect(row).toMatchObject({ call_type: 'responses', status: 'error' });
  });

  it("serves LiteLLM's unprefixed /responses route too", async () => {
    const response = await fetch(`${gateway.url}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude', input: 'hi' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ object: 'response', status: 'completed', model: 'claude' });
  });

  it.each([
    [{ model: 'claude' }, 'input'],
    [{ model: 'claude', input: 7 }, 'input'],
    [{ model: 'claude', input: 'x', tools: [{ type: 'function' }] }, 'tools[0].name'],
    [{ model: 'claude', input: 'x', text: { format: { type: 'json_schema', schema: {} } } }, 'text.format.name'],
    [{ model: 'claude', input: [{ type: 'mystery' }] }, 'input[0].type'],
  ])('answers malformed input %j with a 400 naming %s', async (body, param) => {
    const error = (await caught(() => client(TEST_MASTER_KEY).responses.create(body as never))) as APIError;
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({ param, type: 'invalid_request_error' });
  });
});
