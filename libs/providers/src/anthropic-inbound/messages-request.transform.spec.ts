import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { AnthropicMessageParam, AnthropicMessagesRequest, AnthropicToolChoice } from '../anthropic/anthropic.types';
import type { ChatCompletionRequest, OpenAIMessage } from '../openai.types';
import { ProviderRequestError } from '../provider-request.errors';
import { anthropicToOpenAIRequest, DROPPED_REQUEST_FIELDS } from './messages-request.transform';

const CORPUS = join(__dirname, '../../../../test/fixtures/claude-code/corpus');

interface RequestFixture {
  request: AnthropicMessagesRequest;
  expected: ChatCompletionRequest;
}

function fixture(name: string): RequestFixture {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8')) as RequestFixture;
}

function body(messages: AnthropicMessageParam[], extra: Partial<AnthropicMessagesRequest> = {}): AnthropicMessagesRequest {
  return { model: 'gpt', max_tokens: 1024, messages, ...extra };
}

/** The translation of `body(messages, extra)` has these messages (and no system message). */
function messagesOf(messages: AnthropicMessageParam[], extra: Partial<AnthropicMessagesRequest> = {}): OpenAIMessage[] {
  return anthropicToOpenAIRequest(body(messages, extra)).messages;
}

const question: AnthropicMessageParam = { role: 'user', content: 'Weather in Paris?' };
const weatherSchema = { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] };
const weatherTool = { name: 'get_weather', description: 'Current weather', input_schema: weatherSchema };
const openAIWeatherTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather', parameters: weatherSchema },
};
const askedForWeather: AnthropicMessageParam = {
  role: 'assistant',
  content: [{ type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { location: 'Paris' } }],
};
const calledWeather: OpenAIMessage = {
  role: 'assistant',
  content: null,
  tool_calls: [{ id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
};
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

describe('anthropicToOpenAIRequest', () => {
  it('translates the golden Claude Code request', () => {
    const { request, expected } = fixture('request-claude-code.json');
    expect(anthropicToOpenAIRequest(request)).toEqual(expected);
  });

  it('translates a minimal non-streaming request without adding fields the client did not send', () => {
    expect(anthropicToOpenAIRequest(body([question], { system: 'Be brief.', stream: false }))).toEqual({
      model: 'gpt',
      max_tokens: 1024,
      stream: false,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris?' },
      ],
    });
  });

  it('carries sampling and stop fields, and drops top_k, thinking and empty systems and stop lists', () => {
    expect(
      anthropicToOpenAIRequest(
        body([question], {
          system: [],
          temperature: 0.2,
          top_p: 0.9,
          top_k: 40,
          stop_sequences: ['</answer>', '\n\nHuman:'],
          thinking: { type: 'disabled' },
        }),
      ),
    ).toEqual({
      model: 'gpt',
      max_tokens: 1024,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['</answer>', '\n\nHuman:'],
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect(anthropicToOpenAIRequest(body([question], { system: '', stop_sequences: [] }))).toEqual({
      model: 'gpt',
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
  });

  describe('Claude Code 2.1 fields', () => {
    it('keeps system-role messages in place in the conversation (mid-conversation-system beta)', () => {
      const reminder = { role: 'system', content: 'Available agent types for the Agent tool: …' } as AnthropicMessageParam;
      const blocks = {
        role: 'system',
        content: [
          { type: 'text', text: 'Skills: …' },
          { type: 'text', text: 'More.' },
        ],
      } as AnthropicMessageParam;
      expect(messagesOf([question, reminder, askedForWeather, blocks], { system: 'Be brief.' })).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'system', content: 'Available agent types for the Agent tool: …' },
        calledWeather,
        { role: 'system', content: 'Skills: …\nMore.' },
      ]);
    });

    it("drops the billing-header system block, whose changing hash would defeat the upstream's prefix cache", () => {
      const system = [
        { type: 'text' as const, text: 'x-anthropic-billing-header: cc_version=2.1.197.e32; cc_entrypoint=sdk-cli;' },
        { type: 'text' as const, text: 'You are a Claude agent.', cache_control: { type: 'ephemeral' as const } },
      ];
      expect(messagesOf([question], { system })[0]).toEqual({ role: 'system', content: 'You are a Claude agent.' });
    });

    it.each<[string, Partial<AnthropicMessagesRequest>, ChatCompletionRequest['reasoning_effort']]>([
      ['adaptive thinking at high effort (Claude Code 2.1)', { thinking: { type: 'adaptive' }, output_config: { effort: 'high' } }, 'high'],
      ['adaptive thinking at low effort', { thinking: { type: 'adaptive' }, output_config: { effort: 'low' } }, 'low'],
      ['adaptive thinking at max effort', { thinking: { type: 'adaptive' }, output_config: { effort: 'max' } }, 'high'],
      ["adaptive thinking at Anthropic's default effort", { thinking: { type: 'adaptive' } }, 'high'],
      ['a small thinking budget', { thinking: { type: 'enabled', budget_tokens: 1024 } }, 'low'],
      ['a middling thinking budget', { thinking: { type: 'enabled', budget_tokens: 8000 } }, 'medium'],
      ['a large thinking budget', { thinking: { type: 'enabled', budget_tokens: 31999 } }, 'high'],
      ['thinking disabled', { thinking: { type: 'disabled' }, output_config: { effort: 'high' } }, undefined],
      ['effort without thinking (Claude Code subagents)', { output_config: { effort: 'high' } }, undefined],
    ])('maps %s to reasoning_effort %s', (_name, extra, effort) => {
      expect(anthropicToOpenAIRequest(body([question], extra)).reasoning_effort).toBe(effort);
    });

    it('turns a json_schema output format (the session-title call) into response_format', () => {
      const schema = { type: 'object', properties: { title: { type: 'string' } }, required: ['title'], additionalProperties: false };
      const request = anthropicToOpenAIRequest(
        body([question], { output_config: { effort: 'high', format: { type: 'json_schema', schema } } }),
      );
      expect(request.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema } });
      expect(request.reasoning_effort).toBeUndefined();
    });

    it("sends Claude Code's ~150-character user_id as its SHA-256, within OpenAI's 64-character limit on user", () => {
      const userId = JSON.stringify({ device_id: 'd'.repeat(64), account_uuid: '', session_id: '5e55a1d0-0000-4000-8000-000000000001' });
      expect(anthropicToOpenAIRequest(body([question], { metadata: { user_id: userId } })).user).toBe(
        createHash('sha256').update(userId).digest('hex'),
      );
      expect(anthropicToOpenAIRequest(body([question], { metadata: { user_id: 'user-42' } })).user).toBe('user-42');
    });

    it('drops context_management, for the reason DROPPED_REQUEST_FIELDS gives', () => {
      const request = anthropicToOpenAIRequest(
        body([question], { context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] } }),
      );
      expect(request).toEqual({ model: 'gpt', max_tokens: 1024, messages: [{ role: 'user', content: 'Weather in Paris?' }] });
      expect(DROPPED_REQUEST_FIELDS.context_management).toMatch(/sees more, never less/);
    });
  });

  describe('the recorded Claude Code 2.1.197 corpus (test/fixtures/claude-code/corpus)', () => {
    const TRANSLATED = [
      'model',
      'messages',
      'system',
      'tools',
      'tool_choice',
      'metadata',
      'max_tokens',
      'thinking',
      'output_config',
      'stream',
      'stop_sequences',
      'temperature',
      'top_p',
    ];
    const corpus = readdirSync(CORPUS).map(
      (file) =>
        [
          file,
          (JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as { request: { body: AnthropicMessagesRequest } }).request.body,
        ] as const,
    );

    it.each(corpus)('%s: every field Claude Code sends is translated or dropped for a documented reason', (_file, request) => {
      const unhandled = Object.keys(request).filter((field) => !TRANSLATED.includes(field) && !(field in DROPPED_REQUEST_FIELDS));
      expect(unhandled).toEqual([]);
    });

    it.each(corpus.filter(([file]) => file !== 'count-tokens.json'))('%s translates without refusing anything', (_file, request) => {
      const translated = anthropicToOpenAIRequest(request);
      expect(translated.messages.length).toBeGreaterThan(0);
      expect(JSON.stringify(translated)).not.toContain('x-anthropic-billing-header');
    });
  });

  describe('tool_choice', () => {
    it.each<[string, AnthropicToolChoice, Partial<ChatCompletionRequest>]>([
      ['auto', { type: 'auto' }, { tool_choice: 'auto' }],
      ['any', { type: 'any' }, { tool_choice: 'required' }],
      ['none', { type: 'none' }, { tool_choice: 'none' }],
      ['a named tool', { type: 'tool', name: 'get_weather' }, { tool_choice: { type: 'function', function: { name: 'get_weather' } } }],
      [
        'auto without parallel calls',
        { type: 'auto', disable_parallel_tool_use: true },
        { tool_choice: 'auto', parallel_tool_calls: false },
      ],
      [
        'any without parallel calls',
        { type: 'any', disable_parallel_tool_use: true },
        { tool_choice: 'required', parallel_tool_calls: false },
      ],
      [
        'a named tool without parallel calls',
        { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
        { tool_choice: { type: 'function', function: { name: 'get_weather' } }, parallel_tool_calls: false },
      ],
      ['auto with parallel calls allowed', { type: 'auto', disable_parallel_tool_use: false }, { tool_choice: 'auto' }],
    ])('maps %s', (_name, toolChoice, expected) => {
      expect(anthropicToOpenAIRequest(body([question], { tools: [weatherTool], tool_choice: toolChoice }))).toEqual({
        model: 'gpt',
        max_tokens: 1024,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [openAIWeatherTool],
        ...expected,
      });
    });

    it('drops tool_choice when there are no tools, which OpenAI would reject', () => {
      const request = anthropicToOpenAIRequest(
        body([question], { tools: [], tool_choice: { type: 'any', disable_parallel_tool_use: true } }),
      );
      expect(request).toEqual({ model: 'gpt', max_tokens: 1024, messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    });
  });

  describe('tool results', () => {
    it('puts tool messages before the rest of the user turn, whatever their order in it', () => {
      expect(
        messagesOf([
          question,
          askedForWeather,
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Here you go.' },
              { type: 'tool_result', tool_use_id: 'toolu_01', content: '15 degrees' },
              { type: 'image', source: { type: 'url', url: 'https://example.com/radar.png' } },
            ],
          },
        ]),
      ).toEqual([
        { role: 'user', content: 'Weather in Paris?' },
        calledWeather,
        { role: 'tool', tool_call_id: 'toolu_01', content: '15 degrees' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Here you go.' },
            { type: 'image_url', image_url: { url: 'https://example.com/radar.png' } },
          ],
        },
      ]);
    });

    it('joins text blocks, keeps an error result as plain text, and sends empty content as ""', () => {
      const twoCalls: AnthropicMessageParam = {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { location: 'Paris' } },
          { type: 'tool_use', id: 'toolu_02', name: 'get_time', input: {} },
          { type: 'tool_use', id: 'toolu_03', name: 'get_date', input: {} },
        ],
      };
      expect(
        messagesOf([
          question,
          twoCalls,
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 'toolu_01',
                content: [
                  { type: 'text', text: '15 degrees' },
                  { type: 'text', text: 'cloudy' },
                ],
              },
              { type: 'tool_result', tool_use_id: 'toolu_02', content: 'Error: clock unavailable', is_error: true },
              { type: 'tool_result', tool_use_id: 'toolu_03' },
            ],
          },
        ]),
      ).toEqual([
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
            { id: 'toolu_02', type: 'function', function: { name: 'get_time', arguments: '{}' } },
            { id: 'toolu_03', type: 'function', function: { name: 'get_date', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01', content: '15 degrees\ncloudy' },
        { role: 'tool', tool_call_id: 'toolu_02', content: 'Error: clock unavailable' },
        { role: 'tool', tool_call_id: 'toolu_03', content: '' },
      ]);
    });

    it('moves images out of tool results (OpenAI tool messages are text only) into a user message right after', () => {
      const readScreenshot: AnthropicMessageParam = {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_09', name: 'Read', input: { file_path: '/tmp/shot.png' } }],
      };
      expect(
        messagesOf([
          question,
          readScreenshot,
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 'toolu_09',
                content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PIXEL } }],
              },
              { type: 'text', text: 'What is on it?' },
            ],
          },
        ]),
      ).toEqual([
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'toolu_09', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/tmp/shot.png"}' } }],
        },
        { role: 'tool', tool_call_id: 'toolu_09', content: '' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PIXEL}` } },
            { type: 'text', text: 'What is on it?' },
          ],
        },
      ]);
    });
  });

  it('joins assistant text blocks into one string and drops turns that held only thinking', () => {
    expect(
      messagesOf([
        question,
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'Hmm.', signature: 'sig' }] },
        { role: 'user', content: 'Well?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'It is' },
            { type: 'redacted_thinking', data: 'opaque' },
            { type: 'text', text: 'sunny.' },
          ],
        },
      ]),
    ).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'user', content: 'Well?' },
      { role: 'assistant', content: 'It is\nsunny.' },
    ]);
  });

  describe('rejects invalid shapes with a ProviderRequestError naming the field', () => {
    function requestError(input: unknown): { name: string; message: string; param: string | null } {
      try {
        anthropicToOpenAIRequest(input as AnthropicMessagesRequest);
      } catch (error) {
        if (error instanceof ProviderRequestError) return { name: error.name, message: error.message, param: error.param };
        throw error;
      }
      throw new Error('expected a ProviderRequestError');
    }

    const valid = body([question]);
    it.each<[string, unknown, string | null, string]>([
      ['a body that is not an object', [], null, 'The request body must be a JSON object'],
      ['a missing model', { ...valid, model: undefined }, 'model', 'model: Field required'],
      ['a missing max_tokens', { ...valid, max_tokens: undefined }, 'max_tokens', 'max_tokens: Field required'],
      ['a zero max_tokens', { ...valid, max_tokens: 0 }, 'max_tokens', 'max_tokens must be a positive integer'],
      ['a fractional max_tokens', { ...valid, max_tokens: 10.5 }, 'max_tokens', 'max_tokens must be a positive integer'],
      ['messages that are not an array', { ...valid, messages: { role: 'user', content: 'hi' } }, 'messages', 'messages must be an array'],
      ['no messages', { ...valid, messages: [] }, 'messages', 'messages: at least one message is required'],
      [
        'a tool role inside messages',
        { ...valid, messages: [{ role: 'tool', content: 'hi' }] },
        'messages[0].role',
        "messages may only have the roles 'user', 'assistant' and 'system', not 'tool'",
      ],
      [
        'a thinking type no one knows',
        { ...valid, thinking: { type: 'eager' } },
        'thinking.type',
        "thinking.type 'eager' is not supported for this model",
      ],
      [
        'an effort no one knows',
        { ...valid, thinking: { type: 'adaptive' }, output_config: { effort: 'extreme' } },
        'output_config.effort',
        "output_config.effort 'extreme' is not supported for this model",
      ],
      [
        'an output format other than json_schema',
        { ...valid, output_config: { format: { type: 'grammar' } } },
        'output_config.format.type',
        "output_config.format.type 'grammar' is not supported for this model",
      ],
      [
        'a json_schema output format without a schema',
        { ...valid, output_config: { format: { type: 'json_schema' } } },
        'output_config.format.schema',
        'output_config.format.schema must be a JSON schema object',
      ],
      [
        'content that is neither string nor array',
        { ...valid, messages: [{ role: 'user', content: 42 }] },
        'messages[0].content',
        'content must be a string or an array of content blocks',
      ],
      [
        'an unknown block type',
        { ...valid, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', data: 'x' } }] }] },
        'messages[0].content[0].type',
        "Content block type 'document' is not supported in user content for this model",
      ],
      [
        'a tool_use block in a user turn',
        { ...valid, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 't', name: 'n', input: {} }] }] },
        'messages[0].content[0].type',
        "Content block type 'tool_use' is not supported in user content for this model",
      ],
      [
        'an image in an assistant turn',
        {
          ...valid,
          messages: [question, { role: 'assistant', content: [{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }] }],
        },
        'messages[1].content[0].type',
        "Content block type 'image' is not supported in assistant content for this model",
      ],
      [
        'a tool_result without tool_use_id',
        { ...valid, messages: [question, askedForWeather, { role: 'user', content: [{ type: 'tool_result', content: '15 degrees' }] }] },
        'messages[2].content[0].tool_use_id',
        'tool_result blocks need a tool_use_id',
      ],
      [
        'a tool_result holding an unknown block',
        {
          ...valid,
          messages: [
            question,
            askedForWeather,
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: [{ type: 'search_result' }] }] },
          ],
        },
        'messages[2].content[0].content[0].type',
        "Content block type 'search_result' is not supported in tool_result content for this model",
      ],
      [
        'a tool_use without an id',
        { ...valid, messages: [question, { role: 'assistant', content: [{ type: 'tool_use', name: 'get_weather', input: {} }] }] },
        'messages[1].content[0].id',
        'tool_use blocks need an id',
      ],
      [
        'a tool_use whose input is not an object',
        { ...valid, messages: [question, { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'n', input: '{}' }] }] },
        'messages[1].content[0].input',
        'tool_use input must be an object',
      ],
      [
        'an image from the Files API',
        { ...valid, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_01' } }] }] },
        'messages[0].content[0].source.type',
        "Image source type 'file' is not supported for this model; send base64 or url sources",
      ],
      [
        'a base64 image without media_type',
        { ...valid, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', data: PIXEL } }] }] },
        'messages[0].content[0].source.media_type',
        'Image sources of type base64 need a media_type',
      ],
      [
        'a system block that is not text',
        { ...valid, system: [{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }] },
        'system[0].type',
        "system blocks must be of type 'text', not 'image'",
      ],
      [
        'a server tool',
        { ...valid, tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }] },
        'tools[0].type',
        "Tool type 'web_search_20250305' runs only on Anthropic's servers and is not supported for this model",
      ],
      [
        'a tool without input_schema',
        { ...valid, tools: [{ name: 'get_weather' }] },
        'tools[0].input_schema',
        'Tools need an input_schema object',
      ],
      [
        'an unknown tool_choice type',
        { ...valid, tools: [weatherTool], tool_choice: { type: 'required' } },
        'tool_choice.type',
        'tool_choice.type must be auto, any, none or tool',
      ],
      [
        'a named tool_choice without a name',
        { ...valid, tools: [weatherTool], tool_choice: { type: 'tool' } },
        'tool_choice.name',
        'tool_choice of type tool needs a name',
      ],
      [
        'stop_sequences that are not strings',
        { ...valid, stop_sequences: ['ok', 3] },
        'stop_sequences',
        'stop_sequences must be an array of strings',
      ],
    ])('%s', (_name, input, param, message) => {
      expect(requestError(input)).toEqual({ name: 'ProviderRequestError', message, param });
    });
  });
});
