/**
 * Hard budgets, end to end: a call the budget cannot cover is refused before anything reaches the
 * provider, and however many requests race — in one gateway or in two processes on one
 * PostgreSQL database — settled spend plus what is reserved in flight never exceeds max_budget.
 */
import OpenAI from 'openai';

import { OllamaFake, OpenAIFake } from '../fakes';
import { AdminApi, nanosToUsd, type RawResponse, sendRaw, uniqueId, usdToNanos, waitFor } from '../support/admin-api';
import { costNanos, inputTokensBound, reservationNanos } from '../support/expected-cost';
import {
  type GatewayConfigFile,
  type GatewayProcess,
  PROCESS_MASTER_KEY,
  spawnGateway,
  writeGatewayConfig,
} from '../support/gateway-process';
import { LedgerDb } from '../support/ledger-db';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/test-database';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const OPENAI_KEY = 'sk-openai-test';
const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
const ollama = new OllamaFake();

const MESSAGES: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Count to three.' }];
const MAX_TOKENS = 16;
/** What one `gpt` call with MESSAGES and MAX_TOKENS reserves: bound × 2500 + 16 × 10000. */
const RESERVATION = reservationNanos('gpt-4o', MESSAGES, MAX_TOKENS);
/**
 * Usage that makes a call cost exactly its reservation. With actual = reserved, each success
 * consumes one reservation for good, so "how many fit" does not depend on how the race interleaves.
 */
const FULL_COST_REPLY = { promptTokens: inputTokensBound(MESSAGES), completionTokens: MAX_TOKENS };

function modelList(openaiBase: string, ollamaBase: string) {
  return [
    { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openaiBase, api_key: OPENAI_KEY } },
    { model_name: 'local', litellm_params: { model: 'ollama_chat/llama3.2', api_base: ollamaBase } },
  ];
}

let gateway: TestGateway;
let admin: AdminApi;
let ledger: LedgerDb;

beforeAll(async () => {
  await Promise.all([openai.start(), ollama.start()]);
  gateway = await startTestGateway({ model_list: modelList(openai.apiBase, ollama.url) });
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
  ledger = await LedgerDb.open(gateway.database);
});

afterEach(() => {
  openai.reset();
  ollama.reset();
});

afterAll(async () => {
  await ledger?.close();
  await gateway?.close();
  await Promise.all([openai.stop(), ollama.stop()]);
});

function clientFor(baseUrl: string, key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${baseUrl}/v1`, maxRetries: 0 });
}

/** A team with `budgetNanos` and one key in it (no budget of its own). */
async function teamWithKey(api: AdminApi, budgetNanos: number, extra: Record<string, unknown> = {}) {
  const teamId = uniqueId('team');
  await api.newTeam({ team_id: teamId, max_budget: nanosToUsd(budgetNanos), ...extra });
  const key = await api.generateKey({ team_id: teamId });
  return { teamId, key: key.key, token: key.token };
}

const chatBody = { model: 'gpt', messages: MESSAGES, max_tokens: MAX_TOKENS };

describe('refusal when the budget cannot cover one call', () => {
  it('answers 429 budget_exceeded in OpenAI shape, says not to retry, and sends nothing upstream', async () => {
    const budget = RESERVATION - 1;
    const { teamId, key } = await teamWithKey(admin, budget);

    const response = await sendRaw(gateway.url, '/v1/chat/completions', { key, body: chatBody });

    expect(response.status).toBe(429);
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(response.json).toEqual({
      error: {
        message: `Budget has been exceeded! Team=${teamId} Current cost: 0, Max budget: ${nanosToUsd(budget)}`,
        type: 'budget_exceeded',
        param: null,
        code: '429',
      },
    });
    expect(openai.requests).toHaveLength(0);
    const team = await admin.teamInfo(teamId);
    expect(usdToNanos(team.spend)).toBe(0);
    expect(team.reserved_spend).toBe(0);
  });

  it('the OpenAI SDK surfaces it as a 429 it does not retry', async () => {
    const { key } = await teamWithKey(admin, RESERVATION - 1);
    // Retries allowed here on purpose: x-should-retry: false must stop them.
    let attempts = 0;
    const countingFetch: typeof fetch = (input, init) => {
      attempts++;
      return fetch(input, init);
    };
    const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 2, fetch: countingFetch });
    const error = await client.chat.completions.create(chatBody).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).type).toBe('budget_exceeded');
    expect(attempts).toBe(1);
    expect(openai.requests).toHaveLength(0);
  });

  it('raising the team budget with /team/update lets the very next call through', async () => {
    const { teamId, key } = await teamWithKey(admin, RESERVATION - 1);
    expect((await sendRaw(gateway.url, '/v1/chat/completions', { key, body: chatBody })).status).toBe(429);

    const updated = await admin.updateTeam({ team_id: teamId, max_budget: nanosToUsd(RESERVATION) });
    expect(updated.data.max_budget).toBe(nanosToUsd(RESERVATION));

    openai.enqueue({ kind: 'reply', promptTokens: 5, completionTokens: 9 });
    const response = await sendRaw(gateway.url, '/v1/chat/completions', { key, body: chatBody });
    expect(response.status).toBe(200);
    expect(openai.requests).toHaveLength(1);
    const cost = costNanos('gpt-4o', { freshInput: 5, output: 9 });
    expect(Number(response.headers.get('x-litellm-response-cost'))).toBe(nanosToUsd(cost));
    await admin.settled([response.headers.get('x-litellm-call-id')]);
    const team = await admin.teamInfo(teamId);
    expect(usdToNanos(team.spend)).toBe(cost);
    expect(team.reserved_spend).toBe(0);
  });

  it('still serves free local (Ollama) models once the money budget is used up', async () => {
    // Exactly one full-cost call fits.
    const { teamId, key } = await teamWithKey(admin, RESERVATION);
    const client = clientFor(gateway.url, key);
    openai.enqueue({ kind: 'reply', ...FULL_COST_REPLY });
    await client.chat.completions.create(chatBody);
    await admin.keySettled(key);
    expect(usdToNanos((await admin.teamInfo(teamId)).spend)).toBe(RESERVATION);

    const refused = await sendRaw(gateway.url, '/v1/chat/completions', { key, body: chatBody });
    expect(refused.status).toBe(429);
    expect(refused.json.error.message).toBe(
      `Budget has been exceeded! Team=${teamId} Current cost: ${nanosToUsd(RESERVATION)}, Max budget: ${nanosToUsd(RESERVATION)}`,
    );

    const local = await client.chat.completions.create({ model: 'local', messages: MESSAGES });
    expect(local.choices[0].message.content).toBeTruthy();
    expect(ollama.requestsTo('/api/chat')).toHaveLength(1);
    expect(openai.requests).toHaveLength(1);
    const team = await admin.teamInfo(teamId);
    expect(usdToNanos(team.spend)).toBe(RESERVATION);
    expect(team.reserved_spend).toBe(0);
  });
});

/**
 * The BudgetGuard: once a key's or team's window is known to be used up, the next model call is
 * refused from memory, before routing or any reservation, in the caller's dialect, with
 * x-should-retry: false, nothing sent upstream, and a refusal row in the ledger like any other.
 */
describe('early refusal by the budget guard', () => {
  /** A team whose budget fits exactly one full-cost call, spent; the gateway has seen the next call refused. */
  async function exhaustedTeam() {
    const { teamId, key } = await teamWithKey(admin, RESERVATION);
    openai.enqueue({ kind: 'reply', ...FULL_COST_REPLY });
    const spent = await sendRaw(gateway.url, '/v1/chat/completions', { key, body: chatBody });
    expect(spent.status).toBe(200);
    const refused = await sendRaw(gateway.url, '/v1/chat/completions', { key, body: chatBody });
    expect(refused.status).toBe(429);
    await admin.settled([spent, refused].map((response) => response.headers.get('x-litellm-call-id')));
    // Behind the gateway's back (no access-epoch bump): the database alone would now admit a call,
    // so a refusal can only come from what the gateway remembers.
    await ledger.query(`UPDATE teams SET spend_nanos = 0 WHERE team_id = ?`, [teamId]);
    openai.reset();
    return { teamId, key };
  }

  /** Refusal rows of the team, once the refusal `response` has its own. */
  async function refusalRows(teamId: string, response: RawResponse): Promise<number> {
    await admin.settled([response.headers.get('x-litellm-call-id')]);
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
    expect(await refusalRows(teamId, response)).toBe(2);
  });

  it('refuses an Anthropic-dialect call of a used-up team in Anthropic shape', async () => {
    const { teamId, key } = await exhaustedTeam();

    const response = await sendRaw(gateway.url, '/v1/messages', {
      key,
      body: { model: 'gpt', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: 'Count to three.' }] },
    });

    expect(response.status).toBe(429);
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(response.json).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error', message: expect.stringMatching(/^Budget has been exceeded! Team=/) },
    });
    expect(openai.requests).toHaveLength(0);
    expect(await refusalRows(teamId, response)).toBe(2);
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
});

interface RaceTarget {
  client: OpenAI;
  admin: AdminApi;
}

interface RaceOutcome {
  successes: number;
  refusals: unknown[];
  otherFailures: unknown[];
  samples: { spend: number; reserved: number }[];
}

/**
 * Fires `count` overlapping calls round-robin over `targets` while sampling /team/info (also
 * round-robin), and returns what happened. Every call is scripted to answer slowly, so the
 * reservations of all of them are in flight at once.
 */
async function race(targets: RaceTarget[], teamId: string, count: number): Promise<RaceOutcome> {
  for (let i = 0; i < count; i++) openai.enqueue({ kind: 'slowFirstByte', delayMs: 700, ...FULL_COST_REPLY });
  const samples: RaceOutcome['samples'] = [];
  let racing = true;
  const sampler = (async () => {
    // At least six snapshots however slow a loaded machine answers; those taken during the race must show reservations.
    for (let i = 0; racing || samples.length < 6; i++) {
      const team = await targets[i % targets.length].admin.teamInfo(teamId);
      samples.push({ spend: usdToNanos(team.spend), reserved: usdToNanos(team.reserved_spend) });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const results = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => targets[i % targets.length].client.chat.completions.create(chatBody)),
  );
  racing = false;
  await sampler;
  const refusals: unknown[] = [];
  const otherFailures: unknown[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') continue;
    const error = result.reason as InstanceType<typeof OpenAI.APIError>;
    if (error instanceof OpenAI.APIError && error.status === 429 && error.type === 'budget_exceeded') refusals.push(error);
    else otherFailures.push(error);
  }
  return { successes: results.filter((r) => r.status === 'fulfilled').length, refusals, otherFailures, samples };
}

/** The invariant, checked at every sample and at the end against the ledger rows. */
async function expectBudgetHeld(
  outcome: RaceOutcome,
  count: number,
  fit: number,
  budget: number,
  teamId: string,
  admins: AdminApi[],
  db: LedgerDb,
) {
  expect(outcome.otherFailures).toEqual([]);
  // Each success costs exactly one reservation, so exactly `fit` calls get through.
  expect(outcome.successes).toBe(fit);
  expect(outcome.refusals).toHaveLength(count - fit);
  expect(openai.requestsTo('/v1/chat/completions')).toHaveLength(outcome.successes);

  expect(outcome.samples.length).toBeGreaterThan(5);
  for (const sample of outcome.samples) expect(sample.spend + sample.reserved).toBeLessThanOrEqual(budget);
  // The calls really overlapped: some sample saw reservations in flight.
  expect(outcome.samples.some((s) => s.reserved > 0)).toBe(true);

  // Calls are answered before their settlements are written: wait for every row.
  const rows = await waitFor(async () => {
    const landed = await db.ledgerOfTeam(teamId);
    return landed.length === count ? landed : undefined;
  });
  const ledgerSum = rows.reduce((sum, row) => sum + row.spend_nanos, 0);
  expect(rows.filter((r) => r.status === 'success')).toHaveLength(fit);
  expect(rows.filter((r) => r.status === 'budget_exceeded')).toHaveLength(count - fit);
  expect(ledgerSum).toBe(fit * RESERVATION);
  for (const api of admins) {
    const team = await api.teamInfo(teamId);
    expect(usdToNanos(team.spend)).toBe(ledgerSum);
    expect(usdToNanos(team.spend)).toBeLessThanOrEqual(budget);
    expect(team.reserved_spend).toBe(0);
  }
}

describe('no overshoot under concurrency', () => {
  const COUNT = 40;
  const FIT = 7;
  // Room for 7 reservations and half of an eighth: the eighth must not squeeze in.
  const BUDGET = FIT * RESERVATION + Math.floor(RESERVATION / 2);

  it(`${COUNT} parallel calls against a budget that fits ${FIT}: spend + reserved never exceeds max_budget`, async () => {
    const { teamId, key } = await teamWithKey(admin, BUDGET);
    const outcome = await race([{ client: clientFor(gateway.url, key), admin }], teamId, COUNT);
    await expectBudgetHeld(outcome, COUNT, FIT, BUDGET, teamId, [admin], ledger);
  });

  const onPostgres = testDatabaseKind() === 'postgres';
  const twoProcessTitle = onPostgres
    ? 'two gateway processes on one PostgreSQL database'
    : 'two gateway processes on one database (PostgreSQL only: a SQLite file serves one process)';
  (onPostgres ? describe : describe.skip)(twoProcessTitle, () => {
    let database: TestDatabase;
    let config: GatewayConfigFile;
    let processes: GatewayProcess[] = [];
    let db: LedgerDb;

    beforeAll(async () => {
      database = await createTestDatabase('postgres');
      config = writeGatewayConfig({ model_list: modelList(openai.apiBase, ollama.url) });
      // One at a time: both would otherwise race to run the migrations.
      processes.push(await spawnGateway({ config, databaseUrl: database.url }));
      processes.push(await spawnGateway({ config, databaseUrl: database.url }));
      db = await LedgerDb.open(database);
    }, 240_000);

    afterAll(async () => {
      await db?.close();
      await Promise.all(processes.map((p) => p.stop()));
      processes = [];
      config?.remove();
      await database?.drop();
    });

    it(`${COUNT} parallel calls split over both processes: the shared budget holds`, async () => {
      const admins = processes.map((p) => new AdminApi(p.url, PROCESS_MASTER_KEY));
      const { teamId, key } = await teamWithKey(admins[0], BUDGET);
      const targets = processes.map((p, i) => ({ client: clientFor(p.url, key), admin: admins[i] }));
      const outcome = await race(targets, teamId, COUNT);
      await expectBudgetHeld(outcome, COUNT, FIT, BUDGET, teamId, admins, db);
    });
  });
});

describe('budget windows', () => {
  it("a key with budget_duration '1d' resets at the next UTC midnight and counts its spend", async () => {
    const created = await admin.generateKey({ max_budget: 1, budget_duration: '1d' });
    const now = new Date();
    const nextMidnight = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString();
    expect(created.budget_reset_at).toBe(nextMidnight);

    openai.enqueue({ kind: 'reply', promptTokens: 120, completionTokens: 30 });
    // Room for the 30 output tokens: usage beyond the call's output limit would not be believed.
    await clientFor(gateway.url, created.key).chat.completions.create({ ...chatBody, max_tokens: 100 });

    const info = await admin.keySettled(created.key);
    expect(info.budget_duration).toBe('1d');
    expect(info.budget_reset_at).toBe(nextMidnight);
    expect(usdToNanos(info.spend)).toBe(costNanos('gpt-4o', { freshInput: 120, output: 30 }));
    expect(info.reserved_spend).toBe(0);
  });
});

describe('cost headers on success', () => {
  it('x-litellm-response-cost is the exact cost of the call and x-litellm-key-spend the running total', async () => {
    const created = await admin.generateKey({});
    const client = clientFor(gateway.url, created.key);

    openai.enqueue({ kind: 'reply', promptTokens: 1000, cachedTokens: 600, completionTokens: 42 });
    // Room for the 42 output tokens: usage beyond the call's output limit would not be believed.
    const first = await client.chat.completions.create({ ...chatBody, max_tokens: 100 }).withResponse();
    const firstCost = costNanos('gpt-4o', { freshInput: 400, cacheRead: 600, output: 42 });
    expect(firstCost).toBe(2_170_000);
    expect(Number(first.response.headers.get('x-litellm-response-cost'))).toBe(nanosToUsd(firstCost));
    expect(Number(first.response.headers.get('x-litellm-key-spend'))).toBe(nanosToUsd(firstCost));
    // The header is the key's spend when the call reserved plus its cost: the first call must have landed.
    await admin.keySettled(created.key);

    openai.enqueue({ kind: 'reply', promptTokens: 7, completionTokens: 3 });
    const second = await client.chat.completions.create(chatBody).withResponse();
    const secondCost = costNanos('gpt-4o', { freshInput: 7, output: 3 });
    expect(Number(second.response.headers.get('x-litellm-response-cost'))).toBe(nanosToUsd(secondCost));
    expect(Number(second.response.headers.get('x-litellm-key-spend'))).toBe(nanosToUsd(firstCost + secondCost));

    const info = await admin.keySettled(created.key);
    expect(usdToNanos(info.spend)).toBe(firstCost + secondCost);
  });
});
