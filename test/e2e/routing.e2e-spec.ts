/**
 * Routing through the real gateway: fallbacks, cooldowns, load-balanced groups, which upstream
 * failures are retried, and the status a client sees for each kind of upstream failure.
 */
import type OpenAI from 'openai';
import { APIError, BadRequestError, InternalServerError, RateLimitError } from 'openai';

import { AnthropicFake, chunkText, DEFAULT_REPLY_TEXT, OllamaFake, OpenAIFake } from '../fakes';
import { caught, collectChunks, contentOf, drainUntilError, plainClient } from '../support/e2e-helpers';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const ANTHROPIC_KEY = 'sk-ant-test';
const OPENAI_KEY = 'sk-openai-test';
const question: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello.' }];
const ALLOWED_FAILS = 3;

describe('fallbacks, retries and upstream failures', () => {
  const ollama = new OllamaFake();
  const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
  const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
  const healthyOpenAI = new OpenAIFake({ apiKey: OPENAI_KEY });
  const failingOpenAI = new OpenAIFake({ apiKey: OPENAI_KEY });
  const strictA = new OpenAIFake({ apiKey: OPENAI_KEY });
  const strictB = new OpenAIFake({ apiKey: OPENAI_KEY });
  const hanging = new OpenAIFake({ apiKey: OPENAI_KEY });
  const fakes = [ollama, anthropic, openai, healthyOpenAI, failingOpenAI, strictA, strictB, hanging];
  let gateway: TestGateway;
  let client: OpenAI;

  const openaiDeployment = (name: string, fake: OpenAIFake, extra: Record<string, unknown> = {}) => ({
    model_name: name,
    litellm_params: { model: 'openai/gpt-4o', api_base: fake.apiBase, api_key: OPENAI_KEY, ...extra },
  });

  beforeAll(async () => {
    await Promise.all(fakes.map((fake) => fake.start()));
    gateway = await startTestGateway({
      model_list: [
        { model_name: 'local-coding', litellm_params: { model: 'ollama_chat/llama3.2', api_base: ollama.url } },
        { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY } },
        {
          model_name: 'claude-primary',
          litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY },
        },
        openaiDeployment('gpt', openai),
        // One deployment and no fallback: its failures reach the client as they are.
        openaiDeployment('gpt-solo', openai),
        openaiDeployment('balanced', healthyOpenAI),
        openaiDeployment('balanced', failingOpenAI),
        openaiDeployment('strict', strictA),
        openaiDeployment('strict', strictB),
        openaiDeployment('slow', hanging, { timeout: 1 }),
      ],
      router_settings: {
        fallbacks: [{ 'local-coding': ['claude'] }, { gpt: ['claude'] }, { strict: ['claude'] }, { 'claude-primary': ['gpt-solo'] }],
        num_retries: 2,
        // Stated rather than defaulted: the load-balancing test counts on it, and the two stopped-Ollama
        // tests (two failures) must not push local-coding into cooldown for the tests after them.
        allowed_fails: ALLOWED_FAILS,
      },
    });
    client = plainClient(gateway);
    // Warm both paths first, so that the fallback timing below measures routing, not first-use set-up.
    await client.chat.completions.create({ model: 'local-coding', messages: question });
    await client.chat.completions.create({ model: 'claude', messages: question });
    fakes.forEach((fake) => fake.reset());
  });

  afterEach(async () => {
    fakes.forEach((fake) => fake.reset());
    // Tests that stop the Ollama fake leave it stopped for the next one otherwise.
    if (ollama.isStopped) await ollama.start();
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all(fakes.map((fake) => fake.stop()));
  });

  it('falls back from a stopped Ollama to Anthropic at once', async () => {
    await ollama.stop();
    const started = performance.now();
    const { data, response } = await client.chat.completions.create({ model: 'local-coding', messages: question }).withResponse();
    const elapsedMs = performance.now() - started;

    expect(data.choices[0].message.content).toBe(DEFAULT_REPLY_TEXT);
    expect(response.headers.get('x-litellm-model-group')).toBe('claude');
    expect(response.headers.get('x-litellm-model-api-base')).toBe(anthropic.url);
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    expect(anthropic.requestsTo('/v1/messages')).toHaveLength(1);
    // Not a performance test: a refused connection must fail over immediately, so this loose bound
    // only proves no connect or request timeout (seconds at least) was waited out on the way.
    expect(elapsedMs).toBeLessThan(1000);
  });

  it('falls back for a streamed request too, before any byte reaches the client', async () => {
    await ollama.stop();
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'local-coding', messages: question, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    const chunks = await collectChunks(stream);

    expect(response.headers.get('x-litellm-model-group')).toBe('claude');
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    expect(contentOf(chunks)).toBe(DEFAULT_REPLY_TEXT);
    expect(chunks[chunks.length - 1].choices).toEqual([]);
    expect(anthropic.requestsTo('/v1/messages')).toHaveLength(1);
  });

  it('serves every request of a load-balanced group from its healthy deployment while the other fails', async () => {
    for (let i = 0; i < 20; i++) failingOpenAI.enqueue({ kind: 'error', status: 500 });
    const apiBases: Array<string | null> = [];
    for (let i = 0; i < 8; i++) {
      const { data, response } = await client.chat.completions.create({ model: 'balanced', messages: question }).withResponse();
      expect(data.choices[0].message.content).toBe(DEFAULT_REPLY_TEXT);
      apiBases.push(response.headers.get('x-litellm-model-api-base'));
      expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('0');
    }
    for (let i = 0; i < 4; i++) {
      const { data: stream, response } = await client.chat.completions
        .create({ model: 'balanced', messages: question, stream: true })
        .withResponse();
      expect(contentOf(await collectChunks(stream))).toBe(DEFAULT_REPLY_TEXT);
      apiBases.push(response.headers.get('x-litellm-model-api-base'));
    }
    expect(new Set(apiBases)).toEqual(new Set([healthyOpenAI.apiBase]));
    expect(healthyOpenAI.requestsTo('/v1/chat/completions')).toHaveLength(12);
    // After allowed_fails failures the bad twin is cooling down and no longer tried at all.
    expect(failingOpenAI.requestsTo('/v1/chat/completions').length).toBeLessThanOrEqual(ALLOWED_FAILS);
  });

  it('returns an upstream 400 as a 400 and tries neither the other deployment nor the fallback', async () => {
    const message = "Invalid value for 'temperature': must be at most 2.";
    strictA.enqueue({ kind: 'error', status: 400, message });
    strictB.enqueue({ kind: 'error', status: 400, message });

    const error = (await caught(() => client.chat.completions.create({ model: 'strict', messages: question }))) as APIError;
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({ message, type: 'invalid_request_error' });
    const attempts = strictA.requestsTo('/v1/chat/completions').length + strictB.requestsTo('/v1/chat/completions').length;
    expect(attempts).toBe(1);
    expect(anthropic.requests).toHaveLength(0);
  });

  it.each([
    {
      provider: 'openai',
      alias: 'gpt',
      script: () => openai.enqueue({ kind: 'midStreamError', afterEvents: 2, message: 'upstream exploded mid-stream' }),
      // Role chunk, one content piece, then OpenAI's error data line.
      piecesBeforeFailure: 1,
      message: 'upstream exploded mid-stream',
      upstream: () => openai.requestsTo('/v1/chat/completions'),
      fallback: () => anthropic.requests,
    },
    {
      provider: 'anthropic',
      alias: 'claude-primary',
      script: () => anthropic.enqueue({ kind: 'midStreamError', afterEvents: 4, errorType: 'overloaded_error', message: 'Overloaded' }),
      // message_start, content_block_start, ping, one text_delta, then `event: error`.
      piecesBeforeFailure: 1,
      message: 'Overloaded',
      upstream: () => anthropic.requestsTo('/v1/messages'),
      fallback: () => openai.requests,
    },
    {
      provider: 'ollama',
      alias: 'local-coding',
      script: () =>
        ollama.enqueue({ kind: 'midStreamError', afterEvents: 2, message: 'llama runner process has terminated: exit status 2' }),
      // Two content lines, then Ollama's `{"error": …}` line.
      piecesBeforeFailure: 2,
      message: 'llama runner process has terminated: exit status 2',
      upstream: () => ollama.requestsTo('/api/chat'),
      fallback: () => anthropic.requests,
    },
  ])('ends the $provider stream that fails after its first bytes with an error event, without falling back', async (scenario) => {
    scenario.script();
    const { data: stream, response } = await client.chat.completions
      .create({ model: scenario.alias, messages: question, stream: true })
      .withResponse();
    const { chunks, error } = await drainUntilError(stream);

    expect(response.status).toBe(200);
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('0');
    expect(contentOf(chunks)).toBe(chunkText(DEFAULT_REPLY_TEXT).slice(0, scenario.piecesBeforeFailure).join(''));
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).message).toBe(scenario.message);
    expect(scenario.upstream()).toHaveLength(1);
    expect(scenario.fallback()).toHaveLength(0);
  });

  it('still falls back when a stream fails before its first chunk, since the client has seen nothing yet', async () => {
    openai.enqueue({ kind: 'midStreamError', afterEvents: 0, message: 'failed at once' });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt', messages: question, stream: true })
      .withResponse();

    expect(contentOf(await collectChunks(stream))).toBe(DEFAULT_REPLY_TEXT);
    expect(response.headers.get('x-litellm-model-group')).toBe('claude');
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    expect(openai.requestsTo('/v1/chat/completions')).toHaveLength(1);
    expect(anthropic.requestsTo('/v1/messages')).toHaveLength(1);
  });

  it.each([
    {
      provider: 'openai',
      alias: 'gpt-solo',
      script: () => openai.enqueue({ kind: 'error', status: 429, headers: { 'retry-after': '7' } }),
      error: { type: 'requests', code: 'rate_limit_exceeded' },
      upstream: () => openai.requestsTo('/v1/chat/completions'),
    },
    {
      provider: 'anthropic',
      alias: 'claude',
      script: () => anthropic.enqueue({ kind: 'error', status: 429, headers: { 'retry-after': '7' } }),
      error: { type: 'rate_limit_exceeded', code: 'rate_limit_exceeded' },
      upstream: () => anthropic.requestsTo('/v1/messages'),
    },
  ])('relays the $provider 429 with its retry-after when the alias has nowhere else to go', async (scenario) => {
    scenario.script();
    const error = (await caught(() => client.chat.completions.create({ model: scenario.alias, messages: question }))) as APIError;

    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.status).toBe(429);
    expect(error.headers?.get('retry-after')).toBe('7');
    expect(error.error).toMatchObject(scenario.error);
    expect(scenario.upstream()).toHaveLength(1);
  });

  it("turns Anthropic's non-standard 529 into a 503 the OpenAI SDK understands", async () => {
    anthropic.enqueue({ kind: 'error', status: 529 });
    const error = (await caught(() => client.chat.completions.create({ model: 'claude', messages: question }))) as APIError;

    expect(error).toBeInstanceOf(InternalServerError);
    expect(error.status).toBe(503);
    expect(error.error).toMatchObject({ message: 'Overloaded', code: 'overloaded' });
  });

  it('answers a streamed request that meets a 529 with a 503 status, not a 200 with an error inside', async () => {
    anthropic.enqueue({ kind: 'error', status: 529 });
    const error = (await caught(() => client.chat.completions.create({ model: 'claude', messages: question, stream: true }))) as APIError;

    expect(error).toBeInstanceOf(InternalServerError);
    expect(error.status).toBe(503);
  });

  it('answers 504 when an upstream accepts the request and never answers within its timeout', async () => {
    hanging.enqueue({ kind: 'hang' });
    const started = performance.now();
    const error = (await caught(() => client.chat.completions.create({ model: 'slow', messages: question }))) as APIError;
    const elapsedMs = performance.now() - started;

    expect(error).toBeInstanceOf(APIError);
    expect(error.status).toBe(504);
    expect(error.error).toMatchObject({ type: 'timeout', code: 'upstream_timeout' });
    // `timeout: 1` is one second; undici checks its timers about once a second, so allow a few.
    expect(elapsedMs).toBeGreaterThanOrEqual(900);
    expect(elapsedMs).toBeLessThan(5000);
  });

  it('answers 504 when a stream opens upstream and then stays silent past its timeout', async () => {
    hanging.enqueue({ kind: 'slowFirstByte', delayMs: 10_000, afterHeaders: true });
    const error = (await caught(() => client.chat.completions.create({ model: 'slow', messages: question, stream: true }))) as APIError;

    // The gateway waits for the first chunk before answering, so the timeout can still be a status.
    expect(error).toBeInstanceOf(APIError);
    expect(error.status).toBe(504);
    expect(error.error).toMatchObject({ code: 'upstream_timeout' });
  });
});

describe('cooldown after allowed_fails', () => {
  const ollama = new OllamaFake();
  const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
  let gateway: TestGateway;
  let client: OpenAI;

  beforeAll(async () => {
    await Promise.all([ollama.start(), anthropic.start()]);
    gateway = await startTestGateway({
      model_list: [
        { model_name: 'local-coding', litellm_params: { model: 'ollama_chat/llama3.2', api_base: ollama.url } },
        { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY } },
      ],
      router_settings: { fallbacks: [{ 'local-coding': ['claude'] }], allowed_fails: 1, cooldown_time: 30 },
    });
    client = plainClient(gateway);
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all([ollama.stop(), anthropic.stop()]);
  });

  it('skips a deployment that failed once for cooldown_time, even after it comes back', async () => {
    await ollama.stop();
    const first = await client.chat.completions.create({ model: 'local-coding', messages: question }).withResponse();
    expect(first.response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');

    // Back on the same port: only the cooldown can keep the gateway away from it now.
    await ollama.restart();
    ollama.reset();
    for (let i = 0; i < 3; i++) {
      const { data, response } = await client.chat.completions.create({ model: 'local-coding', messages: question }).withResponse();
      expect(data.choices[0].message.content).toBe(DEFAULT_REPLY_TEXT);
      expect(response.headers.get('x-litellm-model-group')).toBe('claude');
      expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
    }
    expect(ollama.requests).toHaveLength(0);
    expect(anthropic.requestsTo('/v1/messages')).toHaveLength(4);

    const health = await fetch(`${gateway.url}/health`, { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } });
    const report = (await health.json()) as { unhealthy_endpoints: Array<Record<string, unknown>> };
    const local = report.unhealthy_endpoints.find((d) => d.model_name === 'local-coding');
    expect(local).toBeDefined();
    expect(['cooling_down', 'unhealthy']).toContain(local!.state);
    // The /health probe may touch Ollama's version endpoint, but never its chat endpoint.
    expect(ollama.requestsTo('/api/chat')).toHaveLength(0);
  });
});
