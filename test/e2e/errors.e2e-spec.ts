/**
 * Error responses and the public endpoints, over raw HTTP: a client that is not the OpenAI SDK
 * must still get OpenAI's error shape, the right status, and nothing that leaks internals
 * (stack traces, upstream addresses, upstream keys).
 */
import { AnthropicFake, OllamaFake, OpenAIFake } from '../fakes';
import { looksLikeStackTrace } from '../support/e2e-helpers';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const ANTHROPIC_KEY = 'sk-ant-test';
const OPENAI_KEY = 'sk-openai-test';
const ALIASES = ['local-coding', 'local-down', 'claude', 'gpt'];

const ollama = new OllamaFake();
/** Started once for a port number, then stopped for good: a local model server that is not running. */
const stoppedOllama = new OllamaFake();
const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
let gateway: TestGateway;

beforeAll(async () => {
  await Promise.all([ollama.start(), stoppedOllama.start(), anthropic.start(), openai.start()]);
  await stoppedOllama.stop();
  gateway = await startTestGateway({
    model_list: [
      { model_name: 'local-coding', litellm_params: { model: 'ollama_chat/llama3.2', api_base: ollama.url } },
      { model_name: 'local-down', litellm_params: { model: 'ollama_chat/llama3.2', api_base: stoppedOllama.url } },
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY } },
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } },
    ],
    // One failure cools a deployment down, so the second request meets "no healthy deployment".
    router_settings: { allowed_fails: 1, cooldown_time: 30 },
  });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([ollama.stop(), anthropic.stop(), openai.stop()]);
});

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function send(path: string, init: { method?: string; body?: string | Buffer; key?: string | null } = {}): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  if (init.key !== null) headers.authorization = `Bearer ${init.key ?? TEST_MASTER_KEY}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${gateway.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

const chat = (body: unknown) => send('/v1/chat/completions', { body: typeof body === 'string' ? body : JSON.stringify(body) });

/** OpenAI's error envelope with exactly its four keys, and no trace of the gateway's insides. */
function expectOpenAIError(response: RawResponse, status: number, expected: Record<string, unknown>): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(response.json)).toEqual(['error']);
  expect(Object.keys(response.json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof response.json.error.message).toBe('string');
  expect(response.json.error).toMatchObject(expected);
  expect(looksLikeStackTrace(response.text)).toBe(false);
  expect(response.text).not.toContain(ANTHROPIC_KEY);
  expect(response.text).not.toContain(OPENAI_KEY);
}

describe('request errors on /v1/chat/completions', () => {
  it('rejects malformed JSON with 400', async () => {
    const response = await chat('{"model": "gpt", "messages": [');
    expectOpenAIError(response, 400, { type: 'invalid_request_error', param: null, code: 'invalid_json' });
  });

  it('rejects a request without a model, naming the param', async () => {
    const response = await chat({ messages: [{ role: 'user', content: 'hi' }] });
    expectOpenAIError(response, 400, { type: 'invalid_request_error', param: 'model' });
  });

  it('rejects a request without messages, naming the param', async () => {
    const response = await chat({ model: 'gpt' });
    expectOpenAIError(response, 400, { type: 'invalid_request_error', param: 'messages' });
  });

  it('rejects an unknown role, naming the exact message field', async () => {
    const response = await chat({ model: 'gpt', messages: [{ role: 'wizard', content: 'hi' }] });
    expectOpenAIError(response, 400, { type: 'invalid_request_error', param: 'messages[0].role' });
  });

  it('rejects a body over 20 MB with 413 and never calls an upstream', async () => {
    const huge = JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'x'.repeat(21 * 1024 * 1024) }] });
    const response = await chat(huge);
    expectOpenAIError(response, 413, { code: 'request_too_large' });
    expect(openai.requests).toHaveLength(0);
  });

  it('answers an unknown model with 404 listing every available alias', async () => {
    const response = await chat({ model: 'gpt-5-ultra', messages: [{ role: 'user', content: 'hi' }] });
    expectOpenAIError(response, 404, { param: 'model', code: 'model_not_found' });
    for (const alias of ALIASES) expect(response.json.error.message).toContain(alias);
  });

  it('answers 503 when the only deployment of an alias is down, then while it cools down', async () => {
    const refused = await chat({ model: 'local-down', messages: [{ role: 'user', content: 'hi' }] });
    expectOpenAIError(refused, 503, { code: 'upstream_unreachable' });

    const coolingDown = await chat({ model: 'local-down', messages: [{ role: 'user', content: 'hi' }] });
    expectOpenAIError(coolingDown, 503, { code: 'no_healthy_deployment' });
  });

  it('answers an unknown route with a JSON 404, not an HTML page', async () => {
    for (const [method, path] of [
      ['GET', '/v1/no-such-thing'],
      ['POST', '/v1/chat/completion'],
    ]) {
      const response = await send(path, { method, body: method === 'POST' ? '{}' : undefined });
      expectOpenAIError(response, 404, {});
      expect(response.text).not.toMatch(/<html|<pre>/i);
    }
  });
});

describe('/v1/models', () => {
  it.each([
    ['with the master key', TEST_MASTER_KEY],
    ['without a key', null],
  ])('lists the config aliases and nothing about upstreams %s', async (_label, key) => {
    const response = await send('/v1/models', { key });

    expect(response.status).toBe(200);
    expect(response.json.object).toBe('list');
    expect(response.json.data.map((model: { id: string }) => model.id)).toEqual(ALIASES);
    for (const model of response.json.data) {
      expect(Object.keys(model).sort()).toEqual(['created', 'id', 'object', 'owned_by']);
      expect(model.object).toBe('model');
      expect(Number.isInteger(model.created)).toBe(true);
    }
    expect(response.text).not.toContain('api_base');
    expect(response.text).not.toContain('127.0.0.1');
    expect(response.text).not.toContain('sk-');
  });
});

describe('/health', () => {
  it('gives only a status and counts without a key', async () => {
    const response = await send('/health', { key: null });

    expect(response.status).toBe(200);
    // claude and gpt are not probed (a probe would cost money), so they count as healthy-unknown.
    expect(response.json).toEqual({ status: 'degraded', healthy_count: 3, unhealthy_count: 1 });
    expect(response.text).not.toContain('127.0.0.1');
  });

  it('gives only a status and counts for a wrong key', async () => {
    const response = await send('/health', { key: 'sk-not-the-master-key' });
    expect(Object.keys(response.json).sort()).toEqual(['healthy_count', 'status', 'unhealthy_count']);
  });

  it('lists every deployment with the master key, a stopped Ollama as unhealthy', async () => {
    const response = await send('/health');

    expect(response.status).toBe(200);
    expect(response.json.status).toBe('degraded');
    const unhealthy = response.json.unhealthy_endpoints as Array<Record<string, unknown>>;
    const healthy = response.json.healthy_endpoints as Array<Record<string, unknown>>;
    expect(unhealthy.map((d) => d.model_name)).toEqual(['local-down']);
    expect(unhealthy[0]).toMatchObject({
      provider: 'ollama',
      model: 'llama3.2',
      api_base: stoppedOllama.url,
      state: 'unhealthy',
      probed: true,
    });
    expect(typeof unhealthy[0].error).toBe('string');
    expect(healthy.map((d) => d.model_name).sort()).toEqual(['claude', 'gpt', 'local-coding']);
    expect(healthy.find((d) => d.model_name === 'local-coding')).toMatchObject({ state: 'healthy', probed: true, api_base: ollama.url });
    expect(response.text).not.toContain(ANTHROPIC_KEY);
    expect(response.text).not.toContain(OPENAI_KEY);
  });

  it('answers liveliness without a key', async () => {
    const response = await send('/health/liveliness', { key: null });
    expect(response.status).toBe(200);
  });

  it('answers readiness with the database connected', async () => {
    const response = await send('/health/readiness', { key: null });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ status: 'healthy', db: 'connected' });
  });
});
