import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import Anthropic from '@anthropic-ai/sdk';

import type { AnthropicStreamEvent } from '../anthropic/anthropic.types';
import type { ChatCompletionChunk, ChatCompletionChunkDelta, ChatUsage, FinishReason } from '../openai.types';
import {
  type AnthropicEventState,
  type AnthropicEventStateOptions,
  createAnthropicEventState,
  finishAnthropicStream,
  translateOpenAIChunk,
} from './messages-stream.transform';
import { validateAnthropicEventSequence } from './messages-stream.validator';

interface StreamFixture {
  options: AnthropicEventStateOptions;
  chunks: ChatCompletionChunk[];
  expected: AnthropicStreamEvent[];
}

function fixture(name: string): StreamFixture {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8')) as StreamFixture;
}

const OPTIONS: AnthropicEventStateOptions = { messageId: 'msg_chatcmpl-1', model: 'gpt', inputTokensEstimate: 120 };

function translateAll(chunks: ChatCompletionChunk[], options = OPTIONS): { events: AnthropicStreamEvent[]; state: AnthropicEventState } {
  const state = createAnthropicEventState(options);
  const events = chunks.flatMap((chunk) => translateOpenAIChunk(state, chunk));
  events.push(...finishAnthropicStream(state));
  return { events, state };
}

function chunk(delta: ChatCompletionChunkDelta, finishReason: FinishReason | null = null): ChatCompletionChunk {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1_741_570_400,
    model: 'gpt-4o',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    usage: null,
  };
}

function usageChunk(usage: ChatUsage): ChatCompletionChunk {
  return { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_741_570_400, model: 'gpt-4o', choices: [], usage };
}

function toolStart(index: number, id: string, name: string, args = ''): ChatCompletionChunk {
  return chunk({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: args } }] });
}

function toolPiece(index: number, args: string): ChatCompletionChunk {
  return chunk({ tool_calls: [{ index, function: { arguments: args } }] });
}

/**
 * Rebuilds the message the way the Anthropic SDK's accumulator does: a block pushed per
 * content_block_start, deltas applied to `content[index]`, tool input parsed from the JSON pieces.
 */
function accumulate(events: AnthropicStreamEvent[]): { content: Record<string, unknown>[]; stopReason: string | null } {
  const content: Record<string, unknown>[] = [];
  const json = new Map<number, string>();
  let stopReason: string | null = null;
  for (const event of events) {
    if (event.type === 'content_block_start') content.push({ ...event.content_block });
    if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') content[event.index].text += event.delta.text;
    if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta') {
      json.set(event.index, (json.get(event.index) ?? '') + event.delta.partial_json);
    }
    if (event.type === 'message_delta') stopReason = event.delta.stop_reason;
  }
  json.forEach((text, index) => (content[index].input = JSON.parse(text)));
  return { content, stopReason };
}

/** Replays events through the real Anthropic SDK as SSE, the way Claude Code receives them. */
async function sdkFinalMessage(events: AnthropicStreamEvent[]): Promise<Anthropic.Message> {
  const sse = events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join('');
  const client = new Anthropic({
    apiKey: 'sk-ant-test',
    baseURL: 'http://gateway.test',
    maxRetries: 0,
    fetch: async () => new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
  });
  return client.messages.stream({ model: 'gpt', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] }).finalMessage();
}

const STREAM_FIXTURES = [
  'stream-text-and-tools.json',
  'stream-ollama-whole-tool-calls.json',
  'stream-empty.json',
  'stream-usage-only.json',
];

describe('translateOpenAIChunk + finishAnthropicStream', () => {
  it.each(STREAM_FIXTURES)('translates the golden stream %s into a well-formed event sequence', (name) => {
    const { options, chunks, expected } = fixture(name);
    const { events } = translateAll(chunks, options);
    expect(events).toEqual(expected);
    expect(validateAnthropicEventSequence(events)).toEqual([]);
  });

  it('gives the Anthropic SDK the whole message, tool inputs included, from the interleaved golden stream', async () => {
    const { options, chunks } = fixture('stream-text-and-tools.json');
    const message = await sdkFinalMessage(translateAll(chunks, options).events);
    expect(message).toMatchObject({
      id: 'msg_chatcmpl-BtxQ3kcAbN4yT0dG8pFlWq2e',
      model: 'gpt',
      stop_reason: 'tool_use',
      content: [
        { type: 'text', text: "I'll read both files first." },
        { type: 'tool_use', id: 'call_Read0aX1pQ7mZ', name: 'Read', input: { file_path: '/repo/a.ts' } },
        { type: 'tool_use', id: 'call_Read1bY2rS8nW', name: 'Read', input: { file_path: '/repo/b.ts', limit: 40 } },
      ],
      usage: { input_tokens: 464, output_tokens: 58, cache_read_input_tokens: 1536, cache_creation_input_tokens: 0 },
    });
  });

  it('emits message_start on the first chunk only, and nothing once the stream is finished', () => {
    const state = createAnthropicEventState(OPTIONS);
    expect(translateOpenAIChunk(state, chunk({ role: 'assistant', content: '' }))).toEqual([
      {
        type: 'message_start',
        message: {
          id: 'msg_chatcmpl-1',
          type: 'message',
          role: 'assistant',
          model: 'gpt',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 120, output_tokens: 1 },
        },
      },
    ]);
    expect(translateOpenAIChunk(state, chunk({ content: 'Hi' }))).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
    ]);
    // finish_reason and usage are only remembered: message_delta waits for the end of the stream.
    expect(translateOpenAIChunk(state, chunk({}, 'stop'))).toEqual([]);
    expect(translateOpenAIChunk(state, usageChunk({ prompt_tokens: 118, completion_tokens: 2, total_tokens: 120 }))).toEqual([]);
    expect(finishAnthropicStream(state)).toEqual([
      { type: 'content_block_stop', index: 0 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 2, input_tokens: 118, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
      },
      { type: 'message_stop' },
    ]);
    expect(translateOpenAIChunk(state, chunk({ content: 'late' }))).toEqual([]);
    expect(finishAnthropicStream(state)).toEqual([]);
  });

  it('produces a complete, valid stream when the upstream sent nothing at all', () => {
    const { events } = translateAll([]);
    expect(events.map((event) => event.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(validateAnthropicEventSequence(events)).toEqual([]);
  });

  it.each([0, -5, Number.NaN])('never starts with all-zero usage, even for an input estimate of %p', (estimate) => {
    const state = createAnthropicEventState({ ...OPTIONS, inputTokensEstimate: estimate });
    const [start] = translateOpenAIChunk(state, chunk({ content: '' }));
    expect(start).toMatchObject({ type: 'message_start', message: { usage: { input_tokens: 1, output_tokens: 1 } } });
  });

  it('estimates output tokens when the upstream never sends usage, and leaves input to message_start', () => {
    const { events } = translateAll([chunk({ content: 'Twelve chars' }), chunk({}, 'stop')]);
    expect(events.at(-2)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 3 },
    });
  });

  it.each<[FinishReason | null, boolean, string]>([
    ['stop', false, 'end_turn'],
    [null, false, 'end_turn'],
    ['length', false, 'max_tokens'],
    ['content_filter', false, 'refusal'],
    ['tool_calls', true, 'tool_use'],
    ['stop', true, 'tool_use'],
    [null, true, 'tool_use'],
  ])('maps finish_reason %p (tool calls: %p) to stop_reason %s', (finishReason, withTool, stopReason) => {
    const chunks = [withTool ? toolStart(0, 'call_1', 'get_time', '{}') : chunk({ content: 'Hi' }), chunk({}, finishReason)];
    expect(accumulate(translateAll(chunks).events).stopReason).toBe(stopReason);
  });

  it('relays a structured refusal as text and ignores reasoning_content', () => {
    const { events } = translateAll([
      chunk({ reasoning_content: 'Thinking it over…' }),
      chunk({ refusal: "I can't help with that." }),
      chunk({}, 'content_filter'),
    ]);
    expect(accumulate(events)).toEqual({ content: [{ type: 'text', text: "I can't help with that." }], stopReason: 'refusal' });
    expect(validateAnthropicEventSequence(events)).toEqual([]);
  });

  describe('tool calls', () => {
    it('closes a tool block when text follows it and numbers every block in start order', () => {
      const { events } = translateAll([
        toolStart(0, 'call_1', 'get_time', '{"tz":"UTC"}'),
        chunk({ content: 'Also: ' }),
        toolStart(1, 'call_2', 'get_date', '{}'),
        chunk({}, 'tool_calls'),
      ]);
      expect(events.slice(1, -2)).toEqual([
        { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'call_1', name: 'get_time', input: {} } },
        { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"tz":"UTC"}' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Also: ' } },
        { type: 'content_block_stop', index: 1 },
        { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'call_2', name: 'get_date', input: {} } },
        { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{}' } },
        { type: 'content_block_stop', index: 2 },
      ]);
      expect(validateAnthropicEventSequence(events)).toEqual([]);
    });

    it('keeps a piece that arrives for an already stopped tool block out of the stream (and in lateArguments)', () => {
      const { events, state } = translateAll([
        toolStart(0, 'call_1', 'get_time', '{"tz":"UTC"}'),
        toolStart(1, 'call_2', 'get_date', '{"day":1}'),
        toolPiece(0, ' '),
        chunk({}, 'tool_calls'),
      ]);
      expect(validateAnthropicEventSequence(events)).toEqual([]);
      expect(events.filter((event) => event.type === 'content_block_delta' && event.index === 0)).toHaveLength(1);
      expect(state.toolsByOpenAIIndex.get(0)).toMatchObject({
        status: 'closed',
        blockIndex: 0,
        arguments: '{"tz":"UTC"}',
        lateArguments: ' ',
      });
    });

    it('treats a new id at a reused index as a new call (upstreams that send every call as index 0)', () => {
      const { events } = translateAll([
        toolStart(0, 'call_1', 'get_time', '{"tz":'),
        toolPiece(0, '"UTC"}'),
        toolStart(0, 'call_2', 'get_date', '{}'),
        // The same id again is the same call.
        chunk({ tool_calls: [{ index: 0, id: 'call_2', function: { arguments: '' } }] }),
        chunk({}, 'tool_calls'),
      ]);
      expect(accumulate(events).content).toEqual([
        { type: 'tool_use', id: 'call_1', name: 'get_time', input: { tz: 'UTC' } },
        { type: 'tool_use', id: 'call_2', name: 'get_date', input: {} },
      ]);
      expect(validateAnthropicEventSequence(events)).toEqual([]);
    });

    it('follows pieces without an index to the latest call, and invents ids for calls without one', () => {
      const { events } = translateAll([
        chunk({ tool_calls: [{ function: { name: 'get_time', arguments: '{"tz":' } } as never] }),
        chunk({ tool_calls: [{ function: { arguments: '"UTC"}' } } as never] }),
        chunk({}, 'tool_calls'),
      ]);
      expect(accumulate(events).content).toEqual([{ type: 'tool_use', id: 'toolu_chatcmpl-1_0', name: 'get_time', input: { tz: 'UTC' } }]);
    });

    it('flushes held-back calls whole at the end when the call before them never completes', () => {
      const { events } = translateAll([
        toolStart(0, 'call_1', 'write_file', '{"path":"/tmp/a","content":"unfinis'),
        toolStart(1, 'call_2', 'get_time', '{"tz":'),
        toolPiece(1, '"UTC"}'),
        chunk({}, 'length'),
      ]);
      expect(events.slice(1, -2)).toEqual([
        { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'call_1', name: 'write_file', input: {} } },
        { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"path":"/tmp/a","content":"unfinis' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_2', name: 'get_time', input: {} } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"tz":"UTC"}' } },
        { type: 'content_block_stop', index: 1 },
      ]);
      expect(events.at(-2)).toMatchObject({ delta: { stop_reason: 'max_tokens' } });
      expect(validateAnthropicEventSequence(events)).toEqual([]);
    });

    it('flushes held-back calls before opening a text block', () => {
      const { events } = translateAll([
        toolStart(0, 'call_1', 'get_time', '{"tz":'),
        toolStart(1, 'call_2', 'get_date', '{}'),
        chunk({ content: 'Done.' }),
        chunk({}, 'tool_calls'),
      ]);
      expect(validateAnthropicEventSequence(events)).toEqual([]);
      expect(events.filter((event) => event.type === 'content_block_start').map((event) => event.index)).toEqual([0, 1, 2]);
    });

    /**
     * Any interleaving the OpenAI format allows (calls start in index order, each call's pieces in
     * order, pieces of different calls mixed freely) must give a valid stream in which every tool
     * block parses to exactly its call's arguments. A seeded generator keeps failures reproducible.
     */
    it('delivers every argument of every call for 300 random interleavings', () => {
      let seed = 20_250_601;
      const random = (): number => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed / 2_147_483_648;
      };
      for (let run = 0; run < 300; run++) {
        const callCount = 1 + Math.floor(random() * 4);
        const calls = Array.from({ length: callCount }, (_, i) => ({
          id: `call_${run}_${i}`,
          name: `tool_${i}`,
          args: { path: `/repo/file_${i}.ts`, lines: [i, i + 1], note: 'a "quoted" {brace}' },
        }));
        const queues = calls.map((call, i) => {
          const json = JSON.stringify(call.args);
          const pieces: ChatCompletionChunk[] = [toolStart(i, call.id, call.name, '')];
          for (let at = 0; at < json.length;) {
            const size = 1 + Math.floor(random() * 12);
            pieces.push(toolPiece(i, json.slice(at, at + size)));
            at += size;
          }
          return pieces;
        });
        const chunks: ChatCompletionChunk[] = random() < 0.5 ? [chunk({ content: 'Working on it.' })] : [];
        let started = 0;
        while (queues.some((queue) => queue.length > 0)) {
          // Only calls already started, plus the next one, may contribute the next chunk.
          const eligible = queues.map((queue, i) => i).filter((i) => queues[i].length > 0 && i <= started);
          const pick = eligible[Math.floor(random() * eligible.length)];
          if (pick === started) started += 1;
          chunks.push(queues[pick].shift()!);
        }
        chunks.push(chunk({}, 'tool_calls'), usageChunk({ prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 }));

        const { events } = translateAll(chunks);
        expect({ run, violations: validateAnthropicEventSequence(events) }).toEqual({ run, violations: [] });
        const toolBlocks = accumulate(events).content.filter((block) => block.type === 'tool_use');
        expect(toolBlocks).toEqual(calls.map((call) => ({ type: 'tool_use', id: call.id, name: call.name, input: call.args })));
      }
    });
  });
});
