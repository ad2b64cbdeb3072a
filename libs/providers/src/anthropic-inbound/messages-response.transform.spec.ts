import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { AnthropicMessage, AnthropicStopReason } from '../anthropic/anthropic.types';
import type { ChatCompletion, ChatCompletionMessage, ChatUsage, FinishReason } from '../openai.types';
import { openAIToAnthropicMessage, toAnthropicMessageId, toAnthropicUsage } from './messages-response.transform';

interface ResponseFixture {
  requestedModel: string;
  completion: ChatCompletion;
  expected: AnthropicMessage;
}

function fixture(name: string): ResponseFixture {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8')) as ResponseFixture;
}

function completion(
  message: Partial<ChatCompletionMessage>,
  finishReason: FinishReason | null = 'stop',
  usage?: ChatUsage,
): ChatCompletion {
  return {
    id: 'chatcmpl-abc123',
    object: 'chat.completion',
    created: 1_741_570_283,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason: finishReason, logprobs: null }],
    ...(usage ? { usage } : {}),
  };
}

const getTime = { id: 'call_1', type: 'function' as const, function: { name: 'get_time', arguments: '{}' } };

describe('openAIToAnthropicMessage', () => {
  it.each(['response-text-and-tools.json', 'response-empty.json'])('translates the golden completion %s', (name) => {
    const { requestedModel, completion: input, expected } = fixture(name);
    expect(openAIToAnthropicMessage(input, requestedModel)).toEqual(expected);
  });

  it.each<[string, FinishReason | null, boolean, AnthropicStopReason]>([
    ['stop', 'stop', false, 'end_turn'],
    ['length', 'length', false, 'max_tokens'],
    ['tool_calls', 'tool_calls', true, 'tool_use'],
    ['content_filter', 'content_filter', false, 'refusal'],
    ['the legacy function_call', 'function_call', true, 'tool_use'],
    ['a missing finish_reason', null, false, 'end_turn'],
    ['stop with tool calls (vLLM, older Ollama /v1)', 'stop', true, 'tool_use'],
    ['length with tool calls (arguments cut off)', 'length', true, 'max_tokens'],
  ])('maps finish_reason %s', (_name, finishReason, withTools, stopReason) => {
    const input = completion({ content: 'Hi', ...(withTools ? { tool_calls: [getTime] } : {}) }, finishReason);
    expect(openAIToAnthropicMessage(input, 'gpt').stop_reason).toBe(stopReason);
  });

  it('parses tool arguments to objects, with {} for empty, invalid, truncated and non-object JSON', () => {
    const calls = [
      { id: 'call_1', type: 'function' as const, function: { name: 'a', arguments: '' } },
      { id: 'call_2', type: 'function' as const, function: { name: 'b', arguments: 'not json' } },
      { id: 'call_3', type: 'function' as const, function: { name: 'c', arguments: '{"path": "/tm' } },
      { id: 'call_4', type: 'function' as const, function: { name: 'd', arguments: '[1, 2]' } },
      // Some OpenAI-compatible servers send the object itself.
      { id: 'call_5', type: 'function' as const, function: { name: 'e', arguments: { path: '/tmp' } as unknown as string } },
    ];
    expect(openAIToAnthropicMessage(completion({ tool_calls: calls }, 'tool_calls'), 'gpt').content).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'a', input: {} },
      { type: 'tool_use', id: 'call_2', name: 'b', input: {} },
      { type: 'tool_use', id: 'call_3', name: 'c', input: {} },
      { type: 'tool_use', id: 'call_4', name: 'd', input: {} },
      { type: 'tool_use', id: 'call_5', name: 'e', input: { path: '/tmp' } },
    ]);
  });

  it('gives a tool call without an id a deterministic one, since the client must answer it by id', () => {
    const call = { id: '', type: 'function' as const, function: { name: 'get_time', arguments: '{}' } };
    expect(openAIToAnthropicMessage(completion({ tool_calls: [call, call] }, 'tool_calls'), 'gpt').content).toEqual([
      { type: 'tool_use', id: 'toolu_chatcmpl-abc123_0', name: 'get_time', input: {} },
      { type: 'tool_use', id: 'toolu_chatcmpl-abc123_1', name: 'get_time', input: {} },
    ]);
  });

  it('shows a structured refusal as text', () => {
    const message = openAIToAnthropicMessage(completion({ content: null, refusal: "I can't help with that." }, 'stop'), 'gpt');
    expect(message.content).toEqual([{ type: 'text', text: "I can't help with that." }]);
    expect(message.stop_reason).toBe('end_turn');
  });

  it('answers a completion without choices or usage with an empty message rather than throwing', () => {
    const input: ChatCompletion = { id: 'chatcmpl-x', object: 'chat.completion', created: 1, model: 'm', choices: [] };
    expect(openAIToAnthropicMessage(input, 'gpt')).toEqual({
      id: 'msg_chatcmpl-x',
      type: 'message',
      role: 'assistant',
      model: 'gpt',
      content: [],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    });
  });
});

describe('toAnthropicUsage', () => {
  it.each<[string, ChatUsage | undefined, ReturnType<typeof toAnthropicUsage>]>([
    [
      "OpenAI's cached_tokens",
      { prompt_tokens: 2006, completion_tokens: 61, total_tokens: 2067, prompt_tokens_details: { cached_tokens: 1920 } },
      { input_tokens: 86, output_tokens: 61, cache_read_input_tokens: 1920, cache_creation_input_tokens: 0 },
    ],
    [
      'the raw cache counters our Anthropic translation keeps (prompt includes reads and writes)',
      { prompt_tokens: 1696, completion_tokens: 50, total_tokens: 1746, cache_read_input_tokens: 1024, cache_creation_input_tokens: 200 },
      { input_tokens: 472, output_tokens: 50, cache_read_input_tokens: 1024, cache_creation_input_tokens: 200 },
    ],
    [
      'counters that would make input negative',
      {
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 8 },
        cache_creation_input_tokens: 4,
      },
      { input_tokens: 0, output_tokens: 5, cache_read_input_tokens: 8, cache_creation_input_tokens: 4 },
    ],
    ['no usage at all', undefined, { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }],
  ])('translates %s', (_name, usage, expected) => {
    expect(toAnthropicUsage(usage)).toEqual(expected);
  });
});

describe('toAnthropicMessageId', () => {
  it.each<[string | null, string]>([
    ['chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG', 'msg_chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG'],
    ['chatcmpl-a b/c\r\nX-Injected: 1', 'msg_chatcmpl-abcX-Injected1'],
    ['msg_01XFDUDYJgAACzvnptvVoYEL', 'msg_01XFDUDYJgAACzvnptvVoYEL'],
    ['', 'msg_tollgate_1741570283'],
    [null, 'msg_tollgate_1741570283'],
  ])('turns %p into %p', (id, expected) => {
    expect(toAnthropicMessageId(id, 1_741_570_283)).toBe(expected);
  });
});
