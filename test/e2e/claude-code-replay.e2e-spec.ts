/**
 * A Claude Code session replayed byte for byte against the gateway with raw HTTP (undici), as the
 * CLI would send it: `?beta=true`, its beta and session headers, a Bearer token, cache_control
 * blocks and streamed answers. Once against an Anthropic deployment (relayed) and once against an
 * OpenAI one (translated). Each replay must give Claude Code an event stream it accepts, the tool
 * input exactly as the model wrote it, and a ledger that attributes both turns to the session.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { validateAnthropicEventSequence } from '@tollgate/providers';
import { AnthropicFake, OpenAIFake, type FakeUpstream } from '../fakes';
import { inputJsonOf, parseSse, type SseRecord, textOf } from '../fixtures/anthropic-sse';
import recording from '../fixtures/claude-code/session-two-turns.json';
import { AdminApi, uniqueId, usdToNanos, waitFor } from '../support/admin-api';
import { costNanos } from '../support/expected-cost';
import { startTestGateway, TEST_MASTER_KEY, type TestGateway } from '../support/test-gateway';

const ANTHROPIC_KEY = 'sk-ant-test';
const OPENAI_KEY = 'sk-openai-test';

const anthropic = new AnthropicFake({ apiKey: ANTHROPIC_KEY });
const openai = new OpenAIFake({ apiKey: OPENAI_KEY });

let gateway: TestGateway;
let admin: AdminApi;

beforeAll(async () => {
  await Promise.all([anthropic.start(), openai.start()]);
  gateway = await startTestGateway({
    model_list: [
      // Claude Code asks for the model by its own name unless ANTHROPIC_MODEL says otherwise.
      { model_name: 'claude-sonnet-4-6', litellm_params: { model: 'anthropic/claude-sonnet-4-6', api_base: anthropic.url, api_key: ANTHROPIC_KEY } },
      // ANTHROPIC_MODEL=coder-gpt: the same session, served by OpenAI through the translation.
      // Claude Code asks for 32,000 output tokens, gpt-4o allows 16,384: the deployment's cap makes the two meet.
      { model_name: 'coder-gpt', litellm_params: { model: 'openai/gpt-4o', api_base: openai.apiBase, api_key: OPENAI_KEY, max_tokens: 16_384 } },
    ],
  });
  admin = new AdminApi(gateway.url, TEST_MASTER_KEY);
});

afterEach(() => {
  anthropic.reset();
  openai.reset();
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([anthropic.stop(), openai.stop()]);
});

type RecordedRequest = (typeof recording.turns)[number]['request'];

interface Replayed {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  records: SseRecord[];
}

/** The recording with its identifiers swapped for live ones (every occurrence, headers and body alike). */
function rewrite(recorded: RecordedRequest, replacements: Record<string, string>): RecordedRequest {
  let text = JSON.stringify(recorded);
  for (const [from, to] of Object.entries(replacements)) text = text.split(from).join(to);
  return JSON.parse(text) as RecordedRequest;
}

async function replay(req: RecordedRequest): Promise<Replayed> {
  const response = await request(`${gateway.url}${req.path}`, {
    method: req.method as 'POST',
    headers: req.headers,
    body: JSON.stringify(req.body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, records: parseSse(text) };
}

function expectAcceptedByClaudeCode(replayed: Replayed): void {
  expect(replayed.status).toBe(200);
  expect(replayed.headers['content-type']).toMatch(/^text\/event-stream/);
  expect(validateAnthropicEventSequence(replayed.records.map(({ event, data }) => ({ event, data })))).toEqual([]);
}

function stopReasonOf(replayed: Replayed): string {
  return replayed.records.find((r) => r.event === 'message_delta')!.data.delta.stop_reason;
}

async function teamKey(): Promise<{ teamId: string; key: string }> {
  const teamId = uniqueId('claude-code');
  await admin.newTeam({ team_id: teamId, max_budget: 50, budget_duration: '1mo' });
  return { teamId, key: (await admin.generateKey({ team_id: teamId })).key };
}

async function sessionLogs(sessionId: string, count: number): Promise<Record<string, any>[]> {
  return waitFor(
    async () => {
      const response = await admin.send<Record<string, any>[]>(`/spend/logs?session_id=${encodeURIComponent(sessionId)}`);
      expect(response.status).toBe(200);
      return response.json.length >= count ? response.json : undefined;
    },
    5_000,
    25,
    `${count} ledger rows for session ${sessionId}`,
  );
}

interface Target {
  name: string;
  alias: string;
  fake: FakeUpstream<any>;
  /** Scripts both model turns with distinctive usage; returns the live tool_use id and each turn's exact cost. */
  script(): { toolUseId: string; costs: [number, number] };
  /** What the upstream must have received for the second turn. */
  expectSecondTurnReceived(sent: RecordedRequest, toolUseId: string): void;
}

const [turn1, turn2] = recording.turns;

const targets: Target[] = [
  {
    name: 'an Anthropic deployment (relayed)',
    alias: 'claude-sonnet-4-6',
    fake: anthropic,
    script: () => {
      const toolUseId = `toolu_01${randomUUID().replace(/-/g, '').slice(0, 22)}`;
      anthropic.enqueue({
        kind: 'reply',
        toolCalls: [{ id: toolUseId, name: turn1.model.toolCall!.name, arguments: turn1.model.toolCall!.argumentsJson }],
        inputTokens: 12,
        cacheCreationInputTokens: 1800,
        cacheReadInputTokens: 0,
        outputTokens: 40,
      });
      anthropic.enqueue({ kind: 'reply', text: turn2.model.text!, inputTokens: 25, cacheReadInputTokens: 1800, cacheCreationInputTokens: 60, outputTokens: 12 });
      return {
        toolUseId,
        costs: [
          costNanos('claude-sonnet-4-6', { freshInput: 12, cacheWrite: 1800, output: 40 }),
          costNanos('claude-sonnet-4-6', { freshInput: 25, cacheRead: 1800, cacheWrite: 60, output: 12 }),
        ],
      };
    },
    expectSecondTurnReceived: (sent) => {
      const received = anthropic.requestsTo('/v1/messages');
      expect(received).toHaveLength(2);
      // Untouched but for the model: system blocks, every cache_control, the tool_result as sent.
      expect(received[1].body).toEqual({ ...sent.body, model: 'claude-sonnet-4-6' });
      expect(received[1].headers['anthropic-beta']).toBe(sent.headers['anthropic-beta']);
      expect(received[1].headers['anthropic-version']).toBe('2023-06-01');
      expect(received[1].headers['x-api-key']).toBe(ANTHROPIC_KEY);
      expect(received[1].headers.authorization).toBeUndefined();
    },
  },
  {
    name: 'an OpenAI deployment (translated)',
    alias: 'coder-gpt',
    fake: openai,
    script: () => {
      const toolUseId = `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
      openai.enqueue({
        kind: 'reply',
        toolCalls: [{ id: toolUseId, name: turn1.model.toolCall!.name, arguments: turn1.model.toolCall!.argumentsJson }],
        promptTokens: 1900,
        completionTokens: 30,
      });
      openai.enqueue({ kind: 'reply', text: turn2.model.text!, promptTokens: 1950, cachedTokens: 1792, completionTokens: 8 });
      return {
        toolUseId,
        costs: [costNanos('gpt-4o', { freshInput: 1900, output: 30 }), costNanos('gpt-4o', { freshInput: 1950 - 1792, cacheRead: 1792, output: 8 })],
      };
    },
    expectSecondTurnReceived: (sent, toolUseId) => {
      const received = openai.requestsTo('/v1/chat/completions');
      expect(received).toHaveLength(2);
      const body = received[1].body as Record<string, any>;
      expect(body.model).toBe('gpt-4o');
      expect(body.stream).toBe(true);
      expect(body.stream_options).toEqual({ include_usage: true });
      expect(body.user).toBe(sent.body.metadata.user_id);
      expect(body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['Bash', 'Read']);
      expect(body.messages[0]).toEqual({ role: 'system', content: sent.body.system.map((block) => block.text).join('\n') });
      expect(body.messages.slice(-2)).toEqual([
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: toolUseId, type: 'function', function: { name: 'Bash', arguments: JSON.stringify(JSON.parse(turn1.model.toolCall!.argumentsJson)) } }],
        },
        { role: 'tool', tool_call_id: toolUseId, content: ' M src/cart.ts\n?? src/cart.spec.ts' },
      ]);
    },
  },
];

describe.each(targets)('Claude Code session against $name', (target) => {
  it('streams both turns as Claude Code needs them and attributes their exact cost to the session', async () => {
    const { teamId, key } = await teamKey();
    const sessionId = randomUUID();
    const { toolUseId, costs } = target.script();
    const live = { [recording.recorded.sessionId]: sessionId, [recording.recorded.authorization]: `Bearer ${key}` };

    // Turn 1: the model calls Bash; its input must arrive exactly as the model wrote it.
    const first = rewrite(turn1.request, live);
    first.body.model = target.alias;
    const firstReply = await replay(first);
    expectAcceptedByClaudeCode(firstReply);
    expect(stopReasonOf(firstReply)).toBe('tool_use');
    const toolStart = firstReply.records.find((r) => r.event === 'content_block_start' && r.data.content_block.type === 'tool_use')!;
    expect(toolStart.data.content_block).toEqual({ type: 'tool_use', id: toolUseId, name: 'Bash', input: {} });
    expect(inputJsonOf(firstReply.records, toolStart.data.index)).toBe(turn1.model.toolCall!.argumentsJson);

    // Turn 2: the tool result goes back under the id the gateway gave; the model answers in text.
    const second = rewrite(turn2.request, { ...live, [recording.recorded.toolUseId]: toolUseId });
    second.body.model = target.alias;
    const secondReply = await replay(second);
    expectAcceptedByClaudeCode(secondReply);
    expect(stopReasonOf(secondReply)).toBe('end_turn');
    expect(textOf(secondReply.records)).toBe(turn2.model.text);
    target.expectSecondTurnReceived(second, toolUseId);

    const rows = await sessionLogs(sessionId, 2);
    expect(rows).toHaveLength(2);
    expect(rows.map((row) => usdToNanos(row.spend)).sort((a, b) => a - b)).toEqual([...costs].sort((a, b) => a - b));
    for (const row of rows) {
      expect(row).toMatchObject({ session_id: sessionId, team_id: teamId, call_type: 'messages', status: 'success', model_group: target.alias });
      expect(row.spend).toBeGreaterThan(0);
    }

    const sessions = await admin.send<Record<string, any>[]>(`/spend/sessions?team_id=${encodeURIComponent(teamId)}`);
    expect(sessions.status).toBe(200);
    expect(sessions.json).toHaveLength(1);
    expect(sessions.json[0]).toMatchObject({ session_id: sessionId, team_id: teamId, requests: 2 });
    expect(usdToNanos(sessions.json[0].spend)).toBe(costs[0] + costs[1]);
  });
});

describe('session attribution from metadata.user_id alone', () => {
  /** Turn 1 without the x-claude-code-session-id header, as older Claude Code versions send it. */
  function withoutSessionHeader(userId: string, key: string): RecordedRequest {
    const req = rewrite(turn1.request, { [recording.recorded.authorization]: `Bearer ${key}` });
    delete (req.headers as Record<string, string>)['x-claude-code-session-id'];
    req.body.metadata.user_id = userId;
    return req;
  }

  it.each([
    {
      form: 'JSON',
      userId: (sessionId: string) => JSON.stringify({ device_id: recording.recorded.deviceId, account_uuid: recording.recorded.accountUuid, session_id: sessionId }),
    },
    { form: 'legacy user_…_account_…_session_…', userId: (sessionId: string) => recording.legacyUserId.replace(recording.recorded.sessionId, sessionId) },
  ])('attributes the call to the session in the $form form', async ({ userId }) => {
    const { key } = await teamKey();
    const sessionId = randomUUID();
    anthropic.enqueue({ kind: 'reply', text: 'ok', inputTokens: 10, outputTokens: 2 });

    const replayed = await replay(withoutSessionHeader(userId(sessionId), key));

    expectAcceptedByClaudeCode(replayed);
    const rows = await sessionLogs(sessionId, 1);
    expect(rows).toHaveLength(1);
    expect(usdToNanos(rows[0].spend)).toBe(costNanos('claude-sonnet-4-6', { freshInput: 10, output: 2 }));
  });
});
