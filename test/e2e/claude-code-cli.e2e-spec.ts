/**
 * The real Claude Code CLI (2.1.197, default tools) driven against the gateway on every backend:
 * `claude -p "…" --output-format json` with ANTHROPIC_BASE_URL pointing at the gateway. First
 * straight at the Anthropic fake, which proves the fake is faithful enough for the CLI; then an
 * Anthropic, an OpenAI and an Ollama alias, each with a tool-use loop (the model asks for Bash, the
 * CLI runs it and sends the output back, the model answers); then local → cloud fallback with
 * Ollama down. Each run costs a second or two, so there are few of them.
 */
import { AnthropicFake, type FakeUpstream, OllamaFake, OpenAIFake } from '../fakes';
import { AdminApi, uniqueId } from '../support/admin-api';
import { runClaudeCode } from '../support/claude-code-cli';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const ANTHROPIC_KEY = 'sk-ant-cli-test';
const OPENAI_KEY = 'sk-openai-cli-test';

const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
const openai = new OpenAIFake({ apiKey: OPENAI_KEY });
const ollama = new OllamaFake({ models: ['qwen2.5-coder:14b'] });

let gateway: TestGateway;
let key: string;

beforeAll(async () => {
  await Promise.all([anthropic.start(), openai.start(), ollama.start()]);
  gateway = await startTestGateway({
    model_list: [
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY } },
      { model_name: 'coder-gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY } },
      { model_name: 'local-coding', litellm_params: { model: 'ollama/qwen2.5-coder:14b', api_base: ollama.url } },
    ],
    router_settings: { fallbacks: [{ 'local-coding': ['claude'] }] },
  });
  const admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
  const teamId = uniqueId('claude-code-cli');
  await admin.newTeam({ team_id: teamId, max_budget: 50, budget_duration: '1mo' });
  key = (await admin.generateKey({ team_id: teamId })).key;
});

afterEach(() => {
  anthropic.reset();
  openai.reset();
  ollama.reset();
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([anthropic.stop(), openai.stop(), ollama.stop()]);
});

/** A marker only the Bash tool's real output can carry back to the model. */
const MARKER = 'tollgate-bash-ran';
const BASH_CALL = { name: 'Bash', arguments: { command: `echo ${MARKER}`, description: 'Print a marker' } };

it('runs straight against the Anthropic fake, so the fake is faithful enough for the CLI', async () => {
  anthropic.enqueue({ kind: 'reply', text: 'Hello from the fake.' });
  const { output } = await runClaudeCode({ baseUrl: anthropic.url, token: ANTHROPIC_KEY, model: 'claude-sonnet-4-6', prompt: 'Say hello' });
  expect(output).toMatchObject({ is_error: false, result: 'Hello from the fake.', num_turns: 1 });
});

describe.each([
  {
    backend: 'an Anthropic alias (relayed)',
    alias: 'claude',
    fake: anthropic as FakeUpstream<any>,
    path: '/v1/messages',
    usage: (input: number, output: number) => ({ inputTokens: input, outputTokens: output }),
  },
  {
    backend: 'an OpenAI alias (translated)',
    alias: 'coder-gpt',
    fake: openai,
    path: '/v1/chat/completions',
    usage: (input: number, output: number) => ({ promptTokens: input, completionTokens: output }),
  },
  {
    backend: 'an Ollama alias (translated)',
    alias: 'local-coding',
    fake: ollama,
    path: '/api/chat',
    usage: (input: number, output: number) => ({ promptEvalCount: input, evalCount: output }),
  },
])('Claude Code with its default tools on $backend', ({ alias, fake, path, usage }) => {
  it('runs the tool the model asks for, sends its output back and reports the final answer with real token counts', async () => {
    fake.enqueue({ kind: 'reply', toolCalls: [BASH_CALL], ...usage(20, 5) });
    fake.enqueue({ kind: 'reply', text: 'The command printed the marker.', ...usage(30, 7) });
    const { output } = await runClaudeCode({ baseUrl: gateway.url, token: key, model: alias, prompt: 'Run the marker command' });
    expect(output).toMatchObject({ is_error: false, result: 'The command printed the marker.', num_turns: 2 });
    expect(JSON.stringify(fake.requestsTo(path)[1].body)).toContain(MARKER);
    // Both turns' counts as the backend reported them (message_delta), not the gateway's message_start estimate.
    expect(output.usage).toMatchObject({ input_tokens: 50, output_tokens: 12 });
  });
});

it('falls back from a stopped Ollama to Claude', async () => {
  await ollama.stop();
  try {
    anthropic.enqueue({ kind: 'reply', text: 'Claude answered instead.' });
    const { output } = await runClaudeCode({ baseUrl: gateway.url, token: key, model: 'local-coding', prompt: 'Say hello' });
    expect(output).toMatchObject({ is_error: false, result: 'Claude answered instead.' });
    expect(anthropic.requestsTo('/v1/messages')).toHaveLength(1);
  } finally {
    await ollama.restart();
  }
});
