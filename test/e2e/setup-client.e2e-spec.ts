/**
 * gateway/setup-client.sh against a real gateway: the team and key it creates, the key file it
 * writes, and the one-line failures an operator sees when the gateway is down or the master key
 * is wrong. The script runs as a child process in a temporary working directory; it must run
 * asynchronously, since the gateway it talks to lives in this process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import OpenAI from 'openai';

import { DEFAULT_REPLY_TEXT, OpenAIFake } from '../fakes';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const SCRIPT = resolve(__dirname, '../../gateway/setup-client.sh');
const OPENAI_KEY = 'sk-openai-test';

interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runScript(args: string[], options: { cwd: string; env: Record<string, string | undefined> }): Promise<ScriptRun> {
  // Only what the script needs: no LITELLM_MASTER_KEY or TOLLGATE_URL leaking in from the test runner's environment.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.cwd };
  for (const [name, value] of Object.entries(options.env)) if (value !== undefined) env[name] = value;
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** A port on 127.0.0.1 with nothing listening: bound once to get a free number, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe('gateway/setup-client.sh', () => {
  const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
  let gateway: TestGateway;
  let cwd: string;

  async function admin(path: string): Promise<any> {
    const response = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } });
    expect(response.status).toBe(200);
    return response.json();
  }

  const run = (args: string[], env: Record<string, string | undefined> = {}) =>
    runScript(args, { cwd, env: { TOLLGATE_URL: gateway.url, LITELLM_MASTER_KEY: TEST_MASTER_KEY, ...env } });

  beforeAll(async () => {
    await openai.start();
    gateway = await startTestGateway({
      model_list: [{ model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } }],
    });
  });

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'tollgate-setup-client-'));
  });

  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  afterAll(async () => {
    await gateway?.close();
    await openai.stop();
  });

  it('creates a team with a monthly budget and a working key, saved with mode 600', async () => {
    const result = await run(['acme', '50']);
    expect(result).toMatchObject({ code: 0 });
    const key = result.stdout.trim();
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]+$/);
    expect(result.stdout).toBe(`${key}\n`);

    const file = join(cwd, 'client-keys', 'acme.key');
    expect(readFileSync(file, 'utf8')).toBe(`${key}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const team = (await admin('/team/info?team_id=acme')).team_info;
    expect(team).toMatchObject({ team_id: 'acme', team_alias: 'acme', max_budget: 50, budget_duration: '1mo' });
    const info = (await admin(`/key/info?key=${encodeURIComponent(key)}`)).info;
    expect(info.team_id).toBe('acme');
    expect(info.key_alias).toMatch(/^acme-key-\d{8}T\d{6}Z(-\d)?$/);

    const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'Hello' }] });
    expect(completion.choices[0].message.content).toBe(DEFAULT_REPLY_TEXT);
  });

  it('prints the Claude Code and Codex telemetry lines that make the OTLP receiver accept their exports for the client', async () => {
    const result = await run(['otlp-client']);
    expect(result).toMatchObject({ code: 0 });
    const key = result.stdout.trim();
    const exported = Object.fromEntries(
      [...result.stderr.matchAll(/^ {2}export (\w+)=(.*)$/gm)].map(([, name, value]) => [name, value.replace(/^"(.*)"$/, '$1')]),
    );
    expect(exported).toEqual({
      CLAUDE_CODE_ENABLE_TELEMETRY: '1',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: `${gateway.url}/otlp`,
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${key}`,
      OTEL_RESOURCE_ATTRIBUTES: 'tollgate.client=otlp-client',
    });
    const codex =
      /^ {2}exporter = \{ otlp-http = \{ endpoint = "([^"]+)", protocol = "json", headers = \{ "authorization" = "([^"]+)" \} \} \}$/m.exec(
        result.stderr,
      );
    expect(codex?.slice(1)).toEqual([`${gateway.url}/otlp/v1/logs`, `Bearer ${key}`]);

    // A recorded Claude Code export, sent the way those lines configure the exporter.
    const recording = readFileSync(resolve(__dirname, '../../apps/gateway/src/otlp/__fixtures__/claude-code-logs.json'), 'utf8');
    const [name, value] = exported.OTEL_EXPORTER_OTLP_HEADERS.split('=');
    const response = await fetch(`${exported.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [name]: value },
      body: recording.split('"stringValue":"acme"').join(`"stringValue":"${exported.OTEL_RESOURCE_ATTRIBUTES.split('=')[1]}"`),
    });
    expect(response.status).toBe(200);
    const sessions = await admin('/spend/sessions?source=subscription&team_id=otlp-client');
    expect(sessions).toMatchObject([{ team_id: 'otlp-client', client_tool: 'claude-code', requests: 1 }]);
  });

  it('reuses an existing team and gives it another key', async () => {
    const first = await run(['reused', '20']);
    const second = await run(['reused']);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(second.stderr).toContain('team reused already exists; reusing it');
    expect(second.stdout.trim()).not.toBe(first.stdout.trim());
    expect(readFileSync(join(cwd, 'client-keys', 'reused.key'), 'utf8')).toBe(second.stdout);
    // The budget given the first time is kept.
    expect((await admin('/team/info?team_id=reused')).team_info).toMatchObject({ max_budget: 20, budget_duration: '1mo' });
    const keys = await admin('/key/list?team_id=reused');
    expect(keys.total_count).toBe(2);
  });

  it('creates a team without a limit when no budget is given', async () => {
    const result = await run(['solo']);
    expect(result.code).toBe(0);
    expect((await admin('/team/info?team_id=solo')).team_info).toMatchObject({ team_id: 'solo', max_budget: null, budget_duration: null });
    expect(readFileSync(join(cwd, 'client-keys', 'solo.key'), 'utf8')).toBe(result.stdout);
  });

  it('reads the master key from ./.env when the environment has none', async () => {
    writeFileSync(join(cwd, '.env'), `# gateway settings\nexport LITELLM_MASTER_KEY="${TEST_MASTER_KEY}"\n`);
    const result = await run(['dotenv-client'], { LITELLM_MASTER_KEY: undefined });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^sk-/);
  });

  it('says so in one line when the gateway is not reachable', async () => {
    const port = await closedPort();
    const result = await run(['acme', '50'], { TOLLGATE_URL: `http://127.0.0.1:${port}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`setup-client: gateway not reachable at http://127.0.0.1:${port}\n`);
    expect(result.stdout).toBe('');
    expect(existsSync(join(cwd, 'client-keys'))).toBe(false);
  });

  it('says so in one line when the master key is wrong', async () => {
    const result = await run(['acme', '50'], { LITELLM_MASTER_KEY: 'sk-not-the-master-key' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^setup-client: master key rejected by the gateway at http:\/\/127\.0\.0\.1:\d+ \(HTTP 401\)\n$/);
    expect(result.stdout).toBe('');
    expect(existsSync(join(cwd, 'client-keys'))).toBe(false);
  });

  it('refuses a bad budget, a bad name and a missing name before calling the gateway', async () => {
    for (const budget of ['abc', '-5', '0', '1e3', '']) {
      const result = await run(['acme', budget]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`setup-client: invalid monthly budget '${budget}': give a positive amount in USD, e.g. 50 or 12.5\n`);
    }
    const badName = await run(['../etc']);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain("invalid client name '../etc'");

    const usage = await run([]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^usage: gateway\/setup-client\.sh <client> \[monthly_budget_usd\]/);
    expect(existsSync(join(cwd, 'client-keys'))).toBe(false);
  });
});
