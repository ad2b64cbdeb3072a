import type { ChatCompletionRequest } from '../openai.types';
import { ProviderRequestError } from '../provider-request.errors';
import basic from './__fixtures__/chat-request.basic.json';
import images from './__fixtures__/chat-request.images.json';
import toolRoundTrip from './__fixtures__/chat-request.tool-round-trip.json';
import { toOllamaChatRequest } from './chat-request.transform';

function rejection(run: () => unknown): { name: string; message: string; param: string | null } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderRequestError);
    const e = error as ProviderRequestError;
    return { name: e.name, message: e.message, param: e.param };
  }
  throw new Error('expected a ProviderRequestError');
}

function request(overrides: Partial<ChatCompletionRequest>): ChatCompletionRequest {
  return { model: 'm', messages: [{ role: 'user', content: 'hi' }], ...overrides };
}

describe('toOllamaChatRequest', () => {
  it('maps roles, sampling options, stop, max tokens and json_object format (golden)', () => {
    expect(toOllamaChatRequest(basic.openai as ChatCompletionRequest, { model: 'qwen2.5-coder:14b', stream: false })).toEqual(basic.ollama);
  });

  it('moves data: URL images into base64 `images` and joins text parts (golden)', () => {
    expect(toOllamaChatRequest(images.openai as ChatCompletionRequest, { model: 'llava:13b', stream: true })).toEqual(images.ollama);
  });

  it('round-trips tools: object arguments, tool_name from the calling id, json_schema format (golden)', () => {
    expect(toOllamaChatRequest(toolRoundTrip.openai as ChatCompletionRequest, { model: 'qwen2.5-coder:14b', stream: true })).toEqual(
      toolRoundTrip.ollama,
    );
  });

  it('always sends stream explicitly, because Ollama streams when it is absent', () => {
    expect(toOllamaChatRequest(request({ stream: true }), { model: 'llama3.2', stream: false })).toEqual({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'hi' }],
      stream: false,
    });
  });

  it('asks a thinking model to think, with a level where the model takes one (gpt-oss)', () => {
    expect(toOllamaChatRequest(request({ reasoning_effort: 'low' }), { model: 'qwen3:8b', stream: true }).think).toBe(true);
    expect(toOllamaChatRequest(request({ reasoning_effort: 'low' }), { model: 'gpt-oss:20b', stream: true }).think).toBe('low');
    expect(toOllamaChatRequest(request({}), { model: 'qwen3:8b', stream: true })).not.toHaveProperty('think');
  });

  it('falls back to max_tokens and keeps a stop array as is', () => {
    expect(toOllamaChatRequest(request({ max_tokens: 50, stop: ['a', 'b'], temperature: 0 }), { model: 'llama3.2', stream: true })).toEqual(
      {
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        options: { temperature: 0, stop: ['a', 'b'], num_predict: 50 },
      },
    );
  });

  it("drops the tools for tool_choice 'none' and keeps only the named tool for a named choice", () => {
    const tools = [
      { type: 'function' as const, function: { name: 'a', parameters: { type: 'object' } } },
      { type: 'function' as const, function: { name: 'b', description: 'B' } },
    ];
    expect(toOllamaChatRequest(request({ tools, tool_choice: 'none' }), { model: 'm', stream: false })).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      stream: false,
    });
    expect(
      toOllamaChatRequest(request({ tools, tool_choice: { type: 'function', function: { name: 'b' } } }), { model: 'm', stream: false }),
    ).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      stream: false,
      tools: [{ type: 'function', function: { name: 'b', description: 'B' } }],
    });
  });

  it('ignores response_format text', () => {
    expect(toOllamaChatRequest(request({ response_format: { type: 'text' } }), { model: 'm', stream: false })).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      stream: false,
    });
  });

  describe('rejects what Ollama cannot do, naming the parameter', () => {
    it('http image URLs, which Ollama cannot fetch', () => {
      const messages = [
        { role: 'system' as const, content: 'x' },
        { role: 'user' as const, content: [{ type: 'image_url' as const, image_url: { url: 'https://example.com/cat.png' } }] },
      ];
      expect(rejection(() => toOllamaChatRequest(request({ messages }), { model: 'm', stream: false }))).toEqual({
        name: 'ProviderRequestError',
        message: 'Ollama cannot fetch image URLs; send the image inline as a base64 data: URL',
        param: 'messages[1].content[0].image_url.url',
      });
    });

    it('data: URLs that are not base64', () => {
      const messages = [
        { role: 'user' as const, content: [{ type: 'image_url' as const, image_url: { url: 'data:image/svg+xml,%3Csvg%3E' } }] },
      ];
      expect(rejection(() => toOllamaChatRequest(request({ messages }), { model: 'm', stream: false }))).toEqual({
        name: 'ProviderRequestError',
        message: 'Image data: URLs must be base64-encoded',
        param: 'messages[0].content[0].image_url.url',
      });
    });

    it('assistant tool-call arguments that are not JSON', () => {
      const messages = [
        { role: 'user' as const, content: 'hi' },
        {
          role: 'assistant' as const,
          content: null,
          tool_calls: [{ id: 'c1', type: 'function' as const, function: { name: 'f', arguments: '{"city": Paris}' } }],
        },
      ];
      expect(rejection(() => toOllamaChatRequest(request({ messages }), { model: 'm', stream: false }))).toEqual({
        name: 'ProviderRequestError',
        message: 'Tool call arguments must be valid JSON',
        param: 'messages[1].tool_calls[0].function.arguments',
      });
    });

    it('assistant tool-call arguments that are JSON but not an object', () => {
      const messages = [
        {
          role: 'assistant' as const,
          content: null,
          tool_calls: [{ id: 'c1', type: 'function' as const, function: { name: 'f', arguments: '[1,2]' } }],
        },
      ];
      expect(rejection(() => toOllamaChatRequest(request({ messages }), { model: 'm', stream: false }))).toEqual({
        name: 'ProviderRequestError',
        message: 'Tool call arguments must be a JSON object',
        param: 'messages[0].tool_calls[0].function.arguments',
      });
    });

    it('content parts Ollama has no field for', () => {
      const messages = [{ role: 'user' as const, content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }];
      expect(
        rejection(() =>
          toOllamaChatRequest(request({ messages } as unknown as Partial<ChatCompletionRequest>), { model: 'm', stream: false }),
        ),
      ).toEqual({
        name: 'ProviderRequestError',
        message: "Ollama does not support content parts of type 'input_audio'",
        param: 'messages[0].content[0].type',
      });
    });

    it('n greater than 1', () => {
      expect(rejection(() => toOllamaChatRequest(request({ n: 2 }), { model: 'm', stream: false }))).toEqual({
        name: 'ProviderRequestError',
        message: 'Ollama returns a single choice; n must be 1',
        param: 'n',
      });
    });

    it('a json_schema response_format without a schema', () => {
      expect(
        rejection(() =>
          toOllamaChatRequest(request({ response_format: { type: 'json_schema', json_schema: { name: 'x' } } }), {
            model: 'm',
            stream: false,
          }),
        ),
      ).toEqual({
        name: 'ProviderRequestError',
        message: 'response_format.json_schema.schema must be a JSON schema object',
        param: 'response_format.json_schema.schema',
      });
    });
  });
});
