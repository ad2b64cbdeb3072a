/**
 * The built gateway with `JSON_LOGS=true` and alert webhooks, as an operator runs it: its stdout
 * parsed line by line, and its webhooks received by listeners in this test. Runs on SQLite and
 * PostgreSQL (TOLLGATE_TEST_DB).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { OpenAIFake } from '../fakes';
import { AdminApi, sendRaw, uniqueId, waitFor } from '../support/admin-api';
import {
  type GatewayConfigFile,
  type GatewayProcess,
  PROCESS_MASTER_KEY,
  spawnGateway,
  writeGatewayConfig,
} from '../support/gateway-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const UPSTREAM_KEY = 'sk-upstream-secret-4d2f9a';
const PROMPT_MARKER = 'PROMPT-MARKER-7f3a1b';
const COMPLETION_MARKER = 'COMPLETION-MARKER-9c1e5d';
/** A Slack webhook URL's path is its credential: it must never reach a log line. */
const WEBHOOK_SECRET_PATH = '/services/T000/B000/WEBHOOK-SECRET-PATH-51ab';

/** $0.01 per output token and nothing for input: every call costs exactly 9 × $0.01 = $0.09. */
const CALL_COST = 0.09;
const TEAM_BUDGET = 1.8; // 80 % after 16 calls, 100 % after 20.

const openai = new OpenAIFake({ apiKey: UPSTREAM_KEY });
const flaky = new OpenAIFake({ apiKey: UPSTREAM_KEY });
/** Answers 503 with an error message that quotes the prompt and names an address. */
const echoing = new OpenAIFake({ apiKey: UPSTREAM_KEY });

interface Received {
  path: string;
  body: Record<string, unknown>;
  eventId: string | undefined;
  answered: number;
}

/** A webhook receiver that answers 500 to its first `failFirst` deliveries, 200 after. */
class WebhookListener {
  readonly received: Received[] = [];
  private server!: Server;

  constructor(private failFirst = 0) {}

  async start(): Promise<string> {
    this.server = createServer((request: IncomingMessage, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      request.on('end', () => {
        const answered = this.failFirst-- > 0 ? 500 : 200;
        this.received.push({
          path: request.url ?? '',
          body: JSON.parse(text) as Record<string, unknown>,
          eventId: request.headers['x-tollgate-event-id'] as string | undefined,
          answered,
        });
        response.writeHead(answered).end();
      });
    });
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', () => done()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${WEBHOOK_SECRET_PATH}`;
  }

  delivered(): Record<string, unknown>[] {
    return this.received.filter((r) => r.answered === 200).map((r) => r.body);
  }

  async stop(): Promise<void> {
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}

const jsonHook = new WebhookListener(1);
const slackHook = new WebhookListener();

let database: TestDatabase;
let config: GatewayConfigFile;
let gateway: GatewayProcess;
const stopped: GatewayProcess[] = [];

beforeAll(async () => {
  await openai.start();
  await flaky.start();
  await echoing.start();
  openai.setDefaultReply({ text: `${COMPLETION_MARKER} done`, completionTokens: 9 });
  flaky.setDefaultReply({ text: `${COMPLETION_MARKER} flaky`, completionTokens: 9 });
  const jsonUrl = await jsonHook.start();
  const slackUrl = await slackHook.start();
  database = await createTestDatabase();
  // Input of any kind free, so a call's reservation is exactly its cost and the budget can be spent to the cent.
  const prices = {
    input_cost_per_token: 0,
    cache_read_input_token_cost: 0,
    cache_creation_input_token_cost: 0,
    output_cost_per_token: 0.01,
  };
  config = writeGatewayConfig({
    model_list: [
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o-mini', api_base: openai.url, api_key: UPSTREAM_KEY, ...prices } },
      { model_name: 'flaky', litellm_params: { model: 'openai/gpt-4o-mini', api_base: flaky.url, api_key: UPSTREAM_KEY, ...prices } },
      { model_name: 'echo', litellm_params: { model: 'openai/gpt-4o-mini', api_base: echoing.url, api_key: UPSTREAM_KEY, ...prices } },
    ],
    router_settings: { allowed_fails: 1, cooldown_time: 1, num_retries: 0 },
    general_settings: {
      alerting: ['webhook'],
      alerting_webhooks: [{ url: slackUrl, format: 'slack' }],
    },
  });
  gateway = await start({ WEBHOOK_URL: jsonUrl });
}, 240_000);

afterAll(async () => {
  await gateway?.stop();
  for (const process of stopped) await process.stop();
  config?.remove();
  await database?.drop();
  await Promise.all([openai.stop(), flaky.stop(), echoing.stop(), jsonHook.stop(), slackHook.stop()]);
});

let webhookUrl: string;
async function start(env?: Record<string, string>): Promise<GatewayProcess> {
  webhookUrl = env?.WEBHOOK_URL ?? webhookUrl;
  return spawnGateway({ config, databaseUrl: database.url, env: { JSON_LOGS: 'true', WEBHOOK_URL: webhookUrl, ...env } });
}

function chat(key: string, model = 'gpt', on: GatewayProcess = gateway) {
  return sendRaw(on.url, '/v1/chat/completions', {
    key,
    body: { model, max_tokens: 9, messages: [{ role: 'user', content: `${PROMPT_MARKER} say something` }] },
  });
}

function budgetEvents(listener: WebhookListener, teamId: string): Record<string, unknown>[] {
  return listener.delivered().filter((e) => e.team_id === teamId && e.event_group === 'team');
}

function keyEvents(listener: WebhookListener, keyAlias: string): Record<string, unknown>[] {
  return listener.delivered().filter((e) => e.key_alias === keyAlias && e.event_group === 'key');
}

async function eventsWhen<T>(count: number, read: () => T[], what: string): Promise<T[]> {
  return waitFor(async () => (read().length >= count ? read() : undefined), 10_000, 100, what);
}

function logLines(process: GatewayProcess): Record<string, unknown>[] {
  return process
    .stdout()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('budget alerts', () => {
  const teamId = uniqueId('alerts');
  let key: string;

  beforeAll(async () => {
    const admin = new AdminApi(gateway.url, PROCESS_MASTER_KEY);
    await admin.newTeam({ team_id: teamId, team_alias: 'Platform', max_budget: TEAM_BUDGET, budget_duration: '30d' });
    key = (await admin.generateKey({ team_id: teamId, key_alias: 'alerts-laptop' })).key;
  });

  it('many calls past 80 % of a team budget send exactly one 80 % event, also after a restart, then one 100 % event', async () => {
    // 16 calls, four at a time: the budget check runs several times while the team is past 80 %.
    for (let batch = 0; batch < 4; batch++) {
      const answers = await Promise.all([0, 1, 2, 3].map(() => chat(key)));
      for (const answer of answers) expect(answer.status).toBe(200);
    }
    const first = await waitFor(
      async () => (budgetEvents(jsonHook, teamId).length > 0 ? budgetEvents(jsonHook, teamId) : undefined),
      10_000,
      100,
      'the 80 % event',
    );
    expect(first).toEqual([
      expect.objectContaining({
        event: 'threshold_crossed',
        event_group: 'team',
        threshold: 0.8,
        spend: expect.closeTo(16 * CALL_COST, 9),
        max_budget: TEAM_BUDGET,
        budget_duration: '30d',
        team_alias: 'Platform',
      }),
    ]);

    // A restart must not forget what was sent in this window.
    await gateway.stop();
    stopped.push(gateway);
    gateway = await start();
    for (let i = 0; i < 3; i++) {
      expect((await chat(key)).status).toBe(200);
      await pause(700);
    }
    expect(budgetEvents(jsonHook, teamId)).toHaveLength(1);

    expect((await chat(key)).status).toBe(200); // the 20th call: $1.80 of $1.80
    const events = await waitFor(
      async () => (budgetEvents(jsonHook, teamId).length === 2 ? budgetEvents(jsonHook, teamId) : undefined),
      10_000,
      100,
      'the 100 % event',
    );
    expect(events[1]).toMatchObject({ event: 'budget_crossed', threshold: 1, spend: TEAM_BUDGET, max_budget: TEAM_BUDGET });
    expect((await chat(key)).status).toBe(429);
    await pause(1_500);
    expect(budgetEvents(jsonHook, teamId)).toHaveLength(2);
  }, 90_000);

  it('a webhook that answers 500 first gets the same event again, and the log names its host but not its secret path', () => {
    const [failed, retried] = jsonHook.received;
    expect(failed.answered).toBe(500);
    expect(retried.answered).toBe(200);
    expect(retried.eventId).toBe(failed.eventId);
    expect(retried.body).toEqual(failed.body);
    expect(retried.path).toBe(WEBHOOK_SECRET_PATH);
    const logs = stopped.map((p) => p.stdout()).join('') + gateway.stdout();
    expect(logs).toContain('failed (HTTP 500); retrying');
    expect(logs).not.toContain('WEBHOOK-SECRET-PATH');
  });

  it('a Slack webhook gets the same events as Slack messages', () => {
    const texts = slackHook.delivered().map((body) => body.text as string);
    const teamTexts = texts.filter((text) => text.includes('Team Platform'));
    expect(teamTexts).toHaveLength(2);
    expect(teamTexts[0]).toMatch(/^:warning: Team Platform has spent \$1\.44 of its \$1\.80 budget/);
    expect(teamTexts[1]).toMatch(/^:rotating_light: Team Platform has spent \$1\.80 of its \$1\.80 budget/);
    for (const body of slackHook.delivered()) expect(Object.keys(body)).toEqual(['text']);
  });
});

describe('key budget alerts', () => {
  it('a key crossing 80 % and 100 % of its own max_budget sends one event each, naming it by alias and masked name only', async () => {
    const admin = new AdminApi(gateway.url, PROCESS_MASTER_KEY);
    // $0.45: 80 % after 4 calls, 100 % after 5.
    const generated = await admin.generateKey({ key_alias: 'key-budget-probe', max_budget: 0.45, budget_duration: '1d' });
    const answers = await Promise.all([0, 1, 2, 3].map(() => chat(generated.key)));
    for (const answer of answers) expect(answer.status).toBe(200);
    const [atEighty] = await eventsWhen(1, () => keyEvents(jsonHook, 'key-budget-probe'), 'the key 80 % event');
    expect(atEighty).toMatchObject({
      event: 'threshold_crossed',
      event_group: 'key',
      threshold: 0.8,
      spend: expect.closeTo(4 * CALL_COST, 9),
      max_budget: 0.45,
      budget_duration: '1d',
      key_alias: 'key-budget-probe',
      key_name: generated.key_name,
      team_id: null,
    });
    expect(generated.key_name).toMatch(/^sk-\.\.\.[A-Za-z0-9_-]{4}$/);

    expect((await chat(generated.key)).status).toBe(200);
    const events = await eventsWhen(2, () => keyEvents(jsonHook, 'key-budget-probe'), 'the key 100 % event');
    expect(events[1]).toMatchObject({ event: 'budget_crossed', threshold: 1, spend: 0.45, key_name: generated.key_name });
    expect((await chat(generated.key)).status).toBe(429);
    await pause(1_500);
    expect(keyEvents(jsonHook, 'key-budget-probe')).toHaveLength(2);

    const sent = JSON.stringify([...jsonHook.received, ...slackHook.received]);
    expect(sent).not.toContain(generated.key);
    expect(sent).not.toContain(generated.token);
  }, 30_000);
});

describe('budgets lowered by an admin', () => {
  it('/key/update lowering max_budget below the spend sends the thresholds now passed, without another call', async () => {
    const admin = new AdminApi(gateway.url, PROCESS_MASTER_KEY);
    const { key } = await admin.generateKey({ key_alias: 'lowered-key', max_budget: 10 });
    for (let i = 0; i < 3; i++) expect((await chat(key)).status).toBe(200);
    await admin.keySettled(key);
    await pause(1_000);
    expect(keyEvents(jsonHook, 'lowered-key')).toEqual([]);

    // $0.27 spent of a new $0.27 budget: 80 % and 100 % at once.
    expect((await admin.send('/key/update', { method: 'POST', body: { key, max_budget: 0.27 } })).status).toBe(200);
    const events = await eventsWhen(2, () => keyEvents(jsonHook, 'lowered-key'), 'the events of the lowered key budget');
    expect(events.map((e) => [e.event, e.threshold, e.max_budget])).toEqual([
      ['threshold_crossed', 0.8, 0.27],
      ['budget_crossed', 1, 0.27],
    ]);
  }, 30_000);

  it('/team/update lowering max_budget sends the 80 % event once; raising it again re-arms nothing in the window', async () => {
    const admin = new AdminApi(gateway.url, PROCESS_MASTER_KEY);
    const teamId = uniqueId('lowered');
    await admin.newTeam({ team_id: teamId, team_alias: 'Lowered', max_budget: 10, budget_duration: '30d' });
    const { key } = await admin.generateKey({ team_id: teamId });
    for (let i = 0; i < 2; i++) expect((await chat(key)).status).toBe(200);
    await admin.keySettled(key);

    await admin.updateTeam({ team_id: teamId, max_budget: 0.2 }); // $0.18 of $0.20: 90 %
    const [event] = await eventsWhen(1, () => budgetEvents(jsonHook, teamId), 'the event of the lowered team budget');
    expect(event).toMatchObject({ event: 'threshold_crossed', threshold: 0.8, spend: 0.18, max_budget: 0.2, team_alias: 'Lowered' });

    await admin.updateTeam({ team_id: teamId, max_budget: 10 });
    await admin.updateTeam({ team_id: teamId, max_budget: 0.2 });
    await pause(1_500);
    expect(budgetEvents(jsonHook, teamId)).toHaveLength(1);
  }, 30_000);
});

describe('two gateway instances on one database', () => {
  it('traffic through both crossing 80 % and 100 % of a team budget at once sends each event exactly once', async () => {
    const second = await start();
    try {
      const admin = new AdminApi(gateway.url, PROCESS_MASTER_KEY);
      const teamId = uniqueId('shared');
      // $0.90: 80 % after 8 calls, 100 % after 10.
      await admin.newTeam({ team_id: teamId, team_alias: 'Shared', max_budget: 0.9, budget_duration: '30d' });
      const { key } = await admin.generateKey({ team_id: teamId });
      const instances = [gateway, second];
      const burst = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => chat(key, 'gpt', instances[i % 2])));
      for (const answer of burst) expect(answer.status).toBe(200);
      // The last call on each instance settles at $0.90, so both check the team past both thresholds.
      const last = await Promise.all(instances.map((instance) => chat(key, 'gpt', instance)));
      for (const answer of last) expect(answer.status).toBe(200);

      await eventsWhen(2, () => budgetEvents(jsonHook, teamId), 'the 80 % and 100 % events');
      await pause(1_500);
      expect(budgetEvents(jsonHook, teamId).map((e) => e.threshold)).toEqual([0.8, 1]);
      expect(slackHook.delivered().filter((e) => String(e.text).includes('Team Shared'))).toHaveLength(2);
    } finally {
      await second.stop();
      stopped.push(second);
    }
  }, 60_000);
});

describe('deployment cooldown alerts', () => {
  it('an upstream failing past allowed_fails sends one cooldown event, and one recovery event when it serves again', async () => {
    const admin = new AdminApi(gateway.url, PROCESS_MASTER_KEY);
    const { key } = await admin.generateKey({ key_alias: 'cooldown-probe' });
    flaky.enqueue({ kind: 'error', status: 503, message: `overloaded while reading ${PROMPT_MARKER}` });
    flaky.enqueue({ kind: 'error', status: 503 });
    expect((await chat(key, 'flaky')).status).toBe(503);
    // Cooling down: refused without a call upstream, and reported once.
    expect((await chat(key, 'flaky')).status).toBe(503);
    await pause(1_100);
    expect((await chat(key, 'flaky')).status).toBe(503); // tried again after the cooldown, failed again: no second event
    await pause(1_100);
    expect((await chat(key, 'flaky')).status).toBe(200);

    const events = await waitFor(
      async () => {
        const found = jsonHook.delivered().filter((e) => e.event_group === 'deployment');
        return found.length >= 2 ? found : undefined;
      },
      10_000,
      100,
      'the cooldown and recovery events',
    );
    expect(events).toEqual([
      expect.objectContaining({
        event: 'deployment_cooldown',
        model_group: 'flaky',
        deployment: 'flaky#1',
        provider: 'openai',
        reason: 'http 503',
      }),
      expect.objectContaining({ event: 'deployment_recovered', model_group: 'flaky', deployment: 'flaky#1', cooldown_until: null }),
    ]);
    expect(slackHook.delivered().filter((e) => String(e.text).includes('flaky#1'))).toHaveLength(2);
  }, 30_000);
});

describe('JSON logs', () => {
  it('every stdout line is one JSON object with level, time and message', () => {
    for (const process of [...stopped, gateway]) {
      const lines = logLines(process);
      expect(lines.length).toBeGreaterThan(5);
      for (const line of lines) {
        expect(typeof line.level).toBe('string');
        expect(Number.isNaN(Date.parse(line.time as string))).toBe(false);
        expect(typeof line.message).toBe('string');
      }
    }
  });

  it('an access line per request carries the id the client saw, route, status, latency, model group, deployment and key alias', async () => {
    const admin = new AdminApi(gateway.url, PROCESS_MASTER_KEY);
    const { key } = await admin.generateKey({ key_alias: 'log-probe' });
    const answer = await chat(key);
    expect(answer.status).toBe(200);
    const requestId = answer.headers.get('x-litellm-call-id');
    const line = await waitFor(async () => logLines(gateway).find((l) => l.request_id === requestId), 5_000, 50, 'the access line');
    expect(line).toMatchObject({
      level: 'info',
      message: 'request',
      method: 'POST',
      route: '/v1/chat/completions',
      status: 200,
      model_group: 'gpt',
      deployment: 'gpt#0',
      key_alias: 'log-probe',
    });
    expect(typeof line.latency_ms).toBe('number');

    const failed = await chat(key, 'no-such-model');
    const failedId = failed.headers.get('x-litellm-call-id');
    const failedLine = await waitFor(async () => logLines(gateway).find((l) => l.request_id === failedId), 5_000, 50, 'the 404 line');
    expect(failedLine).toMatchObject({ status: 404, key_alias: 'log-probe' });
  });

  it('an upstream 5xx quoting the prompt is logged by its kind, status and deployment, with the request id: never its message', async () => {
    const admin = new AdminApi(gateway.url, PROCESS_MASTER_KEY);
    const { key } = await admin.generateKey({ key_alias: 'echo-probe' });
    const quoting = `upstream at http://10.9.8.7:8080/v1 overloaded while reading "${PROMPT_MARKER} say something"`;
    echoing.enqueue({ kind: 'error', status: 503, message: quoting });
    const failed = await chat(key, 'echo');
    expect(failed.status).toBe(503);
    const requestId = failed.headers.get('x-litellm-call-id');

    const errorLine = await waitFor(
      async () => logLines(gateway).find((l) => l.request_id === requestId && l.context === 'Errors'),
      5_000,
      50,
      'the error line',
    );
    expect(errorLine).toMatchObject({ level: 'warn', message: 'POST /v1/chat/completions: upstream failed (http 503) on echo#2' });
    // The router's line about the same failed attempt, from a library, carries the id too.
    expect(logLines(gateway).find((l) => l.request_id === requestId && l.context === 'Router')).toMatchObject({
      level: 'warn',
      message: expect.stringMatching(/^echo#2 \(http:\/\/127\.0\.0\.1:\d+\) failed: http 503$/),
    });
    for (const line of logLines(gateway)) expect(JSON.stringify(line)).not.toContain(PROMPT_MARKER);

    // Text mode (a second instance: deployment health is learnt per instance, so echo#2 is tried there too).
    const text = await spawnGateway({ config, databaseUrl: database.url, env: { WEBHOOK_URL: webhookUrl } });
    try {
      echoing.enqueue({ kind: 'error', status: 503, message: quoting });
      const textFailed = await chat(key, 'echo', text);
      expect(textFailed.status).toBe(503);
      const textId = textFailed.headers.get('x-litellm-call-id')!;
      await waitFor(async () => (text.output().includes(`[${textId}] POST`) ? true : undefined), 5_000, 50, 'the text error line');
      expect(text.output()).toContain(`[${textId}] POST /v1/chat/completions: upstream failed (http 503) on echo#2`);
      expect(text.output()).not.toContain(PROMPT_MARKER);
    } finally {
      await text.stop();
    }
  });

  it('no line holds a virtual key, the master key, the upstream key, a prompt or a completion, even when the upstream echoes the prompt in its error', async () => {
    const admin = new AdminApi(gateway.url, PROCESS_MASTER_KEY);
    const { key } = await admin.generateKey({ key_alias: 'secret-probe' });
    expect((await chat(key)).status).toBe(200);
    // /key/info takes the key in its query string.
    expect((await admin.send(`/key/info?key=${encodeURIComponent(key)}`)).status).toBe(200);
    await pause(200);
    const everything = [...stopped, gateway].map((p) => p.output()).join('');
    for (const secret of [key, PROCESS_MASTER_KEY, UPSTREAM_KEY, PROMPT_MARKER, COMPLETION_MARKER])
      expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/sk-[A-Za-z0-9_-]{20,}/);
  });
});
