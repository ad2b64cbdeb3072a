/**
 * The built gateway (`dist/apps/gateway/src/main.js`) started as a separate OS process, the way it
 * runs in production: for the tests that need more than one instance on one database, or an
 * instance that dies with `kill -9` in the middle of requests.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { stringify } from 'yaml';

/**
 * The master key of spawned gateways. Kept apart from the in-process TEST_MASTER_KEY so this
 * module does not load the gateway's source: a spawned process runs the build in dist/.
 */
export const PROCESS_MASTER_KEY = 'sk-process-master-key-0123456789';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const GATEWAY_MAIN = join(REPO_ROOT, 'dist', 'apps', 'gateway', 'src', 'main.js');

/** Builds the gateway once when no build exists (`npm run build`, about 20 s). */
export function ensureGatewayBuilt(): void {
  if (existsSync(GATEWAY_MAIN)) return;
  const result = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 });
  if (result.status !== 0 || !existsSync(GATEWAY_MAIN)) {
    throw new Error(`npm run build failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

/** A port that was free a moment ago (the gateway binds it right after). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

export interface GatewayConfigFile {
  dir: string;
  path: string;
  remove(): void;
}

/**
 * Writes a LiteLLM config.yaml in a fresh temporary directory. The master key is read from
 * LITELLM_MASTER_KEY, as in the shipped config. The directory doubles as the process's working
 * directory, so no `.env` from the repository leaks into the test.
 */
export function writeGatewayConfig(document: Record<string, unknown>): GatewayConfigFile {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-proc-'));
  const path = join(dir, 'config.yaml');
  const withMasterKey = {
    ...document,
    general_settings: { master_key: 'os.environ/LITELLM_MASTER_KEY', ...(document.general_settings as object | undefined) },
  };
  writeFileSync(path, stringify(withMasterKey));
  return { dir, path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface GatewayProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process printed, for failure messages. */
  output(): string;
  /** What it printed on stdout alone (where `JSON_LOGS=true` writes its lines). */
  stdout(): string;
  /** SIGKILL: no shutdown hook runs, in-flight requests are simply gone. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnGatewayOptions {
  config: GatewayConfigFile;
  databaseUrl: string;
  masterKey?: string;
  env?: Record<string, string>;
  port?: number;
  /** More command-line options, after --config, --port and --host. */
  args?: string[];
  readyTimeoutMs?: number;
}

/** Starts the built gateway and resolves once `/health/readiness` answers 200. */
export async function spawnGateway(options: SpawnGatewayOptions): Promise<GatewayProcess> {
  ensureGatewayBuilt();
  const port = options.port ?? (await freePort());
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    // Jest's markers would silence the gateway's log; a shared Redis would couple unrelated tests.
    if (value !== undefined && !name.startsWith('JEST_') && name !== 'REDIS_URL' && name !== 'DATABASE_URL') env[name] = value;
  }
  Object.assign(env, {
    NODE_ENV: 'test',
    DATABASE_URL: options.databaseUrl,
    LITELLM_MASTER_KEY: options.masterKey ?? PROCESS_MASTER_KEY,
    ...options.env,
  });
  const child = spawn(
    process.execPath,
    [GATEWAY_MAIN, '--config', options.config.path, '--port', String(port), '--host', '127.0.0.1', ...(options.args ?? [])],
    {
      cwd: options.config.dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    stdout += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (hasExited) throw new Error(`The gateway exited during start-up (code ${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${url}/health/readiness`);
      if (response.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The gateway did not become ready on ${url}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const waitExit = async (ms: number) => Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
  return {
    url,
    port,
    child,
    output: () => output,
    stdout: () => stdout,
    kill9: async () => {
      if (hasExited) return;
      child.kill('SIGKILL');
      await exited;
    },
    stop: async (graceMs = 5_000) => {
      if (hasExited) return;
      child.kill('SIGTERM');
      await waitExit(graceMs);
      if (!hasExited) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
