import { inputItemsOf, ProviderRequestError, toChatCompletionRequest } from '@tollgate/providers';
import fc from 'fast-check';

import { InvalidRequestError } from '../common/invalid-request.errors';
import { validateResponsesRequest } from './responses-request.validation';

/** Validation then translation, as a request to a translated deployment goes through them. */
function accept(body: unknown): void {
  const request = validateResponsesRequest(body);
  toChatCompletionRequest(request, inputItemsOf(request.input));
}

function outcomeOf(body: unknown): 'accepted' | 'refused' {
  try {
    accept(body);
    return 'accepted';
  } catch (error) {
    if (error instanceof InvalidRequestError || error instanceof ProviderRequestError) return 'refused';
    throw error;
  }
}

const part = fc.oneof(
  fc.record(
    {
      type: fc.constantFrom('input_text', 'output_text', 'input_image', 'refusal', 'input_file'),
      text: fc.anything(),
      image_url: fc.anything(),
      refusal: fc.anything(),
    },
    { requiredKeys: ['type'] },
  ),
  fc.anything(),
);
const item = fc.oneof(
  fc.record({
    type: fc.constantFrom('message', undefined),
    role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'developer'), fc.anything()),
    content: fc.oneof(fc.string(), fc.array(part, { maxLength: 3 }), fc.anything()),
  }),
  fc.record({ type: fc.constant('function_call'), call_id: fc.anything(), name: fc.anything(), arguments: fc.anything() }),
  fc.record({
    type: fc.constant('function_call_output'),
    call_id: fc.anything(),
    output: fc.oneof(fc.string(), fc.array(part, { maxLength: 3 }), fc.anything()),
  }),
  fc.record({ type: fc.constantFrom('reasoning', 'item_reference', 'web_search_call'), summary: fc.anything() }),
  fc.anything(),
);

describe('Responses request validation and translation', () => {
  it('answers any body an attacker sends with a 400 naming the field, never an internal error', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            model: fc.oneof(fc.constant('m'), fc.anything()),
            input: fc.oneof(fc.string(), fc.array(item, { maxLength: 4 }), fc.anything()),
            instructions: fc.anything(),
            tools: fc.oneof(
              fc.array(
                fc.record({
                  type: fc.oneof(fc.constantFrom('function', 'web_search'), fc.anything()),
                  name: fc.anything(),
                  parameters: fc.anything(),
                }),
                { maxLength: 3 },
              ),
              fc.anything(),
            ),
            tool_choice: fc.anything(),
            text: fc.oneof(
              fc.record({
                format: fc.record({
                  type: fc.constantFrom('text', 'json_object', 'json_schema'),
                  name: fc.anything(),
                  schema: fc.anything(),
                }),
              }),
              fc.anything(),
            ),
            reasoning: fc.anything(),
            metadata: fc.anything(),
            max_output_tokens: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        (body) => {
          outcomeOf(body);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses a function call whose arguments are not a JSON string, which every backend translation would choke on', () => {
    expect(outcomeOf({ model: 'm', input: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: { cmd: 'ls' } }] })).toBe(
      'refused',
    );
  });

  it('refuses text parts whose text is not a string instead of sending "[object Object]"', () => {
    expect(outcomeOf({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: { evil: true } }] }] })).toBe('refused');
  });
});
