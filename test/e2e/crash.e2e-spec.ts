/**
 * A gateway killed with SIGKILL while requests are at the provider: nothing settles them, yet the
 * provider may bill them. After a restart on the same database, recovery must charge each one at
 * its reserved amount (an upper bound — never under-count), mark it `unsettled` in the ledger and
 * free the reservation. Runs the built gateway as a real child process on the run's database.
 * The other side of that rule: a call that is merely slow, on an instance that is alive, must not
 * be swept by another instance on the same database (both drivers: workers share a SQLite file).
 */
import { AnthropicFake } from '../fakes';
import { AdminApi, sendRaw, uniqueId, usdToNanos, waitFor } from '../support/admin-api';
import { ANTHROPIC_DEFAULT_MAX_TOKENS, costNanos, reservationNanos } from '../support/expected-cost';
import {
  type GatewayConfigFile,
  type GatewayProcess,
  PROCESS_MASTER_KEY,
  spawnGateway,
  writeGatewayConfig,
} from '../support/gateway-process';
import { LedgerDb } from '../support/ledger-db';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const ANTHROPIC_KEY = 'sk-ant-test';
const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });

/** An instance is presumed dead after 10 s without heartbeat, and sweeps run every 5 s. */
const DEAD_AFTER_MS = 10_000;
const SWEEP_MS = 5_000;
const RECOVERY_TIMEOUT_MS = DEAD_AFTER_MS + SWEEP_MS + 10_000;

function modelList() {
  return [
    { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY } },
  ];
}

let database: TestDatabase;
let config: GatewayConfigFile;
let db: LedgerDb | undefined;
const processes: GatewayProcess[] = [];

beforeAll(async () => {
  await anthropic.start();
  database = await createTestDatabase();
  config = writeGatewayConfig({ model_list: modelList() });
}, 240_000);

afterAll(async () => {
  await db?.close();
  await Promise.all(processes.map((p) => p.stop()));
  config?.remove();
  await database?.drop();
  await anthropic.stop();
});

async function start(): Promise<GatewayProcess> {
  const gateway = await spawnGateway({ config, databaseUrl: database.url });
  processes.push(gateway);
  return gateway;
}

/** Five requests: three with max_tokens 64, two without (the gateway then asks Anthropic for 4096). */
const REQUESTS = [0, 1, 2, 3, 4].map((i) => {
  const messages = [{ role: 'user', content: `In-flight request number ${i}.` }];
  const maxTokens = i < 3 ? 64 : undefined;
  return {
    body: { model: 'claude', messages, ...(maxTokens ? { max_tokens: maxTokens } : {}) },
    reserved: reservationNanos('claude-sonnet-4-6', messages, maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS),
  };
});

const sorted = <T extends number | string>(values: T[]): T[] =>
  [...values].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));

it('kill -9 with 5 calls at the provider: after restart each is charged its reservation as unsettled, nothing stays reserved', async () => {
  const first = await start();
  const admin = new AdminApi(first.url, PROCESS_MASTER_KEY);
  const teamId = uniqueId('crash');
  await admin.newTeam({ team_id: teamId, max_budget: 10 });
  const key = await admin.generateKey({ team_id: teamId });

  for (let i = 0; i < REQUESTS.length; i++) anthropic.enqueue({ kind: 'slowFirstByte', delayMs: 3_000 });
  const inFlight = REQUESTS.map((r) =>
    sendRaw(first.url, '/v1/chat/completions', { key: key.key, body: r.body }).then(
      (response) => ({ answered: response.status }),
      (error: unknown) => ({ failed: (error as Error).message }),
    ),
  );
  await anthropic.waitForRequests(REQUESTS.length, 10_000);
  // Every call that reached the provider holds its reservation, at the bound we expect.
  db = await LedgerDb.open(database);
  const held = await db.openReservations(key.token);
  expect(sorted(held.map((r) => r.amount_nanos))).toEqual(sorted(REQUESTS.map((r) => r.reserved)));
  const total = REQUESTS.reduce((sum, r) => sum + r.reserved, 0);
  const during = await admin.teamInfo(teamId);
  expect(usdToNanos(during.reserved_spend)).toBe(total);

  await first.kill9();
  for (const outcome of await Promise.all(inFlight)) expect(outcome).toHaveProperty('failed');

  const second = await start();
  const rows = await waitFor(
    async () => {
      const ledger = await db!.ledgerOfKey(key.token);
      return ledger.length >= REQUESTS.length ? ledger : undefined;
    },
    RECOVERY_TIMEOUT_MS,
    200,
    'recovery to charge the reservations of the killed instance',
  );

  // Nothing that reached the provider is missing, and nothing is charged twice.
  expect(rows).toHaveLength(anthropic.requestsTo('/v1/messages').length);
  expect(sorted(rows.map((r) => r.request_id))).toEqual(sorted(held.map((r) => r.request_id)));
  for (const row of rows) {
    expect(row.status).toBe('unsettled');
    expect(row.team_id).toBe(teamId);
    expect(row.provider).toBe('anthropic');
  }
  expect(sorted(rows.map((r) => r.spend_nanos))).toEqual(sorted(REQUESTS.map((r) => r.reserved)));
  expect(await db.openReservations(key.token)).toEqual([]);

  const secondAdmin = new AdminApi(second.url, PROCESS_MASTER_KEY);
  const team = await secondAdmin.teamInfo(teamId);
  expect(team.reserved_spend).toBe(0);
  expect(usdToNanos(team.spend)).toBe(total);
  const keyInfo = await secondAdmin.keyInfo(key.key);
  expect(keyInfo.reserved_spend).toBe(0);
  expect(usdToNanos(keyInfo.spend)).toBe(total);

  // The restarted instance serves and settles normally on top of the recovered spend.
  anthropic.reset();
  anthropic.enqueue({ kind: 'reply', inputTokens: 10, outputTokens: 5 });
  const after = await sendRaw(second.url, '/v1/chat/completions', { key: key.key, body: REQUESTS[0].body });
  expect(after.status).toBe(200);
  const afterCost = costNanos('claude-sonnet-4-6', { freshInput: 10, output: 5 });
  expect(Number(after.headers.get('x-litellm-response-cost'))).toBe(afterCost / 1e9);
  await secondAdmin.settled([after.headers.get('x-litellm-call-id')]);
  const final = await secondAdmin.teamInfo(teamId);
  expect(usdToNanos(final.spend)).toBe(total + afterCost);
  expect(final.reserved_spend).toBe(0);
}, 120_000);

it('a slow call on a live instance is not swept by another instance', async () => {
  const inProcess: TestGateway[] = [];
  try {
    // Two instances on the run's database: `holder` serves the call, `sweeper` runs its recovery sweeps meanwhile.
    const holder = await startTestGateway({ model_list: modelList() }, { database });
    inProcess.push(holder);
    inProcess.push(await startTestGateway({ model_list: modelList() }, { database }));
    const admin = new AdminApi(holder.url, TEST_MASTER_KEY);
    const key = await admin.generateKey({});
    anthropic.reset();
    // Longer than "dead after" plus one sweep interval: a sweep that ignored heartbeats would catch it.
    anthropic.enqueue({ kind: 'slowFirstByte', delayMs: DEAD_AFTER_MS + SWEEP_MS + 500, inputTokens: 10, outputTokens: 5 });
    const response = await sendRaw(holder.url, '/v1/chat/completions', { key: key.key, body: REQUESTS[0].body });
    expect(response.status).toBe(200);

    db ??= await LedgerDb.open(database);
    await admin.settled([response.headers.get('x-litellm-call-id')]);
    const rows = await db.ledgerOfKey(key.token);
    expect(rows.map((r) => r.status)).toEqual(['success']);
    expect(rows[0].spend_nanos).toBe(costNanos('claude-sonnet-4-6', { freshInput: 10, output: 5 }));
    const info = await admin.keyInfo(key.key);
    expect(usdToNanos(info.spend)).toBe(rows[0].spend_nanos);
    expect(info.reserved_spend).toBe(0);
  } finally {
    for (const gateway of inProcess) await gateway.close();
  }
}, 60_000);
