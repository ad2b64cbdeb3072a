/**
 * `POST /v1/embeddings` through the real gateway with the official OpenAI SDK as the client, to an
 * OpenAI deployment (relayed, priced) and an Ollama one (translated from `/api/embed`, free). The
 * SDK asks for base64 unless told otherwise and decodes it unconditionally, so both encodings are
 * checked against the fakes' deterministic vectors, and every call's ledger row is checked exactly.
 */
import OpenAI, { BadRequestError } from 'openai';

import {
  AnthropicFake,
  fakeEmbedding,
  type FakeUpstream,
  OllamaFake,
  OpenAIFake,
  promptTokensForOllamaEmbed,
  promptTokensForOpenAIEmbeddings,
} from '../fakes';
import { AdminApi, sendRaw, uniqueId, usdToNanos } from '../support/admin-api';
import { caught } from '../support/e2e-helpers';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const ANTHROPIC_KEY = 'sk-ant-test';
const OPENAI_KEY = 'sk-openai-test';

/** text-embedding-3-small: $0.02 per million tokens = 20 nano-dollars a token (https://openai.com/api/pricing). */
const EMBEDDING_SMALL_NANOS_PER_TOKEN = 20;

const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
const ollama = new OllamaFake();
const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
const fakes: FakeUpstream<any>[] = [openai, ollama, anthropic];

let gateway: TestGateway;
let admin: AdminApi;
let key: string;
let client: OpenAI;

beforeAll(async () => {
  await Promise.all(fakes.map((fake) => fake.start()));
  gateway = await startTestGateway({
    model_list: [
      {
        model_name: 'embed-small',
        litellm_params: { model: 'openai/text-embedding-3-small', api_base: openai.apiBase, api_key: OPENAI_KEY },
      },
      { model_name: 'local-embed', litellm_params: { model: 'ollama/nomic-embed-text', api_base: ollama.url } },
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY } },
    ],
  });
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
  const teamId = uniqueId('embeddings');
  await admin.newTeam({ team_id: teamId, max_budget: 10, budget_duration: '30d' });
  key = (await admin.generateKey({ team_id: teamId })).key;
  client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
});

afterEach(() => fakes.forEach((fake) => fake.reset()));

afterAll(async () => {
  await gateway?.close();
  await Promise.all(fakes.map((fake) => fake.stop()));
});

const INPUTS = ['The quick brown fox', 'jumps över the lazy dög ✓ 日本 🚀'];

interface EmbeddingCase {
  provider: string;
  alias: string;
  fake: FakeUpstream<any>;
  path: string;
  upstreamModel: string;
  promptTokens: (body: unknown) => number;
  nanosPerToken: number;
}

const cases: EmbeddingCase[] = [
  {
    provider: 'openai',
    alias: 'embed-small',
    fake: openai,
    path: '/v1/embeddings',
    upstreamModel: 'text-embedding-3-small',
    promptTokens: promptTokensForOpenAIEmbeddings,
    nanosPerToken: EMBEDDING_SMALL_NANOS_PER_TOKEN,
  },
  {
    provider: 'ollama',
    alias: 'local-embed',
    fake: ollama,
    path: '/api/embed',
    upstreamModel: 'nomic-embed-text',
    promptTokens: promptTokensForOllamaEmbed,
    nanosPerToken: 0,
  },
];

describe.each(cases)('embeddings from $provider (alias $alias)', (testCase) => {
  const { alias, fake, path } = testCase;

  it("decodes the SDK's default base64 to the upstream's exact vectors, with exact usage and spend", async () => {
    const { data: result, response } = await client.embeddings.create({ model: alias, input: INPUTS }).withResponse();

    expect(result.object).toBe('list');
    expect(result.data.map((item) => item.index)).toEqual([0, 1]);
    expect(result.data.map((item) => item.embedding)).toEqual(INPUTS.map((text) => fakeEmbedding(text)));

    const requests = fake.requestsTo(path);
    expect(requests).toHaveLength(1);
    const received = requests[0].body as Record<string, unknown>;
    expect(received.model).toBe(testCase.upstreamModel);
    expect(received.input).toEqual(INPUTS);
    if (testCase.provider === 'openai') expect(received.encoding_format).toBe('base64');

    const tokens = testCase.promptTokens({ input: INPUTS });
    expect(tokens).toBeGreaterThan(0);
    expect(result.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });

    const expectedNanos = tokens * testCase.nanosPerToken;
    expect(usdToNanos(Number(response.headers.get('x-litellm-response-cost')))).toBe(expectedNanos);
    const row = await admin.ledgerRow(response.headers.get('x-litellm-call-id')!);
    expect(row).toMatchObject({
      call_type: 'embedding',
      status: 'success',
      model_group: alias,
      prompt_tokens: tokens,
      completion_tokens: 0,
    });
    expect(usdToNanos(row.spend)).toBe(expectedNanos);
  });

  it('returns plain float arrays when asked for encoding_format float, honouring dimensions', async () => {
    const result = await client.embeddings.create({ model: alias, input: 'one single input', encoding_format: 'float', dimensions: 4 });

    expect(result.data).toHaveLength(1);
    expect(result.data[0].embedding).toEqual(fakeEmbedding('one single input', 4));
    expect(result.usage.prompt_tokens).toBe(testCase.promptTokens({ input: 'one single input' }));
    expect((fake.requestsTo(path)[0].body as { dimensions?: number }).dimensions).toBe(4);
  });
});

describe('embedding request errors', () => {
  it('refuses an Anthropic alias with 400 naming the model, sending nothing to Anthropic', async () => {
    const error = (await caught(() => client.embeddings.create({ model: 'claude', input: 'hello' }))) as BadRequestError;

    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.status).toBe(400);
    expect(error.param).toBe('model');
    expect(error.message).toContain('claude');
    expect(anthropic.requests).toHaveLength(0);
  });

  it.each([
    { what: 'a number', input: 42 },
    { what: 'an empty string', input: '' },
    { what: 'an empty array', input: [] },
    { what: 'a mix of strings and numbers', input: ['text', 7] },
    { what: 'missing', input: undefined },
    { what: 'a list holding an empty string', input: ['text', ''] },
    { what: 'token arrays holding strings', input: [['not', 'tokens']] },
    { what: 'an empty token array', input: [[]] },
    { what: 'token ids that are not integers', input: [1.5, 2] },
  ])("answers 400 with param 'input' when input is $what, sending nothing upstream", async ({ input }) => {
    const response = await sendRaw(gateway.url, '/v1/embeddings', { key, body: { model: 'embed-small', input } });

    expect(response.status).toBe(400);
    expect(response.json.error).toMatchObject({ type: 'invalid_request_error', param: 'input' });
    expect(openai.requests).toHaveLength(0);
  });

  it('accepts token arrays for OpenAI and refuses them for Ollama, which takes text only', async () => {
    const tokens = await client.embeddings.create({ model: 'embed-small', input: [[9906, 1917], [15339]], encoding_format: 'float' });
    expect(tokens.usage.prompt_tokens).toBe(3);
    expect((openai.requestsTo('/v1/embeddings')[0].body as { input: unknown }).input).toEqual([[9906, 1917], [15339]]);

    const error = (await caught(() => client.embeddings.create({ model: 'local-embed', input: [9906, 1917] }))) as BadRequestError;
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.param).toBe('input');
    expect(ollama.requests).toHaveLength(0);
  });

  it('answers 400 with param model when model is missing, and 404 for an unknown alias', async () => {
    const missing = await sendRaw(gateway.url, '/v1/embeddings', { key, body: { input: 'hello' } });
    expect(missing.status).toBe(400);
    expect(missing.json.error).toMatchObject({ param: 'model' });

    const unknown = await sendRaw(gateway.url, '/v1/embeddings', { key, body: { model: 'no-such-embedder', input: 'hello' } });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'model_not_found', param: 'model' });
  });
});
