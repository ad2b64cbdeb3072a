/**
 * The money promise against a broken or lying upstream (issue 9, classes 2 and 3): usage that is
 * missing, negative, fractional, huge or not a number is billed by a conservative estimate and
 * flagged `estimated`; usage is found on whichever chunk carries it; a 200 carrying an error or a
 * body that is not an answer is a retryable 502; and the reservation is a bound the gateway
 * enforces — the deployment's output cap goes upstream, unmeasurable input is bounded by the
 * context window, server-tool fees are refused under a money budget, and a max_tokens beyond the
 * model's maximum is a 400. Every amount is exact, on SQLite and PostgreSQL alike.
 */
import { AnthropicFake, DEFAULT_REPLY_TEXT, type FakeUpstream, OllamaFake, OpenAIFake } from '../fakes';
import { AdminApi, nanosToUsd, type RawResponse, sendRaw, usdToNanos, waitFor } from '../support/admin-api';
import { ANTHROPIC_DEFAULT_MAX_TOKENS, inputTokensBound, PRICES } from '../support/expected-cost';
import { LedgerDb } from '../support/ledger-db';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const openai = new OpenAIFake();
const anthropic = new AnthropicFake();
const ollama = new OllamaFake();
const fakes: FakeUpstream<any>[] = [openai, anthropic, ollama];

const MESSAGES = [{ role: 'user', content: 'Count to three.' }];
const MAX_TOKENS = 16;
const BOUND = inputTokensBound(MESSAGES);
/** Priced local deployments, so that a wrong Ollama count shows up as money: $1 / $2 per million tokens. */
const LOCAL = { input: 1_000, output: 2_000 };
const EMBED = { input: 20, output: 0 };
/** Output tokens estimated from DEFAULT_REPLY_TEXT (19 UTF-16 units) at three characters a token. */
const REPLY_ESTIMATE = Math.ceil(DEFAULT_REPLY_TEXT.length / 3);
/** The gateway's allowance for the tool-use system prompt a provider adds when a request has tools. */
const TOOLS_OVERHEAD_TOKENS = 2_000;
/** litellm_params.max_tokens of the capped aliases. */
const CAP = 10;

let gateway: TestGateway;
let admin: AdminApi;
let ledger: LedgerDb;
let key: string;

beforeAll(async () => {
  await Promise.all(fakes.map((fake) => fake.start()));
  const openaiModel = (name: string, model = 'gpt-4o', extra: Record<string, unknown> = {}) => ({
    model_name: name,
    litellm_params: { model: `openai/${model}`, api_base: openai.apiBase, api_key: 'sk-openai', ...extra },
  });
  const claude = (name: string, extra: Record<string, unknown> = {}) => ({
    model_name: name,
    litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: 'sk-ant', ...extra },
  });
  const local = (name: string, model = 'llama3.2', extra: Record<string, unknown> = {}) => ({
    model_name: name,
    litellm_params: {
      model: `ollama_chat/${model}`,
      api_base: ollama.url,
      input_cost_per_token: 0.000001,
      output_cost_per_token: 0.000002,
      ...extra,
    },
  });
  gateway = await startTestGateway({
    model_list: [
      openaiModel('gpt'),
      openaiModel('gpt-capped', 'gpt-4o', { max_tokens: CAP }),
      openaiModel('gpt-flaky'),
      openaiModel('gpt-backup'),
      openaiModel('gpt-solo'),
      openaiModel('gpt-embed', 'text-embedding-3-small'),
      openaiModel('embed-flaky', 'text-embedding-3-small'),
      openaiModel('embed-backup', 'text-embedding-3-small'),
      claude('claude'),
      claude('claude-capped', { max_tokens: CAP }),
      claude('claude-capped-8k', { max_tokens: 8_000 }),
      claude('claude-flaky'),
      claude('claude-backup'),
      claude('claude-solo'),
      local('local'),
      local('local-capped', 'llama3.2', { max_tokens: CAP }),
      local('local-flaky'),
      local('local-backup'),
      local('local-solo'),
      local('local-embed', 'nomic-embed-text'),
    ],
    router_settings: {
      fallbacks: [
        { 'gpt-flaky': ['gpt-backup'] },
        { 'claude-flaky': ['claude-backup'] },
        { 'local-flaky': ['local-backup'] },
        { 'embed-flaky': ['embed-backup'] },
      ],
      num_retries: 0,
      allowed_fails: 1_000,
    },
  });
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
  ledger = await LedgerDb.open(gateway.database);
  key = (await admin.generateKey({})).key;
});

afterEach(() => {
  for (const fake of fakes) fake.reset();
});

afterAll(async () => {
  await ledger?.close();
  await gateway?.close();
  await Promise.all(fakes.map((fake) => fake.stop()));
});

interface LedgerRowOfCall {
  spend_nanos: number;
  prompt_tokens: number;
  completion_tokens: number;
  estimated: number;
  status: string;
}

/** The call's ledger row; a stream settles just after its last byte, so the row may take a moment. */
async function rowOf(response: RawResponse): Promise<LedgerRowOfCall> {
  const requestId = response.headers.get('x-litellm-call-id');
  const row = await waitFor(
    async () =>
      (
        await ledger.query<LedgerRowOfCall>(
          `SELECT spend_nanos, prompt_tokens, completion_tokens, estimated, status FROM spend_logs WHERE request_id = ?`,
          [requestId],
        )
      )[0],
    5_000,
    25,
    `the ledger row of ${requestId}`,
  );
  return { ...row, estimated: Number(row.estimated) };
}

/** Which provider's usage shape a path's upstream speaks. */
type UsageDialect = 'openai' | 'anthropic' | 'ollama' | 'openai-embed' | 'ollama-embed';

interface BilledPath {
  name: string;
  dialect: UsageDialect;
  fake: FakeUpstream<any>;
  /** Which upstream requests the lie is scripted for (default: the fake's generation endpoint). */
  match?: string;
  send: (key: string) => Promise<RawResponse>;
  rates: { input: number; output: number };
  inputBound: number;
  /** Output tokens the estimate bills: the text received, at three characters a token. */
  estimatedOutput: number;
}

const chat = (model: string, stream: boolean) => (k: string) =>
  sendRaw(gateway.url, '/v1/chat/completions', { key: k, body: { model, messages: MESSAGES, max_tokens: MAX_TOKENS, stream } });
const messages = (model: string, stream: boolean) => (k: string) =>
  sendRaw(gateway.url, '/v1/messages', { key: k, body: { model, messages: MESSAGES, max_tokens: MAX_TOKENS, stream } });
const embed = (model: string) => (k: string) => sendRaw(gateway.url, '/v1/embeddings', { key: k, body: { model, input: 'hello world' } });
/** An embeddings request measures its input JSON (plus empty messages and tools, `[]` each). */
const EMBED_BOUND = 4 + Buffer.byteLength(JSON.stringify('hello world'));
const GPT = { input: PRICES['gpt-4o'].input, output: PRICES['gpt-4o'].output };
const SONNET = { input: PRICES['claude-sonnet-4-6'].input, output: PRICES['claude-sonnet-4-6'].output };

/** Every billed path: three providers, both directions of translation, streamed and not, and embeddings. */
const PATHS: BilledPath[] = [
  {
    name: 'chat → OpenAI',
    dialect: 'openai',
    fake: openai,
    send: chat('gpt', false),
    rates: GPT,
    inputBound: BOUND,
    estimatedOutput: REPLY_ESTIMATE,
  },
  {
    name: 'chat → OpenAI, streamed',
    dialect: 'openai',
    fake: openai,
    send: chat('gpt', true),
    rates: GPT,
    inputBound: BOUND,
    estimatedOutput: REPLY_ESTIMATE,
  },
  {
    name: 'chat → Anthropic',
    dialect: 'anthropic',
    fake: anthropic,
    send: chat('claude', false),
    rates: SONNET,
    inputBound: BOUND,
    estimatedOutput: REPLY_ESTIMATE,
  },
  {
    name: 'chat → Anthropic, streamed',
    dialect: 'anthropic',
    fake: anthropic,
    send: chat('claude', true),
    rates: SONNET,
    inputBound: BOUND,
    estimatedOutput: REPLY_ESTIMATE,
  },
  {
    name: 'chat → Ollama',
    dialect: 'ollama',
    fake: ollama,
    send: chat('local', false),
    rates: LOCAL,
    inputBound: BOUND,
    estimatedOutput: REPLY_ESTIMATE,
  },
  {
    name: 'chat → Ollama, streamed',
    dialect: 'ollama',
    fake: ollama,
    send: chat('local', true),
    rates: LOCAL,
    inputBound: BOUND,
    estimatedOutput: REPLY_ESTIMATE,
  },
  {
    name: '/v1/messages → Anthropic (passthrough)',
    dialect: 'anthropic',
    fake: anthropic,
    send: messages('claude', false),
    rates: SONNET,
    inputBound: BOUND,
    estimatedOutput: REPLY_ESTIMATE,
  },
  {
    name: '/v1/messages → Anthropic (passthrough), streamed',
    dialect: 'anthropic',
    fake: anthropic,
    send: messages('claude', true),
    rates: SONNET,
    inputBound: BOUND,
    estimatedOutput: REPLY_ESTIMATE,
  },
  {
    name: '/v1/messages → OpenAI (translated)',
    dialect: 'openai',
    fake: openai,
    send: messages('gpt', false),
    rates: GPT,
    inputBound: BOUND,
    estimatedOutput: REPLY_ESTIMATE,
  },
  {
    name: '/v1/messages → OpenAI (translated), streamed',
    dialect: 'openai',
    fake: openai,
    send: messages('gpt', true),
    rates: GPT,
    inputBound: BOUND,
    estimatedOutput: REPLY_ESTIMATE,
  },
  {
    name: '/v1/messages → Ollama (translated), streamed',
    dialect: 'ollama',
    fake: ollama,
    send: messages('local', true),
    rates: LOCAL,
    inputBound: BOUND,
    estimatedOutput: REPLY_ESTIMATE,
  },
  {
    name: 'embeddings → OpenAI',
    dialect: 'openai-embed',
    fake: openai,
    match: '/v1/embeddings',
    send: embed('gpt-embed'),
    rates: EMBED,
    inputBound: EMBED_BOUND,
    estimatedOutput: 0,
  },
  {
    name: 'embeddings → Ollama',
    dialect: 'ollama-embed',
    fake: ollama,
    match: '/api/embed',
    send: embed('local-embed'),
    rates: LOCAL,
    inputBound: EMBED_BOUND,
    estimatedOutput: 0,
  },
];

/** The provider's usage object with the input count replaced by `input` (and `output` output tokens). */
function usageWith(dialect: UsageDialect, input: unknown, output: unknown = 9): Record<string, unknown> {
  switch (dialect) {
    case 'openai':
      return { prompt_tokens: input, completion_tokens: output, total_tokens: 0 };
    case 'anthropic':
      return { input_tokens: input, output_tokens: output };
    case 'ollama':
      return { prompt_eval_count: input, eval_count: output };
    case 'openai-embed':
      return { prompt_tokens: input, total_tokens: input };
    case 'ollama-embed':
      return { prompt_eval_count: input };
  }
}

/** Usage faults, each a way an upstream's report can be unbelievable. `null` sends no usage at all. */
const USAGE_FAULTS: { fault: string; usage: (dialect: UsageDialect) => Record<string, unknown> | null }[] = [
  { fault: 'a 200 with no usage at all', usage: () => null },
  { fault: 'a negative input count (would credit the budget)', usage: (d) => usageWith(d, -1_000_000) },
  { fault: 'a fractional input count', usage: (d) => usageWith(d, 10.5) },
  { fault: 'a huge input count (1e300)', usage: (d) => usageWith(d, 1e300) },
  { fault: 'an input count of 2^53 (past exact integers)', usage: (d) => usageWith(d, 2 ** 53) },
  { fault: 'an input count beyond the context window', usage: (d) => usageWith(d, 10_000_000) },
  { fault: 'a token count sent as a string', usage: (d) => usageWith(d, '12') },
];

describe('class 2: upstream usage is not trusted as it comes', () => {
  describe.each(PATHS)('$name', (path) => {
    const expected = path.inputBound * path.rates.input + path.estimatedOutput * path.rates.output;

    it.each(USAGE_FAULTS)('$fault is billed by the estimate (input bound + output received) and flagged estimated', async ({ usage }) => {
      path.fake.enqueue({ kind: 'reply', usage: usage(path.dialect) }, path.match);
      const response = await path.send(key);
      expect(response.status).toBe(200);
      const row = await rowOf(response);
      expect(row).toEqual({
        spend_nanos: expected,
        prompt_tokens: path.inputBound,
        completion_tokens: path.estimatedOutput,
        estimated: 1,
        status: 'success',
      });
      expect(path.fake.pendingBehaviours).toBe(0);
    });
  });

  it('output counted as zero while text was received is not believed', async () => {
    openai.enqueue({ kind: 'reply', promptTokens: 5, completionTokens: 0 });
    const response = await chat('gpt', false)(key);
    expect(await rowOf(response)).toMatchObject({ spend_nanos: BOUND * GPT.input + REPLY_ESTIMATE * GPT.output, estimated: 1 });
  });

  it('a huge output count on an honest-looking report is not believed beyond the output limit', async () => {
    anthropic.enqueue({ kind: 'reply', outputTokens: 1_000_000_000 });
    const response = await messages('claude', false)(key);
    expect(await rowOf(response)).toMatchObject({
      spend_nanos: BOUND * SONNET.input + REPLY_ESTIMATE * SONNET.output,
      completion_tokens: REPLY_ESTIMATE,
      estimated: 1,
    });
  });

  it('the estimate is flagged in /spend/logs and charged to the key, never credited', async () => {
    const created = await admin.generateKey({ max_budget: 1 });
    openai.enqueue({ kind: 'reply', usage: usageWith('openai', -1_000_000) });
    const response = await chat('gpt', false)(created.key);
    const expected = BOUND * GPT.input + REPLY_ESTIMATE * GPT.output;
    expect(Number(response.headers.get('x-litellm-response-cost'))).toBe(nanosToUsd(expected));
    const log = await admin.ledgerRow(response.headers.get('x-litellm-call-id')!);
    expect(log).toMatchObject({ estimated: true, spend: nanosToUsd(expected), prompt_tokens: BOUND, completion_tokens: REPLY_ESTIMATE });
    const info = await admin.keySettled(created.key);
    expect(usdToNanos(info.spend)).toBe(expected);
  });

  it('honest usage is billed exactly and not flagged', async () => {
    openai.enqueue({ kind: 'reply', promptTokens: 5, completionTokens: 9 });
    const response = await chat('gpt', false)(key);
    expect(await rowOf(response)).toEqual({
      spend_nanos: 5 * GPT.input + 9 * GPT.output,
      prompt_tokens: 5,
      completion_tokens: 9,
      estimated: 0,
      status: 'success',
    });
  });

  describe('usage arriving on a chunk that also carries choices is billed exactly', () => {
    const body = (model: string, includeUsage: boolean) => ({
      model,
      messages: MESSAGES,
      max_tokens: 1_000,
      stream: true,
      ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
    });
    const exact = 1_000 * GPT.input + 450 * GPT.output;

    it.each([true, false])('on /v1/chat/completions (client asked for usage: %s)', async (includeUsage) => {
      openai.enqueue({ kind: 'reply', promptTokens: 1_000, completionTokens: 450, usageOnChoicesChunk: true });
      const response = await sendRaw(gateway.url, '/v1/chat/completions', { key, body: body('gpt', includeUsage) });
      expect(await rowOf(response)).toEqual({
        spend_nanos: exact,
        prompt_tokens: 1_000,
        completion_tokens: 450,
        estimated: 0,
        status: 'success',
      });
      // The client sees usage only where it asked for it, and then on the chunk it came with.
      expect(response.text.includes('"prompt_tokens":1000')).toBe(includeUsage);
    });

    it('on /v1/messages translated to OpenAI', async () => {
      openai.enqueue({ kind: 'reply', promptTokens: 1_000, completionTokens: 450, usageOnChoicesChunk: true });
      const response = await sendRaw(gateway.url, '/v1/messages', {
        key,
        body: { model: 'gpt', messages: MESSAGES, max_tokens: 1_000, stream: true },
      });
      expect(await rowOf(response)).toEqual({
        spend_nanos: exact,
        prompt_tokens: 1_000,
        completion_tokens: 450,
        estimated: 0,
        status: 'success',
      });
      expect(response.text).toContain('"output_tokens":450');
    });
  });

  describe('a 200 carrying an error, or a body that is not an answer, is a retryable 502', () => {
    const ERROR_BODY = { error: { message: 'upstream exploded', type: 'server_error' } };
    const BAD_BODIES: { fault: string; body: unknown }[] = [
      { fault: 'a 200 with an error body', body: ERROR_BODY },
      { fault: 'a 200 with a body that is not JSON', body: '<html>502 Bad Gateway</html>' },
      { fault: 'a 200 with JSON that is not an answer', body: { ok: true } },
      { fault: 'a 200 whose stream begins with an OpenAI-style error event', body: 'data: {"error":{"message":"upstream exploded"}}\n\n' },
    ];
    /** `flaky` falls back to a healthy twin; `solo` has nowhere to go. */
    const ROUTES: {
      name: string;
      fake: FakeUpstream<any>;
      match?: string;
      send: (model: string) => Promise<RawResponse>;
      flaky?: string;
      solo: string;
      dialect: 'openai' | 'anthropic';
    }[] = [
      { name: 'chat → OpenAI', fake: openai, send: (m) => chat(m, false)(key), flaky: 'gpt-flaky', solo: 'gpt-solo', dialect: 'openai' },
      {
        name: 'chat → OpenAI, streamed',
        fake: openai,
        send: (m) => chat(m, true)(key),
        flaky: 'gpt-flaky',
        solo: 'gpt-solo',
        dialect: 'openai',
      },
      {
        name: 'chat → Anthropic',
        fake: anthropic,
        send: (m) => chat(m, false)(key),
        flaky: 'claude-flaky',
        solo: 'claude-solo',
        dialect: 'openai',
      },
      {
        name: 'chat → Anthropic, streamed',
        fake: anthropic,
        send: (m) => chat(m, true)(key),
        flaky: 'claude-flaky',
        solo: 'claude-solo',
        dialect: 'openai',
      },
      {
        name: 'chat → Ollama',
        fake: ollama,
        send: (m) => chat(m, false)(key),
        flaky: 'local-flaky',
        solo: 'local-solo',
        dialect: 'openai',
      },
      {
        name: 'chat → Ollama, streamed',
        fake: ollama,
        send: (m) => chat(m, true)(key),
        flaky: 'local-flaky',
        solo: 'local-solo',
        dialect: 'openai',
      },
      {
        name: '/v1/messages → Anthropic (passthrough)',
        fake: anthropic,
        send: (m) => messages(m, false)(key),
        flaky: 'claude-flaky',
        solo: 'claude-solo',
        dialect: 'anthropic',
      },
      {
        name: '/v1/messages → Anthropic (passthrough), streamed',
        fake: anthropic,
        send: (m) => messages(m, true)(key),
        flaky: 'claude-flaky',
        solo: 'claude-solo',
        dialect: 'anthropic',
      },
      {
        name: '/v1/messages → OpenAI (translated)',
        fake: openai,
        send: (m) => messages(m, false)(key),
        flaky: 'gpt-flaky',
        solo: 'gpt-solo',
        dialect: 'anthropic',
      },
      {
        name: '/v1/messages → OpenAI (translated), streamed',
        fake: openai,
        send: (m) => messages(m, true)(key),
        flaky: 'gpt-flaky',
        solo: 'gpt-solo',
        dialect: 'anthropic',
      },
      {
        name: 'embeddings → OpenAI',
        fake: openai,
        match: '/v1/embeddings',
        send: (m) => embed(m)(key),
        flaky: 'embed-flaky',
        solo: 'gpt-embed',
        dialect: 'openai',
      },
      {
        name: 'embeddings → Ollama',
        fake: ollama,
        match: '/api/embed',
        send: (m) => embed(m)(key),
        solo: 'local-embed',
        dialect: 'openai',
      },
    ];

    describe.each(ROUTES)('$name', (route) => {
      const withFallback = route.flaky === undefined ? it.skip : it;
      withFallback.each(BAD_BODIES)('$fault falls back to the next deployment', async ({ body }) => {
        route.fake.enqueue({ kind: 'error', status: 200, body }, route.match);
        const response = await route.send(route.flaky!);
        expect(response.status).toBe(200);
        expect(response.headers.get('x-litellm-attempted-fallbacks')).toBe('1');
        expect(route.fake.pendingBehaviours).toBe(0);
      });

      it.each(BAD_BODIES)('$fault with nowhere to fall back is a 502 in the caller’s dialect, charged nothing', async ({ body }) => {
        route.fake.enqueue({ kind: 'error', status: 200, body }, route.match);
        const response = await route.send(route.solo);
        expect(response.status).toBe(502);
        if (route.dialect === 'anthropic')
          expect(response.json).toEqual({ type: 'error', error: { type: 'api_error', message: expect.any(String) } });
        else expect(response.json.error).toMatchObject({ type: 'api_error' });
        expect(await rowOf(response)).toMatchObject({ spend_nanos: 0, estimated: 0, status: 'error' });
      });
    });
  });
});

describe('class 3: the reservation is a bound the gateway enforces', () => {
  describe("the deployment's max_tokens is sent upstream as the provider's output limit (the smaller one wins)", () => {
    it.each([
      { asked: { max_tokens: 500 }, sent: { max_tokens: CAP } },
      { asked: {}, sent: { max_tokens: CAP } },
      { asked: { max_tokens: 4 }, sent: { max_tokens: 4 } },
      { asked: { max_completion_tokens: 500 }, sent: { max_completion_tokens: CAP } },
    ])('OpenAI: asked $asked → upstream gets $sent', async ({ asked, sent }) => {
      await sendRaw(gateway.url, '/v1/chat/completions', { key, body: { model: 'gpt-capped', messages: MESSAGES, ...asked } });
      expect(openai.lastRequest!.body).toMatchObject(sent);
    });

    it('Anthropic, translated from chat: max_tokens', async () => {
      await chat('claude-capped', false)(key);
      expect((anthropic.lastRequest!.body as { max_tokens: number }).max_tokens).toBe(CAP);
    });

    it('Anthropic, passthrough of /v1/messages: max_tokens (Claude Code asks for 32,000)', async () => {
      await sendRaw(gateway.url, '/v1/messages', { key, body: { model: 'claude-capped', messages: MESSAGES, max_tokens: 32_000 } });
      expect((anthropic.lastRequest!.body as { max_tokens: number }).max_tokens).toBe(CAP);
    });

    it("Anthropic passthrough: Claude Code's thinking budget follows the cap down, as Anthropic requires it below max_tokens", async () => {
      const body = {
        model: 'claude-capped-8k',
        messages: MESSAGES,
        max_tokens: 32_000,
        thinking: { type: 'enabled', budget_tokens: 31_999 },
      };
      expect((await sendRaw(gateway.url, '/v1/messages', { key, body })).status).toBe(200);
      expect(anthropic.lastRequest!.body).toMatchObject({ max_tokens: 8_000, thinking: { type: 'enabled', budget_tokens: 7_999 } });
    });

    it('Ollama: options.num_predict, also when the client set none', async () => {
      await chat('local-capped', false)(key);
      expect((ollama.lastRequest!.body as { options: { num_predict: number } }).options.num_predict).toBe(CAP);
      await sendRaw(gateway.url, '/v1/chat/completions', { key, body: { model: 'local-capped', messages: MESSAGES } });
      expect((ollama.lastRequest!.body as { options: { num_predict: number } }).options.num_predict).toBe(CAP);
    });
  });

  it('an upstream that writes far past the cap cannot push a $0.05 key over its budget', async () => {
    const created = await admin.generateKey({ max_budget: 0.05 });
    // The upstream ignores the limit and claims 40,000 output tokens — $0.60 at Sonnet's rate.
    const longText = 'word '.repeat(2_000);
    anthropic.enqueue({ kind: 'reply', text: longText, outputTokens: 40_000 });
    const response = await sendRaw(gateway.url, '/v1/messages', {
      key: created.key,
      body: { model: 'claude-capped', messages: MESSAGES, max_tokens: 32_000, stream: true },
    });
    expect(response.status).toBe(200);
    expect((anthropic.lastRequest!.body as { max_tokens: number }).max_tokens).toBe(CAP);
    // Not believed: billed at the input bound and the cap, the most the reservation allowed.
    const expected = BOUND * SONNET.input + CAP * SONNET.output;
    expect(await rowOf(response)).toMatchObject({ spend_nanos: expected, completion_tokens: CAP, estimated: 1 });
    const info = await admin.keySettled(created.key);
    expect(usdToNanos(info.spend)).toBe(expected);
    expect(usdToNanos(info.spend)).toBeLessThanOrEqual(usdToNanos(0.05));
  });

  describe('input the gateway cannot measure is bounded by the context window', () => {
    const SONNET_CONTEXT = 200_000;
    const GPT_CONTEXT = 128_000;
    const UNMEASURED: {
      name: string;
      path: string;
      model: string;
      content: unknown[];
      context: number;
      inputRate: number;
      outputRate: number;
      maxTokens: number;
    }[] = [
      {
        name: 'an Anthropic document by URL',
        path: '/v1/messages',
        model: 'claude',
        content: [
          { type: 'document', source: { type: 'url', url: 'https://example.com/big.pdf' } },
          { type: 'text', text: 'Summarise.' },
        ],
        context: SONNET_CONTEXT,
        inputRate: PRICES['claude-sonnet-4-6'].cacheWrite,
        outputRate: SONNET.output,
        maxTokens: MAX_TOKENS,
      },
      {
        name: 'an Anthropic image from the Files API',
        path: '/v1/messages',
        model: 'claude',
        content: [
          { type: 'image', source: { type: 'file', file_id: 'file_011' } },
          { type: 'text', text: 'Describe.' },
        ],
        context: SONNET_CONTEXT,
        inputRate: PRICES['claude-sonnet-4-6'].cacheWrite,
        outputRate: SONNET.output,
        maxTokens: MAX_TOKENS,
      },
      {
        name: 'an OpenAI image_url URL',
        path: '/v1/chat/completions',
        model: 'gpt',
        content: [
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          { type: 'text', text: 'Describe.' },
        ],
        context: GPT_CONTEXT,
        inputRate: PRICES['gpt-4o'].input,
        outputRate: GPT.output,
        maxTokens: MAX_TOKENS,
      },
    ];

    it.each(UNMEASURED)('$name reserves the whole context window: one nano-dollar short is refused before the upstream', async (c) => {
      const reservation = c.context * c.inputRate + c.maxTokens * c.outputRate;
      const body = { model: c.model, messages: [{ role: 'user', content: c.content }], max_tokens: c.maxTokens };
      const short = await admin.generateKey({ max_budget: nanosToUsd(reservation - 1) });
      const refused = await sendRaw(gateway.url, c.path, { key: short.key, body });
      expect(refused.status).toBe(429);
      expect(anthropic.requests.length + openai.requests.length).toBe(0);

      const enough = await admin.generateKey({ max_budget: nanosToUsd(reservation) });
      const served = await sendRaw(gateway.url, c.path, { key: enough.key, body });
      expect(served.status).toBe(200);
      expect((await admin.keySettled(enough.key)).reserved_spend).toBe(0);
    });
  });

  describe('server-tool fees are refused where a money budget applies', () => {
    const SERVER_TOOLS: { name: string; path: string; body: Record<string, unknown> }[] = [
      {
        name: 'Anthropic web_search',
        path: '/v1/messages',
        body: {
          model: 'claude',
          messages: MESSAGES,
          max_tokens: MAX_TOKENS,
          tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }],
        },
      },
      {
        name: 'Anthropic code_execution',
        path: '/v1/messages',
        body: {
          model: 'claude',
          messages: MESSAGES,
          max_tokens: MAX_TOKENS,
          tools: [{ type: 'code_execution_20250522', name: 'code_execution' }],
        },
      },
      {
        name: 'Anthropic MCP connector',
        path: '/v1/messages',
        body: {
          model: 'claude',
          messages: MESSAGES,
          max_tokens: MAX_TOKENS,
          mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'x' }],
        },
      },
      {
        name: 'OpenAI web_search_options',
        path: '/v1/chat/completions',
        body: { model: 'gpt', messages: MESSAGES, web_search_options: {} },
      },
    ];

    it.each(SERVER_TOOLS)('$name under a budget: 400 in the caller’s dialect, nothing sent upstream', async ({ path, body }) => {
      const budgeted = await admin.generateKey({ max_budget: 10 });
      const response = await sendRaw(gateway.url, path, { key: budgeted.key, body });
      expect(response.status).toBe(400);
      if (path === '/v1/messages')
        expect(response.json).toEqual({
          type: 'error',
          error: { type: 'invalid_request_error', message: expect.stringContaining('Server-side tools') },
        });
      else
        expect(response.json.error).toMatchObject({
          type: 'invalid_request_error',
          param: 'tools',
          code: 'server_tools_not_allowed_under_budget',
        });
      expect(anthropic.requests.length + openai.requests.length).toBe(0);
    });

    it('client-run tools (custom, bash, text editor) still pass under a budget, with the tool-use allowance reserved', async () => {
      const tools = [
        { name: 'get_weather', input_schema: { type: 'object' } },
        { type: 'bash_20250124', name: 'bash' },
        { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' },
      ];
      const bound = inputTokensBound(MESSAGES, tools) + TOOLS_OVERHEAD_TOKENS;
      const reservation = bound * PRICES['claude-sonnet-4-6'].cacheWrite + MAX_TOKENS * SONNET.output;
      const short = await admin.generateKey({ max_budget: nanosToUsd(reservation - 1) });
      expect(
        (
          await sendRaw(gateway.url, '/v1/messages', {
            key: short.key,
            body: { model: 'claude', messages: MESSAGES, max_tokens: MAX_TOKENS, tools },
          })
        ).status,
      ).toBe(429);
      const enough = await admin.generateKey({ max_budget: nanosToUsd(reservation) });
      expect(
        (
          await sendRaw(gateway.url, '/v1/messages', {
            key: enough.key,
            body: { model: 'claude', messages: MESSAGES, max_tokens: MAX_TOKENS, tools },
          })
        ).status,
      ).toBe(200);
    });

    it('a key without a budget may use server tools (nothing to overshoot)', async () => {
      const response = await sendRaw(gateway.url, '/v1/messages', { key, body: SERVER_TOOLS[0].body });
      expect(response.status).toBe(200);
    });
  });

  describe("a max_tokens beyond the model's maximum output is a 400", () => {
    it.each([
      {
        name: '2^53 on /v1/messages',
        path: '/v1/messages',
        body: { model: 'claude', messages: MESSAGES, max_tokens: 2 ** 53 },
        param: 'max_tokens',
      },
      {
        name: '64,001 on /v1/messages (Sonnet allows 64,000)',
        path: '/v1/messages',
        body: { model: 'claude', messages: MESSAGES, max_tokens: 64_001 },
        param: 'max_tokens',
      },
      {
        name: '16,385 on chat (gpt-4o allows 16,384)',
        path: '/v1/chat/completions',
        body: { model: 'gpt', messages: MESSAGES, max_tokens: 16_385 },
        param: 'max_tokens',
      },
      {
        name: 'max_completion_tokens 10^15 on chat',
        path: '/v1/chat/completions',
        body: { model: 'gpt', messages: MESSAGES, max_completion_tokens: 10 ** 15 },
        param: 'max_completion_tokens',
      },
    ])('$name: refused before any reservation or upstream call, with no database error text', async ({ path, body, param }) => {
      const budgeted = await admin.generateKey({ max_budget: 1_000_000 });
      const response = await sendRaw(gateway.url, path, { key: budgeted.key, body });
      expect(response.status).toBe(400);
      if (path === '/v1/messages') expect(response.json.error.type).toBe('invalid_request_error');
      else expect(response.json.error).toMatchObject({ type: 'invalid_request_error', param });
      expect(response.text).not.toMatch(/bigint|out of range|SQLITE|QueryFailed/i);
      expect(anthropic.requests.length + openai.requests.length).toBe(0);
      const info = await admin.keyInfo(budgeted.key);
      expect([info.spend, info.reserved_spend]).toEqual([0, 0]);
    });

    it('exactly the maximum is served', async () => {
      const response = await sendRaw(gateway.url, '/v1/messages', {
        key,
        body: { model: 'claude', messages: MESSAGES, max_tokens: 64_000 },
      });
      expect(response.status).toBe(200);
    });

    it('without a max_tokens, Anthropic is sent the default and the bound follows it', async () => {
      await chat('claude', false)(key).then(() => undefined);
      await sendRaw(gateway.url, '/v1/chat/completions', { key, body: { model: 'claude', messages: MESSAGES } });
      expect((anthropic.lastRequest!.body as { max_tokens: number }).max_tokens).toBe(ANTHROPIC_DEFAULT_MAX_TOKENS);
    });
  });
});
