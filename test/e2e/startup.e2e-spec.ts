/**
 * The built gateway as operators run it: `node dist/apps/gateway/src/main.js` in its own process,
 * with real flags, a real config file, a real environment and real signals. Only what a separate
 * process can show lives here (exit codes, start-up output, draining on SIGTERM); request handling
 * is covered in-process by the other suites.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { stringify as toYaml } from 'yaml';

import { DEFAULT_REPLY_TEXT, OpenAIFake } from '../fakes';
import { collectChunks, contentOf, recordingClient } from '../support/e2e-helpers';
import { LedgerDb } from '../support/ledger-db';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const ROOT = resolve(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'apps', 'gateway', 'src', 'main.js');
const MASTER_KEY = 'sk-startup-master-key-42';
const OPENAI_KEY = 'sk-openai-test';

/** Whether an output line is a frame of a JavaScript stack trace. */
const STACK_FRAME = /^ {4}at /m;

interface SpawnedGateway {
  child: ChildProcess;
  port: number;
  url: string;
  /** Everything written so far to stdout and stderr, colour codes stripped. */
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: SpawnedGateway[] = [];
let workDir: string;

beforeAll(() => {
  // The suite tests the build, not the sources; build only when there is none (CI builds first).
  if (!existsSync(MAIN)) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe', timeout: 240_000 });
  workDir = mkdtempSync(join(tmpdir(), 'tollgate-startup-'));
}, 300_000);

afterEach(async () => {
  // A failed assertion must not leave a gateway running and holding its port.
  for (const gateway of running.splice(0)) {
    if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
      gateway.child.kill('SIGKILL');
      await gateway.exited;
    }
  }
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function writeFile(name: string, text: string): string {
  const path = join(workDir, name);
  writeFileSync(path, text);
  return path;
}

function writeConfig(name: string, document: unknown): string {
  return writeFile(name, toYaml(document));
}

// eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * Starts the built gateway in a clean environment: nothing inherited from the test process (no
 * stray DATABASE_URL, LITELLM_LOG or keys), and a working directory of its
 * own so no `.env` or `config.yaml` of the repository is picked up by accident.
 */
async function spawnGateway(args: string[], env: Record<string, string> = {}): Promise<SpawnedGateway> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN, '--port', String(port), '--host', '127.0.0.1', ...args], {
    cwd: workDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? workDir, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const gateway: SpawnedGateway = {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    stdout: () => stripAnsi(stdout),
    stderr: () => stripAnsi(stderr),
    exited,
  };
  running.push(gateway);
  return gateway;
}

/** Resolves once the gateway answers liveliness; fails with its output if it exits or takes too long. */
async function waitUntilLive(gateway: SpawnedGateway, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void gateway.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`gateway exited during start-up:\n${gateway.stdout()}\n${gateway.stderr()}`);
    try {
      const response = await fetch(`${gateway.url}/health/liveliness`);
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`gateway not live after ${timeoutMs} ms:\n${gateway.stdout()}\n${gateway.stderr()}`);
}

async function waitForOutput(gateway: SpawnedGateway, text: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!gateway.stdout().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in the gateway output:\n${gateway.stdout()}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

async function withExitTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A database of the run's driver for one spawned gateway, and its cleanup. */
async function databaseEnv(): Promise<{ env: Record<string, string>; database: TestDatabase }> {
  const database = await createTestDatabase();
  return { env: { DATABASE_URL: database.url }, database };
}

const ollamaDeployment = { model_name: 'local-coding', litellm_params: { model: 'ollama_chat/llama3.2', api_base: 'http://127.0.0.1:9' } };

it('refuses an invalid config with exit code 1 and a message naming the field, without a stack trace', async () => {
  const config = writeConfig('invalid.yaml', {
    model_list: [{ model_name: 'local-coding', litellm_params: { model: 'olama/llama3' } }],
  });
  const gateway = await spawnGateway(['--config', config], { DATABASE_URL: `sqlite:${join(workDir, 'invalid.sqlite')}` });
  const { code } = await withExitTimeout(gateway.exited, 15_000, 'exit on an invalid config');

  expect(code).toBe(1);
  expect(gateway.stderr()).toContain('model_list[0].litellm_params.model: unknown provider "olama"');
  expect(gateway.stderr()).not.toMatch(STACK_FRAME);
  expect(gateway.stdout()).not.toMatch(STACK_FRAME);
});

it('starts with an unknown top-level key and warns about it exactly once', async () => {
  const config = writeConfig('unknown-key.yaml', {
    model_list: [ollamaDeployment],
    general_settings: { master_key: MASTER_KEY },
    guardrails_experimental: { enabled: true },
  });
  const { env, database } = await databaseEnv();
  try {
    const gateway = await spawnGateway(['--config', config], env);
    await waitUntilLive(gateway);

    const output = `${gateway.stdout()}\n${gateway.stderr()}`;
    const mentions = output.split('\n').filter((line) => line.includes('guardrails_experimental'));
    expect(mentions).toHaveLength(1);
    expect(mentions[0]).toMatch(/\bWARN\b/);
  } finally {
    await afterEachGateway();
    await database.drop();
  }
});

it("prints a short banner instead of Nest's sixty lines of route mapping, which LITELLM_LOG=DEBUG brings back", async () => {
  const config = writeConfig('banner.yaml', { model_list: [ollamaDeployment], general_settings: { master_key: MASTER_KEY } });
  const sqlitePath = join(workDir, 'banner', 'tollgate.sqlite');
  const gateway = await spawnGateway(['--config', config], { DATABASE_URL: `sqlite:${sqlitePath}` });
  await waitUntilLive(gateway);
  await waitForOutput(gateway, '  dashboard');

  const output = gateway.stdout();
  expect(output).toMatch(new RegExp(`Tollgate \\d+\\.\\d+\\.\\d+ listening on http://127\\.0\\.0\\.1:${gateway.port}`));
  expect(output).toContain(`  database     sqlite (${sqlitePath})`);
  expect(output).toContain('  deployments  1 (1 model alias)');
  expect(output).toContain(`  API docs     ${gateway.url}/docs`);
  expect(output).toContain(`  dashboard    ${gateway.url}/ui`);
  expect(output).not.toContain('Mapped {');
  expect(output.split('\n').length).toBeLessThan(15);
  await afterEachGateway();

  const verbose = await spawnGateway(['--config', config], { DATABASE_URL: `sqlite:${sqlitePath}`, LITELLM_LOG: 'DEBUG' });
  await waitUntilLive(verbose);
  await waitForOutput(verbose, '  dashboard');
  expect(verbose.stdout()).toContain('Mapped {/v1/chat/completions, POST} route');
});

it('honours --port and --config, and DATABASE_URL=sqlite:<path>', async () => {
  const config = writeConfig('flags.yaml', { model_list: [ollamaDeployment], general_settings: { master_key: MASTER_KEY } });
  const sqlitePath = join(workDir, 'flags', 'tollgate.sqlite');
  const gateway = await spawnGateway(['--config', config], { DATABASE_URL: `sqlite:${sqlitePath}` });
  await waitUntilLive(gateway);

  const liveliness = await fetch(`${gateway.url}/health/liveliness`);
  expect(liveliness.status).toBe(200);
  const readiness = await fetch(`${gateway.url}/health/readiness`);
  expect(await readiness.json()).toEqual({ status: 'healthy', db: 'connected' });
  // The database went where DATABASE_URL said, not to the default data/ folder.
  expect(existsSync(sqlitePath)).toBe(true);
  expect(existsSync(join(workDir, 'data'))).toBe(false);
  const models = (await (await fetch(`${gateway.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
  expect(models.data.map((model) => model.id)).toEqual(['local-coding']);
});

it('finishes an in-flight stream on SIGTERM, writes its settlement, then exits 0', async () => {
  // Slow enough that SIGTERM surely lands mid-request: 400 ms before the first byte, then ~1 s of pieces.
  const openai = new OpenAIFake({ apiKey: OPENAI_KEY, chunkDelayMs: 15 });
  await openai.start();
  const { env, database } = await databaseEnv();
  try {
    openai.enqueue({ kind: 'slowFirstByte', delayMs: 400 });
    const config = writeConfig('drain.yaml', {
      model_list: [{ model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } }],
      general_settings: { master_key: MASTER_KEY },
    });
    const gateway = await spawnGateway(['--config', config], env);
    await waitUntilLive(gateway);

    const recording = recordingClient(gateway, MASTER_KEY);
    const streamed = recording.client.chat.completions
      .create({ model: 'gpt', messages: [{ role: 'user', content: 'Say hello.' }], stream: true })
      .then((stream) => collectChunks(stream));
    await openai.waitForRequests(1);
    gateway.child.kill('SIGTERM');
    await waitForOutput(gateway, 'SIGTERM received');

    // Draining means no new work: the port is closed while the old stream is still running.
    const refused = await fetch(`${gateway.url}/health/liveliness`).then(
      () => 'answered',
      (error: { cause?: { code?: string } }) => error.cause?.code,
    );
    expect(refused).toBe('ECONNREFUSED');

    const chunks = await streamed;
    expect(contentOf(chunks)).toBe(DEFAULT_REPLY_TEXT);
    expect(await recording.lastRawBody()).toMatch(/data: \[DONE\]\n\n$/);
    const { code, signal } = await withExitTimeout(gateway.exited, 15_000, 'exit after draining');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    // Settlements are written after the answer: a graceful stop writes them before the database closes.
    const ledger = await LedgerDb.open(database);
    try {
      expect((await ledger.query<{ status: string }>(`SELECT status FROM spend_logs`)).map((row) => row.status)).toEqual(['success']);
    } finally {
      await ledger.close();
    }
  } finally {
    await afterEachGateway();
    await openai.stop();
    await database.drop();
  }
});

it('loads LITELLM_MASTER_KEY from --env-file', async () => {
  const envFileKey = 'sk-from-the-env-file-7f3a';
  const { env, database } = await databaseEnv();
  try {
    const envFile = writeFile('gateway.env', `# written by the startup suite\nLITELLM_MASTER_KEY=${envFileKey}\n`);
    const config = writeConfig('env-file.yaml', {
      model_list: [ollamaDeployment],
      general_settings: { master_key: 'os.environ/LITELLM_MASTER_KEY' },
    });
    const gateway = await spawnGateway(['--config', config, '--env-file', envFile], env);
    await waitUntilLive(gateway);

    const withKey = await fetch(`${gateway.url}/health`, { headers: { authorization: `Bearer ${envFileKey}` } });
    const report = (await withKey.json()) as { unhealthy_endpoints?: Array<Record<string, unknown>> };
    expect(withKey.status).toBe(200);
    expect(report.unhealthy_endpoints?.map((d) => d.model_name)).toEqual(['local-coding']);

    // The key really came from the file: without it the same call gets the summary only.
    const withoutKey = (await (await fetch(`${gateway.url}/health`)).json()) as Record<string, unknown>;
    expect(Object.keys(withoutKey).sort()).toEqual(['healthy_count', 'status', 'unhealthy_count']);
    // No "variable not set" warning, and the secret itself never reaches the log.
    expect(gateway.stdout()).not.toContain('LITELLM_MASTER_KEY');
    expect(`${gateway.stdout()}${gateway.stderr()}`).not.toContain(envFileKey);
  } finally {
    await afterEachGateway();
    await database.drop();
  }
});

/**
 * Stops the gateways of the current test before its database is dropped: Postgres refuses to drop
 * a database with open connections only gracefully, and SQLite's files should be closed first.
 */
async function afterEachGateway(): Promise<void> {
  for (const gateway of running.splice(0)) {
    if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
      gateway.child.kill('SIGTERM');
      await withExitTimeout(gateway.exited, 15_000, 'exit on SIGTERM');
    }
  }
}
