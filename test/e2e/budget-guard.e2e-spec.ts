/**
 * The BudgetGuard: once a key's or team's window is known to be used up, the next model call is
 * refused from memory, before routing or any reservation, in the caller's dialect, with
 * x-should-retry: false, nothing sent upstream, and a refusal row in the ledger like any other.
 */
import OpenAI from 'openai';
import { OllamaFake, OpenAIFake } from '../fakes';
import { AdminApi, nanosToUsd, sendRaw, uniqueId } from '../support/admin-api';
import { inputTokensBound, reservationNanos } from '../support/expected-cost';
import { LedgerDb } from '../support/ledger-db';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const OPENAI_KEY = 'sk-openai-test';
const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
const ollama = new OllamaFake();

const MESSAGES: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Count to three.' }];
const MAX_TOKENS = 16;
const RESERVATION = reservationNanos('gpt-4o', MESSAGES, MAX_TOKENS);
const chatBody = { model: 'gpt', messages: MESSAGES, max_tokens: MAX_TOKENS };

let gateway: TestGateway;
let admin: AdminApi;
let ledger: LedgerDb;

beforeAll(async () => {
  await Promise.all([openai.start(), ollama.start()]);
  gateway = await startTestGateway({
    model_list: [
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } },
      { model_name: 'local', litellm_params: { model: 'ollama_chat/llama3.2', api_base: ollama.url } },
    ],
  });
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
  ledger = await LedgerDb.open(gateway.database);
});

afterAll(async () => {
  await ledger?.close();
  await gateway?.close();
  await Promise.all([openai.stop(), ollama.stop()]);
});

/** A team whose budget fits exactly one full-cost call, spent; the gateway has seen the next call refused. */
async function exhaustedTeam() {
  const teamId = uniqueId('team');
  await admin.newTeam({ team_id: teamId, max_budget: nanosToUsd(RESERVATION) });
  const { key } = await admin.generateKey({ team_id: teamId });
  openai.enqueue({ kind: 'reply', promptTokens: inputTokensBound(MESSAGES), completionTokens: MAX_TOKENS });
  expect((await sendRaw(gateway.url, '/v1/chat/completions', { key, body: chatBody })).status).toBe(200);
  expect((await sendRaw(gateway.url, '/v1/chat/completions', { key, body: chatBody })).status).toBe(429);
  // Behind the gateway's back (no access-epoch bump): the database alone would now admit a call,
  // so a refusal can only come from what the gateway remembers.
  await ledger.query(`UPDATE teams SET spend_nanos = 0 WHERE team_id = ?`, [teamId]);
  openai.reset();
  return { teamId, key };
}

async function refusalRows(teamId: string): Promise<number> {
  return (await ledger.ledgerOfTeam(teamId)).filter((row) => row.status === 'budget_exceeded').length;
}

it('refuses a used-up team early: 429 budget_exceeded, x-should-retry false, nothing upstream, a ledger row', async () => {
  const { teamId, key } = await exhaustedTeam();

  const response = await sendRaw(gateway.url, '/v1/chat/completions', { key, body: chatBody });

  expect(response.status).toBe(429);
  expect(response.headers.get('x-should-retry')).toBe('false');
  expect(response.json.error).toMatchObject({
    type: 'budget_exceeded',
    message: `Budget has been exceeded! Team=${teamId} Current cost: ${nanosToUsd(RESERVATION)}, Max budget: ${nanosToUsd(RESERVATION)}`,
  });
  expect(openai.requests).toHaveLength(0);
  expect(await refusalRows(teamId)).toBe(2);
});

it('refuses an Anthropic-dialect call of a used-up team in Anthropic shape', async () => {
  const { teamId, key } = await exhaustedTeam();

  const response = await sendRaw(gateway.url, '/v1/messages', {
    key,
    body: { model: 'gpt', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: 'Count to three.' }] },
  });

  expect(response.status).toBe(429);
  expect(response.headers.get('x-should-retry')).toBe('false');
  expect(response.json).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringMatching(/^Budget has been exceeded! Team=/) } });
  expect(openai.requests).toHaveLength(0);
  expect(await refusalRows(teamId)).toBe(2);
});

it('lets a used-up team call a free local model', async () => {
  const { key } = await exhaustedTeam();

  const response = await sendRaw(gateway.url, '/v1/chat/completions', { key, body: { model: 'local', messages: MESSAGES } });

  expect(response.status).toBe(200);
  expect(ollama.requestsTo('/api/chat')).toHaveLength(1);
});

it('forgets what it knew when the team changes: a raised budget lets the very next call through', async () => {
  const { teamId, key } = await exhaustedTeam();

  await admin.updateTeam({ team_id: teamId, max_budget: nanosToUsd(2 * RESERVATION) });
  openai.enqueue({ kind: 'reply', promptTokens: 5, completionTokens: 9 });
  const response = await sendRaw(gateway.url, '/v1/chat/completions', { key, body: chatBody });

  expect(response.status).toBe(200);
  expect(openai.requests).toHaveLength(1);
});
