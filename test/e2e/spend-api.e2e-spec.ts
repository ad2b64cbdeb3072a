/**
 * The spend read API (LiteLLM's /spend/* and /global/spend/* routes) over real calls: a team and
 * keys made through the admin API, completions through the OpenAI SDK against a priced fake, then
 * every report checked to the nano-dollar. gpt-4o costs $2.50 / $10 per million tokens ($1.25
 * cached input): 2,500 / 10,000 / 1,250 nano-dollars per token. Expected amounts are computed in
 * integer nano-dollars and converted once, as the gateway does, so comparisons are exact.
 */
import { createHash } from 'node:crypto';

import OpenAI, { BadRequestError } from 'openai';

import { DEFAULT_COMPLETION_TOKENS, OpenAIFake, promptTokensForOpenAI } from '../fakes';
import { AdminApi } from '../support/admin-api';
import { caught } from '../support/e2e-helpers';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const OPENAI_KEY = 'sk-openai-test';
const INPUT_NANOS = 2_500;
const OUTPUT_NANOS = 10_000;
const CACHED_INPUT_NANOS = 1_250;

const usd = (nanos: number) => nanos / 1_000_000_000;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const dayOf = (iso: string) => iso.slice(0, 10);
const shiftDay = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

interface Call {
  /** x-litellm-call-id: the ledger's request_id. */
  requestId: string;
  prompt: number;
  cached: number;
  completion: number;
  nanos: number;
}

describe('spend API', () => {
  const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
  let gateway: TestGateway;
  let keyA: string;
  let keyB: string;
  let calls: Call[];
  /** Ledger rows of every call, keyed by request id (read once, newest first). */
  let rows: Map<string, any>;

  async function admin(path: string, init: { body?: unknown; key?: string | null } = {}): Promise<{ status: number; json: any }> {
    const headers: Record<string, string> = {};
    if (init.key !== null) headers.authorization = `Bearer ${init.key ?? TEST_MASTER_KEY}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${gateway.url}${path}`, {
      method: init.body === undefined ? 'GET' : 'POST',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: response.status, json: await response.json() };
  }

  async function ok(path: string): Promise<any> {
    const { status, json } = await admin(path);
    if (status !== 200) throw new Error(`GET ${path} answered ${status}: ${JSON.stringify(json)}`);
    return json;
  }

  async function complete(key: string, content: string, options: { session?: string; user?: string; cached?: number } = {}): Promise<Call> {
    const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content }];
    if (options.cached) openai.enqueue({ kind: 'reply', cachedTokens: options.cached });
    const { data, response } = await client.chat.completions
      .create(
        { model: 'gpt', messages, ...(options.user ? { user: options.user } : {}) },
        { headers: options.session ? { 'x-litellm-session-id': options.session } : {} },
      )
      .withResponse();
    const prompt = promptTokensForOpenAI({ messages });
    const cached = options.cached ?? 0;
    const completion = DEFAULT_COMPLETION_TOKENS;
    expect(data.usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: completion });
    // Sequential calls a few ms apart, so start_time alone orders them.
    await new Promise((resolve) => setTimeout(resolve, 5));
    return {
      requestId: response.headers.get('x-litellm-call-id')!,
      prompt,
      cached,
      completion,
      nanos: (prompt - cached) * INPUT_NANOS + cached * CACHED_INPUT_NANOS + completion * OUTPUT_NANOS,
    };
  }

  async function failingCall(key: string): Promise<Call> {
    openai.enqueue({ kind: 'error', status: 400, message: 'Unsupported parameter' });
    const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const error = await caught(() =>
      client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'fail please' }] }),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    return { requestId: (error as BadRequestError).headers!.get('x-litellm-call-id')!, prompt: 0, cached: 0, completion: 0, nanos: 0 };
  }

  const idsOf = (list: any[]) => list.map((row) => row.request_id);
  const sum = (list: Call[]) => list.reduce((total, call) => total + call.nanos, 0);
  const tokens = (list: Call[]) => list.reduce((total, call) => total + call.prompt + call.completion, 0);

  beforeAll(async () => {
    await openai.start();
    gateway = await startTestGateway({
      model_list: [{ model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } }],
    });
    expect(
      (await admin('/team/new', { body: { team_id: 'acme', team_alias: 'Acme Corp', max_budget: 10, budget_duration: '1mo' } })).status,
    ).toBe(200);
    expect((await admin('/team/new', { body: { team_id: 'idle' } })).status).toBe(200);
    const a = await admin('/key/generate', { body: { team_id: 'acme', key_alias: 'acme-laptop' } });
    const b = await admin('/key/generate', { body: { key_alias: 'solo-ci' } });
    expect([a.status, b.status]).toEqual([200, 200]);
    keyA = a.json.key;
    keyB = b.json.key;

    calls = [
      await complete(keyA, 'Hello there', { session: 's-1', user: 'customer-1' }),
      await complete(keyA, 'Tell me a story about a cat', { session: 's-1', user: 'customer-1', cached: 2 }),
      await complete(keyA, 'Bye', { session: 's-2' }),
      await complete(keyB, 'What is 2+2?', { user: 'customer-2' }),
      await failingCall(keyA),
    ];
    // Calls are answered before their settlements are written.
    await new AdminApi(gateway.url, TEST_MASTER_KEY).settled(calls.map((call) => call.requestId));
    const all = await ok('/spend/logs');
    rows = new Map(all.map((row: any) => [row.request_id, row]));
  });

  afterAll(async () => {
    await gateway?.close();
    await openai.stop();
  });

  describe('GET /spend/logs', () => {
    it('returns every call newest first with LiteLLM field names and exact spend', async () => {
      const all = await ok('/spend/logs');
      expect(idsOf(all)).toEqual(calls.map((c) => c.requestId).reverse());
      const cached = all.find((row: any) => row.request_id === calls[1].requestId);
      expect(cached).toEqual({
        request_id: calls[1].requestId,
        call_type: 'chat_completion',
        api_key: sha256(keyA),
        team_id: 'acme',
        user: 'customer-1',
        model: 'gpt-4o',
        model_group: 'gpt',
        model_id: expect.any(String),
        custom_llm_provider: 'openai',
        api_base: openai.apiBase,
        status: 'success',
        spend: usd(calls[1].nanos),
        prompt_tokens: calls[1].prompt,
        completion_tokens: calls[1].completion,
        total_tokens: calls[1].prompt + calls[1].completion,
        cache_read_input_tokens: 2,
        cache_creation_input_tokens: 0,
        startTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        endTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        request_duration_ms: expect.any(Number),
        time_to_first_token_ms: cached.time_to_first_token_ms,
        session_id: 's-1',
        attempted_fallbacks: 0,
        unpriced: false,
        estimated: false,
        error: null,
        metadata: expect.objectContaining({ requested_model: 'gpt', key_alias: 'acme-laptop' }),
        source: 'gateway',
        client_tool: null,
        client_tool_version: null,
        reported_cost: null,
      });
      // (7 − 2 cached) × 2,500 + 2 × 1,250 + 9 × 10,000 nano-dollars.
      expect(cached.spend).toBe(0.000105);
      expect(Date.parse(cached.endTime) - Date.parse(cached.startTime)).toBe(cached.request_duration_ms);
      expect(cached.time_to_first_token_ms === null || Number.isInteger(cached.time_to_first_token_ms)).toBe(true);
      for (const call of calls) expect(rows.get(call.requestId).spend).toBe(usd(call.nanos));
    });

    it('never shows a raw key', async () => {
      const text = JSON.stringify(await ok('/spend/logs'));
      expect(text).not.toContain(keyA);
      expect(text).not.toContain(keyB);
    });

    it('filters by api_key given raw or as its token', async () => {
      const byRaw = await ok(`/spend/logs?api_key=${encodeURIComponent(keyA)}`);
      const byToken = await ok(`/spend/logs?api_key=${sha256(keyA)}`);
      const expected = [calls[4], calls[2], calls[1], calls[0]].map((c) => c.requestId);
      expect(idsOf(byRaw)).toEqual(expected);
      expect(idsOf(byToken)).toEqual(expected);
      expect(idsOf(await ok(`/spend/logs?api_key=${encodeURIComponent(keyB)}`))).toEqual([calls[3].requestId]);
    });

    it('filters by team_id, request_id, session_id, user, model and status', async () => {
      expect(idsOf(await ok('/spend/logs?team_id=acme'))).toEqual([calls[4], calls[2], calls[1], calls[0]].map((c) => c.requestId));
      expect(await ok('/spend/logs?team_id=idle')).toEqual([]);

      const one = await ok(`/spend/logs?request_id=${calls[2].requestId}`);
      expect(one).toHaveLength(1);
      expect(one[0]).toMatchObject({ request_id: calls[2].requestId, session_id: 's-2', spend: usd(calls[2].nanos), user: null });

      expect(idsOf(await ok('/spend/logs?session_id=s-1'))).toEqual([calls[1].requestId, calls[0].requestId]);
      expect(idsOf(await ok('/spend/logs?user=customer-2'))).toEqual([calls[3].requestId]);
      expect(await ok('/spend/logs?model=gpt')).toHaveLength(5);
      expect(await ok('/spend/logs?model=claude')).toEqual([]);

      const failed = await ok('/spend/logs?status=error');
      expect(idsOf(failed)).toEqual([calls[4].requestId]);
      expect(failed[0]).toMatchObject({
        status: 'error',
        spend: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        error: expect.stringContaining('Unsupported parameter'),
      });
      expect(idsOf(await ok('/spend/logs?status=success&api_key=' + sha256(keyA)))).toEqual(
        [calls[2], calls[1], calls[0]].map((c) => c.requestId),
      );
    });

    it('filters by date range: whole UTC days for dates, exact instants for date-times', async () => {
      const first = rows.get(calls[0].requestId);
      const today = dayOf(first.startTime);
      expect(await ok(`/spend/logs?start_date=${today}&end_date=${today}`)).toHaveLength(5);
      expect(await ok(`/spend/logs?start_date=${shiftDay(today, 1)}`)).toEqual([]);
      expect(await ok(`/spend/logs?end_date=${shiftDay(today, -1)}`)).toEqual([]);

      const third = rows.get(calls[2].requestId).startTime;
      expect(idsOf(await ok(`/spend/logs?start_date=${encodeURIComponent(third)}`))).toEqual(
        [calls[4], calls[3], calls[2]].map((c) => c.requestId),
      );
      const second = rows.get(calls[1].requestId).startTime;
      expect(idsOf(await ok(`/spend/logs?end_date=${encodeURIComponent(second)}`))).toEqual([calls[1], calls[0]].map((c) => c.requestId));
      // A date-time without a zone is UTC.
      expect(idsOf(await ok(`/spend/logs?end_date=${encodeURIComponent(second.replace('Z', ''))}`))).toEqual(
        [calls[1], calls[0]].map((c) => c.requestId),
      );
    });

    it('paginates with page and page_size', async () => {
      const page1 = await ok('/spend/logs?page_size=1');
      const page2 = await ok('/spend/logs?page_size=1&page=2');
      expect(idsOf(page1)).toEqual([calls[4].requestId]);
      expect(idsOf(page2)).toEqual([calls[3].requestId]);
      expect(idsOf(await ok('/spend/logs?page_size=2&page=3'))).toEqual([calls[0].requestId]);
      expect(await ok('/spend/logs?page_size=2&page=4')).toEqual([]);
    });

    it.each([
      ['start_date=not-a-date', 'start_date'],
      ['start_date=2025-02-30', 'start_date'],
      ['end_date=2025-13-01', 'end_date'],
      ['start_date=2025-03-02&end_date=2025-03-01', 'end_date'],
      ['page=0', 'page'],
      ['page=abc', 'page'],
      ['page_size=1001', 'page_size'],
      ['team_id=acme&team_id=idle', 'team_id'],
    ])('answers 400 naming the parameter for %s', async (query, param) => {
      const { status, json } = await admin(`/spend/logs?${query}`);
      expect(status).toBe(400);
      expect(json.error).toMatchObject({ type: 'invalid_request_error', param });
      expect(json.error.message).toContain(param);
    });

    it('needs the master key', async () => {
      expect((await admin('/spend/logs', { key: null })).status).toBe(401);
      expect((await admin('/spend/logs', { key: keyA })).status).toBe(401);
      expect((await admin('/global/spend/report?start_date=2025-01-01&end_date=2025-01-02', { key: null })).status).toBe(401);
    });
  });

  describe('key and team spend', () => {
    it('GET /spend/keys?key= returns that key with its spend, raw or token', async () => {
      const spendA = sum([calls[0], calls[1], calls[2], calls[4]]);
      for (const ref of [keyA, sha256(keyA)]) {
        const list = await ok(`/spend/keys?key=${encodeURIComponent(ref)}`);
        expect(list).toHaveLength(1);
        expect(list[0]).toMatchObject({
          token: sha256(keyA),
          key_alias: 'acme-laptop',
          team_id: 'acme',
          spend: usd(spendA),
          reserved_spend: 0,
        });
        expect(list[0]).not.toHaveProperty('key');
      }
      expect(await ok('/spend/keys?key=sk-nobody-has-this')).toEqual([]);
    });

    it('GET /spend/keys lists every key, highest spend first', async () => {
      const list = await ok('/spend/keys');
      expect(list.map((k: any) => [k.key_alias, k.spend])).toEqual([
        ['acme-laptop', usd(sum([calls[0], calls[1], calls[2]]))],
        ['solo-ci', usd(calls[3].nanos)],
      ]);
    });

    it('GET /spend/teams gives budget state and key counts', async () => {
      const list = await ok('/spend/teams');
      expect(list).toEqual([
        {
          team_id: 'acme',
          team_alias: 'Acme Corp',
          spend: usd(sum(calls.slice(0, 3))),
          reserved_spend: 0,
          max_budget: 10,
          budget_duration: '1mo',
          budget_reset_at: expect.stringMatching(/^\d{4}-\d{2}-01T00:00:00\.000Z$/),
          keys: 1,
        },
        {
          team_id: 'idle',
          team_alias: null,
          spend: 0,
          reserved_spend: 0,
          max_budget: null,
          budget_duration: null,
          budget_reset_at: null,
          keys: 0,
        },
      ]);
    });
  });

  describe('global reports', () => {
    it('GET /global/spend/teams: totals and daily spend per team', async () => {
      const today = dayOf(rows.get(calls[0].requestId).startTime);
      const acme = usd(sum(calls.slice(0, 3)));
      const unassigned = usd(calls[3].nanos);
      expect(await ok('/global/spend/teams')).toEqual({
        teams: ['acme', 'Unassigned'],
        total_spend_per_team: [
          { team_id: 'acme', total_spend: acme },
          { team_id: 'Unassigned', total_spend: unassigned },
        ],
        daily_spend: [{ date: today, acme, Unassigned: unassigned }],
      });
    });

    it('GET /global/spend/keys: all-time spend per key from the ledger', async () => {
      const expected = [
        { api_key: sha256(keyA), key_alias: 'acme-laptop', key_name: `sk-...${keyA.slice(-4)}`, total_spend: usd(sum(calls.slice(0, 3))) },
        { api_key: sha256(keyB), key_alias: 'solo-ci', key_name: `sk-...${keyB.slice(-4)}`, total_spend: usd(calls[3].nanos) },
      ];
      expect(await ok('/global/spend/keys')).toEqual(expected);
      expect(await ok('/global/spend/keys?limit=1')).toEqual(expected.slice(0, 1));
      expect((await admin('/global/spend/keys?limit=-1')).json.error.param).toBe('limit');
    });

    it('GET /global/spend/report?group_by=team: per day, per team, per model', async () => {
      const today = dayOf(rows.get(calls[0].requestId).startTime);
      const acmeCalls = [calls[0], calls[1], calls[2], calls[4]];
      expect(await ok(`/global/spend/report?start_date=${today}&end_date=${today}&group_by=team`)).toEqual([
        {
          group_by_day: today,
          teams: [
            {
              team_name: 'Acme Corp',
              team_id: 'acme',
              total_spend: usd(sum(acmeCalls)),
              metadata: [{ model: 'gpt-4o', spend: usd(sum(acmeCalls)), total_tokens: tokens(acmeCalls) }],
            },
            {
              team_name: 'Unassigned',
              team_id: null,
              total_spend: usd(calls[3].nanos),
              metadata: [{ model: 'gpt-4o', spend: usd(calls[3].nanos), total_tokens: tokens([calls[3]]) }],
            },
          ],
        },
      ]);
      // group_by defaults to team; a range without calls is empty.
      expect(await ok(`/global/spend/report?start_date=${today}&end_date=${today}`)).toHaveLength(1);
      expect(await ok(`/global/spend/report?start_date=${shiftDay(today, -3)}&end_date=${shiftDay(today, -1)}`)).toEqual([]);
    });

    it('GET /global/spend/report?group_by=api_key and customer', async () => {
      const today = dayOf(rows.get(calls[0].requestId).startTime);
      const aCalls = [calls[0], calls[1], calls[2], calls[4]];
      expect(await ok(`/global/spend/report?start_date=${today}&end_date=${today}&group_by=api_key`)).toEqual([
        {
          group_by_day: today,
          api_keys: [
            {
              api_key: sha256(keyA),
              key_alias: 'acme-laptop',
              total_spend: usd(sum(aCalls)),
              metadata: [{ model: 'gpt-4o', spend: usd(sum(aCalls)), total_tokens: tokens(aCalls) }],
            },
            {
              api_key: sha256(keyB),
              key_alias: 'solo-ci',
              total_spend: usd(calls[3].nanos),
              metadata: [{ model: 'gpt-4o', spend: usd(calls[3].nanos), total_tokens: tokens([calls[3]]) }],
            },
          ],
        },
      ]);
      const customers = (await ok(`/global/spend/report?start_date=${today}&end_date=${today}&group_by=customer`))[0].customers;
      expect(customers.map((c: any) => [c.customer, c.total_spend])).toEqual([
        ['customer-1', usd(calls[0].nanos + calls[1].nanos)],
        ['customer-2', usd(calls[3].nanos)],
        [null, usd(calls[2].nanos)],
      ]);
    });

    it('GET /global/spend/report validates its parameters', async () => {
      expect((await admin('/global/spend/report?end_date=2025-01-01')).json.error).toMatchObject({ param: 'start_date' });
      expect((await admin('/global/spend/report?start_date=2025-01-01')).json.error).toMatchObject({ param: 'end_date' });
      const bad = await admin('/global/spend/report?start_date=2025-01-01&end_date=2025-01-02&group_by=model');
      expect(bad.status).toBe(400);
      expect(bad.json.error.param).toBe('group_by');
    });
  });

  describe('GET /spend/sessions', () => {
    it('sums each session of a team, most recent first', async () => {
      const s1 = [calls[0], calls[1]];
      // Gateway sessions have no tool-reported active time: it is the span from the first start to the last end.
      const span = (first: string, ...ends: string[]) =>
        (Math.max(...ends.map((end) => Date.parse(rows.get(end).endTime))) - Date.parse(rows.get(first).startTime)) / 1000;
      expect(await ok('/spend/sessions?team_id=acme')).toEqual([
        {
          session_id: 's-2',
          source: 'gateway',
          client_tool: null,
          reported_cost: null,
          active_time_seconds: span(calls[2].requestId, calls[2].requestId),
          api_key: sha256(keyA),
          team_id: 'acme',
          requests: 1,
          prompt_tokens: calls[2].prompt,
          completion_tokens: calls[2].completion,
          total_tokens: calls[2].prompt + calls[2].completion,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
          spend: usd(calls[2].nanos),
          first_call: rows.get(calls[2].requestId).startTime,
          last_call: rows.get(calls[2].requestId).startTime,
        },
        {
          session_id: 's-1',
          source: 'gateway',
          client_tool: null,
          reported_cost: null,
          active_time_seconds: span(calls[0].requestId, calls[0].requestId, calls[1].requestId),
          api_key: sha256(keyA),
          team_id: 'acme',
          requests: 2,
          prompt_tokens: calls[0].prompt + calls[1].prompt,
          completion_tokens: calls[0].completion + calls[1].completion,
          total_tokens: tokens(s1),
          cache_read_input_tokens: 2,
          cache_creation_input_tokens: 0,
          spend: usd(sum(s1)),
          first_call: rows.get(calls[0].requestId).startTime,
          last_call: rows.get(calls[1].requestId).startTime,
        },
      ]);
    });

    it('filters by api_key and time', async () => {
      expect((await ok(`/spend/sessions?api_key=${encodeURIComponent(keyA)}`)).map((s: any) => s.session_id)).toEqual(['s-2', 's-1']);
      expect(await ok(`/spend/sessions?api_key=${encodeURIComponent(keyB)}`)).toEqual([]);
      const third = rows.get(calls[2].requestId).startTime;
      expect((await ok(`/spend/sessions?start_date=${encodeURIComponent(third)}`)).map((s: any) => s.session_id)).toEqual(['s-2']);
      expect((await admin('/spend/sessions?end_date=yesterday')).json.error.param).toBe('end_date');
    });
  });

  it('documents the spend routes in the OpenAPI document', async () => {
    const response = await fetch(`${gateway.url}/docs/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      paths: Record<string, Record<string, { tags?: string[]; parameters?: { name: string }[] }>>;
    };
    const logs = document.paths['/spend/logs']?.get;
    expect(logs?.tags).toEqual(['spend']);
    expect(logs?.parameters?.map((p) => p.name).sort()).toEqual([
      'api_key',
      'end_date',
      'model',
      'page',
      'page_size',
      'request_id',
      'session_id',
      'source',
      'start_date',
      'status',
      'team_id',
      'user',
    ]);
    expect(document.paths['/key/generate']?.post).toBeDefined();
    for (const path of [
      '/spend/keys',
      '/spend/teams',
      '/spend/sessions',
      '/global/spend/teams',
      '/global/spend/keys',
      '/global/spend/report',
    ]) {
      expect(document.paths[path]?.get?.tags).toEqual(['spend']);
    }
  });
});
