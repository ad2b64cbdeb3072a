import OpenAI from 'openai';
import { Client } from 'pg';

import { OllamaFake, OpenAIFake } from '../fakes';
import { createTestDatabase, POSTGRES_ADMIN_URL, type TestDatabase, testDatabaseKind } from '../support/test-database';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

/**
 * Fail closed: when the database behind budgets is gone, calls that would spend money are refused
 * with 503 budget_store_unavailable and never reach the provider; free local models still answer.
 * A lost PostgreSQL is simulated by dropping its database under the running gateway, which a
 * SQLite file cannot do, so this runs on PostgreSQL only.
 */
const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

onPostgres('when the budget store is unreachable', () => {
  const openai = new OpenAIFake();
  const ollama = new OllamaFake({ models: ['llama3.2'] });
  let database: TestDatabase;
  let gateway: TestGateway;
  let client: OpenAI;

  beforeAll(async () => {
    await Promise.all([openai.start(), ollama.start()]);
    database = await createTestDatabase('postgres');
    gateway = await startTestGateway(
      {
        model_list: [
          { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: 'sk-upstream' } },
          { model_name: 'local', litellm_params: { model: 'ollama_chat/llama3.2', api_base: ollama.url } },
        ],
      },
      { database },
    );
    const admin = (path: string, body: unknown) =>
      fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_MASTER_KEY}` },
        body: JSON.stringify(body),
      }).then((r) => r.json());
    await admin('/team/new', { team_id: 'outage', max_budget: 10 });
    const { key } = (await admin('/key/generate', { team_id: 'outage' })) as { key: string };
    client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    // One call each while the store is up, so the key is authenticated from memory afterwards.
    await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16 });
    await client.chat.completions.create({ model: 'local', messages: [{ role: 'user', content: 'hi' }] });

    const adminClient = new Client({ connectionString: POSTGRES_ADMIN_URL });
    await adminClient.connect();
    await adminClient.query(`DROP DATABASE ${new URL(database.url).pathname.slice(1)} WITH (FORCE)`);
    await adminClient.end();
  });

  afterAll(async () => {
    await gateway.close().catch(() => undefined);
    await database.drop();
    await Promise.all([openai.stop(), ollama.stop()]);
  });

  it('refuses a paid call with 503 budget_store_unavailable, sending nothing upstream', async () => {
    const before = openai.requests.length;
    const failure = await client.chat.completions
      .create({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16 })
      .catch((error: unknown) => error as InstanceType<typeof OpenAI.APIError>);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((failure as InstanceType<typeof OpenAI.APIError>).code).toBe('budget_store_unavailable');
    expect(openai.requests.length).toBe(before);
  });

  it('still serves a free local model', async () => {
    const completion = await client.chat.completions.create({ model: 'local', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0].message.content).toBe('héllo wörld ✓ 日本 🚀');
  });

  it('still answers a Responses call on a free local model, though it cannot store it', async () => {
    const response = await client.responses.create({ model: 'local', input: 'hi' });
    expect(response.output_text).toBe('héllo wörld ✓ 日本 🚀');
  });

  it('refuses to continue a stored response with 503 response_store_unavailable rather than forget the conversation', async () => {
    const failure = (await client.responses
      .create({ model: 'local', input: 'hi', previous_response_id: 'resp_lost' })
      .catch((error: unknown) => error)) as InstanceType<typeof OpenAI.APIError>;
    expect(failure.status).toBe(503);
    expect(failure.code).toBe('response_store_unavailable');
  });

  it('reports not ready', async () => {
    const response = await fetch(`${gateway.url}/health/readiness`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unhealthy', db: 'disconnected' });
  });
});
