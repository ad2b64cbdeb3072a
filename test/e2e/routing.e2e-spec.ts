/**
 * Routing through the real gateway: fallbacks, cooldowns, load-balanced groups, which upstream
 * failures are retried, and the status a client sees for each kind of upstream failure.
 */
import OpenAI, { APIError, BadRequestError, InternalServerError, RateLimitError } from 'openai';
import { AnthropicFake, DEFAULT_REPLY_TEXT, OllamaFake, OpenAIFake } from '../fakes';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';
import { caught, collectChunks, contentOf, drainUntilError, plainClient } from './e2e-helpers';

const ANTHROPIC_KEY = 'sk-ant-test';
const OPENAI_KEY = 'sk-openai-test';
const question: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say hello.' }];

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
        fallbacks: [{ 'local-coding': ['claude'] }, { gpt: ['claude'] }, { strict: ['claude'] }],
        num_retries: 2,
      },
    });
    client = plainClient(gateway);
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

  it('spreads a load-balanced group but serves every request from the healthy deployment when the other fails', async () => {
    for (let i = 0; i < 20; i++) failingOpenAI.enqueue({ kind: 'error', status: 500 });
    const apiBases: Array<string | null> = [];
    for (let i = 0; i < 8; i++) {
      const { data, response } = await client.chat.completions.create({ model: 'balanced', messages: question }).withResponse();
      expect(data.choices[0].message.content).toBe(DEFAULT_REPLY_TEXT);
      apiBases.push(response.headers.get('x-litellm-model-api-base'));
      expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('0');
    }
    expect(new Set(apiBases)).toEqual(new Set([healthyOpenAI.apiBase]));
    expect(healthyOpenAI.requestsTo('/v1/chat/completions')).toHaveLength(8);
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

  it('ends a stream that fails after its first bytes with an error event, and does not fall back', async () => {
    openai.enqueue({ kind: 'midStreamError', afterEvents: 2, message: 'upstream exploded mid-stream' });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt', messages: question, stream: true })
      .withResponse();
    const { chunks, error } = await drainUntilError(stream);

    expect(response.status).toBe(200);
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('0');
    // The fake sent the role chunk and one content piece before failing.
    expect(contentOf(chunks)).toBe(Array.from(DEFAULT_REPLY_TEXT).slice(0, 4).join(''));
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).message).toBe('upstream exploded mid-stream');
    expect(openai.requestsTo('/v1/chat/completions')).toHaveLength(1);
    expect(anthropic.requests).toHaveLength(0);
  });

  it('relays an upstream 429 with its retry-after when the alias has nowhere else to go', async () => {
    openai.enqueue({ kind: 'error', status: 429, headers: { 'retry-after': '7' } });
    const error = (await caught(() => client.chat.completions.create({ model: 'gpt-solo', messages: question }))) as APIError;

    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.status).toBe(429);
    expect(error.headers?.get('retry-after')).toBe('7');
    expect(error.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
    expect(openai.requestsTo('/v1/chat/completions')).toHaveLength(1);
    expect(anthropic.requests).toHaveLength(0);
  });

  it("turns Anthropic's non-standard 529 into a 503 the OpenAI SDK understands", async () => {
    anthropic.enqueue({ kind: 'error', status: 529 });
    const error = (await caught(() => client.chat.completions.create({ model: 'claude', messages: question }))) as APIError;

    expect(error).toBeInstanceOf(InternalServerError);
    expect(error.status).toBe(503);
    expect(error.error).toMatchObject({ message: 'Overloaded', code: 'overloaded' });
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
