import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ChatCompletion } from '../openai.types';
import type { AnthropicMessage, AnthropicStopReason } from './anthropic.types';
import { fromAnthropicMessage } from './chat-response.transform';

interface ResponseFixture {
  now: number;
  message: AnthropicMessage;
  expected: ChatCompletion;
}

function fixture(name: string): ResponseFixture {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8')) as ResponseFixture;
}

const NOW = 1_750_000_000_500;

function message(extra: Partial<AnthropicMessage>): AnthropicMessage {
  return {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-6',
    content: [{ type: 'text', text: 'Hi' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 5 },
    ...extra,
  };
}

function completion(finishReason: ChatCompletion['choices'][number]['finish_reason'], content: string | null = 'Hi'): ChatCompletion {
  return {
    id: 'msg_01',
    object: 'chat.completion',
    created: 1_750_000_000,
    model: 'claude-sonnet-4-6',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason, logprobs: null }],
    usage: {
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 0 },
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    },
  };
}

describe('fromAnthropicMessage', () => {
  it.each(['response-tool-use.json', 'response-text.json'])('translates the golden response %s', (name) => {
    const { now, message: input, expected } = fixture(name);
    expect(fromAnthropicMessage(input, now)).toEqual(expected);
  });

  it.each<[AnthropicStopReason, ChatCompletion['choices'][number]['finish_reason']]>([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
  ])('maps stop_reason %s to finish_reason %s', (stopReason, finishReason) => {
    expect(fromAnthropicMessage(message({ stop_reason: stopReason }), NOW)).toEqual(completion(finishReason));
  });

  it('answers null content when the model said nothing (max_tokens reached while thinking)', () => {
    const input = message({ content: [{ type: 'thinking', thinking: 'Let me think', signature: 'sig' }], stop_reason: 'max_tokens' });
    const output = completion('length', null);
    output.choices[0].message.reasoning_content = 'Let me think';
    expect(fromAnthropicMessage(input, NOW)).toEqual(output);
  });

  it('reports thinking tokens as reasoning_tokens when Anthropic breaks them out', () => {
    const input = message({ usage: { input_tokens: 10, output_tokens: 5, output_tokens_details: { thinking_tokens: 3 } } });
    const output = completion('stop');
    output.usage!.completion_tokens_details = { reasoning_tokens: 3 };
    expect(fromAnthropicMessage(input, NOW)).toEqual(output);
  });

  it('tolerates content block types it does not know', () => {
    const input = message({
      content: [
        { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: { query: 'weather' } } as never,
        { type: 'text', text: 'Hi' },
      ],
    });
    expect(fromAnthropicMessage(input, NOW)).toEqual(completion('stop'));
  });
});
