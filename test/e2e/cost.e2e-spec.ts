/**
 * Exact cost per provider, through the official OpenAI SDK: the ledger row, the key's spend and
 * the `x-litellm-response-cost` header all carry the same integer nano-dollars, computed here from
 * the published prices — for plain answers, for streams with and without `include_usage`, and for
 * streams the client walks away from.
 */
import OpenAI from 'openai';

import { AnthropicFake, type FakeUpstream, OllamaFake, OpenAIFake } from '../fakes';
import { AdminApi, type GeneratedKey, nanosToUsd, usdToNanos, waitFor } from '../support/admin-api';
import { costNanos, reservationNanos } from '../support/expected-cost';
import { LedgerDb, type LedgerRow } from '../support/ledger-db';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const ANTHROPIC_KEY = 'sk-ant-test';
const OPENAI_KEY = 'sk-openai-test';

const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
const ollama = new OllamaFake();
/** Streams that take a while (each event arrives in several pieces 60 ms apart), to leave mid-way. */
const slowAnthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY, chunkDelayMs: 60 });
const slowOpenai = new OpenAIFake({ apiKey: OPENAI_KEY, chunkDelayMs: 60 });
const fakes: FakeUpstream<any>[] = [anthropic, openai, ollama, slowAnthropic, slowOpenai];

let gateway: TestGateway;
let admin: AdminApi;
let ledger: LedgerDb;

beforeAll(async () => {
  await Promise.all(fakes.map((f) => f.start()));
  gateway = await startTestGateway({
    model_list: [
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY } },
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } },
      { model_name: 'local', litellm_params: { model: 'ollama_chat/llama3.2', api_base: ollama.url } },
      {
        model_name: 'claude-slow',
        litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: slowAnthropic.url, api_key: ANTHROPIC_KEY },
      },
      { model_name: 'gpt-slow', litellm_params: { model: 'openai/gpt-4o', api_base: slowOpenai.apiBase, api_key: OPENAI_KEY } },
    ],
  });
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
  ledger = await LedgerDb.open(gateway.database);
});

afterEach(() => fakes.forEach((f) => f.reset()));

afterAll(async () => {
  await ledger?.close();
  await gateway?.close();
  await Promise.all(fakes.map((f) => f.stop()));
});

const MESSAGES: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'Answer briefly.' },
  { role: 'user', content: 'Say hello.' },
];
const MAX_TOKENS = 50;

/** A fresh key per test, so its spend is exactly that test's calls. */
async function freshKey(): Promise<{ key: GeneratedKey; client: OpenAI }> {
  const key = await admin.generateKey({});
  return { key, client: new OpenAI({ apiKey: key.key, baseURL: `${gateway.url}/v1`, maxRetries: 0 }) };
}

/** The key's single ledger row, once its request has settled (a stream settles after its last byte). */
async function settledRow(token: string): Promise<LedgerRow> {
  const rows = await waitFor(
    async () => {
      const found = await ledger.ledgerOfKey(token);
      return found.length > 0 ? found : undefined;
    },
    5_000,
    20,
    'the ledger row',
  );
  expect(rows).toHaveLength(1);
  return rows[0];
}

interface CostCase {
  name: string;
  alias: string;
  script: () => void;
  /** The usage the client must see, in OpenAI's shape. */
  usage: { prompt_tokens: number; completion_tokens: number; cached_tokens: number };
  ledger: { prompt_tokens: number; completion_tokens: number; cache_read_tokens: number; cache_write_tokens: number };
  costNanos: number;
}

const cases: CostCase[] = [
  {
    name: 'Anthropic claude-sonnet-4-6 with cache reads and cache writes',
    alias: 'claude',
    script: () =>
      anthropic.enqueue({ kind: 'reply', inputTokens: 100, cacheReadInputTokens: 300, cacheCreationInputTokens: 50, outputTokens: 20 }),
    usage: { prompt_tokens: 450, completion_tokens: 20, cached_tokens: 300 },
    ledger: { prompt_tokens: 450, completion_tokens: 20, cache_read_tokens: 300, cache_write_tokens: 50 },
    // 100 × 3000 + 300 × 300 + 50 × 3750 + 20 × 15000
    costNanos: 877_500,
  },
  {
    name: 'OpenAI gpt-4o with cached prompt tokens',
    alias: 'gpt',
    script: () => openai.enqueue({ kind: 'reply', promptTokens: 1000, cachedTokens: 600, completionTokens: 42 }),
    usage: { prompt_tokens: 1000, completion_tokens: 42, cached_tokens: 600 },
    ledger: { prompt_tokens: 1000, completion_tokens: 42, cache_read_tokens: 600, cache_write_tokens: 0 },
    // 400 × 2500 + 600 × 1250 + 42 × 10000
    costNanos: 2_170_000,
  },
  {
    name: 'Ollama (local, free)',
    alias: 'local',
    script: () => ollama.enqueue({ kind: 'reply', promptEvalCount: 31, evalCount: 7 }),
    usage: { prompt_tokens: 31, completion_tokens: 7, cached_tokens: 0 },
    ledger: { prompt_tokens: 31, completion_tokens: 7, cache_read_tokens: 0, cache_write_tokens: 0 },
    costNanos: 0,
  },
];

it('the expected costs follow from the published prices', () => {
  expect(costNanos('claude-sonnet-4-6', { freshInput: 100, cacheRead: 300, cacheWrite: 50, output: 20 })).toBe(cases[0].costNanos);
  expect(costNanos('gpt-4o', { freshInput: 400, cacheRead: 600, output: 42 })).toBe(cases[1].costNanos);
});

async function expectCharged(testCase: CostCase, key: GeneratedKey, row: LedgerRow): Promise<void> {
  expect(row).toMatchObject({ status: 'success', model_group: testCase.alias, spend_nanos: testCase.costNanos, ...testCase.ledger });
  const info = await admin.keyInfo(key.key);
  expect(usdToNanos(info.spend)).toBe(testCase.costNanos);
  expect(info.reserved_spend).toBe(0);
}

describe.each(cases)('$name', (testCase) => {
  it('non-streaming: ledger, key spend and x-litellm-response-cost are the exact cost', async () => {
    const { key, client } = await freshKey();
    testCase.script();
    const { data, response } = await client.chat.completions
      .create({ model: testCase.alias, messages: MESSAGES, max_tokens: MAX_TOKENS })
      .withResponse();

    expect(data.usage).toMatchObject({ prompt_tokens: testCase.usage.prompt_tokens, completion_tokens: testCase.usage.completion_tokens });
    expect(data.usage?.prompt_tokens_details?.cached_tokens ?? 0).toBe(testCase.usage.cached_tokens);
    expect(Number(response.headers.get('x-litellm-response-cost'))).toBe(nanosToUsd(testCase.costNanos));
    expect(Number(response.headers.get('x-litellm-key-spend'))).toBe(nanosToUsd(testCase.costNanos));
    await expectCharged(testCase, key, await settledRow(key.token));
  });

  it.each([true, false])('streaming (include_usage: %s): the same exact cost', async (includeUsage) => {
    const { key, client } = await freshKey();
    testCase.script();
    const stream = await client.chat.completions.create({
      model: testCase.alias,
      messages: MESSAGES,
      max_tokens: MAX_TOKENS,
      stream: true,
      ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const withUsage = chunks.filter((c) => c.usage);
    if (includeUsage) {
      expect(withUsage).toHaveLength(1);
      expect(withUsage[0].choices).toEqual([]);
      expect(withUsage[0].usage).toMatchObject({
        prompt_tokens: testCase.usage.prompt_tokens,
        completion_tokens: testCase.usage.completion_tokens,
      });
    } else {
      // The gateway asks upstream for usage anyway (to price the call) but must not pass it on.
      expect(withUsage).toEqual([]);
    }
    await expectCharged(testCase, key, await settledRow(key.token));
  });
});

describe('a client that disconnects mid-stream', () => {
  /** Streams until `stopAfter` says so, then aborts the HTTP request, as a closed laptop lid would. */
  async function streamThenLeave(alias: string, stopAfter: (chunk: OpenAI.ChatCompletionChunk) => boolean) {
    const { key, client } = await freshKey();
    const stream = await client.chat.completions.create({ model: alias, messages: MESSAGES, max_tokens: MAX_TOKENS, stream: true });
    for await (const chunk of stream) {
      if (stopAfter(chunk)) {
        stream.controller.abort();
        break;
      }
    }
    return key;
  }

  const cut = [
    { model: 'claude-sonnet-4-6' as const, alias: 'claude-slow', fake: slowAnthropic, path: '/v1/messages' },
    { model: 'gpt-4o' as const, alias: 'gpt-slow', fake: slowOpenai, path: '/v1/chat/completions' },
  ];

  it.each(cut)(
    '$alias: after the first text the key is still charged, within its reservation, and nothing stays reserved',
    async ({ model, alias, fake, path }) => {
      const key = await streamThenLeave(alias, (chunk) => Boolean(chunk.choices[0]?.delta?.content));

      const row = await settledRow(key.token);
      expect(row.status).toBe('client_cancelled');
      expect(row.spend_nanos).toBeGreaterThan(0);
      expect(row.spend_nanos).toBeLessThanOrEqual(reservationNanos(model, MESSAGES, MAX_TOKENS));
      const info = await admin.keySettled(key.key);
      expect(usdToNanos(info.spend)).toBe(row.spend_nanos);
      // The gateway hung up on the provider too, instead of paying for a stream nobody reads.
      await waitFor(() => (fake.requestsTo(path)[0]?.aborted ? true : undefined), 3_000, 20, 'the upstream request to be aborted');
    },
  );

  // Anthropic's message_start (relayed as the role chunk) means it already bills the input.
  it('claude-slow: leaving right after the role chunk (before any text) is still charged for the input', async () => {
    const key = await streamThenLeave('claude-slow', (chunk) => chunk.choices[0]?.delta?.role === 'assistant');

    const row = await settledRow(key.token);
    expect(row.status).toBe('client_cancelled');
    const info = await admin.keySettled(key.key);
    expect(info.reserved_spend).toBe(0);
    expect(row.spend_nanos).toBeGreaterThan(0);
  });
});

describe('a client that disconnects before a non-streamed answer', () => {
  /** Sends a non-streamed call to a provider that takes 1.5 s, and hangs up once the provider has it. */
  async function abandonAtProvider(): Promise<{ key: GeneratedKey; row: LedgerRow }> {
    const { key } = await freshKey();
    openai.enqueue({ kind: 'slowFirstByte', delayMs: 1_500 });
    const controller = new AbortController();
    const pending = fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt', messages: MESSAGES, max_tokens: MAX_TOKENS }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await openai.waitForRequests(1);
    controller.abort();
    await pending;
    const row = await settledRow(key.token);
    expect((await admin.keySettled(key.key)).reserved_spend).toBe(0);
    return { key, row };
  }

  it('is recorded as client_cancelled, not error', async () => {
    const { row } = await abandonAtProvider();
    expect(row.error).toBe('Request cancelled by the client');
    expect(row.status).toBe('client_cancelled');
  });

  // The provider has the prompt and bills it; like recovery after a crash, the reservation is charged.
  it('is still charged for the prompt the provider received', async () => {
    const { key, row } = await abandonAtProvider();
    expect(row.spend_nanos).toBeGreaterThan(0);
    expect(usdToNanos((await admin.keyInfo(key.key)).spend)).toBe(row.spend_nanos);
  });
});
