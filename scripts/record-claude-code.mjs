#!/usr/bin/env node
/**
 * Records the requests the real Claude Code CLI (test/agents, pinned) sends by default, by pointing
 * it at a small scripted Anthropic fake, and writes them to test/fixtures/claude-code/corpus/ with
 * everything machine-specific replaced by fixed placeholders. Re-run after upgrading Claude Code:
 *
 *   node scripts/record-claude-code.mjs
 *
 * Scenarios: a first turn with default tools that asks for Bash, the tool-result turn after it, a
 * subagent (Agent tool) call, `/compact` of that session, the small-model session-title call (only
 * sent interactively, so that run goes through `script` for a terminal), and `/context`'s count_tokens.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, realpathSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir, release } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const CLAUDE = join(ROOT, 'test/agents/node_modules/.bin/claude');
const OUT = join(ROOT, 'test/fixtures/claude-code/corpus');

/** Fixed stand-ins for what differs between machines and runs. */
const PLACEHOLDER = {
  sessionId: '5e55a1d0-0000-4000-8000-000000000001',
  deviceId: 'd'.repeat(64),
  authorization: 'Bearer sk-recorded-token',
  home: '/home/dev',
  project: '/home/dev/project',
  osVersion: 'Linux 6.0.0',
};

const recorded = [];

/** The fake model: Bash when the prompt says RUN_BASH, the Agent tool for RUN_TASK, text otherwise. */
function answer(body) {
  const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
  const blocks = typeof lastUser.content === 'string' ? [{ type: 'text', text: lastUser.content }] : lastUser.content;
  const answered = blocks.some((b) => b.type === 'tool_result');
  const prompt = blocks.map((b) => b.text ?? '').join(' ');
  const tools = (body.tools ?? []).map((t) => t.name);
  if (!answered && prompt.includes('RUN_BASH') && tools.includes('Bash')) {
    return [
      { type: 'tool_use', id: 'toolu_01RecordedBash000000000001', name: 'Bash', input: { command: 'echo hi', description: 'Say hi' } },
    ];
  }
  if (!answered && prompt.includes('RUN_TASK') && tools.includes('Agent')) {
    return [
      {
        type: 'tool_use',
        id: 'toolu_01RecordedAgent00000000001',
        name: 'Agent',
        input: { description: 'Say hi', prompt: 'Reply with the word hi', subagent_type: 'general-purpose' },
      },
    ];
  }
  if (body.output_config?.format?.type === 'json_schema') return [{ type: 'text', text: '{"title":"Fix the login bug"}' }];
  if (prompt.includes('create a detailed summary'))
    return [{ type: 'text', text: '<analysis>Short.</analysis>\n<summary>The user asked for a subagent to say hi.</summary>' }];
  return [{ type: 'text', text: answered ? 'Done.' : 'hi' }];
}

function serve(req, res, raw) {
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    body = undefined;
  }
  recorded.push({ method: req.method, url: req.url, headers: req.headers, body });
  if (req.url.startsWith('/v1/messages/count_tokens')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ input_tokens: 42 }));
  }
  if (!req.url.startsWith('/v1/messages')) {
    res.writeHead(404);
    return res.end();
  }
  const blocks = answer(body);
  const stop = blocks[0].type === 'tool_use' ? 'tool_use' : 'end_turn';
  const usage = { input_tokens: 30, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const message = {
    id: `msg_rec${recorded.length}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage,
  };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ ...message, content: blocks, stop_reason: stop, usage: { ...usage, output_tokens: 5 } }));
  }
  const events = [['message_start', { type: 'message_start', message }]];
  blocks.forEach((block, index) => {
    const start = block.type === 'text' ? { type: 'text', text: '' } : { ...block, input: {} };
    const delta =
      block.type === 'text'
        ? { type: 'text_delta', text: block.text }
        : { type: 'input_json_delta', partial_json: JSON.stringify(block.input) };
    events.push(['content_block_start', { type: 'content_block_start', index, content_block: start }]);
    events.push(['content_block_delta', { type: 'content_block_delta', index, delta }]);
    events.push(['content_block_stop', { type: 'content_block_stop', index }]);
  });
  events.push(['message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 5 } }]);
  events.push(['message_stop', { type: 'message_stop' }]);
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

const server = createServer((req, res) => {
  let raw = '';
  req.on('data', (chunk) => (raw += chunk));
  req.on('end', () => serve(req, res, raw));
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const baseUrl = `http://127.0.0.1:${server.address().port}`;

const home = realpathSync(mkdtempSync(join(tmpdir(), 'cc-home-')));
const project = realpathSync(mkdtempSync(join(tmpdir(), 'cc-project-')));
// The interactive run would otherwise stop at the first-run theme picker and the folder-trust prompt.
writeFileSync(
  join(home, '.claude.json'),
  JSON.stringify({ hasCompletedOnboarding: true, theme: 'dark', projects: { [project]: { hasTrustDialogAccepted: true } } }),
);
const env = {
  PATH: process.env.PATH,
  TERM: 'xterm',
  HOME: home,
  IS_SANDBOX: '1',
  DISABLE_TELEMETRY: '1',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  ANTHROPIC_BASE_URL: baseUrl,
  ANTHROPIC_AUTH_TOKEN: 'sk-recording',
  ANTHROPIC_MODEL: 'local-coding',
  ANTHROPIC_DEFAULT_HAIKU_MODEL: 'local-small',
};

/** Asynchronous: the fake answers from this same event loop. */
function run(command, args, { allowFailure = false } = {}) {
  return new Promise((done, fail) => {
    execFile(command, args, { cwd: project, env, timeout: 120_000 }, (error, stdout) =>
      error && !allowFailure ? fail(error) : done(stdout),
    );
  });
}

async function claude(...args) {
  return JSON.parse(await run(CLAUDE, args));
}

const since = () => recorded.length;
const messagesFrom = (start) => recorded.slice(start).filter((r) => r.url.startsWith('/v1/messages?'));

let start = since();
await claude('-p', 'RUN_BASH in this folder', '--output-format', 'json', '--dangerously-skip-permissions');
const [firstTurn, toolResultTurn] = messagesFrom(start);

start = since();
const subagentRun = await claude('-p', 'RUN_TASK for me', '--output-format', 'json', '--dangerously-skip-permissions');
const subagent = messagesFrom(start).find((r) => r.headers['x-claude-code-agent-id']);

start = since();
await claude('--resume', subagentRun.session_id, '-p', '/compact', '--output-format', 'json', '--dangerously-skip-permissions');
const compaction = messagesFrom(start).find((r) => JSON.stringify(r.body.messages).includes('create a detailed summary'));

start = since();
await claude('-p', '/context', '--output-format', 'json');
const countTokens = recorded.slice(start).filter((r) => r.url.startsWith('/v1/messages/count_tokens'));
// The one with the most tools, the heaviest Claude Code sends.
const countWithTools = countTokens.sort((a, b) => (b.body.tools?.length ?? 0) - (a.body.tools?.length ?? 0))[0];

start = since();
const cli = [CLAUDE, 'hello there, fix the login bug'].map((a) => `'${a}'`).join(' ');
// Killed by `timeout` once the title has had time to come: an interactive session never ends by itself.
await run('timeout', ['15', 'script', '-qfc', cli, '/dev/null'], { allowFailure: true });
const title = messagesFrom(start).find((r) => r.body.output_config?.format);
server.close();

/** Everything that names this machine, this run or its secrets, replaced everywhere it occurs. */
function sanitize(request) {
  const sessionIds = new Set(recorded.map((r) => r.headers['x-claude-code-session-id']).filter(Boolean));
  const deviceId = JSON.parse(firstTurn.body.metadata.user_id).device_id;
  const { host: _h, 'content-length': _l, connection: _c, 'accept-encoding': _a, ...headers } = request.headers;
  let text = JSON.stringify({ method: request.method, url: request.url, headers, body: request.body });
  const replace = (from, to) => (text = text.split(from).join(to));
  for (const id of sessionIds) replace(id, PLACEHOLDER.sessionId);
  replace(deviceId, PLACEHOLDER.deviceId);
  replace('Bearer sk-recording', PLACEHOLDER.authorization);
  replace(project, PLACEHOLDER.project);
  replace(project.replace(/[/.]/g, '-'), PLACEHOLDER.project.replace(/[/.]/g, '-'));
  replace(home, PLACEHOLDER.home);
  replace(`Linux ${release()}`, PLACEHOLDER.osVersion);
  return JSON.parse(text);
}

const corpus = {
  'first-turn': firstTurn,
  'tool-result': toolResultTurn,
  subagent,
  compaction,
  title,
  'count-tokens': countWithTools,
};
mkdirSync(OUT, { recursive: true });
for (const [name, request] of Object.entries(corpus)) {
  if (!request) throw new Error(`Claude Code sent no ${name} request; the scenario needs updating`);
  const version = execFileSync(CLAUDE, ['--version'], { env }).toString().trim();
  writeFileSync(
    join(OUT, `${name}.json`),
    `${JSON.stringify({ claudeCode: version, placeholders: PLACEHOLDER, request: sanitize(request) }, null, 1)}\n`,
  );
}
rmSync(home, { recursive: true, force: true });
rmSync(project, { recursive: true, force: true });
console.log(`Wrote ${Object.keys(corpus).length} requests to ${OUT}`);
