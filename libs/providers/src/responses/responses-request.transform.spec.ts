import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';

import { toAnthropicRequest } from '../anthropic/chat-request.transform';
import { toOllamaChatRequest } from '../ollama/chat-request.transform';
import { ProviderRequestError } from '../provider-request.errors';
import type { ResponseItem, ResponsesRequest } from './responses.types';
import { inputItemsOf, toChatCompletionRequest } from './responses-request.transform';

const golden = JSON.parse(readFileSync(join(__dirname, '__fixtures__', 'request-codex-turn.json'), 'utf8')) as {
  request: ResponsesRequest;
  expected: unknown;
};

function translate(request: Partial<ResponsesRequest>): ReturnType<typeof toChatCompletionRequest> {
  const full = { model: 'm', ...request } as ResponsesRequest;
  return toChatCompletionRequest(full, inputItemsOf(full.input));
}

function refusal(request: Partial<ResponsesRequest>): ProviderRequestError {
  try {
    translate(request);
  } catch (error) {
    if (error instanceof ProviderRequestError) return error;
    throw error;
  }
  throw new Error('expected a ProviderRequestError');
}

describe('toChatCompletionRequest', () => {
  it('translates the golden Codex turn: calls joined to their assistant turn, reasoning and hosted tools left out', () => {
    expect(toChatCompletionRequest(golden.request, inputItemsOf(golden.request.input))).toEqual(golden.expected);
  });

  it('reads a bare string input as one user message, after the instructions', () => {
    expect(translate({ input: 'hi', instructions: 'be brief' }).messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi' },
    ]);
  });

  it('opens an assistant turn for a function call that follows no assistant message', () => {
    const input: ResponseItem[] = [{ type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' }];
    expect(translate({ input }).messages).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    ]);
  });

  it('sends neither tools nor tool_choice when every tool is hosted', () => {
    const chat = translate({ input: 'x', tools: [{ type: 'web_search' }], tool_choice: 'auto' });
    expect(chat.tools).toBeUndefined();
    expect(chat.tool_choice).toBeUndefined();
  });

  it('maps a named function tool_choice and json_object output', () => {
    const chat = translate({
      input: 'x',
      tools: [{ type: 'function', name: 'f' }],
      tool_choice: { type: 'function', name: 'f' },
      text: { format: { type: 'json_object' } },
    });
    expect(chat.tool_choice).toEqual({ type: 'function', function: { name: 'f' } });
    expect(chat.response_format).toEqual({ type: 'json_object' });
  });

  it.each<[string, Partial<ResponsesRequest>, string]>([
    [
      'a tool_choice forcing a hosted tool',
      { input: 'x', tools: [{ type: 'web_search' }], tool_choice: { type: 'web_search' } },
      'tool_choice',
    ],
    ['an item type only OpenAI knows', { input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0].type'],
    [
      'an image given by file id',
      { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] },
      'input[0].content[0].image_url',
    ],
    ['a message with an unknown role', { input: [{ role: 'tool' as never, content: 'x' }] }, 'input[0].role'],
    ['a null item', { input: [null as never] }, 'input[0]'],
  ])('refuses %s with a 400 naming the field', (_what, request, param) => {
    expect(refusal(request).param).toBe(param);
  });
});

describe('translated requests reach the backend translations intact', () => {
  const text = fc.string({ maxLength: 8 });
  const part = fc.oneof(
    fc.record({ type: fc.constantFrom('input_text', 'output_text'), text }),
    fc.record({ type: fc.constant('input_image'), image_url: fc.constant('data:image/png;base64,iVBORw0KGgo=') }),
  );
  const content = fc.oneof(text, fc.array(part, { maxLength: 3 }));
  const item = fc.oneof(
    fc.record({ type: fc.constant('message'), role: fc.constantFrom('user', 'assistant', 'system', 'developer'), content }),
    fc.record({
      type: fc.constant('function_call'),
      call_id: fc.constantFrom('c1', 'c2'),
      name: fc.constant('f'),
      arguments: fc.oneof(fc.constant('{"a":1}'), text),
    }),
    fc.record({
      type: fc.constant('function_call_output'),
      call_id: fc.constantFrom('c1', 'c2', 'c9'),
      output: fc.oneof(text, fc.array(part, { maxLength: 2 })),
    }),
    fc.record({ type: fc.constant('reasoning'), summary: fc.constant([]) }),
  );

  it('never makes the Anthropic or Ollama translation fail with anything but a 400 naming a field, whatever the item order', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 8 }), fc.boolean(), (input, withTools) => {
        const request: ResponsesRequest = {
          model: 'm',
          input: input as ResponseItem[],
          ...(withTools ? { tools: [{ type: 'function', name: 'f' }, { type: 'web_search' }], tool_choice: 'required' } : {}),
        };
        const chat = toChatCompletionRequest(request, inputItemsOf(request.input));
        for (const translate of [
          () => toAnthropicRequest(chat, { model: 'claude', defaultMaxTokens: 1024, stream: true }),
          () => toOllamaChatRequest(chat, { model: 'llama', stream: true }),
        ]) {
          try {
            translate();
          } catch (error) {
            expect(error).toBeInstanceOf(ProviderRequestError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
