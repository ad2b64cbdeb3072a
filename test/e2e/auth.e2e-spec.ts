/**
 * Who may call what: virtual keys as LiteLLM clients present them, the refusals they get (401 for
 * who, 403 for what, 429 for how often) in OpenAI's error shape, the admin API's own errors, and a
 * block that reaches every gateway process within a second.
 */
import { createHash } from 'node:crypto';

import OpenAI from 'openai';

import { AnthropicFake, OllamaFake, OpenAIFake } from '../fakes';
import { AdminApi, type RawResponse, sendRaw, uniqueId, waitFor } from '../support/admin-api';
import {
  type GatewayConfigFile,
  type GatewayProcess,
  PROCESS_MASTER_KEY,
  spawnGateway,
  writeGatewayConfig,
} from '../support/gateway-process';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/test-database';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const ANTHROPIC_KEY = 'sk-ant-test';
const OPENAI_KEY = 'sk-openai-test';
const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
const ollama = new OllamaFake();

function modelList() {
  return [
    { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } },
    { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY } },
    { model_name: 'local', litellm_params: { model: 'ollama_chat/llama3.2', api_base: ollama.url } },
  ];
}

let gateway: TestGateway;
let admin: AdminApi;

beforeAll(async () => {
  await Promise.all([anthropic.start(), openai.start(), ollama.start()]);
  gateway = await startTestGateway({ model_list: modelList() });
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
});

afterEach(() => [anthropic, openai, ollama].forEach((f) => f.reset()));

afterAll(async () => {
  await gateway?.close();
  await Promise.all([anthropic.stop(), openai.stop(), ollama.stop()]);
});

const MESSAGES = [{ role: 'user', content: 'Say hello.' }];

function chat(model: string, init: { key: string | null; headers?: Record<string, string> }, baseUrl = gateway.url): Promise<RawResponse> {
  return sendRaw(baseUrl, '/v1/chat/completions', { ...init, body: { model, messages: MESSAGES, max_tokens: 20 } });
}

function upstreamCalls(): number {
  return openai.requests.length + anthropic.requests.length + ollama.requestsTo('/api/chat').length;
}

/** OpenAI's error envelope, exactly its four fields. */
function expectError(
  response: RawResponse,
  status: number,
  error: { type: string; code: string | null; param?: string | null; message?: string | RegExp },
): void {
  expect(response.status).toBe(status);
  expect(Object.keys(response.json)).toEqual(['error']);
  expect(Object.keys(response.json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(response.json.error.type).toBe(error.type);
  expect(response.json.error.code).toBe(error.code);
  expect(response.json.error.param).toBe(error.param ?? null);
  if (typeof error.message === 'string') expect(response.json.error.message).toBe(error.message);
  else if (error.message) expect(response.json.error.message).toMatch(error.message);
}

describe('who is calling (401)', () => {
  it('no key at all', async () => {
    const response = await chat('local', { key: null });
    expectError(response, 401, { type: 'authentication_error', code: 'missing_key' });
    expect(upstreamCalls()).toBe(0);
  });

  it('a key the gateway never issued, without echoing it back', async () => {
    const unknown = 'sk-never-issued-0000000000000000';
    const response = await chat('local', { key: unknown });
    expectError(response, 401, { type: 'authentication_error', code: 'invalid_api_key' });
    expect(response.text).not.toContain(unknown);
    expect(upstreamCalls()).toBe(0);
  });

  it('a key blocked with /key/block is refused on its next call', async () => {
    const { key, key_name } = await admin.generateKey({});
    expect((await chat('local', { key })).status).toBe(200);

    const blocked = await admin.blockKey(key);
    expect(blocked.blocked).toBe(true);
    const response = await chat('local', { key });
    expectError(response, 401, { type: 'authentication_error', code: 'blocked_key', message: `Key ${key_name} is blocked` });
    expect(response.text).not.toContain(key);
    expect(ollama.requestsTo('/api/chat')).toHaveLength(1);
  });

  it("a key generated with duration '1s' is refused once it has expired", async () => {
    const { key, expires } = await admin.generateKey({ duration: '1s' });
    expect(typeof expires).toBe('string');
    expect((await chat('local', { key })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const response = await chat('local', { key });
    expectError(response, 401, { type: 'authentication_error', code: 'expired_key' });
    expect(ollama.requestsTo('/api/chat')).toHaveLength(1);
  });

  it('admin routes refuse a virtual key', async () => {
    const { key, token } = await admin.generateKey({});
    const attempts: Array<[string, unknown]> = [
      ['/key/generate', {}],
      ['/team/new', { team_id: uniqueId('nope') }],
      [`/key/info?key=${token}`, undefined],
      ['/key/list', undefined],
      ['/team/list', undefined],
      ['/key/block', { key }],
    ];
    for (const [path, body] of attempts) {
      const response = await sendRaw(gateway.url, path, { key, body });
      expectError(response, 401, { type: 'authentication_error', code: 'master_key_required' });
    }
    expect((await admin.keyInfo(token)).blocked).toBe(false);
  });
});

describe('how the key is presented', () => {
  it.each([
    ['Authorization: Bearer', (key: string) => ({ authorization: `Bearer ${key}` })],
    ['x-api-key', (key: string) => ({ 'x-api-key': key })],
    ['api-key', (key: string) => ({ 'api-key': key })],
  ])('%s is accepted', async (_name, headers) => {
    const { key } = await admin.generateKey({ models: ['local'] });
    const response = await chat('local', { key: null, headers: headers(key) });
    expect(response.status).toBe(200);
    expect(response.json.choices[0].message.content).toBeTruthy();
    // The key was really recognised: its model allow-list applies.
    expectError(await chat('gpt', { key: null, headers: headers(key) }), 403, { type: 'permission_error', code: 'model_not_allowed' });
  });
});

describe('what the key may call (403)', () => {
  it("a model outside the key's models list", async () => {
    const { key, key_name } = await admin.generateKey({ models: ['local'] });
    const response = await chat('gpt', { key });
    expectError(response, 403, {
      type: 'permission_error',
      code: 'model_not_allowed',
      message: `Key ${key_name} is not allowed to call model "gpt"`,
    });
    expect(upstreamCalls()).toBe(0);

    // The SDK maps it to its PermissionDeniedError.
    const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const error = await client.chat.completions
      .create({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it("a model outside the team's models list, even when the key lists none", async () => {
    const teamId = uniqueId('team');
    await admin.newTeam({ team_id: teamId, models: ['local'] });
    const { key } = await admin.generateKey({ team_id: teamId });
    expectError(await chat('claude', { key }), 403, { type: 'permission_error', code: 'model_not_allowed' });
    expect(anthropic.requests).toHaveLength(0);
    expect((await chat('local', { key })).status).toBe(200);
  });

  it('/v1/models lists only the aliases the key may call', async () => {
    const { key } = await admin.generateKey({ models: ['local', 'gpt'] });
    const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual(['gpt', 'local']);

    const teamId = uniqueId('team');
    await admin.newTeam({ team_id: teamId, models: ['claude', 'local'] });
    const teamKey = await admin.generateKey({ team_id: teamId, models: ['local', 'gpt'] });
    const response = await sendRaw(gateway.url, '/v1/models', { key: teamKey.key });
    // A key in a team needs both allow-lists to agree.
    expect(response.json.data.map((m: { id: string }) => m.id)).toEqual(['local']);
  });
});

describe('how often (429)', () => {
  it('rpm_limit 2: the third call in the minute gets rate_limit_exceeded with retry-after', async () => {
    const { key } = await admin.generateKey({ rpm_limit: 2 });
    expect((await chat('local', { key })).status).toBe(200);
    expect((await chat('local', { key })).status).toBe(200);
    const third = await chat('local', { key });
    expectError(third, 429, { type: 'rate_limit_exceeded', code: 'rpm_limit_exceeded' });
    const retryAfter = Number(third.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    // The limiter weighs minute buckets (sliding-window estimate): two calls in this minute fade
    // below the limit 30 s into the next one, so the hint is at most 60 + 30 s.
    expect(retryAfter).toBeLessThanOrEqual(90);
    expect(ollama.requestsTo('/api/chat')).toHaveLength(2);
  });
});

describe('admin API errors', () => {
  it('/key/generate refuses an unknown field, naming it', async () => {
    const response = await admin.send('/key/generate', { body: { max_budget: 1, bogus_field: true } });
    expectError(response, 400, {
      type: 'invalid_request_error',
      code: 'unknown_field',
      param: 'bogus_field',
      message: 'Unknown field "bogus_field"',
    });
  });

  it('/key/info for an unknown key is 404', async () => {
    const response = await admin.send(`/key/info?key=${'0'.repeat(64)}`);
    expectError(response, 404, { type: 'not_found_error', code: 'key_not_found', param: 'key' });
  });

  it('/team/info for an unknown team is 404', async () => {
    const response = await admin.send(`/team/info?team_id=${uniqueId('missing')}`);
    expect(response.status).toBe(404);
    expect(response.json.error.type).toBe('not_found_error');
  });
});

describe('the raw key is shown once', () => {
  it('/key/list and /key/info show the token and sk-...abcd, never the key', async () => {
    const created = await admin.generateKey({ key_alias: uniqueId('alias') });
    const raw = created.key;
    expect(raw).toMatch(/^sk-/);
    expect(created.token).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(created.key_name).toBe(`sk-...${raw.slice(-4)}`);

    for (const path of [
      '/key/list',
      '/key/list?return_full_object=true',
      `/key/list?key_alias=${created.key_alias}&return_full_object=true`,
    ]) {
      const list = await admin.send(path);
      expect(list.status).toBe(200);
      expect(list.text).not.toContain(raw);
    }
    const full = await admin.send(`/key/list?key_alias=${created.key_alias}&return_full_object=true`);
    expect(full.json.keys).toHaveLength(1);
    expect(full.json.keys[0]).toMatchObject({ token: created.token, key_name: `sk-...${raw.slice(-4)}` });

    const byToken = await admin.send(`/key/info?key=${created.token}`);
    expect(byToken.status).toBe(200);
    expect(byToken.text).not.toContain(raw);
    expect(byToken.json.info).toMatchObject({ token: created.token, key_name: `sk-...${raw.slice(-4)}` });
    // Looked up by the raw key, the record itself still does not carry it (the top-level `key` echoes the query, as LiteLLM does).
    const byRaw = await admin.send(`/key/info?key=${encodeURIComponent(raw)}`);
    expect(JSON.stringify(byRaw.json.info)).not.toContain(raw);
  });
});

const onPostgres = testDatabaseKind() === 'postgres';
const twoProcessTitle = onPostgres
  ? 'two gateway processes on one PostgreSQL database'
  : 'two gateway processes on one database (PostgreSQL only: a SQLite file serves one process)';

(onPostgres ? describe : describe.skip)(twoProcessTitle, () => {
  let database: TestDatabase;
  let config: GatewayConfigFile;
  const processes: GatewayProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    config = writeGatewayConfig({ model_list: modelList() });
    processes.push(await spawnGateway({ config, databaseUrl: database.url }));
    processes.push(await spawnGateway({ config, databaseUrl: database.url }));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    config?.remove();
    await database?.drop();
  });

  it('a key blocked through one process is refused by the other within a second', async () => {
    const [first, second] = processes;
    const firstAdmin = new AdminApi(first.url, PROCESS_MASTER_KEY);
    const { key } = await firstAdmin.generateKey({ models: ['local'] });
    // The second process has the key in its cache before the block.
    expect((await chat('local', { key }, second.url)).status).toBe(200);

    await firstAdmin.blockKey(key);
    const blockedAt = Date.now();
    const refused = await waitFor(
      async () => {
        const response = await chat('local', { key }, second.url);
        return response.status === 200 ? undefined : response;
      },
      3_000,
      20,
      'the second process to refuse the blocked key',
    );
    const delay = Date.now() - blockedAt;
    expectError(refused, 401, { type: 'authentication_error', code: 'blocked_key' });
    expect(delay).toBeLessThan(1_000);
  });
});
