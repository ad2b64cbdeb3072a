import type { AnthropicStreamEvent } from '../anthropic/anthropic.types';
import { validateAnthropicEventSequence } from './messages-stream.validator';

const start: AnthropicStreamEvent = {
  type: 'message_start',
  message: {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'gpt',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 1 },
  },
};
const textStart = (index: number): AnthropicStreamEvent => ({
  type: 'content_block_start',
  index,
  content_block: { type: 'text', text: '' },
});
const toolStart = (index: number): AnthropicStreamEvent => ({
  type: 'content_block_start',
  index,
  content_block: { type: 'tool_use', id: `toolu_${index}`, name: 'get_time', input: {} },
});
const text = (index: number): AnthropicStreamEvent => ({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: 'Hi' } });
const json = (index: number): AnthropicStreamEvent => ({
  type: 'content_block_delta',
  index,
  delta: { type: 'input_json_delta', partial_json: '{}' },
});
const stop = (index: number): AnthropicStreamEvent => ({ type: 'content_block_stop', index });
const messageDelta: AnthropicStreamEvent = {
  type: 'message_delta',
  delta: { stop_reason: 'end_turn', stop_sequence: null },
  usage: { output_tokens: 5 },
};
const messageStop: AnthropicStreamEvent = { type: 'message_stop' };

const valid: AnthropicStreamEvent[] = [
  start,
  textStart(0),
  { type: 'ping' },
  text(0),
  stop(0),
  toolStart(1),
  json(1),
  stop(1),
  messageDelta,
  messageStop,
];

describe('validateAnthropicEventSequence', () => {
  it('accepts a well-formed stream, with pings and unknown event types anywhere before message_stop', () => {
    const withExtras = [...valid.slice(0, 5), { type: 'some_future_event' } as unknown as AnthropicStreamEvent, ...valid.slice(5)];
    expect(validateAnthropicEventSequence(withExtras)).toEqual([]);
  });

  it('accepts a stream that ends with an error event', () => {
    expect(
      validateAnthropicEventSequence([
        start,
        textStart(0),
        text(0),
        { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      ]),
    ).toEqual([]);
  });

  it.each<[string, unknown[], string[]]>([
    ['an empty stream', [], ['the stream has no events; it must start with message_start']],
    [
      'a stream not starting with message_start',
      [textStart(0), start, ...valid.slice(3)],
      ['event 0 (content_block_start): the first event must be message_start'],
    ],
    [
      'no message_start at all',
      valid.slice(1),
      ['event 0 (content_block_start): the first event must be message_start', 'the stream has no message_start'],
    ],
    [
      'a second message_start',
      [start, textStart(0), start, ...valid.slice(3)],
      ['event 2 (message_start): message_start must appear exactly once'],
    ],
    [
      'all-zero usage in message_start',
      [
        { ...start, message: { ...(start as { message: object }).message, usage: { input_tokens: 0, output_tokens: 0 } } },
        ...valid.slice(1),
      ],
      ['event 0 (message_start): message.usage must not be all zero (Claude Code rejects it)'],
    ],
    [
      'block indexes not starting at 0',
      [start, textStart(1), text(1), stop(1), messageDelta, messageStop],
      ['event 1 (content_block_start): block index 1 out of order; expected 0 (indexes start at 0 and increase by 1)'],
    ],
    [
      'a skipped block index',
      [start, textStart(0), stop(0), toolStart(2), stop(2), messageDelta, messageStop],
      ['event 3 (content_block_start): block index 2 out of order; expected 1 (indexes start at 0 and increase by 1)'],
    ],
    [
      'a restarted block',
      [start, textStart(0), stop(0), textStart(0), stop(0), messageDelta, messageStop],
      [
        'event 3 (content_block_start): block index 0 out of order; expected 1 (indexes start at 0 and increase by 1)',
        'event 3 (content_block_start): block 0 was already started',
      ],
    ],
    [
      'two blocks open at once',
      [start, textStart(0), toolStart(1), stop(1), stop(0), messageDelta, messageStop],
      ['event 2 (content_block_start): block 1 started while block 0 is still open'],
    ],
    [
      'a delta for a block never started',
      [start, textStart(0), text(1), stop(0), messageDelta, messageStop],
      ['event 2 (content_block_delta): block 1 was never started'],
    ],
    [
      'a delta for a stopped block',
      [start, textStart(0), stop(0), toolStart(1), text(0), stop(1), messageDelta, messageStop],
      ['event 4 (content_block_delta): block 0 was already stopped'],
    ],
    [
      'a stop for a block never started',
      [start, textStart(0), stop(0), stop(1), messageDelta, messageStop],
      ['event 3 (content_block_stop): block 1 was never started'],
    ],
    [
      'a block stopped twice',
      [start, textStart(0), stop(0), stop(0), messageDelta, messageStop],
      ['event 3 (content_block_stop): block 0 was already stopped'],
    ],
    [
      'a delta type the block cannot take',
      [start, toolStart(0), text(0), stop(0), messageDelta, messageStop],
      ['event 2 (content_block_delta): a text_delta cannot apply to block 0, a tool_use block'],
    ],
    [
      'a message without content blocks',
      [start, messageDelta, messageStop],
      ['event 1 (message_delta): the message has no content block (Claude Code expects at least one)'],
    ],
    [
      'message_delta while a block is open',
      [start, textStart(0), text(0), messageDelta, stop(0), messageStop],
      ['event 3 (message_delta): block 0 is still open'],
    ],
    [
      'a block after message_delta',
      [start, textStart(0), stop(0), messageDelta, toolStart(1), stop(1), messageStop],
      ['event 4 (content_block_start): content blocks must come before message_delta'],
    ],
    [
      'a message_delta without stop_reason or output_tokens',
      [start, textStart(0), stop(0), { type: 'message_delta', delta: { stop_reason: null, stop_sequence: null }, usage: {} }, messageStop],
      ['event 3 (message_delta): delta.stop_reason must be set', 'event 3 (message_delta): usage.output_tokens must be a number'],
    ],
    [
      'message_stop without message_delta',
      [start, textStart(0), stop(0), messageStop],
      ['event 3 (message_stop): message_delta must come before message_stop'],
    ],
    [
      'message_stop with a block open',
      [start, textStart(0), stop(0), toolStart(1), messageDelta, messageStop],
      ['event 4 (message_delta): block 1 is still open', 'event 5 (message_stop): block 1 is still open'],
    ],
    ['events after message_stop', [...valid, { type: 'ping' }], ['event 10 (ping): nothing may follow message_stop']],
    ['a stream without message_stop', valid.slice(0, -1), ['the stream ended without message_stop']],
    ['an event without a type', [start, { index: 0 }, ...valid.slice(1)], ['event 1: has no type']],
  ])('reports %s', (_name, events, violations) => {
    expect(validateAnthropicEventSequence(events)).toEqual(violations);
  });

  describe('SSE records', () => {
    const records = valid.map((event) => ({ event: event.type, data: event }));

    it('accepts records whose event name equals data.type', () => {
      expect(validateAnthropicEventSequence(records)).toEqual([]);
    });

    it('reports a record whose event name differs from data.type', () => {
      const renamed = records.map((record, i) => (i === 3 ? { event: 'content_block_start', data: record.data } : record));
      expect(validateAnthropicEventSequence(renamed)).toEqual([
        "event 3: the SSE event name 'content_block_start' differs from data.type 'content_block_delta'",
      ]);
    });
  });
});
