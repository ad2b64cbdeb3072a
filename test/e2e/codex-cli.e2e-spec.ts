/**
 * The real Codex CLI (test/agents, pinned) driving the gateway over the Responses API, as a user
 * would configure it: a custom `model_provider` in CODEX_HOME/config.toml with
 * `wire_api = "responses"`. On an OpenAI alias (relayed), an Anthropic and an Ollama alias
 * (translated), with a real tool loop (the model asks for a shell command, Codex runs it and sends
 * its output back) and a local → cloud fallback. Runs are few and small: each is a whole CLI start.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { AnthropicFake, OllamaFake, OpenAIFake, RecordedRequest } from '../fakes';
import { AdminApi, uniqueId, waitFor } from '../support/admin-api';
import { AgentBackends, OPENAI_KEY } from '../support/agent-backends';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const CODEX = resolve(__dirname, '../agents/node_modules/.bin/codex');
/** A command whose output only a shell that really ran it can know. */
const COMMAND = 'echo tollgate-$((6*7))';

const backends = new AgentBackends('local-coding');
const { openai, anthropic, ollama } = backends;

let gateway: TestGateway;
let admin: AdminApi;
const scratch: string[] = [];

jest.setTimeout(60_000);

beforeAll(async () => {
  await backends.start();
  gateway = await startTestGateway(backends.gatewayConfig());
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
});

afterEach(() => backends.reset());

afterAll(async () => {
  await gateway?.close();
  await backends.stop();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

interface CodexRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `codex exec` with a fresh CODEX_HOME whose config.toml points the `tollgate` provider at `baseUrl`. */
async function codexExec(prompt: string, options: { baseUrl: string; model: string; apiKey: string }): Promise<CodexRun> {
  const home = mkdtempSync(join(tmpdir(), 'codex-home-'));
  const workdir = mkdtempSync(join(tmpdir(), 'codex-work-'));
  scratch.push(home, workdir);
  writeFileSync(
    join(home, 'config.toml'),
    [
      `model = "${options.model}"`,
      `model_provider = "tollgate"`,
      ``,
      `[model_providers.tollgate]`,
      `name = "Tollgate"`,
      `base_url = "${options.baseUrl}"`,
      `env_key = "TOLLGATE_API_KEY"`,
      `wire_api = "responses"`,
      // A failure must show at once, not after Codex's own retries with back-off.
      `request_max_retries = 0`,
      `stream_max_retries = 0`,
      ``,
    ].join('\n'),
  );
  // Spawned asynchronously: the gateway under test runs in this very process.
  const child = spawn(CODEX, ['exec', '--skip-git-repo-check', '--sandbox', 'danger-full-access', prompt], {
    cwd: workdir,
    env: { PATH: process.env.PATH ?? '', HOME: home, CODEX_HOME: home, TOLLGATE_API_KEY: options.apiKey, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (bytes: Buffer) => (stdout += bytes.toString('utf8')));
  child.stderr.on('data', (bytes: Buffer) => (stderr += bytes.toString('utf8')));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  return { code, stdout, stderr };
}

function expectSucceeded(run: CodexRun, finalText: string): void {
  if (run.code !== 0) throw new Error(`codex exited ${run.code}\n${run.stdout}\n${run.stderr}`);
  expect(run.stdout).toContain(finalText);
}

/** The tool result the upstream got after Codex ran the command, and how it names the call it answers. */
function lastToolResult(body: unknown): { answers: string; output: string } {
  const text = JSON.stringify(body);
  // Ollama matches a result to its call by tool name (its wire has no call ids); the others by call id.
  const ollama = /"role":"tool","content":"((?:[^"\\]|\\.)*)","tool_name":"([^"]+)"/.exec(text);
  if (ollama) return { answers: ollama[2], output: JSON.parse(`"${ollama[1]}"`) };
  const byId = /"(?:call_id|tool_call_id|tool_use_id)":"(call_codex_1)"[^}]*?"(?:output|content)":"((?:[^"\\]|\\.)*)"/.exec(text);
  return byId ? { answers: byId[1], output: JSON.parse(`"${byId[2]}"`) } : { answers: '', output: '' };
}

async function gatewayKey(): Promise<string> {
  return (await admin.generateKey({ key_alias: uniqueId('codex') })).key;
}

async function ledgerOf(key: string, count: number): Promise<Record<string, any>[]> {
  return waitFor(
    async () => {
      const response = await admin.send<Record<string, any>[]>(`/spend/logs?api_key=${encodeURIComponent(key)}`);
      return response.json.length >= count ? response.json : undefined;
    },
    5_000,
    25,
    `${count} ledger rows`,
  );
}

it('succeeds pointed straight at the OpenAI fake, which is therefore faithful enough to test with', async () => {
  openai.enqueue({ kind: 'reply', text: 'straight from the fake' });

  const run = await codexExec('say hi', { baseUrl: openai.apiBase, model: 'gpt-4o', apiKey: OPENAI_KEY });

  expectSucceeded(run, 'straight from the fake');
  const sent = openai.requestsTo('/v1/responses')[0];
  expect(sent.headers.accept).toBe('text/event-stream');
  expect(sent.body).toMatchObject({ model: 'gpt-4o', stream: true, store: false, tool_choice: 'auto' });
});

describe.each([
  {
    name: 'an OpenAI alias (relayed)',
    alias: 'gpt',
    fake: () => openai as OpenAIFake | AnthropicFake | OllamaFake,
    path: '/v1/responses',
    callRef: 'call_codex_1',
  },
  { name: 'an Anthropic alias (translated)', alias: 'claude', fake: () => anthropic, path: '/v1/messages', callRef: 'call_codex_1' },
  { name: 'an Ollama alias (translated)', alias: 'local-coding', fake: () => ollama, path: '/api/chat', callRef: 'exec_command' },
])('Codex on $name', ({ alias, fake, path, callRef }) => {
  it('runs a tool loop: the model asks for a shell command, Codex runs it and the output reaches the model', async () => {
    const key = await gatewayKey();
    const upstream = fake();
    upstream.enqueue({
      kind: 'reply',
      text: '',
      toolCalls: [{ id: 'call_codex_1', name: 'exec_command', arguments: { cmd: COMMAND } }],
    } as never);
    upstream.enqueue({ kind: 'reply', text: 'The command printed tollgate-42.' } as never);

    const run = await codexExec('run the command and tell me what it printed', { baseUrl: `${gateway.url}/v1`, model: alias, apiKey: key });

    expectSucceeded(run, 'The command printed tollgate-42.');
    const received: RecordedRequest[] = upstream.requestsTo(path);
    expect(received).toHaveLength(2);
    // Only a shell that ran the command knows 42; the call id (Ollama: the tool name) ties the output to the call.
    const result = lastToolResult(received[1].body);
    expect(result.answers).toBe(callRef);
    expect(result.output).toContain('tollgate-42');
    const rows = await ledgerOf(key, 2);
    const sessions = new Set(rows.map((row) => row.session_id));
    expect(rows.map((row) => [row.call_type, row.status, row.model_group])).toEqual([
      ['responses', 'success', alias],
      ['responses', 'success', alias],
    ]);
    // Both turns belong to the Codex session it announced, which it sends as its `session-id` header.
    const announced = /session id: ([0-9a-f-]{36})/.exec(run.stdout + run.stderr)?.[1];
    expect([...sessions]).toEqual([announced]);
  });
});

it('falls back from a stopped Ollama to Claude without Codex noticing', async () => {
  const key = await gatewayKey();
  await ollama.stop();
  anthropic.enqueue({ kind: 'reply', text: 'answered by the cloud' });

  const run = await codexExec('say hi', { baseUrl: `${gateway.url}/v1`, model: 'local-coding', apiKey: key });

  expectSucceeded(run, 'answered by the cloud');
  const [row] = await ledgerOf(key, 1);
  expect(row).toMatchObject({ call_type: 'responses', status: 'success', model_group: 'claude' });
});
