/**
 * Subscription tools that bypass the gateway, attributed from their OpenTelemetry exports: the real
 * Claude Code and Codex CLIs talk to the provider fakes directly and export their telemetry to the
 * gateway's OTLP receiver with a virtual key, in JSON and in protobuf. Recorded exports (the
 * unit fixtures) are replayed for retries, gzip and the refusals.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

import { Logger } from '@nestjs/common';

import { AnthropicFake, DEFAULT_COMPLETION_TOKENS } from '../fakes';
import { OpenAIResponsesFake } from '../fakes/openai-responses-fake';
import { AdminApi, type GeneratedKey, waitFor } from '../support/admin-api';
import { LedgerDb } from '../support/ledger-db';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

jest.setTimeout(240_000);

const AGENTS = resolve(__dirname, '../agents/node_modules/.bin');
const FIXTURES = resolve(__dirname, '../../apps/gateway/src/otlp/__fixtures__');
const ANTHROPIC_KEY = 'sk-ant-test';
const PROMPT_MARKER = 'PRIVATE-PROMPT-7f3a9c';
/** The team the recorded fixtures report for (`OTEL_RESOURCE_ATTRIBUTES=tollgate.client=acme`). */
const CLIENT = 'acme';

const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
const responses = new OpenAIResponsesFake();
let gateway: TestGateway;
let admin: AdminApi;
let ledger: LedgerDb;
let key: GeneratedKey;
const homes: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-otlp-'));
  homes.push(home);
  return home;
}

/** Claude Code, as setup-client.sh tells a user to configure it, against the Anthropic fake. */
async function runClaudeCode(
  protocol: 'http/json' | 'http/protobuf',
): Promise<{ session_id: string; total_cost_usd: number; usage: Record<string, number> }> {
  const home = tempHome();
  const result = await run(
    join(AGENTS, 'claude'),
    ['-p', `Say hello. ${PROMPT_MARKER}`, '--output-format', 'json', '--dangerously-skip-permissions'],
    {
      HOME: home,
      IS_SANDBOX: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      ANTHROPIC_BASE_URL: anthropic.url,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_MODEL: 'claude-sonnet-4-6',
      CLAUDE_CODE_ENABLE_TELEMETRY: '1',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: `${gateway.url}/otlp`,
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${key.key}`,
      OTEL_RESOURCE_ATTRIBUTES: `tollgate.client=${CLIENT}`,
      // The user opted in to prompt logging: the receiver must still store none of it.
      OTEL_LOG_USER_PROMPTS: '1',
      OTEL_LOGS_EXPORT_INTERVAL: '500',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
    },
    home,
  );
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

/** Codex with a custom provider at the Responses fake and the [otel] block setup-client.sh prints. */
async function runCodex(protocol: 'json' | 'binary'): Promise<string> {
  const home = tempHome();
  const codexHome = join(home, 'codex');
  mkdirSync(codexHome);
  writeFileSync(
    join(codexHome, 'config.toml'),
    [
      'model = "gpt-4o"',
      'model_provider = "fake"',
      '[model_providers.fake]',
      'name = "fake"',
      `base_url = "${responses.url}/v1"`,
      'env_key = "FAKE_OPENAI_KEY"',
      'wire_api = "responses"',
      '[otel]',
      'log_user_prompt = true',
      `exporter = { otlp-http = { endpoint = "${gateway.url}/otlp/v1/logs", protocol = "${protocol}", headers = { "authorization" = "Bearer ${key.key}" } } }`,
    ].join('\n'),
  );
  const result = await run(
    join(AGENTS, 'codex'),
    ['exec', '--skip-git-repo-check', `Say hello. ${PROMPT_MARKER}`],
    { HOME: home, CODEX_HOME: codexHome, FAKE_OPENAI_KEY: 'sk-openai-test', OTEL_RESOURCE_ATTRIBUTES: `tollgate.client=${CLIENT}` },
    home,
  );
  expect(result.code).toBe(0);
  const session = /session id: ([0-9a-f-]{36})/.exec(result.stderr + result.stdout);
  expect(session).not.toBeNull();
  return session![1];
}

async function rowsOfSession(sessionId: string): Promise<Record<string, any>[]> {
  return ledger.query(`SELECT * FROM spend_logs WHERE session_id = ? ORDER BY request_id`, [sessionId]);
}

async function exportTo(
  signal: 'logs' | 'metrics',
  body: Buffer | string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; body: Buffer }> {
  const response = await fetch(`${gateway.url}/otlp/v1/${signal}`, { method: 'POST', headers, body });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, text: bytes.toString('utf8'), body: bytes };
}

const json = (secret: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${secret}` });
const protobuf = (secret: string) => ({ 'content-type': 'application/x-protobuf', authorization: `Bearer ${secret}` });

beforeAll(async () => {
  await Promise.all([anthropic.start(), responses.start()]);
  gateway = await startTestGateway({
    model_list: [
      {
        model_name: 'claude-sonnet-4-6',
        litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY },
      },
    ],
  });
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
  await admin.newTeam({ team_id: CLIENT, max_budget: 5 });
  await admin.newTeam({ team_id: 'globex' });
  key = await admin.generateKey({ team_id: CLIENT, key_alias: 'consultant-laptop', max_budget: 5 });
  ledger = await LedgerDb.open(gateway.database);
});

afterAll(async () => {
  await ledger?.close();
  await gateway?.close();
  await Promise.all([anthropic.stop(), responses.stop()]);
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

describe.each(['http/json', 'http/protobuf'] as const)('Claude Code exporting %s', (protocol) => {
  it('turns each API request into one subscription ledger row with both costs, and reports the session', async () => {
    const result = await runClaudeCode(protocol);
    const rows = await waitFor(
      async () => {
        const found = await rowsOfSession(result.session_id);
        return found.length > 0 ? found : undefined;
      },
      20_000,
      100,
      'the api_request event to reach the ledger',
    );
    expect(rows).toHaveLength(1);
    const [row] = rows;
    const inputTokens = result.usage.input_tokens + result.usage.cache_read_input_tokens + result.usage.cache_creation_input_tokens;
    expect(row).toMatchObject({
      source: 'subscription',
      client_tool: 'claude-code',
      client_tool_version: '2.1.197',
      api_key: key.token,
      team_id: CLIENT,
      model: 'claude-sonnet-4-6',
      provider: 'anthropic',
      call_type: 'messages',
      status: 'success',
      prompt_tokens: inputTokens,
      completion_tokens: DEFAULT_COMPLETION_TOKENS,
      total_tokens: inputTokens + DEFAULT_COMPLETION_TOKENS,
      unpriced: 0,
    });
    expect(row.request_id).toMatch(/^sub:claude-code:[0-9a-f-]{36}:req_/);
    // Sonnet 4.6 list prices: $3 / $15 per million tokens = 3,000 / 15,000 nano-dollars per token (no cache in this session).
    expect(Number(row.spend_nanos)).toBe(result.usage.input_tokens * 3_000 + DEFAULT_COMPLETION_TOKENS * 15_000);
    // What Claude Code itself reported (cost_usd_micros), stored apart: here the same list prices.
    expect(Number(row.reported_cost_nanos)).toBe(Math.round(result.total_cost_usd * 1e9));

    const sessions = await admin.send(`/spend/sessions?source=subscription`);
    const session = sessions.json.find((s: { session_id: string }) => s.session_id === result.session_id);
    expect(session).toMatchObject({
      source: 'subscription',
      client_tool: 'claude-code',
      team_id: CLIENT,
      requests: 1,
      completion_tokens: DEFAULT_COMPLETION_TOKENS,
    });
    expect(session.spend).toBeCloseTo(Number(row.spend_nanos) / 1e9, 9);
    expect(session.reported_cost).toBeCloseTo(result.total_cost_usd, 9);
    // Active time comes from claude_code.active_time.total once the metrics export arrives.
    await waitFor(
      async () => {
        const again = await admin.send(`/spend/sessions?source=subscription`);
        const found = again.json.find((s: { session_id: string }) => s.session_id === result.session_id);
        return found.active_time_seconds > 0 ? found : undefined;
      },
      20_000,
      100,
      'the active-time metric',
    );

    const logs = await admin.send(`/spend/logs?session_id=${result.session_id}`);
    expect(logs.json).toHaveLength(1);
    expect(logs.json[0]).toMatchObject({
      source: 'subscription',
      client_tool: 'claude-code',
      client_tool_version: '2.1.197',
      session_id: result.session_id,
    });
  });
});

describe.each(['json', 'binary'] as const)('Codex exporting %s', (protocol) => {
  it('turns each response.completed into one subscription ledger row at list prices', async () => {
    responses.usage = { inputTokens: 1_200, cachedTokens: 200, outputTokens: 40, reasoningTokens: 16 };
    const conversation = await runCodex(protocol);
    const rows = await waitFor(
      async () => {
        const found = await rowsOfSession(conversation);
        return found.length > 0 ? found : undefined;
      },
      20_000,
      100,
      'the response.completed event to reach the ledger',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      source: 'subscription',
      client_tool: 'codex',
      client_tool_version: '0.171.0',
      team_id: CLIENT,
      model: 'gpt-4o',
      call_type: 'responses',
      prompt_tokens: 1_200,
      cache_read_tokens: 200,
      completion_tokens: 40,
      reported_cost_nanos: null,
    });
    // gpt-4o: $2.50 input, $1.25 cached input, $10 output per million tokens.
    expect(Number(rows[0].spend_nanos)).toBe(1_000 * 2_500 + 200 * 1_250 + 40 * 10_000);
    expect(JSON.parse(rows[0].metadata)).toMatchObject({ reasoning_tokens: 16 });
  });
});

describe('what is stored', () => {
  it('keeps no prompt or response text even when the tools send it (OTEL_LOG_USER_PROMPTS=1, log_user_prompt)', async () => {
    const everything = JSON.stringify([
      await ledger.query(`SELECT * FROM spend_logs`),
      await ledger.query(`SELECT * FROM subscription_metric_points`),
    ]);
    expect(everything).toContain('claude-code');
    expect(everything).not.toContain(PROMPT_MARKER);
    expect(everything).not.toContain('héllo');
  });

  it('does not consume the money budget of the key or its team: the subscription is prepaid', async () => {
    expect((await admin.keyInfo(key.key)).spend).toBe(0);
    expect((await admin.teamInfo(CLIENT)).spend).toBe(0);
  });
});

describe('retries and encodings', () => {
  const recorded = readFileSync(join(FIXTURES, 'claude-code-logs.json'));
  const recordedSession = '96dd1295-47f7-443b-b4ff-769f95c01cb3';

  it('an exporter retrying the same export twice adds no second row (JSON, gzip and protobuf alike)', async () => {
    expect((await exportTo('logs', recorded, json(key.key))).status).toBe(200);
    expect((await exportTo('logs', recorded, json(key.key))).status).toBe(200);
    expect((await exportTo('logs', gzipSync(recorded), { ...json(key.key), 'content-encoding': 'gzip' })).status).toBe(200);
    expect(await rowsOfSession(recordedSession)).toHaveLength(1);

    const pb = readFileSync(join(FIXTURES, 'claude-code-logs-2.pb'));
    const first = await exportTo('logs', pb, protobuf(key.key));
    expect(first.status).toBe(200);
    expect(first.body.length).toBe(0); // an empty ExportLogsServiceResponse: nothing rejected
    await exportTo('logs', pb, protobuf(key.key));
    expect(await rowsOfSession('bd37c2d8-8a0b-4e5a-89a1-d618f49902c1')).toHaveLength(1);
  });

  it('a metrics export replayed twice counts its active time once', async () => {
    const metrics = readFileSync(join(FIXTURES, 'claude-code-metrics.json'));
    expect((await exportTo('metrics', metrics, json(key.key))).status).toBe(200);
    expect((await exportTo('metrics', metrics, json(key.key))).status).toBe(200);
    const sessions = await admin.send(`/spend/sessions?source=subscription`);
    expect(sessions.json.find((s: { session_id: string }) => s.session_id === recordedSession)).toMatchObject({
      active_time_seconds: 0.557,
      requests: 1,
    });
  });

  it('logs once per session when the cost metric disagrees with the request events beyond rounding', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      // The metric stream for the replayed session, agreeing with its event ($0.016585): no warning.
      const agreeing = readFileSync(join(FIXTURES, 'claude-code-metrics.json'), 'utf8');
      await exportTo('metrics', agreeing, json(key.key));
      const disagreements = () => warn.mock.calls.filter(([message]) => String(message).includes(recordedSession));
      expect(disagreements()).toEqual([]);
      // Two later delta points claiming another 40 cents: the first disagreement is logged, the second is not.
      for (const later of ['1796312700000000000', '1796312800000000000']) {
        const drifted = agreeing
          .split('"timeUnixNano":"1796312613906000000","asDouble":0.016585')
          .join(`"timeUnixNano":"${later}","asDouble":0.2`);
        expect((await exportTo('metrics', drifted, json(key.key))).status).toBe(200);
      }
      expect(disagreements()).toEqual([
        [expect.stringMatching(/cost metric reports \$0\.216585 but its request events add up to \$0\.016585/)],
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it('rejects a malformed record alone: 200 with partial_success, the valid record stored', async () => {
    const payload = JSON.parse(recorded.toString('utf8'));
    const records = payload.resourceLogs[0].scopeLogs[0].logRecords;
    const request = records.find((r: { body: { stringValue: string } }) => r.body.stringValue === 'claude_code.api_request');
    const fresh = JSON.parse(JSON.stringify(request).split(recordedSession).join('11111111-2222-4333-8444-555555555555'));
    const broken = { ...request, attributes: request.attributes.filter((a: { key: string }) => a.key !== 'session.id') };
    payload.resourceLogs[0].scopeLogs[0].logRecords = [fresh, broken];
    const answer = await exportTo('logs', JSON.stringify(payload), json(key.key));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({
      partialSuccess: { rejectedLogRecords: '1', errorMessage: expect.stringContaining('session.id') },
    });
    expect(await rowsOfSession('11111111-2222-4333-8444-555555555555')).toHaveLength(1);
  });
});

describe('refusals', () => {
  const recorded = readFileSync(join(FIXTURES, 'claude-code-logs.json'));
  const forClient = (client: string) => recorded.toString('utf8').split(`"stringValue":"${CLIENT}"`).join(`"stringValue":"${client}"`);

  it('a stolen or made-up key is refused with 401 and stores nothing', async () => {
    const before = (await ledger.query(`SELECT COUNT(*) AS n FROM spend_logs`)) as { n: number }[];
    const answer = await exportTo('logs', forClient('globex'), json('sk-not-a-real-key'));
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)).toMatchObject({ code: 16 });
    expect((await exportTo('logs', recorded, { 'content-type': 'application/json' })).status).toBe(401);
    expect(await ledger.query(`SELECT COUNT(*) AS n FROM spend_logs`)).toEqual(before);
  });

  it("a key reporting for another client's team is refused with 403, and an unknown team too", async () => {
    const foreign = await exportTo('logs', forClient('globex'), json(key.key));
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.text)).toMatchObject({ code: 7, message: expect.stringContaining('globex') });
    expect((await exportTo('logs', forClient('no-such-team'), json(key.key))).status).toBe(403);
    // Refused even when the records are ones Tollgate would not store (a prompt event alone).
    const promptOnly = JSON.parse(forClient('globex'));
    promptOnly.resourceLogs[0].scopeLogs[0].logRecords.splice(1);
    expect((await exportTo('logs', JSON.stringify(promptOnly), json(key.key))).status).toBe(403);
  });

  it("rejects only the foreign resource's records when one export mixes teams: 200 with partial_success", async () => {
    const own = JSON.parse(
      recorded.toString('utf8').split('96dd1295-47f7-443b-b4ff-769f95c01cb3').join('44444444-2222-4333-8444-555555555555'),
    );
    const foreign = JSON.parse(
      forClient('globex').split('96dd1295-47f7-443b-b4ff-769f95c01cb3').join('55555555-2222-4333-8444-555555555555'),
    );
    const mixed = { resourceLogs: [...own.resourceLogs, ...foreign.resourceLogs] };
    const answer = await exportTo('logs', JSON.stringify(mixed), json(key.key));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({
      partialSuccess: { rejectedLogRecords: '3', errorMessage: expect.stringContaining('globex') },
    });
    expect(await rowsOfSession('44444444-2222-4333-8444-555555555555')).toHaveLength(1);
    expect(await rowsOfSession('55555555-2222-4333-8444-555555555555')).toHaveLength(0);
  });

  it('a key whose metadata lists the team under tollgate_clients may report for it', async () => {
    const consultant = await admin.generateKey({ team_id: CLIENT, metadata: { tollgate_clients: ['globex'] } });
    const payload = forClient('globex').split('96dd1295-47f7-443b-b4ff-769f95c01cb3').join('22222222-2222-4333-8444-555555555555');
    expect((await exportTo('logs', payload, json(consultant.key))).status).toBe(200);
    expect(await rowsOfSession('22222222-2222-4333-8444-555555555555')).toMatchObject([{ team_id: 'globex', api_key: consultant.token }]);
  });

  it('an oversized export is refused with 413, compressed or not (a gzip bomb stops at the limit)', async () => {
    const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
    expect((await exportTo('logs', huge, json(key.key))).status).toBe(413);
    expect((await exportTo('logs', gzipSync(huge), { ...json(key.key), 'content-encoding': 'gzip' })).status).toBe(413);
  });

  it('an undecodable export is refused with 400 in its own encoding, never a 500', async () => {
    expect((await exportTo('logs', '{"resourceLogs": [', json(key.key))).status).toBe(400);
    const garbage = await exportTo('metrics', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), protobuf(key.key));
    expect(garbage.status).toBe(400);
    expect(garbage.text).not.toContain('"code"'); // a protobuf google.rpc.Status, not JSON
    expect((await exportTo('logs', 'hello', { 'content-type': 'text/plain', authorization: `Bearer ${key.key}` })).status).toBe(415);
  });
});

describe('rate limits', () => {
  it("telemetry exports do not use up the key's rpm_limit, which stays for model calls", async () => {
    const limited = await admin.generateKey({ team_id: CLIENT, rpm_limit: 1 });
    const recorded = readFileSync(join(FIXTURES, 'claude-code-logs.json'));
    for (let i = 0; i < 3; i++) expect((await exportTo('logs', recorded, json(limited.key))).status).toBe(200);
    const call = () =>
      fetch(`${gateway.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': limited.key },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
      });
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(429);
  });
});

describe('a team billed by usage', () => {
  it('counts subscription rows against its money budget when count_subscription_spend is set', async () => {
    await admin.newTeam({ team_id: 'usage-billed', max_budget: 10, metadata: { count_subscription_spend: true } });
    const billed = await admin.generateKey({ team_id: 'usage-billed' });
    const payload = readFileSync(join(FIXTURES, 'claude-code-logs.json'), 'utf8')
      .split(`"stringValue":"${CLIENT}"`)
      .join('"stringValue":"usage-billed"')
      .split('96dd1295-47f7-443b-b4ff-769f95c01cb3')
      .join('33333333-2222-4333-8444-555555555555');
    expect((await exportTo('logs', payload, json(billed.key))).status).toBe(200);
    // claude-opus-4-8 is not in the catalog: charged at the conservative default ($15 / $75 per million).
    const expected = 3_272 * 15_000 + 9 * 75_000;
    const [row] = await rowsOfSession('33333333-2222-4333-8444-555555555555');
    expect(row).toMatchObject({ spend_nanos: expected, unpriced: 1 });
    expect(Number(row.reported_cost_nanos)).toBe(16_585_000);
    expect((await admin.teamInfo('usage-billed')).spend).toBeCloseTo(expected / 1e9, 9);
    // A retry charges nothing more.
    await exportTo('logs', payload, json(billed.key));
    expect((await admin.teamInfo('usage-billed')).spend).toBeCloseTo(expected / 1e9, 9);
  });
});
