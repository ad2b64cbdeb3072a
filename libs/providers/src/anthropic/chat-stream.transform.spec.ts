import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ChatCompletionChunk, ChatCompletionChunkDelta, FinishReason } from '../openai.types';
import { UpstreamError } from '../upstream.errors';
import type { AnthropicStreamEvent } from './anthropic.types';
import { createAnthropicStreamState, translateAnthropicEvent } from './chat-stream.transform';

interface StreamFixture {
  now: number;
  events: AnthropicStreamEvent[];
  expected: ChatCompletionChunk[];
}

function fixture(name: string): StreamFixture {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8')) as StreamFixture;
}

const NOW = 1_750_000_000_123;

function translateAll(events: AnthropicStreamEvent[], now = NOW): ChatCompletionChunk[] {
  const state = createAnthropicStreamState(now);
  return events.flatMap((event) => translateAnthropicEvent(state, event));
}

function chunk(delta: ChatCompletionChunkDelta, finishReason: FinishReason | null = null): ChatCompletionChunk {
  return {
    id: 'msg_01',
    object: 'chat.completion.chunk',
    created: 1_750_000_000,
    model: 'claude-haiku-4-5',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    usage: null,
  };
}

const messageStart: AnthropicStreamEvent = {
  type: 'message_start',
  message: {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 25, output_tokens: 1 },
  },
};

describe('translateAnthropicEvent', () => {
  it('translates the golden stream: text, two tool calls, pings, unknown events, cumulative usage', () => {
    const { now, events, expected } = fixture('stream-text-and-tools.json');
    expect(translateAll(events, now)).toEqual(expected);
  });

  it('streams thinking as reasoning_content and gives a parameterless tool call "{}" arguments', () => {
    const events: AnthropicStreamEvent[] = [
      messageStart,
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'The user wants the time.' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_01', name: 'get_time', input: {} } },
      { type: 'content_block_stop', index: 1 },
      { type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 40 } },
      { type: 'message_stop' },
    ];
    expect(translateAll(events)).toEqual([
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'The user wants the time.' }),
      chunk({ tool_calls: [{ index: 0, id: 'toolu_01', type: 'function', function: { name: 'get_time', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }),
      chunk({}, 'length'),
      {
        id: 'msg_01',
        object: 'chat.completion.chunk',
        created: 1_750_000_000,
        model: 'claude-haiku-4-5',
        choices: [],
        usage: {
          prompt_tokens: 25,
          completion_tokens: 40,
          total_tokens: 65,
          prompt_tokens_details: { cached_tokens: 0 },
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
        },
      },
    ]);
  });

  it.each<[string, FinishReason]>([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
  ])('maps stop_reason %s to finish_reason %s', (stopReason, finishReason) => {
    const state = createAnthropicStreamState(NOW);
    translateAnthropicEvent(state, messageStart);
    expect(
      translateAnthropicEvent(state, {
        type: 'message_delta',
        delta: { stop_reason: stopReason as never, stop_sequence: null },
        usage: { output_tokens: 3 },
      }),
    ).toEqual([chunk({}, finishReason)]);
  });

  it('ignores anything after message_stop', () => {
    const state = createAnthropicStreamState(NOW);
    translateAnthropicEvent(state, messageStart);
    translateAnthropicEvent(state, { type: 'message_stop' });
    expect(translateAnthropicEvent(state, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'late' } })).toEqual(
      [],
    );
  });

  describe('error events', () => {
    const beforeError: AnthropicStreamEvent[] = [
      messageStart,
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Half an ans' } },
      { type: 'ping' },
    ];

    /** Feeds the events before the error, then the error; returns what came out before and the error thrown. */
    function streamError(errorType: string): { chunks: ChatCompletionChunk[]; error: unknown } {
      const state = createAnthropicStreamState(NOW);
      const chunks = beforeError.flatMap((event) => translateAnthropicEvent(state, event));
      try {
        chunks.push(...translateAnthropicEvent(state, { type: 'error', error: { type: errorType, message: 'Something went wrong' } }));
      } catch (error) {
        if (error instanceof UpstreamError) {
          return { chunks, error: { kind: error.kind, status: error.status, body: error.body, headers: error.headers } };
        }
        throw error;
      }
      return { chunks, error: null };
    }

    it.each<[string, number, string, string | null]>([
      ['overloaded_error', 503, 'api_error', 'overloaded'],
      ['rate_limit_error', 429, 'rate_limit_exceeded', 'rate_limit_exceeded'],
      ['api_error', 502, 'api_error', null],
      ['timeout_error', 504, 'timeout', 'upstream_timeout'],
      ['invalid_request_error', 400, 'invalid_request_error', null],
      ['an_error_from_the_future', 502, 'api_error', null],
    ])('throws a stream UpstreamError for %s mid-stream', (errorType, status, type, code) => {
      expect(streamError(errorType)).toEqual({
        chunks: [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Half an ans' })],
        error: { kind: 'stream', status, body: { error: { message: 'Something went wrong', type, param: null, code } }, headers: {} },
      });
    });
  });
});

describe('usage a lying or unusual upstream reports', () => {
  const text = (index: number): AnthropicStreamEvent[] => [
    { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index, delta: { type: 'text_delta', text: 'Hi' } },
    { type: 'content_block_stop', index },
  ];
  const usageChunks = (events: AnthropicStreamEvent[]) => translateAll(events).filter((c) => c.choices.length === 0);
  const startWith = (usage: unknown): AnthropicStreamEvent =>
    ({ ...messageStart, message: { ...(messageStart as { message: object }).message, usage } }) as AnthropicStreamEvent;
  const end = (usage: unknown): AnthropicStreamEvent[] => [
    { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage } as AnthropicStreamEvent,
    { type: 'message_stop' },
  ];

  it('takes input counts from message_delta when message_start carried none', () => {
    const [usage] = usageChunks([startWith(undefined), ...text(0), ...end({ input_tokens: 30, output_tokens: 4 })]);
    expect(usage.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 4 });
  });

  it.each([
    ['no usage anywhere', undefined, {}],
    ['a negative input count', { input_tokens: -500, output_tokens: 1 }, { output_tokens: 4 }],
    ['a fractional output count', { input_tokens: 25, output_tokens: 1 }, { output_tokens: 4.5 }],
    ['a count sent as a string', { input_tokens: '25', output_tokens: 1 }, { output_tokens: 4 }],
    ['a negative cache read', { input_tokens: 25, output_tokens: 1, cache_read_input_tokens: -100 }, { output_tokens: 4 }],
  ])('sends no usage chunk for %s, so spend bills its estimate', (_fault, start, delta) => {
    expect(usageChunks([startWith(start), ...text(0), ...end(delta)])).toEqual([]);
  });
});
