/**
 * `--num_workers 2`: the built gateway as two node:cluster workers on one port and one database
 * (the run's: SQLite file or PostgreSQL). Every budget guarantee must hold across the workers as it
 * does within one process: concurrent calls through both never overspend, a worker killed with
 * calls in flight loses none of them (and its recovery never charges the other worker's calls),
 * and a key blocked through one worker is refused by the other within a second. A /metrics scrape
 * through either worker shows the whole gateway: every worker's counters summed, the budget gauges
 * once, also while a worker is stopped or after it was killed.
 *
 * Which worker served a call is read from the database: a call at the provider holds a
 * reservation row naming its instance.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { Client } from 'undici';

import { AnthropicFake } from '../fakes';
import { AdminApi, type GeneratedKey, sendRaw, uniqueId, usdToNanos, waitFor } from '../support/admin-api';
import { costNanos, inputTokensBound, reservationNanos } from '../support/expected-cost';
import {
  GATEWAY_MAIN,
  type GatewayConfigFile,
  type GatewayProcess,
  PROCESS_MASTER_KEY,
  spawnGateway,
  writeGatewayConfig,
} from '../support/gateway-process';
import { LedgerDb } from '../support/ledger-db';
import { Scrape } from '../support/prometheus-scrape';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const ANTHROPIC_KEY = 'sk-ant-test';
const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
/** An instance is presumed dead 10 s after its last heartbeat; sweeps run every 5 s. */
const RECOVERY_TIMEOUT_MS = 10_000 + 5_000 + 10_000;

const MESSAGES = [{ role: 'user', content: 'Which worker am I talking to?' }];
const BODY = { model: 'claude', messages: MESSAGES, max_tokens: 64 };
const RESERVED = reservationNanos('claude-sonnet-4-6', MESSAGES, 64);
/** A reply that uses the whole output allowance: each call costs nearly its reservation. */
const FULL_USAGE = { inputTokens: inputTokensBound(MESSAGES), outputTokens: 64 };
const FULL_COST = costNanos('claude-sonnet-4-6', { freshInput: FULL_USAGE.inputTokens, output: FULL_USAGE.outputTokens });

/** Alert webhooks: one takes every event, one refuses every event with a 400 (final, never retried). */
const acceptingHook = webhookAnswering(200);
const refusingHook = webhookAnswering(400);

function webhookAnswering(status: number): { server: Server; received: number; teams: string[]; url(): string } {
  const hook = {
    received: 0,
    teams: [] as string[],
    server: createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        hook.received++;
        hook.teams.push(String((JSON.parse(body) as { team_id?: string }).team_id));
        response.writeHead(status).end();
      });
    }),
    url: () => `http://127.0.0.1:${(hook.server.address() as AddressInfo).port}/hook`,
  };
  return hook;
}

let database: TestDatabase;
let config: GatewayConfigFile;
let gateway: GatewayProcess;
let admin: AdminApi;
let db: LedgerDb;

/** Worker pids by cluster worker id, from the primary's "worker N (pid P) listening" lines. */
function listeningWorkers(): Map<number, number> {
  const workers = new Map<number, number>();
  for (const match of gateway.output().matchAll(/worker (\d+) \(pid (\d+)\) listening/g)) workers.set(Number(match[1]), Number(match[2]));
  return workers;
}

beforeAll(async () => {
  await anthropic.start();
  for (const hook of [acceptingHook, refusingHook]) await new Promise<void>((done) => hook.server.listen(0, '127.0.0.1', done));
  database = await createTestDatabase();
  config = writeGatewayConfig({
    model_list: [
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY } },
    ],
    litellm_settings: { callbacks: ['prometheus'] },
    general_settings: {
      alerting_webhooks: [
        { url: acceptingHook.url(), format: 'json' },
        { url: refusingHook.url(), format: 'json' },
      ],
    },
  });
  gateway = await spawnGateway({ config, databaseUrl: database.url, args: ['--num_workers', '2'] });
  await waitFor(async () => (listeningWorkers().size === 2 ? true : undefined), 30_000, 100, 'both workers to listen');
  admin = new AdminApi(gateway.url, PROCESS_MASTER_KEY);
  db = await LedgerDb.open(database);
}, 240_000);

afterAll(async () => {
  await db?.close();
  await gateway?.stop();
  config?.remove();
  await database?.drop();
  await anthropic.stop();
  for (const hook of [acceptingHook, refusingHook]) hook.server.close();
});

beforeEach(() => anthropic.reset());

async function instancesHolding(token: string): Promise<string[]> {
  return (await db.openReservations(token)).map((r) => r.instance_id);
}

/**
 * `perWorker` kept-alive connections to each worker: node:cluster hands a connection to one worker
 * for its whole life, so a connection is pinned by learning, with one slow call, which instance serves it.
 */
/** Settlement follows the answer (group commit): a key's calls are all in the ledger once none holds a reservation. */
async function untilSettled(token: string): Promise<void> {
  await waitFor(async () => ((await db.openReservations(token)).length === 0 ? true : undefined), 10_000, 20, 'the calls to settle');
}

async function connectionsPerWorker(key: GeneratedKey, perWorker: number): Promise<Client[][]> {
  const byInstance = new Map<string, Client[]>();
  const complete = () => byInstance.size === 2 && [...byInstance.values()].every((clients) => clients.length === perWorker);
  for (let attempt = 0; attempt < 8 * perWorker && !complete(); attempt++) {
    const client = new Client(gateway.url);
    anthropic.enqueue({ kind: 'slowFirstByte', delayMs: 300, inputTokens: 10, outputTokens: 5 });
    const call = chatOn(client, key.key);
    const [instance] = await waitFor(async () => {
      const held = await instancesHolding(key.token);
      return held.length === 1 ? held : undefined;
    }, 5_000);
    expect(await call).toBe(200);
    const clients = byInstance.get(instance) ?? [];
    if (clients.length === perWorker) await client.close();
    else byInstance.set(instance, [...clients, client]);
  }
  expect(complete()).toBe(true);
  return [...byInstance.values()];
}

async function scrape(): Promise<Scrape> {
  const response = await sendRaw(gateway.url, '/metrics', { key: PROCESS_MASTER_KEY });
  expect(response.status).toBe(200);
  return new Scrape(response.text);
}

async function scrapeOn(client: Client): Promise<Scrape> {
  const response = await client.request({ path: '/metrics', method: 'GET', headers: { authorization: `Bearer ${PROCESS_MASTER_KEY}` } });
  const text = await response.body.text();
  expect(response.statusCode).toBe(200);
  return new Scrape(text);
}

async function scrapeOnNewConnection(): Promise<Scrape> {
  const client = new Client(gateway.url, { headersTimeout: 5_000, bodyTimeout: 5_000 });
  try {
    return await scrapeOn(client);
  } finally {
    void client.destroy();
  }
}

async function chatOn(client: Client, key: string): Promise<number> {
  const response = await client.request({
    path: '/v1/chat/completions',
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(BODY),
  });
  await response.body.text();
  return response.statusCode;
}

it('40 calls, 8 at a time through both workers, on a team with room for 12: spend <= max at every moment, ledger = spend, nothing left reserved', async () => {
  const teamId = uniqueId('workers-team');
  const maxNanos = 12 * RESERVED + Math.floor(RESERVED / 2);
  await admin.newTeam({ team_id: teamId, max_budget: maxNanos / 1e9 });
  const key = await admin.generateKey({ team_id: teamId });
  // Four connections pinned to each worker; their first 8 calls all fit, so both workers reserve.
  const connections = (await connectionsPerWorker(key, 4)).flat();
  await untilSettled(key.token);
  const probes = await db.ledgerOfTeam(teamId);
  const probeSpend = probes.reduce((sum, row) => sum + row.spend_nanos, 0);
  anthropic.reset();
  for (let i = 0; i < 40; i++) anthropic.enqueue({ kind: 'slowFirstByte', delayMs: 200, ...FULL_USAGE });

  const instances = new Set<string>();
  let done = false;
  let samples = 0;
  const watch = (async () => {
    while (!done) {
      for (const instance of await instancesHolding(key.token)) instances.add(instance);
      const [team] = await db.query<{ spend_nanos: number; reserved_nanos: number }>(
        `SELECT spend_nanos, reserved_nanos FROM teams WHERE team_id = ?`,
        [teamId],
      );
      expect(Number(team.spend_nanos) + Number(team.reserved_nanos)).toBeLessThanOrEqual(maxNanos);
      samples++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const statuses = (
    await Promise.all(
      connections.map(async (connection) => {
        const answered: number[] = [];
        for (let i = 0; i < 5; i++) answered.push(await chatOn(connection, key.key));
        return answered;
      }),
    )
  ).flat();
  done = true;
  await watch;
  await Promise.all(connections.map((connection) => connection.close()));

  expect(samples).toBeGreaterThan(3);
  expect(instances.size).toBe(2);
  const served = statuses.filter((status) => status === 200).length;
  expect(statuses.filter((status) => status !== 200)).toEqual(Array(40 - served).fill(429));
  expect(served).toBeGreaterThanOrEqual(8);

  await untilSettled(key.token);
  const team = await admin.teamInfo(teamId);
  expect(team.reserved_spend).toBe(0);
  expect(usdToNanos(team.spend)).toBe(probeSpend + served * FULL_COST);
  expect(usdToNanos(team.spend)).toBeLessThanOrEqual(maxNanos);
  const ledger = await db.ledgerOfTeam(teamId);
  expect(ledger.filter((row) => row.status === 'success')).toHaveLength(probes.length + served);
  expect(ledger.reduce((sum, row) => sum + row.spend_nanos, 0)).toBe(usdToNanos(team.spend));
  expect(await db.openReservations(key.token)).toEqual([]);
}, 60_000);

it('a key blocked through one worker is refused by the other within a second', async () => {
  const key = await admin.generateKey({});
  const [[first], [second]] = await connectionsPerWorker(key, 1);
  try {
    // Both workers have the key cached as valid: each just served it.
    expect((await admin.blockKey(key.key)).blocked).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await chatOn(first, key.key)).toBe(401);
    expect(await chatOn(second, key.key)).toBe(401);
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
}, 60_000);

describe('/metrics through either worker', () => {
  const teamId = uniqueId('workers-metrics');
  const TEAM_MAX = 5;
  const KEY_MAX = 2;
  let key: GeneratedKey;
  let first: Client;
  let second: Client;
  /** What the whole gateway served this key: its ledger rows, written by both workers. */
  let ledger: { calls: number; spendNanos: number };

  beforeAll(async () => {
    await admin.newTeam({ team_id: teamId, team_alias: 'Workers Metrics', max_budget: TEAM_MAX });
    key = await admin.generateKey({ team_id: teamId, key_alias: 'workers-metrics-key', max_budget: KEY_MAX });
    [[first], [second]] = await connectionsPerWorker(key, 1);
    // Known traffic pinned to each worker: 3 calls on one, 5 on the other.
    for (let i = 0; i < 3; i++) expect(await chatOn(first, key.key)).toBe(200);
    for (let i = 0; i < 5; i++) expect(await chatOn(second, key.key)).toBe(200);
    await untilSettled(key.token);
    const rows = await db.ledgerOfKey(key.token);
    ledger = { calls: rows.length, spendNanos: rows.reduce((sum, row) => sum + row.spend_nanos, 0) };
  }, 60_000);

  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
  });

  function expectWholeGateway(metrics: Scrape): void {
    const ofKey = { hashed_api_key: key.token };
    expect(metrics.sum('litellm_proxy_total_requests_metric_total', ofKey)).toBe(ledger.calls);
    expect(metrics.sum('litellm_requests_metric_total', ofKey)).toBe(ledger.calls);
    expect(metrics.histogramCount('litellm_request_total_latency_metric', ofKey)).toBe(ledger.calls);
    expect(usdToNanos(metrics.sum('litellm_spend_metric_total', ofKey))).toBe(ledger.spendNanos);
  }

  it('a call pinned to each worker: every scrape through either worker counts all of them, and the budget gauges once', async () => {
    expect(ledger.calls).toBeGreaterThanOrEqual(10);
    for (const connection of [first, second, first, second, first, second]) {
      const metrics = await scrapeOn(connection);
      expectWholeGateway(metrics);
      // Read from the shared database: one sample each, not one per worker.
      expect(metrics.samples('litellm_api_key_max_budget_metric', { hashed_api_key: key.token })).toEqual([
        expect.objectContaining({ value: String(KEY_MAX) }),
      ]);
      expect(metrics.samples('litellm_remaining_api_key_budget_metric', { hashed_api_key: key.token })).toHaveLength(1);
      expect(usdToNanos(metrics.sum('litellm_remaining_api_key_budget_metric', { hashed_api_key: key.token }))).toBe(
        usdToNanos(KEY_MAX) - ledger.spendNanos,
      );
      expect(metrics.sum('litellm_team_max_budget_metric', { team: teamId })).toBe(TEAM_MAX);
      expect(metrics.samples('tollgate_unsettled_reservations')).toHaveLength(1);
      expect(metrics.samples('litellm_deployment_state')).toEqual([expect.objectContaining({ value: '0' })]);
      expect(metrics.sum('tollgate_workers')).toBe(2);
      expect(metrics.sum('tollgate_workers_unanswered')).toBe(0);
      expect(metrics.samples('process_resident_memory_bytes')).toHaveLength(1);
    }
  }, 60_000);

  it('a stopped worker does not hang a scrape through the other: its last counters are shown, within the collect timeout', async () => {
    const pids = [...listeningWorkers().values()];
    expect(pids).toHaveLength(2);
    process.kill(pids[0], 'SIGSTOP');
    try {
      // Fresh connections, since a kept-alive one may have been closed by its worker meanwhile; the
      // primary hands them out in turn, so some reach the stopped worker and the others answer.
      const started = Date.now();
      const metrics = await Promise.any(Array.from({ length: 4 }, () => scrapeOnNewConnection()));
      expect(Date.now() - started).toBeLessThan(4_000);
      expectWholeGateway(metrics);
      expect(metrics.sum('tollgate_workers_unanswered')).toBe(1);
    } finally {
      process.kill(pids[0], 'SIGCONT');
    }
  }, 30_000);

  it('alert deliveries, summed over workers: the refusing webhook counts one failed delivery and attempt per event, the other one delivery', async () => {
    // A budget of one call: the call crosses 80 % (and maybe 100 %), and the events go to both webhooks.
    const alertTeam = uniqueId('workers-alerts');
    await admin.newTeam({ team_id: alertTeam, max_budget: RESERVED / 1e9 });
    const alertKey = await admin.generateKey({ team_id: alertTeam });
    anthropic.enqueue({ kind: 'reply', ...FULL_USAGE });
    expect(await chatOn(first, alertKey.key)).toBe(200);
    await waitFor(async () => (refusingHook.teams.includes(alertTeam) ? true : undefined), 10_000, 100, 'the team’s alert event');
    const metrics = await waitFor(
      async () => {
        const scraped = await scrapeOn(second);
        const settled =
          acceptingHook.received === refusingHook.received &&
          scraped.sum('tollgate_alert_deliveries_total', { result: 'delivered' }) === acceptingHook.received &&
          scraped.sum('tollgate_alert_deliveries_total', { result: 'failed' }) === refusingHook.received;
        return settled ? scraped : undefined;
      },
      10_000,
      200,
      'the delivery counters to match what the webhooks received',
    );
    expect(metrics.sum('tollgate_alert_delivery_failed_attempts_total')).toBe(refusingHook.received);
    expect(metrics.type('tollgate_alert_deliveries_total')).toBe('COUNTER');
  }, 30_000);
});

it('kill -9 of one worker with calls in flight: its calls are charged as unsettled by recovery, the live worker settles its own calls exactly', async () => {
  const teamId = uniqueId('workers-crash');
  await admin.newTeam({ team_id: teamId, max_budget: 10 });
  const key = await admin.generateKey({ team_id: teamId });
  // Slower than the replacement worker takes to start and sweep: a sweep that took any other
  // instance's reservation for a dead one would charge the live worker's calls.
  for (let i = 0; i < 8; i++) anthropic.enqueue({ kind: 'slowFirstByte', delayMs: 8_000, inputTokens: 10, outputTokens: 5 });
  const calls = Array.from({ length: 8 }, () =>
    sendRaw(gateway.url, '/v1/chat/completions', { key: key.key, body: BODY }).then(
      (response) => response.status,
      () => 'connection lost' as const,
    ),
  );
  await anthropic.waitForRequests(8, 10_000);
  expect(new Set(await instancesHolding(key.token)).size).toBe(2);
  const requestsBefore = (await scrape()).sum('litellm_proxy_total_requests_metric_total');

  const before = listeningWorkers();
  process.kill(before.get(1)!, 'SIGKILL');
  const outcomes = await Promise.all(calls);
  const lost = outcomes.filter((o) => o === 'connection lost').length;
  expect(lost).toBeGreaterThan(0);
  expect(outcomes.filter((o) => o !== 'connection lost')).toEqual(Array(8 - lost).fill(200));

  const rows = await waitFor(
    async () => {
      const ledger = await db.ledgerOfKey(key.token);
      return ledger.length === 8 ? ledger : undefined;
    },
    RECOVERY_TIMEOUT_MS,
    200,
    'recovery to charge the killed worker’s reservations',
  );
  const unsettled = rows.filter((row) => row.status === 'unsettled');
  const settled = rows.filter((row) => row.status === 'success');
  expect(unsettled.map((row) => row.spend_nanos)).toEqual(Array(lost).fill(RESERVED));
  expect(settled.map((row) => row.spend_nanos)).toEqual(
    Array(8 - lost).fill(costNanos('claude-sonnet-4-6', { freshInput: 10, output: 5 })),
  );
  expect(await db.openReservations(key.token)).toEqual([]);
  const team = await admin.teamInfo(teamId);
  expect(team.reserved_spend).toBe(0);
  expect(usdToNanos(team.spend)).toBe(rows.reduce((sum, row) => sum + row.spend_nanos, 0));

  // The primary replaced the killed worker.
  const replacement = await waitFor(async () => (listeningWorkers().size === 3 ? listeningWorkers().get(3) : undefined), 15_000);
  expect(replacement).not.toBe(before.get(1));
  // The killed worker's counters stay in the sum (a drop would read as a counter reset); only what the live worker settled is added.
  expect((await scrape()).sum('litellm_proxy_total_requests_metric_total')).toBe(requestsBefore + (8 - lost));
}, 90_000);

it('SIGTERM to the primary: every worker drains and the primary exits 0', async () => {
  await gateway.stop(15_000);
  expect(gateway.child.exitCode).toBe(0);
  expect(gateway.output()).toMatch(/SIGTERM received[\s\S]*SIGTERM received/);
}, 30_000);

it('a config that cannot load stops the gateway once with exit code 1, not a restart loop', () => {
  const broken = join(config.dir, 'broken.yaml');
  writeFileSync(broken, 'model_list: [{ model_name: x }]\n');
  const result = spawnSync(process.execPath, [GATEWAY_MAIN, '--config', broken, '--port', '0', '--num_workers', '2'], {
    cwd: config.dir,
    env: { ...process.env, DATABASE_URL: database.url, LITELLM_MASTER_KEY: PROCESS_MASTER_KEY },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(result.status).toBe(1);
  expect(result.stderr.match(/Invalid configuration/g)).toHaveLength(1);
  expect(`${result.stdout}${result.stderr}`).toContain('before it listened: Tollgate cannot start');
}, 40_000);
