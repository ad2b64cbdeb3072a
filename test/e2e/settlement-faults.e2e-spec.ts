/**
 * Fault injection between the gateway and PostgreSQL: a TCP proxy cuts every database connection
 * while a call is in flight and refuses new ones for a while, so the call's settlement fails.
 * The reservation keeps the amount counted meanwhile; the same instance retries the settlement
 * with backoff, and once the database is reachable again it lands exactly once, to the nano-dollar.
 * SQLite has no connection to cut; the retry itself is covered there by settlement-retry.spec.ts.
 */
import { OpenAIFake } from '../fakes';
import { AdminApi, nanosToUsd, sendRaw, uniqueId, waitFor } from '../support/admin-api';
import { costNanos, reservationNanos } from '../support/expected-cost';
import { LedgerDb } from '../support/ledger-db';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../support/test-database';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const OPENAI_KEY = 'sk-openai-test';
const MESSAGES = [{ role: 'user', content: 'Count to three.' }];
const MAX_TOKENS = 16;
const USAGE = { promptTokens: 7, completionTokens: 5 };
const CALL_COST = costNanos('gpt-4o', { freshInput: USAGE.promptTokens, output: USAGE.completionTokens });
const RESERVATION = reservationNanos('gpt-4o', MESSAGES, MAX_TOKENS);

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

onPostgres('settlement when the database connection drops (PostgreSQL, TCP proxy)', () => {
  const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
  let database: TestDatabase;
  let proxy: TcpProxy;
  let gateway: TestGateway;
  let admin: AdminApi;
  /** A direct connection, past the proxy: what the database really holds. */
  let direct: LedgerDb;
  /** The gateway's JSON log lines (`--json-logs`), taken from this process's stdout. */
  const logLines: Record<string, unknown>[] = [];
  let stdoutSpy: jest.SpyInstance;

  beforeAll(async () => {
    await openai.start();
    database = await createTestDatabase();
    const url = new URL(database.url);
    proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
    url.port = String(await proxy.start());
    gateway = await startTestGateway(
      { model_list: [{ model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } }] },
      {
        database: { ...database, target: { type: 'postgres', url: url.toString() } },
        configure: (config) => (config.jsonLogs = true),
      },
    );
    const write = process.stdout.write.bind(process.stdout);
    stdoutSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: any[]) => {
      const text = chunk.toString();
      if (!text.startsWith('{')) return write(chunk, ...rest);
      for (const line of text.split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    });
    admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
    direct = await LedgerDb.open(database);
  });

  afterAll(async () => {
    stdoutSpy?.mockRestore();
    proxy.refuse = false;
    await direct?.close();
    await gateway?.close();
    await proxy?.stop();
    await database?.drop();
    await openai.stop();
  });

  async function balances(token: string, teamId: string) {
    const [key] = await direct.query<{ spend_nanos: string; reserved_nanos: string }>(
      `SELECT spend_nanos, reserved_nanos FROM api_keys WHERE token = ?`,
      [token],
    );
    const [team] = await direct.query<{ spend_nanos: string; reserved_nanos: string }>(
      `SELECT spend_nanos, reserved_nanos FROM teams WHERE team_id = ?`,
      [teamId],
    );
    return { key: [Number(key.spend_nanos), Number(key.reserved_nanos)], team: [Number(team.spend_nanos), Number(team.reserved_nanos)] };
  }

  it.each([
    ['connections cut and refused for 1.5 s during settlement', 1_500],
    ['connections cut and refused for 4 s during settlement (several retries)', 4_000],
  ])(
    '%s: the settlement lands after the retry, charged exactly once',
    async (_fault, outageMs) => {
      const teamId = uniqueId('team');
      await admin.newTeam({ team_id: teamId, max_budget: 1 });
      const { key, token } = await admin.generateKey({ team_id: teamId, max_budget: nanosToUsd(RESERVATION * 3) });

      openai.enqueue({ kind: 'slowFirstByte', delayMs: 300, ...USAGE });
      const call = sendRaw(gateway.url, '/v1/chat/completions', {
        key,
        body: { model: 'gpt', messages: MESSAGES, max_tokens: MAX_TOKENS },
      });
      await openai.waitForRequests(1);
      proxy.refuse = true;
      proxy.cut();

      const response = await call;
      // The client got its answer; only the bookkeeping is late.
      expect(response.status).toBe(200);
      const requestId = response.headers.get('x-litellm-call-id')!;
      expect(await direct.query(`SELECT request_id FROM spend_logs WHERE request_id = ?`, [requestId])).toEqual([]);
      // Meanwhile the reservation is the durable record: the amount stays counted against the budget.
      expect(await balances(token, teamId)).toEqual({ key: [0, RESERVATION], team: [0, RESERVATION] });

      await new Promise((resolve) => setTimeout(resolve, outageMs));
      proxy.refuse = false;

      const settled = await waitFor(
        async () => {
          const b = await balances(token, teamId);
          return b.key[1] === 0 ? b : undefined;
        },
        20_000,
        100,
        'the retried settlement to land',
      );
      expect(settled).toEqual({ key: [CALL_COST, 0], team: [CALL_COST, 0] });
      const rows = await direct.query<{ spend_nanos: number; status: string }>(
        `SELECT spend_nanos, status FROM spend_logs WHERE request_id = ?`,
        [requestId],
      );
      expect(rows).toEqual([{ spend_nanos: CALL_COST, status: 'success' }]);
      expect(await direct.query(`SELECT request_id FROM budget_reservations WHERE request_id = ?`, [requestId])).toEqual([]);
      // The operator finds the failure by the id the client saw, in fields of their own.
      expect(logLines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          context: 'SettlementRetry',
          request_id: requestId,
          message: expect.stringMatching(/^Could not settle the request, retrying: /),
        }),
      );
      // The gateway stayed up and serves again.
      openai.enqueue({ kind: 'reply', ...USAGE });
      expect(
        (await sendRaw(gateway.url, '/v1/chat/completions', { key, body: { model: 'gpt', messages: MESSAGES, max_tokens: MAX_TOKENS } }))
          .status,
      ).toBe(200);
      openai.reset();
    },
    40_000,
  );
});
