import length from './__fixtures__/chat-response.length.json';
import text from './__fixtures__/chat-response.text.json';
import toolCalls from './__fixtures__/chat-response.tool-calls.json';
import { fromOllamaChatResponse } from './chat-response.transform';
import type { OllamaChatResponse } from './ollama.types';

describe('fromOllamaChatResponse', () => {
  it.each([
    ['plain text, done_reason stop', text],
    ['tool calls with thinking: ids derived from the completion id, arguments as JSON strings', toolCalls],
    ['length cut-off with a prompt count omitted by Ollama', length],
  ])('%s (golden)', (_name, fixture) => {
    expect(fromOllamaChatResponse(fixture.ollama as OllamaChatResponse, fixture.context)).toEqual(fixture.openai);
  });

  it('keeps an id Ollama gave a tool call', () => {
    const completion = fromOllamaChatResponse(
      {
        model: 'm',
        created_at: '2025-01-01T00:00:00Z',
        message: { role: 'assistant', content: 'Calling.', tool_calls: [{ id: 'call_upstream', function: { name: 'f', arguments: {} } }] },
        done: true,
        done_reason: 'stop',
        prompt_eval_count: 5,
        eval_count: 2,
      },
      { now: 1_735_689_600_000, id: 'chatcmpl-x' },
    );
    expect(completion).toEqual({
      id: 'chatcmpl-x',
      object: 'chat.completion',
      created: 1_735_689_600,
      model: 'm',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Calling.',
            tool_calls: [{ id: 'call_upstream', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    });
  });
});
