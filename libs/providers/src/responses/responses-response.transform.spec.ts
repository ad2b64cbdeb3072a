import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ChatCompletion } from '../openai.types';
import type { ResponsesRequest } from './responses.types';
import { chatUsageOfResponse, type ResponseContext, toResponseObject, toResponseUsage } from './responses-response.transform';

const golden = JSON.parse(readFileSync(join(__dirname, '__fixtures__', 'response-text-and-tools.json'), 'utf8')) as {
  request: ResponsesRequest;
  completion: ChatCompletion;
  expected: unknown;
};

export function goldenContext(request: ResponsesRequest): ResponseContext {
  let next = 0;
  return {
    id: 'resp_golden',
    createdAt: 1_764_700_000,
    model: request.model,
    request,
    newItemId: (prefix) => `${prefix}_golden_${++next}`,
  };
}

describe('toResponseObject', () => {
  it('translates the golden completion: reasoning summary, message and call, incomplete after a length stop', () => {
    expect(toResponseObject(golden.completion, goldenContext(golden.request))).toEqual(golden.expected);
  });

  it('keeps reasoning out of the output when the client asked for no summary', () => {
    const request = { ...golden.request, reasoning: { effort: 'high' } };
    expect(toResponseObject(golden.completion, goldenContext(request)).output.map((item) => item.type)).toEqual([
      'message',
      'function_call',
    ]);
  });

  it('reports a content-filter stop as incomplete for that reason', () => {
    const completion = { ...golden.completion, choices: [{ ...golden.completion.choices[0], finish_reason: 'content_filter' as const }] };
    expect(toResponseObject(completion, goldenContext(golden.request))).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'content_filter' },
    });
  });
});

describe('usage', () => {
  it("counts Anthropic's cache reads as cached input when only the raw counter is there", () => {
    expect(toResponseUsage({ prompt_tokens: 100, completion_tokens: 5, total_tokens: 105, cache_read_input_tokens: 60 })).toEqual({
      input_tokens: 100,
      input_tokens_details: { cached_tokens: 60 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 105,
    });
  });

  it('reads an OpenAI response usage back into the chat usage the ledger prices, and ignores a malformed one', () => {
    expect(
      chatUsageOfResponse({
        input_tokens: 2000,
        input_tokens_details: { cached_tokens: 1536 },
        output_tokens: 40,
        output_tokens_details: { reasoning_tokens: 16 },
        total_tokens: 2040,
      }),
    ).toEqual({
      prompt_tokens: 2000,
      completion_tokens: 40,
      total_tokens: 2040,
      prompt_tokens_details: { cached_tokens: 1536 },
      completion_tokens_details: { reasoning_tokens: 16 },
    });
    expect(chatUsageOfResponse({ input_tokens: 'many' as never, output_tokens: 1 })).toBeUndefined();
  });
});
