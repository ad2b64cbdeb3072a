/**
 * The money promise under hostile traffic, end to end on the run's database: client values that
 * cannot be stored as sent, admin input that would break the listings, lifecycle changes while a
 * call is in flight, and request shapes that crashed the estimator. Each test is named after the
 * attack it proves harmless; money is asserted to the nano-dollar.
 */
import { createHash } from 'node:crypto';

import { REFUSAL_ROWS_PER_KEY_MINUTE } from '@tollgate/spend';
import type OpenAI from 'openai';

import { OpenAIFake } from '../fakes';
import { AdminApi, nanosToUsd, sendRaw, uniqueId, usdToNanos, waitFor } from '../support/admin-api';
import { costNanos, reservationNanos } from '../support/expected-cost';
import { LedgerDb } from '../support/ledger-db';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const OPENAI_KEY = 'sk-openai-test';
const openai = new OpenAIFake({ apiKey: OPENAI_KEY });

const MESSAGES: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Count to three.' }];
const MAX_TOKENS = 16;
const chatBody = { model: 'gpt', messages: MESSAGES, max_tokens: MAX_TOKENS };
/** What every call below is answered with, and so charged. */
const USAGE = { promptTokens: 7, completionTokens: 5 };
const CALL_COST = costNanos('gpt-4o', { freshInput: USAGE.promptTokens, output: USAGE.completionTokens });
const RESERVATION = reservationNanos('gpt-4o', MESSAGES, MAX_TOKENS);

let gateway: TestGateway;
let admin: AdminApi;
let ledger: LedgerDb;

beforeAll(async () => {
  await openai.start();
  gateway = await startTestGateway({
    model_list: [{ model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } }],
  });
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
  ledger = await LedgerDb.open(gateway.database);
});

afterEach(() => openai.reset());

afterAll(async () => {
  await ledger?.close();
  await gateway?.close();
  await openai.stop();
});

async function teamWithKey(extra: { team?: Record<string, unknown>; key?: Record<string, unknown> } = {}) {
  const teamId = uniqueId('team');
  await admin.newTeam({ team_id: teamId, max_budget: 10, ...extra.team });
  const key = await admin.generateKey({ team_id: teamId, max_budget: 5, ...extra.key });
  return { teamId, key: key.key, token: key.token };
}

/** Spend and reserved of a key and its team, in nano-dollars. */
async function balances(key: string, teamId: string) {
  const [k, t] = await Promise.all([admin.keyInfo(key), admin.teamInfo(teamId)]);
  return {
    key: { spend: usdToNanos(k.spend), reserved: usdToNanos(k.reserved_spend) },
    team: { spend: usdToNanos(t.spend), reserved: usdToNanos(t.reserved_spend) },
  };
}

/** Balances once nothing is reserved any more on the key or its team. */
function settledBalances(key: string, teamId: string) {
  return waitFor(async () => {
    const b = await balances(key, teamId);
    return b.key.reserved === 0 && b.team.reserved === 0 ? b : undefined;
  });
}

/** The call's ledger row once it has landed (a call is answered before its settlement is written). */
async function ledgerRow(requestId: string) {
  return waitFor(async () => {
    const rows = await ledger.query<Record<string, unknown>>(`SELECT * FROM spend_logs WHERE request_id = ?`, [requestId]);
    return rows[0];
  });
}

describe('class 1: client values that the database cannot store as sent', () => {
  // HTTP itself refuses NUL in a header, so headers are attacked with size; bodies with both.
  it.each([
    ['a NUL byte in "user" ("a\\u0000b")', { user: 'a\u0000b' }, {}, { end_user: 'ab', session_id: null }],
    ['a lone surrogate in "user"', { user: 'x\ud800y' }, {}, { end_user: 'xy', session_id: null }],
    ['an 8 KB session header', {}, { 'x-claude-code-session-id': 's'.repeat(8192) }, { end_user: null, session_id: 's'.repeat(200) }],
    ['a model name with NUL and 8 KB', { model: `gpt\u0000${'m'.repeat(8192)}` }, {}, null],
  ])('%s is charged exactly and stored cleaned', async (_attack, extraBody, headers, stored) => {
    const { teamId, key } = await teamWithKey();
    openai.enqueue({ kind: 'reply', ...USAGE });
    const response = await sendRaw(gateway.url, '/v1/chat/completions', { key, body: { ...chatBody, ...extraBody }, headers });
    if (stored === null) {
      // An unknown model is refused before any reservation; its refusal row must still be storable.
      expect(response.status).toBe(404);
      expect(await balances(key, teamId)).toEqual({ key: { spend: 0, reserved: 0 }, team: { spend: 0, reserved: 0 } });
      const row = await ledgerRow(response.headers.get('x-litellm-call-id')!);
      if (row) expect(String(row.model_group)).toBe(`gpt${'m'.repeat(253)}`);
      return;
    }
    expect(response.status).toBe(200);
    const row = await ledgerRow(response.headers.get('x-litellm-call-id')!);
    expect(Number(row.spend_nanos)).toBe(CALL_COST);
    expect({ end_user: row.end_user, session_id: row.session_id }).toEqual(stored);
    expect(await balances(key, teamId)).toEqual({ key: { spend: CALL_COST, reserved: 0 }, team: { spend: CALL_COST, reserved: 0 } });
  });

  // OpenAI itself refuses a `user` over 64 characters, and on its own dialect the gateway relays
  // that 400; the refused call's ledger row must still be storable, and nothing is charged.
  it('an 8 KB "user" refused by the upstream is stored cleaned and charged nothing', async () => {
    const { teamId, key } = await teamWithKey();
    const response = await sendRaw(gateway.url, '/v1/chat/completions', { key, body: { ...chatBody, user: 'u'.repeat(8192) } });
    expect(response.status).toBe(400);
    const row = await ledgerRow(response.headers.get('x-litellm-call-id')!);
    expect({ end_user: row.end_user, spend: Number(row.spend_nanos) }).toEqual({ end_user: 'u'.repeat(256), spend: 0 });
    expect(await settledBalances(key, teamId)).toEqual({ key: { spend: 0, reserved: 0 }, team: { spend: 0, reserved: 0 } });
  });

  it('a thousand tags with NUL and lone surrogates are charged, and at most 32 clean tags are stored', async () => {
    const { teamId, key } = await teamWithKey();
    openai.enqueue({ kind: 'reply', ...USAGE });
    const tags = Array.from({ length: 1000 }, (_, i) => `t${i}\u0000\udc00${'x'.repeat(i)}`);
    const response = await sendRaw(gateway.url, '/v1/chat/completions', { key, body: { ...chatBody, metadata: { tags } } });
    expect(response.status).toBe(200);
    const row = await ledgerRow(response.headers.get('x-litellm-call-id')!);
    const stored = JSON.parse(String(row.metadata)) as { tags: string[] };
    expect(stored.tags).toHaveLength(32);
    expect(stored.tags.every((tag) => !tag.includes('\u0000') && !/[\ud800-\udfff]/.test(tag) && tag.length <= 256)).toBe(true);
    expect(await balances(key, teamId)).toEqual({ key: { spend: CALL_COST, reserved: 0 }, team: { spend: CALL_COST, reserved: 0 } });
  });

  it('a NUL and 8 KB inside Anthropic metadata.user_id on /v1/messages is charged exactly', async () => {
    const { teamId, key } = await teamWithKey();
    openai.enqueue({ kind: 'reply', ...USAGE });
    const userId = JSON.stringify({ session_id: `s\u0000${'z'.repeat(8192)}` });
    const response = await sendRaw(gateway.url, '/v1/messages', {
      key: null,
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
      body: {
        model: 'gpt',
        max_tokens: MAX_TOKENS,
        messages: [{ role: 'user', content: 'Count to three.' }],
        metadata: { user_id: userId },
      },
    });
    expect(response.status).toBe(200);
    const row = await ledgerRow(response.headers.get('x-litellm-call-id')!);
    expect(String(row.session_id)).toBe(`s${'z'.repeat(255)}`);
    expect(await balances(key, teamId)).toEqual({ key: { spend: CALL_COST, reserved: 0 }, team: { spend: CALL_COST, reserved: 0 } });
  });

  it(`a flood of requests refused for budget writes at most ${REFUSAL_ROWS_PER_KEY_MINUTE} ledger rows per key per minute`, async () => {
    const { key, token } = await teamWithKey({ key: { max_budget: nanosToUsd(RESERVATION - 1) } });
    const statuses: number[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => sendRaw(gateway.url, '/v1/chat/completions', { key, body: chatBody })),
      );
      statuses.push(...answers.map((r) => r.status));
    }
    expect(statuses.filter((status) => status === 429)).toHaveLength(200);
    const rows = await ledger.ledgerOfKey(token);
    // A minute boundary inside the burst may admit a second batch.
    expect([REFUSAL_ROWS_PER_KEY_MINUTE, 2 * REFUSAL_ROWS_PER_KEY_MINUTE]).toContain(rows.length);
    expect(rows.every((row) => row.status === 'budget_exceeded' && row.spend_nanos === 0)).toBe(true);
    expect(openai.requests).toHaveLength(0);
  });
});

describe('class 4: admin input that passes validation and breaks things later', () => {
  async function counts() {
    const [keys, teams] = await Promise.all([
      ledger.query<{ n: number }>(`SELECT COUNT(*) AS n FROM api_keys`),
      ledger.query<{ n: number }>(`SELECT COUNT(*) AS n FROM teams`),
    ]);
    return { keys: Number(keys[0].n), teams: Number(teams[0].n) };
  }

  it.each([
    ['/team/new', 'budget_duration', { budget_duration: '0d' }],
    ['/team/new', 'budget_duration', { budget_duration: '0s' }],
    ['/team/new', 'max_budget', { max_budget: 1e300 }],
    ['/team/new', 'max_budget', { max_budget: -0.01 }],
    ['/team/new', 'team_alias', { team_alias: 'a\u0000b' }],
    ['/team/new', 'metadata', { metadata: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } } }],
    ['/team/new', 'metadata', { metadata: { blob: 'x'.repeat(20_000) } }],
    ['/team/new', 'tpm_limit', { tpm_limit: 1e300 }],
    ['/key/generate', 'budget_duration', { budget_duration: '99999999999999999999d' }],
    ['/key/generate', 'budget_duration', { budget_duration: '3651d' }],
    ['/key/generate', 'duration', { duration: '0s' }],
    ['/key/generate', 'duration', { duration: '99999999999999999999d' }],
    ['/key/generate', 'key_alias', { key_alias: 'k\ud800' }],
    ['/key/generate', 'user_id', { user_id: 'u'.repeat(300) }],
    ['/key/generate', 'models', { models: ['gpt\u0000'] }],
  ])('%s with a bad %s is a 400 naming the field, and nothing is persisted', async (path, field, body) => {
    const before = await counts();
    const response = await admin.send(path, { body });
    expect(response.status).toBe(400);
    expect(response.json.error.param).toBe(field);
    expect(await counts()).toEqual(before);
  });

  it.each([
    '/team/info?team_id=a%00b',
    '/key/list?team_id=a%00b',
    '/key/list?key_alias=%ED%A0%80',
    '/spend/logs?team_id=a%00b',
    '/spend/logs?user=a%00b',
    '/spend/keys?key=a%00b',
  ])('a lookup by a value with NUL or a lone surrogate (%s) is never a 500', async (path) => {
    const response = await admin.send(path);
    expect(response.status).toBeLessThan(500);
  });

  it.each([
    ['/team/delete', { team_ids: ['a\u0000b'] }],
    ['/key/delete', { key_aliases: ['a\u0000b'] }],
  ])('%s of a name with NUL is never a 500', async (path, body) => {
    expect((await admin.send(path, { body })).status).toBeLessThan(500);
  });

  it('a bad /key/update leaves the key exactly as it was', async () => {
    const { key } = await teamWithKey({ key: { budget_duration: '1d' } });
    const before = await admin.keyInfo(key);
    const response = await admin.send('/key/update', { body: { key, budget_duration: '0d', max_budget: 1 } });
    expect(response.status).toBe(400);
    expect(await admin.keyInfo(key)).toEqual(before);
  });

  it('rows stored before validation existed never make a listing answer 500', async () => {
    const now = Date.now();
    const teamId = uniqueId('bad-team');
    const badToken = createHash('sha256').update(teamId).digest('hex');
    await ledger.query(
      `INSERT INTO teams (team_id, models, budget_duration, metadata, created_at, updated_at) VALUES (?, 'not json', '99999999999999999999d', '{broken', ?, ?)`,
      [teamId, now, now],
    );
    await ledger.query(
      `INSERT INTO api_keys (key_id, token, key_name, team_id, models, budget_duration, metadata, expires_at, created_at, updated_at)
       VALUES (?, ?, 'sk-...bad', ?, '[1,', '0d', '[]', ?, ?, ?)`,
      [badToken, badToken, teamId, 9e18, now, now],
    );
    const login = await sendRaw(gateway.url, '/ui/api/login', {
      key: null,
      body: { master_key: TEST_MASTER_KEY },
      headers: { 'x-requested-with': 'tollgate-ui' },
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    for (const path of [
      '/spend/keys',
      '/spend/teams',
      '/team/list',
      '/key/list',
      '/key/list?return_full_object=true',
      `/team/info?team_id=${teamId}`,
    ]) {
      const response = await admin.send(path);
      expect([path, response.status]).toEqual([path, 200]);
    }
    for (const path of ['/ui/api/overview', '/ui/api/teams', '/ui/api/keys', '/ui/api/logs', '/ui/api/models']) {
      const response = await sendRaw(gateway.url, path, { key: null, headers: { cookie } });
      expect([path, response.status]).toEqual([path, 200]);
    }
    const info = await admin.keyInfo(badToken);
    expect(info).toEqual(expect.objectContaining({ models: [], expires: null, budget_reset_at: null }));
  });
});

describe('class 5: the key and team change while a call is in flight', () => {
  /** Starts a call the fake answers after `delayMs`, and resolves once the upstream has it. */
  async function inFlight(key: string) {
    openai.enqueue({ kind: 'slowFirstByte', delayMs: 400, ...USAGE });
    const call = sendRaw(gateway.url, '/v1/chat/completions', { key, body: chatBody });
    await Promise.race([
      openai.waitForRequests(1),
      call.then((r) => Promise.reject(new Error(`answered before reaching upstream: ${r.status} ${r.text}`))),
    ]);
    // Wrapped: an async function returning the bare promise would wait for the answer itself.
    return { answer: call };
  }

  it('/key/regenerate mid-call: the call settles on the same key, found by its stable id', async () => {
    const { teamId, key } = await teamWithKey();
    const { answer: call } = await inFlight(key);
    const regenerated = await admin.send('/key/regenerate', { body: { key } });
    expect(regenerated.status).toBe(200);
    expect((await call).status).toBe(200);
    const newKey = regenerated.json.key as string;
    const after = await settledBalances(newKey, teamId);
    expect(after).toEqual({ key: { spend: CALL_COST, reserved: 0 }, team: { spend: CALL_COST, reserved: 0 } });
  });

  it('/key/delete mid-call: the team is charged and nothing stays reserved', async () => {
    const { teamId, key } = await teamWithKey();
    const { answer: call } = await inFlight(key);
    expect((await admin.send('/key/delete', { body: { keys: [key] } })).status).toBe(200);
    await call;
    const team = await waitFor(async () => {
      const t = await admin.teamInfo(teamId);
      return t.reserved_spend === 0 ? t : undefined;
    });
    expect(usdToNanos(team.spend)).toBe(CALL_COST);
  });

  it.each([
    ['/key/block', (key: string) => ({ key })],
    ['/key/update', (key: string) => ({ key, max_budget: 0.000001 })],
    ['/key/update', (key: string) => ({ key, budget_duration: '1h' })],
    ['/key/update', (key: string) => ({ key, team_id: null })],
  ])('%s %s mid-call: the call settles on the accounts it reserved on', async (path, body) => {
    const { teamId, key } = await teamWithKey();
    const { answer: call } = await inFlight(key);
    expect((await admin.send(path, { body: body(key) })).status).toBe(200);
    await call;
    const after = await settledBalances(key, teamId);
    expect(after).toEqual({ key: { spend: CALL_COST, reserved: 0 }, team: { spend: CALL_COST, reserved: 0 } });
  });

  it('key moved to another team mid-call: the old team is charged, the new one is not', async () => {
    const { teamId, key } = await teamWithKey();
    const otherTeam = uniqueId('team');
    await admin.newTeam({ team_id: otherTeam, max_budget: 10 });
    const { answer: call } = await inFlight(key);
    expect((await admin.send('/key/update', { body: { key, team_id: otherTeam } })).status).toBe(200);
    await call;
    const after = await settledBalances(key, teamId);
    expect(after).toEqual({ key: { spend: CALL_COST, reserved: 0 }, team: { spend: CALL_COST, reserved: 0 } });
    const other = await admin.teamInfo(otherTeam);
    expect([usdToNanos(other.spend), usdToNanos(other.reserved_spend)]).toEqual([0, 0]);
  });

  it('team budget lowered mid-call: the call settles, and the next one is refused', async () => {
    const { teamId, key } = await teamWithKey();
    const { answer: call } = await inFlight(key);
    expect((await admin.send('/team/update', { body: { team_id: teamId, max_budget: nanosToUsd(RESERVATION) } })).status).toBe(200);
    expect((await call).status).toBe(200);
    const after = await settledBalances(key, teamId);
    expect(after.team).toEqual({ spend: CALL_COST, reserved: 0 });
    expect((await sendRaw(gateway.url, '/v1/chat/completions', { key, body: chatBody })).status).toBe(429);
  });
});

describe('class 6: input shapes that crashed the estimator', () => {
  const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const anthropicHeaders = { 'anthropic-version': '2023-06-01' };

  it.each([
    [
      '"content": [null] on /v1/chat/completions',
      '/v1/chat/completions',
      { model: 'gpt', messages: [{ role: 'user', content: [null] }] },
      'messages[0].content[0]',
    ],
    [
      '"content": [7] on /v1/chat/completions',
      '/v1/chat/completions',
      { model: 'gpt', messages: [{ role: 'user', content: [7] }] },
      'messages[0].content[0]',
    ],
    [
      '"tool_calls": [null] on /v1/chat/completions',
      '/v1/chat/completions',
      { model: 'gpt', messages: [{ role: 'assistant', tool_calls: [null] }] },
      'messages[0].tool_calls',
    ],
    [
      '"image_url": {"url": {}} on /v1/chat/completions',
      '/v1/chat/completions',
      { model: 'gpt', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: {} } }] }] },
      'messages[0].content[0].image_url',
    ],
    [
      '"text": 5 on /v1/chat/completions',
      '/v1/chat/completions',
      { model: 'gpt', messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] },
      'messages[0].content[0].text',
    ],
    [
      '"tools": [{"function": "x"}] on /v1/chat/completions',
      '/v1/chat/completions',
      { model: 'gpt', messages: MESSAGES, tools: [{ function: 'x' }] },
      'tools[0].function.name',
    ],
  ])('%s is a 400 in OpenAI shape', async (_attack, path, body, param) => {
    const { key } = await teamWithKey();
    const response = await sendRaw(gateway.url, path, { key, body });
    expect(response.status).toBe(400);
    expect(response.json.error).toEqual(expect.objectContaining({ type: 'invalid_request_error', param }));
    expect(openai.requests).toHaveLength(0);
  });

  it.each([
    ['"content": [null]', { messages: [{ role: 'user', content: [null] }] }],
    ['"messages": [null]', { messages: [null] }],
    ['"system": [null]', { system: [null], messages: MESSAGES }],
    ['an image block whose source is a number', { messages: [{ role: 'user', content: [{ type: 'image', source: 5 }] }] }],
    [
      'a tool_use block whose input is a string',
      { messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: '{}' }] }] },
    ],
    [
      'a tool_result whose content is [null]',
      { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [null] }] }] },
    ],
  ])('%s on /v1/messages is a 400 in Anthropic shape', async (_attack, body) => {
    const { key } = await teamWithKey();
    const response = await sendRaw(gateway.url, '/v1/messages', {
      key: null,
      headers: { ...anthropicHeaders, 'x-api-key': key },
      body: { model: 'gpt', max_tokens: 10, ...body },
    });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.any(String) } });
  });

  it.each([
    [
      'tools nested 200,000 deep on /v1/chat/completions',
      '/v1/chat/completions',
      `{"model":"gpt","messages":[{"role":"user","content":"hi"}],"tools":${deep(200_000)}}`,
    ],
    [
      'metadata nested 200,000 deep on /v1/messages',
      '/v1/messages',
      `{"model":"gpt","max_tokens":5,"messages":[],"metadata":{"x":${deep(200_000)}}}`,
    ],
    ['input nested 200,000 deep on /v1/embeddings', '/v1/embeddings', `{"model":"gpt","input":${deep(200_000)}}`],
    ['metadata nested 200,000 deep on /key/generate', '/key/generate', `{"metadata":{"x":${deep(200_000)}}}`],
  ])('%s is a 400 and the gateway stays up', async (_attack, path, raw) => {
    const { key } = await teamWithKey();
    const auth = path === '/key/generate' ? TEST_MASTER_KEY : key;
    const response = await sendRaw(gateway.url, path, {
      key: null,
      headers: { 'x-api-key': auth, authorization: `Bearer ${auth}`, ...anthropicHeaders },
      body: raw,
    });
    expect(response.status).toBe(400);
    expect(response.text).toContain('nested deeper than 64 levels');
    expect((await sendRaw(gateway.url, '/health/liveliness', { key: null })).status).toBe(200);
  });
});
