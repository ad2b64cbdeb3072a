import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ChatCompletionRequest, OpenAIMessage } from '../openai.types';
import { ProviderRequestError } from '../provider-request.errors';
import type { AnthropicMessagesRequest } from './anthropic.types';
import { type AnthropicRequestOptions, toAnthropicRequest } from './chat-request.transform';

interface RequestFixture {
  options: AnthropicRequestOptions;
  request: ChatCompletionRequest;
  expected: AnthropicMessagesRequest;
}

function fixture(name: string): RequestFixture {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8')) as RequestFixture;
}

const options: AnthropicRequestOptions = { model: 'claude-sonnet-4-6', defaultMaxTokens: 1024, stream: false };

function request(messages: OpenAIMessage[], extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return { model: 'sonnet', messages, ...extra };
}

function expected(messages: AnthropicMessagesRequest['messages'], extra: Partial<AnthropicMessagesRequest> = {}): AnthropicMessagesRequest {
  return { model: 'claude-sonnet-4-6', max_tokens: 1024, messages, stream: false, ...extra };
}

const question: OpenAIMessage = { role: 'user', content: 'Weather in Paris?' };
const questionTurn = { role: 'user' as const, content: [{ type: 'text' as const, text: 'Weather in Paris?' }] };
const weatherSchema = { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] };
const weatherTool = { type: 'function' as const, function: { name: 'get_weather', parameters: weatherSchema } };

describe('toAnthropicRequest', () => {
  it.each(['request-conversation.json', 'request-minimal.json'])('translates the golden request %s', (name) => {
    const { options: fixtureOptions, request: input, expected: output } = fixture(name);
    expect(toAnthropicRequest(input, fixtureOptions)).toEqual(output);
  });

  describe('tool_choice and parallel_tool_calls', () => {
    it.each<[string, ChatCompletionRequest['tool_choice'], boolean | undefined, AnthropicMessagesRequest['tool_choice']]>([
      ['auto', 'auto', undefined, { type: 'auto' }],
      ['required', 'required', undefined, { type: 'any' }],
      ['none', 'none', undefined, { type: 'none' }],
      ['a named function', { type: 'function', function: { name: 'get_weather' } }, undefined, { type: 'tool', name: 'get_weather' }],
      ['no choice, parallel off', undefined, false, { type: 'auto', disable_parallel_tool_use: true }],
      ['auto, parallel off', 'auto', false, { type: 'auto', disable_parallel_tool_use: true }],
      ['required, parallel off', 'required', false, { type: 'any', disable_parallel_tool_use: true }],
      [
        'a named function, parallel off',
        { type: 'function', function: { name: 'get_weather' } },
        false,
        { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
      ],
      ['none, parallel off (none takes no flag)', 'none', false, { type: 'none' }],
      ['auto, parallel on', 'auto', true, { type: 'auto' }],
      ['no choice, parallel on', undefined, true, undefined],
    ])('maps %s', (_name, toolChoice, parallel, anthropicChoice) => {
      const extra: Partial<ChatCompletionRequest> = { tools: [weatherTool] };
      if (toolChoice !== undefined) extra.tool_choice = toolChoice;
      if (parallel !== undefined) extra.parallel_tool_calls = parallel;
      const out: Partial<AnthropicMessagesRequest> = { tools: [{ name: 'get_weather', input_schema: weatherSchema }] };
      if (anthropicChoice) out.tool_choice = anthropicChoice;
      expect(toAnthropicRequest(request([question], extra), options)).toEqual(expected([questionTurn], out));
    });

    it('sends no tool_choice when there are no tools', () => {
      expect(toAnthropicRequest(request([question], { tools: [], tool_choice: 'required', parallel_tool_calls: false }), options)).toEqual(
        expected([questionTurn]),
      );
    });

    it('keeps cache_control on a tool, as LiteLLM allows', () => {
      const tool = { ...weatherTool, cache_control: { type: 'ephemeral' } } as typeof weatherTool;
      expect(toAnthropicRequest(request([question], { tools: [tool] }), options)).toEqual(
        expected([questionTurn], { tools: [{ name: 'get_weather', input_schema: weatherSchema, cache_control: { type: 'ephemeral' } }] }),
      );
    });
  });

  describe('turns', () => {
    const toolCall = { id: 'toolu_01', type: 'function' as const, function: { name: 'get_weather', arguments: '{"location":"Paris"}' } };

    it('puts tool results before a user message the client interjected between call and result', () => {
      const messages: OpenAIMessage[] = [
        question,
        { role: 'assistant', content: null, tool_calls: [toolCall] },
        { role: 'user', content: 'Hurry up.' },
        { role: 'tool', tool_call_id: 'toolu_01', content: 'Sunny' },
      ];
      expect(toAnthropicRequest(request(messages), options)).toEqual(
        expected([
          questionTurn,
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { location: 'Paris' } }] },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_01', content: 'Sunny' },
              { type: 'text', text: 'Hurry up.' },
            ],
          },
        ]),
      );
    });

    it('reads empty arguments as no arguments, omits an empty tool result, and drops empty messages', () => {
      const messages: OpenAIMessage[] = [
        question,
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ id: 'toolu_02', type: 'function', function: { name: 'get_time', arguments: '' } }],
        },
        { role: 'tool', tool_call_id: 'toolu_02', content: '' },
        { role: 'assistant', content: '   ' },
        {
          role: 'user',
          content: [
            { type: 'text', text: '' },
            { type: 'text', text: 'And now?' },
          ],
        },
      ];
      expect(toAnthropicRequest(request(messages), options)).toEqual(
        expected([
          questionTurn,
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_02', name: 'get_time', input: {} }] },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_02' },
              { type: 'text', text: 'And now?' },
            ],
          },
        ]),
      );
    });

    it('normalises image/jpg data URLs to image/jpeg', () => {
      const messages: OpenAIMessage[] = [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpg;base64,/9j/4AAQSkZJRg==' } }] },
      ];
      expect(toAnthropicRequest(request(messages), options)).toEqual(
        expected([
          { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQSkZJRg==' } }] },
        ]),
      );
    });
  });

  describe('sampling and metadata', () => {
    it('uses max_tokens when max_completion_tokens is absent, and drops an all-whitespace stop list', () => {
      expect(toAnthropicRequest(request([question], { max_tokens: 300, stop: ['\n', ' ', '\r\n'] }), options)).toEqual(
        expected([questionTurn], { max_tokens: 300 }),
      );
    });

    it('passes the Anthropic-only top_k and thinking through', () => {
      const thinking = { type: 'enabled', budget_tokens: 2048 };
      expect(toAnthropicRequest(request([question], { top_k: 40, thinking }), { ...options, stream: true })).toEqual(
        expected([questionTurn], { top_k: 40, thinking, stream: true }),
      );
    });

    it.each([
      ['an opaque id', 'user_2f9c1e', { metadata: { user_id: 'user_2f9c1e' } }],
      ['an email address', 'Jane <jane@example.org>', {}],
      ['a phone number', '+1 (415) 555-0100', {}],
      ['a bare phone number', '4155550100', {}],
    ])('sends metadata.user_id for %s only if it is not personal', (_name, user, extra) => {
      expect(toAnthropicRequest(request([question], { user }), options)).toEqual(expected([questionTurn], extra));
    });
  });

  describe('request errors', () => {
    function requestError(input: ChatCompletionRequest): { name: string; message: string; param: string | null } {
      try {
        toAnthropicRequest(input, options);
      } catch (error) {
        if (error instanceof ProviderRequestError) return { name: error.name, message: error.message, param: error.param };
        throw error;
      }
      throw new Error('expected a ProviderRequestError');
    }

    const withCall = (args: string): OpenAIMessage[] => [
      question,
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: args } }],
      },
    ];
    const withImage = (url: string): OpenAIMessage[] => [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look' },
          { type: 'image_url', image_url: { url } },
        ],
      },
    ];

    it.each<[string, ChatCompletionRequest, string, string | null]>([
      ['n > 1', request([question], { n: 2 }), 'Anthropic models return one choice per request; n must be 1', 'n'],
      ['logprobs', request([question], { logprobs: true }), 'Anthropic models do not return log probabilities', 'logprobs'],
      [
        'JSON response_format',
        request([question], { response_format: { type: 'json_object' } }),
        "response_format 'json_object' is not supported for Anthropic models; use tools instead",
        'response_format.type',
      ],
      [
        'invalid tool-call JSON',
        request(withCall('{"location": "Par')),
        'Tool call arguments are not valid JSON',
        'messages[1].tool_calls[0].function.arguments',
      ],
      [
        'tool-call JSON that is not an object',
        request(withCall('["Paris"]')),
        'Tool call arguments must be a JSON object',
        'messages[1].tool_calls[0].function.arguments',
      ],
      [
        'a tool message without tool_call_id',
        request([question, { role: 'tool', content: 'Sunny' }]),
        'Tool messages need a tool_call_id',
        'messages[1].tool_call_id',
      ],
      [
        'an ftp image',
        request(withImage('ftp://example.com/cat.png')),
        'image_url.url must be an http(s) URL or a base64 data URL',
        'messages[0].content[1].image_url.url',
      ],
      [
        'a data URL that is not base64',
        request(withImage('data:image/png,rawbytes')),
        'Image data URLs must be base64-encoded (data:<media type>;base64,<data>)',
        'messages[0].content[1].image_url.url',
      ],
      [
        'an SVG image',
        request(withImage('data:image/svg+xml;base64,PHN2Zz4=')),
        "Image media type 'image/svg+xml' is not supported by Anthropic (image/jpeg, image/png, image/gif, image/webp)",
        'messages[0].content[1].image_url.url',
      ],
      [
        'an audio part',
        request([{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] as never }]),
        "Content part type 'input_audio' is not supported for Anthropic models",
        'messages[0].content[0].type',
      ],
      [
        'an image in a system message',
        request([{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }, question]),
        'Only text content is supported in system messages for Anthropic models',
        'messages[0].content[0].type',
      ],
      [
        'the legacy function role',
        request([question, { role: 'function' as never, content: 'Sunny', name: 'get_weather' }]),
        "Message role 'function' is not supported for Anthropic models",
        'messages[1].role',
      ],
      [
        'only a system message',
        request([{ role: 'system', content: 'Be brief.' }]),
        'Anthropic models need at least one user or assistant message',
        'messages',
      ],
      ['max_tokens of zero', request([question], { max_tokens: 0 }), 'max_tokens must be a positive integer', 'max_tokens'],
      [
        'fractional max_completion_tokens',
        request([question], { max_completion_tokens: 10.5 }),
        'max_completion_tokens must be a positive integer',
        'max_completion_tokens',
      ],
      ['a non-string stop sequence', request([question], { stop: ['END', 7 as never] }), 'stop sequences must be strings', 'stop[1]'],
      [
        'a non-function tool',
        request([question], { tools: [{ type: 'custom', custom: { name: 'grep' } } as never] }),
        "Tool type 'custom' is not supported for Anthropic models",
        'tools[0].type',
      ],
      [
        'an unknown tool_choice',
        request([question], { tools: [weatherTool], tool_choice: 'sometimes' as never }),
        'tool_choice must be none, auto, required or {"type":"function","function":{"name":…}}',
        'tool_choice',
      ],
    ])('rejects %s, naming the param', (_name, input, message, param) => {
      expect(requestError(input)).toEqual({ name: 'ProviderRequestError', message, param });
    });
  });
});
