/**
 * Access control at the edges, one test per attack: fallbacks that would escape a key's or team's
 * model list, a dashboard cookie forged from a value the gateway once displayed, unlimited guessing
 * of the master key, and what a key holder could learn from errors, the model 404, /key/update,
 * /health and /docs. Each test asserts the refusal and that nothing was spent or sent upstream.
 */
import { createHash, createHmac } from 'node:crypto';

import { Logger } from '@nestjs/common';

import { AnthropicFake, OllamaFake, OpenAIFake } from '../fakes';
import { AdminApi, type RawResponse, sendRaw, waitFor } from '../support/admin-api';
import { LedgerDb } from '../support/ledger-db';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const ANTHROPIC_KEY = 'sk-ant-test';
const OPENAI_KEY = 'sk-openai-test';
const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
const ollama = new OllamaFake();

/** The allowance of failed authentications per address before they are answered 429 (AuthThrottle). */
const FAILED_AUTH_ALLOWANCE = 20;
const CSRF = { 'x-requested-with': 'tollgate-ui' };
const MESSAGES = [{ role: 'user', content: 'Say hello.' }];

function config(generalSettings: Record<string, unknown> = {}) {
  return {
    model_list: [
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } },
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY } },
      { model_name: 'local', litellm_params: { model: 'ollama_chat/llama3.2', api_base: ollama.url } },
    ],
    // A stopped Ollama must keep failing as a refused connection, not turn into a cooldown mid-suite.
    router_settings: { fallbacks: [{ local: ['claude', 'gpt'] }], allowed_fails: 1000, num_retries: 0 },
    general_settings: generalSettings,
  };
}

let gateway: TestGateway;
let admin: AdminApi;

beforeAll(async () => {
  await Promise.all([anthropic.start(), openai.start(), ollama.start()]);
  // Trusting X-Forwarded-For lets each throttling test act as its own client address.
  gateway = await startTestGateway(config({ use_x_forwarded_for: true }));
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
});

afterEach(async () => {
  [anthropic, openai, ollama].forEach((fake) => fake.reset());
  if (ollama.isStopped) await ollama.start();
  jest.restoreAllMocks();
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([anthropic.stop(), openai.stop(), ollama.stop()]);
});

function cloudCalls(): number {
  return openai.requests.length + anthropic.requests.length;
}

function chat(key: string, model: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return sendRaw(gateway.url, '/v1/chat/completions', { key, headers, body: { model, messages: MESSAGES, max_tokens: 20 } });
}

function messages(key: string, model: string): Promise<RawResponse> {
  return sendRaw(gateway.url, '/v1/messages', { key, body: { model, messages: MESSAGES, max_tokens: 20 } });
}

function hostPort(url: string): string {
  return new URL(url).host;
}

describe("fallback escape: a key is never served by a model outside its own and its team's lists", () => {
  async function expectLocalOnlyRefused(key: string): Promise<void> {
    await ollama.stop();
    const response = await chat(key, 'local');

    expect(response.status).toBe(503);
    expect(response.json.error.code).toBe('upstream_unreachable');
    expect(response.json.error.message).toMatch(/2 fallback models were not permitted for this key and not tried/);
    expect(response.headers.get('x-tollgate-skipped-fallbacks')).toBe('2');
    expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('0');
    expect(cloudCalls()).toBe(0);
    expect((await admin.keySettled(key)).spend).toBe(0);
  }

  it('a key limited to "local" is not served by the cloud fallbacks when Ollama is down', async () => {
    const { key } = await admin.generateKey({ models: ['local'] });
    await expectLocalOnlyRefused(key);
  });

  it('a key in a team limited to "local" is not served by the cloud fallbacks either', async () => {
    const team = await admin.newTeam({ models: ['local'] });
    const { key } = await admin.generateKey({ team_id: team.team_id });
    await expectLocalOnlyRefused(key);
  });

  it('LiteLLM\'s "all-team-models" on the key follows the team\'s list, fallbacks included', async () => {
    const team = await admin.newTeam({ models: ['local'] });
    const { key } = await admin.generateKey({ team_id: team.team_id, models: ['all-team-models'] });
    await expectLocalOnlyRefused(key);
  });

  it("an Anthropic-dialect client gets the same refusal, in Anthropic's error shape", async () => {
    const { key } = await admin.generateKey({ models: ['local'] });
    await ollama.stop();
    const response = await messages(key, 'local');

    expect(response.status).toBe(503);
    expect(response.json.type).toBe('error');
    expect(response.json.error.message).toMatch(/not permitted for this key/);
    expect(response.headers.get('x-tollgate-skipped-fallbacks')).toBe('2');
    expect(cloudCalls()).toBe(0);
  });

  it('a permitted fallback still serves, and the one not permitted is skipped and counted', async () => {
    const { key } = await admin.generateKey({ models: ['local', 'gpt'] });
    await ollama.stop();
    const response = await chat(key, 'local');

    expect(response.status).toBe(200);
    expect(response.headers.get('x-litellm-model-group')).toBe('gpt');
    expect(response.headers.get('x-tollgate-skipped-fallbacks')).toBe('1');
    expect(anthropic.requests).toHaveLength(0);
    expect(openai.requests).toHaveLength(1);
  });
});

describe('session forgery: the dashboard cookie cannot be minted from anything the gateway shows', () => {
  async function login(target: TestGateway, masterKey = TEST_MASTER_KEY): Promise<string> {
    const response = await sendRaw(target.url, '/ui/api/login', { key: null, headers: CSRF, body: { master_key: masterKey } });
    expect(response.status).toBe(200);
    return /tollgate_ui_session=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')![1];
  }

  function session(target: TestGateway, cookie: string): Promise<RawResponse> {
    return sendRaw(target.url, '/ui/api/session', { key: null, headers: { cookie: `tollgate_ui_session=${cookie}` } });
  }

  /** Exactly the old scheme: HMAC key = HMAC(SHA-256(master key), label), the hash /spend/logs used to show. */
  function forgeOldSchemeCookie(masterKeyHash: string): string {
    const signingKey = createHmac('sha256', Buffer.from(masterKeyHash, 'hex')).update('tollgate/ui-session/v1\0').digest();
    const payload = `v1.${(Date.now() + 60 * 60 * 1000).toString(36)}.${Buffer.from('admin').toString('base64url')}`;
    return `${payload}.${createHmac('sha256', signingKey).update(payload).digest('base64url')}`;
  }

  it("a cookie forged the old way from the master key's hash is refused, and cannot create keys", async () => {
    const forged = forgeOldSchemeCookie(createHash('sha256').update(TEST_MASTER_KEY).digest('hex'));

    expect((await session(gateway, forged)).status).toBe(401);
    const create = await sendRaw(gateway.url, '/ui/api/keys', {
      key: null,
      headers: { ...CSRF, cookie: `tollgate_ui_session=${forged}` },
      body: { key_alias: 'forged' },
    });
    expect(create.status).toBe(401);
    expect((await admin.send('/key/list?key_alias=forged')).json.keys).toEqual([]);
    // A real login still works, so the refusal is about the forgery.
    expect((await session(gateway, await login(gateway))).status).toBe(200);
  });

  it("the ledger shows a label for master-key calls, never the master key's hash", async () => {
    const call = await chat(TEST_MASTER_KEY, 'local');
    expect(call.status).toBe(200);
    const masterHash = createHash('sha256').update(TEST_MASTER_KEY).digest('hex');

    const logs = await waitFor(async () => {
      const shown = await admin.send('/spend/logs');
      return shown.json.some((row: { api_key: string }) => row.api_key === 'master-key') ? shown : undefined;
    });
    const uiLogs = await sendRaw(gateway.url, '/ui/api/logs', {
      key: null,
      headers: { cookie: `tollgate_ui_session=${await login(gateway)}` },
    });
    const keys = await admin.send('/global/spend/keys');
    for (const shown of [logs, uiLogs, keys]) {
      expect(shown.status).toBe(200);
      expect(shown.text).not.toContain(masterHash);
    }
  });

  it("ledger rows written under the old scheme lose the master key's hash at the next start", async () => {
    const masterHash = createHash('sha256').update(TEST_MASTER_KEY).digest('hex');
    const db = await LedgerDb.open(gateway.database);
    try {
      await db.query(
        `INSERT INTO spend_logs (request_id, api_key, call_type, status, start_time, end_time, latency_ms) VALUES (?, ?, 'completion', 'success', ?, ?, 0) RETURNING request_id`,
        ['old-scheme-row', masterHash, Date.now(), Date.now()],
      );
      const restarted = await startTestGateway(config(), { database: gateway.database });
      await restarted.close();
      expect(await db.query(`SELECT api_key FROM spend_logs WHERE request_id = ?`, ['old-scheme-row'])).toEqual([
        { api_key: 'master-key' },
      ]);
      expect(await db.query(`SELECT request_id FROM spend_logs WHERE api_key = ?`, [masterHash])).toEqual([]);
    } finally {
      await db.close();
    }
  });

  describe('with a second instance on the same database', () => {
    let second: TestGateway;

    beforeAll(async () => {
      second = await startTestGateway(config(), { database: gateway.database });
    });

    afterAll(async () => {
      await second?.close();
    });

    it('logout-all ends every session on every instance', async () => {
      const first = await login(gateway);
      const other = await login(second);
      // One secret shared through the database: each instance accepts the other's cookie.
      expect((await session(second, first)).status).toBe(200);
      expect((await session(gateway, other)).status).toBe(200);

      const out = await sendRaw(gateway.url, '/ui/api/logout-all', {
        key: null,
        headers: { ...CSRF, cookie: `tollgate_ui_session=${first}` },
        body: {},
      });
      expect(out.status).toBe(200);

      for (const target of [gateway, second]) {
        expect((await session(target, first)).status).toBe(401);
        expect((await session(target, other)).status).toBe(401);
      }
    });

    it('logout-all without a session, or without the CSRF header, is refused', async () => {
      const cookie = await login(gateway);
      expect((await sendRaw(gateway.url, '/ui/api/logout-all', { key: null, headers: CSRF, body: {} })).status).toBe(401);
      expect(
        (await sendRaw(gateway.url, '/ui/api/logout-all', { key: null, headers: { cookie: `tollgate_ui_session=${cookie}` }, body: {} }))
          .status,
      ).toBe(403);
      expect((await session(gateway, cookie)).status).toBe(200);
    });
  });

  it('a session from before the master key changed is refused', async () => {
    const cookie = await login(gateway);
    const rotated = await startTestGateway(config({ master_key: 'sk-a-new-master-key-after-rotation-000' }), {
      database: gateway.database,
    });
    try {
      expect((await session(rotated, cookie)).status).toBe(401);
      expect((await session(rotated, await login(rotated, 'sk-a-new-master-key-after-rotation-000'))).status).toBe(200);
    } finally {
      await rotated.close();
    }
  });
});

describe('master key guessing: failures are throttled per client address, the valid key never locked out', () => {
  const WRONG = 'sk-wrong-guess-000000000000';

  /** Every route that accepts the master key, each with a wrong one. */
  const guesses: Array<[string, (from: string) => Promise<RawResponse>]> = [
    ['/key/list', (from) => sendRaw(gateway.url, '/key/list', { key: WRONG, headers: { 'x-forwarded-for': from } })],
    ['/team/list', (from) => sendRaw(gateway.url, '/team/list', { key: WRONG, headers: { 'x-forwarded-for': from } })],
    ['/spend/logs', (from) => sendRaw(gateway.url, '/spend/logs', { key: WRONG, headers: { 'x-forwarded-for': from } })],
    ['/global/spend/keys', (from) => sendRaw(gateway.url, '/global/spend/keys', { key: WRONG, headers: { 'x-forwarded-for': from } })],
    ['/health with a key', (from) => sendRaw(gateway.url, '/health', { key: WRONG, headers: { 'x-forwarded-for': from } })],
    [
      '/ui/api/login',
      (from) =>
        sendRaw(gateway.url, '/ui/api/login', { key: null, headers: { ...CSRF, 'x-forwarded-for': from }, body: { master_key: WRONG } }),
    ],
    ['/v1/chat/completions', (from) => chat(WRONG, 'local', { 'x-forwarded-for': from })],
  ];

  it('past the allowance every master-key route answers a wrong key 429, while the right key still works from the same address', async () => {
    const attacker = '203.0.113.10';
    for (let i = 0; i < FAILED_AUTH_ALLOWANCE; i++) {
      const response = await guesses[i % guesses.length][1](attacker);
      // /health answers everyone; a wrong key there is counted but shown the public summary.
      expect([200, 401]).toContain(response.status);
    }
    for (const [route, guess] of guesses) {
      const response = await guess(attacker);
      expect({ route, status: response.status, code: response.json?.error?.code }).toEqual({ route, status: 429, code: 'auth_throttled' });
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(cloudCalls()).toBe(0);

    const valid = await sendRaw(gateway.url, '/key/list', { key: TEST_MASTER_KEY, headers: { 'x-forwarded-for': attacker } });
    expect(valid.status).toBe(200);
    // Another client behind the same proxy is not locked out by the attacker's failures.
    expect((await guesses[0][1]('203.0.113.11')).status).toBe(401);
  });

  it("a client cannot choose its address by writing its own X-Forwarded-For entries before the proxy's", async () => {
    const attacker = '203.0.113.20';
    for (let i = 0; i < FAILED_AUTH_ALLOWANCE; i++) await guesses[0][1](attacker);
    const spoofed = await sendRaw(gateway.url, '/key/list', { key: WRONG, headers: { 'x-forwarded-for': `198.51.100.1, ${attacker}` } });
    expect(spoofed.status).toBe(429);
  });

  it('without use_x_forwarded_for, a rotating X-Forwarded-For does not buy fresh guesses, and /docs honours NO_DOCS=True', async () => {
    const direct = await startTestGateway(config(), { env: { NO_DOCS: 'True' } });
    try {
      for (let i = 0; i < FAILED_AUTH_ALLOWANCE; i++) {
        expect((await sendRaw(direct.url, '/key/list', { key: WRONG, headers: { 'x-forwarded-for': `198.51.100.${i}` } })).status).toBe(
          401,
        );
      }
      const next = await sendRaw(direct.url, '/key/list', { key: WRONG, headers: { 'x-forwarded-for': '198.51.100.250' } });
      expect(next.status).toBe(429);
      expect((await sendRaw(direct.url, '/key/list', { key: TEST_MASTER_KEY })).status).toBe(200);

      expect((await sendRaw(direct.url, '/docs', { key: null })).status).toBe(404);
      expect((await sendRaw(direct.url, '/docs/openapi.json', { key: null })).status).toBe(404);
      expect((await sendRaw(gateway.url, '/docs/openapi.json', { key: null })).status).toBe(200);
    } finally {
      await direct.close();
    }
  });

  it("LiteLLM's example master key sk-1234 still loads, with a warning that it is short", async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const weak = await startTestGateway(config({ master_key: 'sk-1234' }));
    try {
      expect(warn.mock.calls.some(([message]) => /master key is 7 characters long/.test(String(message)))).toBe(true);
      expect((await sendRaw(weak.url, '/key/list', { key: 'sk-1234' })).status).toBe(200);
    } finally {
      await weak.close();
    }
  });
});

describe('what key holders could learn', () => {
  it("upstream address: an unreachable upstream is not named in a virtual key's error body, only in the log", async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const { key } = await admin.generateKey({ models: ['local'] });
    await ollama.stop();
    const chatFailure = await chat(key, 'local');
    const messagesFailure = await messages(key, 'local');

    for (const failure of [chatFailure, messagesFailure]) {
      expect(failure.status).toBe(503);
      expect(failure.text).not.toContain(hostPort(ollama.url));
      expect(failure.text).not.toMatch(/127\.0\.0\.1|localhost/);
    }
    expect(warn.mock.calls.some(([message]) => String(message).includes(hostPort(ollama.url)))).toBe(true);
  });

  it('alias enumeration: the unknown-model 404 lists only the aliases the key may call', async () => {
    const { key } = await admin.generateKey({ models: ['local', 'retired-model'] });
    const openAIStyle = await chat(key, 'retired-model');
    const anthropicStyle = await messages(key, 'retired-model');

    expect(openAIStyle.status).toBe(404);
    expect(openAIStyle.json.error.message).toBe('Model "retired-model" does not exist. Available models: local');
    expect(anthropicStyle.status).toBe(404);
    expect(anthropicStyle.json.error.message).toBe('Model "retired-model" does not exist. Available models: local');
  });

  it('/key/update echo: answers with the token, never the raw key it was sent', async () => {
    const { key } = await admin.generateKey({});
    const response = await admin.send('/key/update', { body: { key, metadata: { team: 'ops' } } });

    expect(response.status).toBe(200);
    expect(response.json.key).toBe(createHash('sha256').update(key).digest('hex'));
    expect(response.text).not.toContain(key);
  });

  it('/health?probe_cloud=true without the master key is refused and calls no cloud provider', async () => {
    const { key } = await admin.generateKey({});
    const anonymous = await sendRaw(gateway.url, '/health?probe_cloud=true', { key: null });
    const virtualKey = await sendRaw(gateway.url, '/health?probe_cloud=true', { key });

    expect(anonymous.status).toBe(401);
    expect(virtualKey.status).toBe(401);
    expect(virtualKey.json.error.code).toBe('master_key_required');
    expect(cloudCalls()).toBe(0);

    const master = await sendRaw(gateway.url, '/health?probe_cloud=true', { key: TEST_MASTER_KEY });
    expect(master.status).toBe(200);
    expect(Array.isArray(master.json.healthy_endpoints)).toBe(true);
    // Without probe_cloud, /health stays public for CI verify steps.
    expect((await sendRaw(gateway.url, '/health', { key: null })).status).toBe(200);
  });
});
