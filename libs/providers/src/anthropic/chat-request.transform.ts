import type { ChatCompletionRequest, OpenAIContentPart, OpenAIMessage, OpenAITool, OpenAIToolChoice } from '../openai.types';
import { ProviderRequestError } from '../provider-request.errors';
import type {
  AnthropicCacheControl,
  AnthropicImageBlock,
  AnthropicImageMediaType,
  AnthropicMessagesRequest,
  AnthropicRequestContentBlock,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
} from './anthropic.types';

export interface AnthropicRequestOptions {
  /** The deployment's upstream model name; the client's `model` is the gateway alias. */
  model: string;
  /** Anthropic requires `max_tokens`; used when the client sets neither max field. */
  defaultMaxTokens: number;
  stream: boolean;
}

interface Turn {
  role: 'user' | 'assistant';
  content: AnthropicRequestContentBlock[];
}

/**
 * OpenAI chat-completions request → Anthropic Messages request. Pure: throws ProviderRequestError
 * (HTTP 400 for the client, naming the offending field) for anything Anthropic cannot express,
 * rather than silently sending something that means less than the client asked for.
 * https://docs.anthropic.com/en/api/openai-sdk documents Anthropic's own reading of these fields.
 */
export function toAnthropicRequest(request: ChatCompletionRequest, options: AnthropicRequestOptions): AnthropicMessagesRequest {
  rejectUnsupportedShapes(request);
  if (!Array.isArray(request.messages)) throw new ProviderRequestError('messages must be an array', 'messages');

  const system: AnthropicTextBlock[] = [];
  const turns: Turn[] = [];
  request.messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    switch (message?.role) {
      case 'system':
      case 'developer':
        system.push(...textOnlyBlocks(message, at, 'system'));
        return;
      case 'user':
        appendTurn(turns, 'user', userBlocks(message, at));
        return;
      case 'assistant':
        appendTurn(turns, 'assistant', assistantBlocks(message, at));
        return;
      case 'tool':
        appendTurn(turns, 'user', [toolResultBlock(message, at)]);
        return;
      default:
        throw new ProviderRequestError(`Message role '${String(message?.role)}' is not supported for Anthropic models`, `${at}.role`);
    }
  });
  if (turns.length === 0) {
    throw new ProviderRequestError('Anthropic models need at least one user or assistant message', 'messages');
  }
  for (const turn of turns) if (turn.role === 'user') putToolResultsFirst(turn);

  const body: AnthropicMessagesRequest = {
    model: options.model,
    max_tokens: maxTokens(request, options.defaultMaxTokens),
    messages: turns,
  };
  if (system.length > 0) body.system = system;

  const tools = (request.tools ?? []).map(toAnthropicTool);
  if (tools.length > 0) {
    body.tools = tools;
    // Without tools a tool_choice means nothing, and Anthropic rejects it.
    const choice = toAnthropicToolChoice(request.tool_choice, request.parallel_tool_calls);
    if (choice) body.tool_choice = choice;
  }

  const stopSequences = toStopSequences(request.stop);
  if (stopSequences.length > 0) body.stop_sequences = stopSequences;
  if (typeof request.temperature === 'number') body.temperature = request.temperature;
  if (typeof request.top_p === 'number') body.top_p = request.top_p;
  // Anthropic-only knobs LiteLLM users pass through the OpenAI shape.
  if (typeof request.top_k === 'number') body.top_k = request.top_k;
  if (isPlainObject(request.thinking)) body.thinking = request.thinking;
  if (typeof request.user === 'string' && request.user !== '' && !looksPersonal(request.user)) {
    body.metadata = { user_id: request.user };
  }
  body.stream = options.stream;
  return body;
}

/** Fields whose OpenAI meaning changes the shape of the answer and that Anthropic cannot honour. */
function rejectUnsupportedShapes(request: ChatCompletionRequest): void {
  if (request.n != null && request.n !== 1) {
    throw new ProviderRequestError('Anthropic models return one choice per request; n must be 1', 'n');
  }
  if (request.logprobs === true) {
    throw new ProviderRequestError('Anthropic models do not return log probabilities', 'logprobs');
  }
  const format = request.response_format?.type;
  if (format !== undefined && format !== 'text') {
    throw new ProviderRequestError(
      `response_format '${format}' is not supported for Anthropic models; use tools instead`,
      'response_format.type',
    );
  }
}

function maxTokens(request: ChatCompletionRequest, defaultMaxTokens: number): number {
  // max_completion_tokens supersedes the deprecated max_tokens when a client sends both.
  const param = request.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
  const value = request.max_completion_tokens ?? request.max_tokens;
  if (value == null) return defaultMaxTokens;
  if (!Number.isInteger(value) || value < 1) throw new ProviderRequestError(`${param} must be a positive integer`, param);
  return value;
}

/** Anthropic requires strict user/assistant alternation, so same-role neighbours become one turn. */
function appendTurn(turns: Turn[], role: Turn['role'], blocks: AnthropicRequestContentBlock[]): void {
  // A message with nothing to say (empty string, null content) would be rejected as empty; drop it.
  if (blocks.length === 0) return;
  const last = turns[turns.length - 1];
  if (last?.role === role) last.content.push(...blocks);
  else turns.push({ role, content: blocks });
}

/**
 * Anthropic requires a user turn's tool_result blocks to come before any other content; a client
 * that interjects a user message between the tool call and its result would otherwise get a 400.
 * https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use
 */
function putToolResultsFirst(turn: Turn): void {
  const results = turn.content.filter((block) => block.type === 'tool_result');
  if (results.length === 0) return;
  turn.content = [...results, ...turn.content.filter((block) => block.type !== 'tool_result')];
}

function contentParts(content: OpenAIMessage['content'], at: string): OpenAIContentPart[] {
  if (content == null) return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (Array.isArray(content)) return content;
  throw new ProviderRequestError('content must be a string or an array of content parts', `${at}.content`);
}

/**
 * Anthropic rejects empty and whitespace-only text blocks, which OpenAI accepts; dropping them
 * changes nothing the model would have seen.
 */
function textBlock(part: OpenAIContentPart & { type: 'text' }, at: string): AnthropicTextBlock | null {
  if (typeof part.text !== 'string') throw new ProviderRequestError('text must be a string', `${at}.text`);
  if (part.text.trim() === '') return null;
  return withCacheControl<AnthropicTextBlock>({ type: 'text', text: part.text }, part);
}

function textOnlyBlocks(message: OpenAIMessage, at: string, where: string): AnthropicTextBlock[] {
  const blocks: AnthropicTextBlock[] = [];
  contentParts(message.content, at).forEach((part, j) => {
    if (part?.type !== 'text') {
      throw new ProviderRequestError(
        `Only text content is supported in ${where} messages for Anthropic models`,
        `${at}.content[${j}].type`,
      );
    }
    const block = textBlock(part, `${at}.content[${j}]`);
    if (block) blocks.push(block);
  });
  return blocks;
}

function userBlocks(message: OpenAIMessage, at: string): AnthropicRequestContentBlock[] {
  const blocks: AnthropicRequestContentBlock[] = [];
  contentParts(message.content, at).forEach((part, j) => {
    const partAt = typeof message.content === 'string' ? `${at}.content` : `${at}.content[${j}]`;
    if (part?.type === 'text') {
      const block = textBlock(part, partAt);
      if (block) blocks.push(block);
    } else if (part?.type === 'image_url') {
      blocks.push(imageBlock(part, partAt));
    } else {
      const type = String((part as { type?: unknown } | null)?.type);
      throw new ProviderRequestError(`Content part type '${type}' is not supported for Anthropic models`, `${partAt}.type`);
    }
  });
  return blocks;
}

const IMAGE_MEDIA_TYPES = new Set<string>(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/**
 * `data:` URLs become base64 sources, http(s) URLs become url sources that Anthropic fetches itself.
 * https://docs.anthropic.com/en/docs/build-with-claude/vision
 */
function imageBlock(part: OpenAIContentPart & { type: 'image_url' }, at: string): AnthropicImageBlock {
  const urlAt = `${at}.image_url.url`;
  const url = part.image_url?.url;
  if (typeof url !== 'string' || url === '') throw new ProviderRequestError('image_url.url must be a non-empty string', urlAt);

  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    const [mediaTypeRaw = '', ...parameters] = url.slice(5, comma === -1 ? undefined : comma).split(';');
    if (comma === -1 || !parameters.includes('base64')) {
      throw new ProviderRequestError('Image data URLs must be base64-encoded (data:<media type>;base64,<data>)', urlAt);
    }
    // `image/jpg` is not a registered type but is common in the wild.
    const mediaType = mediaTypeRaw.toLowerCase() === 'image/jpg' ? 'image/jpeg' : mediaTypeRaw.toLowerCase();
    if (!IMAGE_MEDIA_TYPES.has(mediaType)) {
      throw new ProviderRequestError(
        `Image media type '${mediaTypeRaw}' is not supported by Anthropic (image/jpeg, image/png, image/gif, image/webp)`,
        urlAt,
      );
    }
    return withCacheControl<AnthropicImageBlock>(
      { type: 'image', source: { type: 'base64', media_type: mediaType as AnthropicImageMediaType, data: url.slice(comma + 1) } },
      part,
    );
  }
  if (/^https?:\/\//i.test(url)) return withCacheControl<AnthropicImageBlock>({ type: 'image', source: { type: 'url', url } }, part);
  throw new ProviderRequestError('image_url.url must be an http(s) URL or a base64 data URL', urlAt);
}

function assistantBlocks(message: OpenAIMessage, at: string): AnthropicRequestContentBlock[] {
  const blocks: AnthropicRequestContentBlock[] = textOnlyBlocks(message, at, 'assistant');
  if (message.tool_calls != null && !Array.isArray(message.tool_calls)) {
    throw new ProviderRequestError('tool_calls must be an array', `${at}.tool_calls`);
  }
  (message.tool_calls ?? []).forEach((call, j) => blocks.push(toolUseBlock(call, `${at}.tool_calls[${j}]`)));
  return blocks;
}

function toolUseBlock(call: NonNullable<OpenAIMessage['tool_calls']>[number], at: string): AnthropicToolUseBlock {
  if (call?.type !== undefined && call.type !== 'function') {
    throw new ProviderRequestError(`Tool call type '${String(call.type)}' is not supported for Anthropic models`, `${at}.type`);
  }
  if (typeof call?.id !== 'string' || call.id === '') throw new ProviderRequestError('Tool calls need an id', `${at}.id`);
  const name = call.function?.name;
  if (typeof name !== 'string' || name === '') throw new ProviderRequestError('Tool calls need a function name', `${at}.function.name`);
  return { type: 'tool_use', id: call.id, name, input: parseToolArguments(call.function.arguments, `${at}.function.arguments`) };
}

/** OpenAI carries tool arguments as a JSON string; Anthropic needs the object itself. */
function parseToolArguments(value: unknown, at: string): Record<string, unknown> {
  // Some clients send the object itself, or an empty string for a tool without parameters.
  if (isPlainObject(value)) return value;
  if (value == null || (typeof value === 'string' && value.trim() === '')) return {};
  if (typeof value !== 'string') throw new ProviderRequestError('Tool call arguments must be a JSON string', at);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ProviderRequestError('Tool call arguments are not valid JSON', at);
  }
  if (!isPlainObject(parsed)) throw new ProviderRequestError('Tool call arguments must be a JSON object', at);
  return parsed;
}

function toolResultBlock(message: OpenAIMessage, at: string): AnthropicToolResultBlock {
  if (typeof message.tool_call_id !== 'string' || message.tool_call_id === '') {
    throw new ProviderRequestError('Tool messages need a tool_call_id', `${at}.tool_call_id`);
  }
  const block: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: message.tool_call_id };
  if (typeof message.content === 'string') {
    // An empty result is legal in OpenAI; Anthropic's `content` is optional but must not be an empty text.
    if (message.content !== '') block.content = message.content;
    return block;
  }
  const blocks = userBlocks(message, at) as (AnthropicTextBlock | AnthropicImageBlock)[];
  if (blocks.length > 0) block.content = blocks;
  return block;
}

function toAnthropicTool(tool: OpenAITool, i: number): AnthropicTool {
  if (tool?.type !== 'function') {
    throw new ProviderRequestError(`Tool type '${String(tool?.type)}' is not supported for Anthropic models`, `tools[${i}].type`);
  }
  const name = tool.function?.name;
  if (typeof name !== 'string' || name === '') throw new ProviderRequestError('Tools need a function name', `tools[${i}].function.name`);
  const out: AnthropicTool = {
    name,
    // OpenAI allows a function without parameters; Anthropic requires a schema.
    input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
  };
  if (typeof tool.function.description === 'string' && tool.function.description !== '') out.description = tool.function.description;
  return withCacheControl(out, tool);
}

function toAnthropicToolChoice(
  choice: OpenAIToolChoice | null | undefined,
  parallelToolCalls: boolean | undefined,
): AnthropicToolChoice | undefined {
  let mapped: AnthropicToolChoice | undefined;
  if (choice == null) mapped = undefined;
  else if (choice === 'auto') mapped = { type: 'auto' };
  else if (choice === 'required') mapped = { type: 'any' };
  else if (choice === 'none') mapped = { type: 'none' };
  else if (typeof choice === 'object' && choice.type === 'function' && typeof choice.function?.name === 'string') {
    mapped = { type: 'tool', name: choice.function.name };
  } else {
    throw new ProviderRequestError('tool_choice must be none, auto, required or {"type":"function","function":{"name":…}}', 'tool_choice');
  }
  // Anthropic's `none` takes no parallelism flag: no tool call at all is trivially not parallel.
  if (parallelToolCalls === false && mapped?.type !== 'none') {
    mapped = { ...(mapped ?? { type: 'auto' }), disable_parallel_tool_use: true };
  }
  return mapped;
}

/** Anthropic rejects whitespace-only stop sequences; OpenAI clients send "\n" and " " freely. */
function toStopSequences(stop: ChatCompletionRequest['stop']): string[] {
  if (stop == null) return [];
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list)) throw new ProviderRequestError('stop must be a string or an array of strings', 'stop');
  list.forEach((sequence, i) => {
    if (typeof sequence !== 'string') throw new ProviderRequestError('stop sequences must be strings', `stop[${i}]`);
  });
  return list.filter((sequence) => sequence.trim() !== '');
}

/**
 * Anthropic asks for an opaque id in `metadata.user_id` and forbids emails and phone numbers there.
 * A value that looks like either is withheld rather than sent; purely numeric ids of phone-number
 * length are withheld too, which costs only abuse-tracking precision.
 * https://docs.anthropic.com/en/api/messages (metadata.user_id)
 */
function looksPersonal(user: string): boolean {
  if (/[^\s@]+@[^\s@]+\.[^\s@]+/.test(user)) return true;
  return /^\+?\d{7,15}$/.test(user.replace(/[\s().-]/g, ''));
}

/** LiteLLM lets OpenAI-shaped parts and tools carry Anthropic's `cache_control`; prompt caching is money. */
function withCacheControl<T extends { cache_control?: AnthropicCacheControl }>(block: T, source: unknown): T {
  const cacheControl = (source as { cache_control?: unknown } | null)?.cache_control;
  if (isPlainObject(cacheControl)) block.cache_control = cacheControl as unknown as AnthropicCacheControl;
  return block;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
