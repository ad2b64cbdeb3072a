import { createHash } from 'node:crypto';

import type {
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicMessagesRequest,
  AnthropicRequestContentBlock,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
} from '../anthropic/anthropic.types';
import type {
  ChatCompletionRequest,
  OpenAIContentPart,
  OpenAIImagePart,
  OpenAIMessage,
  OpenAITool,
  OpenAIToolCall,
  OpenAIToolChoice,
  ReasoningEffort,
} from '../openai.types';
import { ProviderRequestError } from '../provider-request.errors';

/**
 * Anthropic Messages request (from Claude Code or the Anthropic SDK) → OpenAI chat request, for an
 * alias whose deployment is OpenAI-compatible or Ollama. `model` stays the client's alias: the
 * OpenAI and Ollama adapters put the deployment's model in its place, and fitToDeployment adapts
 * what depends on the deployment (reasoning, output cap).
 *
 * Pure: throws ProviderRequestError (naming the offending field) for shapes that are invalid
 * Anthropic or that an OpenAI-shaped upstream cannot express, rather than sending something that
 * means less than the client asked for. The router treats that as this deployment's failure, not
 * the caller's: the next deployment or fallback (an Anthropic one takes everything) gets the request.
 *
 * Translated: `system` (top-level and, as Claude Code 2.1 sends them under the beta
 * mid-conversation-system-2026-04-07, system-role messages inside `messages`, kept in place: OpenAI
 * and Ollama accept system messages anywhere), `thinking` with `output_config.effort` →
 * `reasoning_effort`, `output_config.format` → `response_format`, `metadata.user_id` → `user`,
 * `tools`, `tool_choice`, `stop_sequences`, `temperature`, `top_p`, `stream`.
 * Dropped on purpose: see DROPPED_REQUEST_FIELDS, plus `cache_control` anywhere (OpenAI-compatible
 * upstreams cache prompts by themselves), thinking blocks (their signatures only mean something to
 * Anthropic), `is_error` on a tool result (no OpenAI field; the result's text says what went wrong)
 * and Claude Code's `x-anthropic-billing-header` system block (see systemText).
 * https://docs.anthropic.com/en/api/messages
 */
export function anthropicToOpenAIRequest(body: AnthropicMessagesRequest): ChatCompletionRequest {
  if (!isPlainObject(body)) throw new ProviderRequestError('The request body must be a JSON object', null);
  if (typeof body.model !== 'string' || body.model === '') throw new ProviderRequestError('model: Field required', 'model');
  if (body.max_tokens === undefined || body.max_tokens === null) throw new ProviderRequestError('max_tokens: Field required', 'max_tokens');
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
    throw new ProviderRequestError('max_tokens must be a positive integer', 'max_tokens');
  }
  if (!Array.isArray(body.messages)) throw new ProviderRequestError('messages must be an array', 'messages');
  if (body.messages.length === 0) throw new ProviderRequestError('messages: at least one message is required', 'messages');

  const messages: OpenAIMessage[] = [];
  const system = systemText(body.system, 'system');
  if (system !== null) messages.push({ role: 'system', content: system });
  body.messages.forEach((message, i) => messages.push(...toOpenAIMessages(message, `messages[${i}]`)));

  const request: ChatCompletionRequest = { model: body.model, messages, max_tokens: body.max_tokens };

  if (body.tools != null) {
    if (!Array.isArray(body.tools)) throw new ProviderRequestError('tools must be an array', 'tools');
    if (body.tools.length > 0) {
      request.tools = body.tools.map(toOpenAITool);
      // OpenAI rejects tool_choice and parallel_tool_calls without tools, so both ride only with them.
      if (body.tool_choice != null) {
        request.tool_choice = toOpenAIToolChoice(body.tool_choice);
        if ((body.tool_choice as { disable_parallel_tool_use?: unknown }).disable_parallel_tool_use === true) {
          request.parallel_tool_calls = false;
        }
      }
    }
  }

  if (body.stop_sequences != null) {
    if (!Array.isArray(body.stop_sequences) || body.stop_sequences.some((sequence) => typeof sequence !== 'string')) {
      throw new ProviderRequestError('stop_sequences must be an array of strings', 'stop_sequences');
    }
    if (body.stop_sequences.length > 0) request.stop = [...body.stop_sequences];
  }
  if (typeof body.temperature === 'number') request.temperature = body.temperature;
  if (typeof body.top_p === 'number') request.top_p = body.top_p;
  const userId = body.metadata?.user_id;
  if (typeof userId === 'string' && userId !== '') request.user = openAIUser(userId);
  const reasoningEffort = reasoningEffortOf(body);
  if (reasoningEffort) request.reasoning_effort = reasoningEffort;
  const responseFormat = responseFormatOf(body.output_config);
  if (responseFormat) request.response_format = responseFormat;
  if (typeof body.stream === 'boolean') request.stream = body.stream;
  // Without it an OpenAI stream carries no usage at all, and the Anthropic stream's message_delta
  // could only guess the token counts Claude Code tracks its context window with.
  if (body.stream === true) request.stream_options = { include_usage: true };
  return request;
}

/**
 * Top-level request fields with no OpenAI equivalent, dropped on purpose, and why. Every field Claude
 * Code sends by default is either translated (see anthropicToOpenAIRequest) or listed here; the
 * corpus test (test/fixtures/claude-code/corpus) fails when a new Claude Code release sends another.
 */
export const DROPPED_REQUEST_FIELDS: Readonly<Record<string, string>> = {
  top_k: 'OpenAI has no top_k, and OpenAI-compatible servers reject unknown sampling parameters',
  context_management:
    'asks Anthropic to clear old thinking blocks or tool results from the context server-side; the translated request carries no thinking blocks and sends the whole history, so the model sees more, never less — and Claude Code compacts by itself when the context fills',
};

/** Claude Code's first system block: Anthropic's billing attribution, with a hash that changes between requests. */
const BILLING_HEADER_BLOCK = /^x-anthropic-billing-header:/;

/**
 * Anthropic's system prompt may be split into blocks only so that parts of it can be cached. The
 * billing-header block means nothing to another provider, and as the first line of the prompt its
 * changing hash would defeat OpenAI's and llama.cpp's prefix caching of everything after it.
 */
function systemText(system: unknown, at: string): string | null {
  if (system == null) return null;
  if (typeof system === 'string') return system === '' ? null : system;
  if (!Array.isArray(system)) throw new ProviderRequestError(`${at} must be a string or an array of text blocks`, at);
  const texts = system.map((block: AnthropicTextBlock, i) => {
    if (block?.type !== 'text') {
      throw new ProviderRequestError(
        `system blocks must be of type 'text', not '${String((block as { type?: unknown })?.type)}'`,
        `${at}[${i}].type`,
      );
    }
    return textOf(block, `${at}[${i}]`);
  });
  const kept = texts.filter((text) => !BILLING_HEADER_BLOCK.test(text));
  return kept.length === 0 ? null : kept.join('\n');
}

/** OpenAI refuses a longer `user` ("Invalid 'user': string too long. Expected … maximum length 64"). */
const OPENAI_USER_MAX_LENGTH = 64;

/**
 * Claude Code puts its device/account/session id in `metadata.user_id`, and OpenAI's `user` is the
 * same idea (abuse tracking). Claude Code's is a ~150-character JSON object, so a longer id goes as
 * its SHA-256 in hex: exactly 64 characters, and still one stable value per user and session.
 */
function openAIUser(userId: string): string {
  return userId.length <= OPENAI_USER_MAX_LENGTH ? userId : createHash('sha256').update(userId).digest('hex');
}

/** Anthropic's budget_tokens (at least 1,024) on OpenAI's three-step scale. */
function effortOfBudget(budget: unknown): ReasoningEffort {
  if (typeof budget !== 'number' || !Number.isFinite(budget))
    throw new ProviderRequestError('thinking.budget_tokens must be a number', 'thinking.budget_tokens');
  if (budget < 4_096) return 'low';
  return budget < 16_384 ? 'medium' : 'high';
}

const EFFORTS: Record<string, ReasoningEffort> = { low: 'low', medium: 'medium', high: 'high', xhigh: 'high', max: 'high' };

/**
 * `thinking` → OpenAI's `reasoning_effort`, which Ollama takes as `think`. Claude Code 2.1 sends
 * `thinking: {type: "adaptive"}` with `output_config.effort`; older clients `{type: "enabled",
 * budget_tokens}`. Without thinking, `effort` only tunes how thorough Claude's answer is and has no
 * equivalent: a reasoning model keeps its own default. fitToDeployment drops the field for models
 * that cannot reason, which would refuse it.
 * https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking · https://docs.anthropic.com/en/docs/build-with-claude/effort
 */
function reasoningEffortOf(body: AnthropicMessagesRequest): ReasoningEffort | undefined {
  const thinking = body.thinking as { type?: unknown; budget_tokens?: unknown } | undefined;
  if (thinking == null) return undefined;
  if (!isPlainObject(thinking)) throw new ProviderRequestError('thinking must be an object', 'thinking');
  if (thinking.type === 'disabled') return undefined;
  if (thinking.type !== 'enabled' && thinking.type !== 'adaptive') {
    throw new ProviderRequestError(`thinking.type '${String(thinking.type)}' is not supported for this model`, 'thinking.type');
  }
  const effort = (body.output_config as { effort?: unknown } | undefined)?.effort;
  if (effort != null) {
    const mapped = typeof effort === 'string' ? EFFORTS[effort] : undefined;
    if (!mapped)
      throw new ProviderRequestError(`output_config.effort '${String(effort)}' is not supported for this model`, 'output_config.effort');
    return mapped;
  }
  // Adaptive thinking without an effort runs at Anthropic's default effort, high.
  return thinking.type === 'adaptive' ? 'high' : effortOfBudget(thinking.budget_tokens);
}

/**
 * Structured outputs (Claude Code's session-title call asks for `{"title": …}` this way) → OpenAI's
 * `response_format`, which the Ollama adapter turns into `format`. Not strict: OpenAI's strict mode
 * refuses schemas Anthropic accepts (optional properties).
 * https://docs.anthropic.com/en/docs/build-with-claude/structured-outputs
 */
function responseFormatOf(outputConfig: unknown): ChatCompletionRequest['response_format'] | undefined {
  if (outputConfig == null) return undefined;
  if (!isPlainObject(outputConfig)) throw new ProviderRequestError('output_config must be an object', 'output_config');
  const format = outputConfig.format as { type?: unknown; schema?: unknown } | null | undefined;
  if (format == null) return undefined;
  if (format.type !== 'json_schema') {
    throw new ProviderRequestError(
      `output_config.format.type '${String(format.type)}' is not supported for this model`,
      'output_config.format.type',
    );
  }
  if (!isPlainObject(format.schema))
    throw new ProviderRequestError('output_config.format.schema must be a JSON schema object', 'output_config.format.schema');
  return { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
}

function toOpenAIMessages(message: AnthropicMessageParam, at: string): OpenAIMessage[] {
  if (!isPlainObject(message)) throw new ProviderRequestError('Each message must be an object', at);
  const content = message.content as AnthropicMessageParam['content'];
  if (typeof content !== 'string' && !Array.isArray(content)) {
    throw new ProviderRequestError('content must be a string or an array of content blocks', `${at}.content`);
  }
  switch (message.role) {
    case 'user':
      return typeof content === 'string' ? [{ role: 'user', content }] : userMessages(content, at);
    case 'assistant':
      return typeof content === 'string' ? [{ role: 'assistant', content }] : assistantMessages(content, at);
    case 'system': {
      const text = systemText(content, `${at}.content`);
      return text === null ? [] : [{ role: 'system', content: text }];
    }
    default:
      throw new ProviderRequestError(
        `messages may only have the roles 'user', 'assistant' and 'system', not '${String((message as { role?: unknown }).role)}'`,
        `${at}.role`,
      );
  }
}

/**
 * One Anthropic user turn → OpenAI `tool` messages, then at most one user message. OpenAI wants each
 * tool result directly after the assistant message that called the tool, so the results come first
 * whatever their place in the turn (Anthropic requires them first too; clients do not always comply).
 *
 * OpenAI tool messages carry text only. Images inside a tool result (Claude Code's Read tool on a
 * screenshot) move into the user message that follows, ahead of the turn's own content, so the
 * model still sees them right after the results.
 */
function userMessages(blocks: AnthropicRequestContentBlock[], at: string): OpenAIMessage[] {
  const toolMessages: OpenAIMessage[] = [];
  const movedImages: OpenAIImagePart[] = [];
  const parts: OpenAIContentPart[] = [];
  blocks.forEach((block, j) => {
    const blockAt = `${at}.content[${j}]`;
    switch (block?.type) {
      case 'text':
        parts.push({ type: 'text', text: textOf(block, blockAt) });
        return;
      case 'image':
        parts.push(imagePart(block, blockAt));
        return;
      case 'tool_result': {
        const { message, images } = toolMessage(block, blockAt);
        toolMessages.push(message);
        movedImages.push(...images);
        return;
      }
      case 'thinking':
      case 'redacted_thinking':
        return;
      default:
        throw unsupportedBlock(block, blockAt, 'user');
    }
  });
  const userParts = [...movedImages, ...parts];
  return userParts.length === 0 ? toolMessages : [...toolMessages, { role: 'user', content: userParts }];
}

/**
 * Text as one string rather than parts: many OpenAI-compatible servers (llama.cpp, older vLLM chat
 * templates) accept only a string for assistant content. Blocks are split by tool calls, not by
 * meaning, so a newline between them loses nothing.
 */
function assistantMessages(blocks: AnthropicRequestContentBlock[], at: string): OpenAIMessage[] {
  const texts: string[] = [];
  const toolCalls: OpenAIToolCall[] = [];
  blocks.forEach((block, j) => {
    const blockAt = `${at}.content[${j}]`;
    switch (block?.type) {
      case 'text':
        texts.push(textOf(block, blockAt));
        return;
      case 'tool_use':
        toolCalls.push(toolCall(block, blockAt));
        return;
      case 'thinking':
      case 'redacted_thinking':
        return;
      default:
        throw unsupportedBlock(block, blockAt, 'assistant');
    }
  });
  // A turn of nothing but thinking has nothing left to say; an empty assistant message would be rejected.
  if (texts.length === 0 && toolCalls.length === 0) return [];
  const message: OpenAIMessage = { role: 'assistant', content: texts.length > 0 ? texts.join('\n') : null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return [message];
}

function textOf(block: AnthropicTextBlock, at: string): string {
  if (typeof block.text !== 'string') throw new ProviderRequestError('text must be a string', `${at}.text`);
  return block.text;
}

/** https://platform.openai.com/docs/guides/images-vision: base64 images travel as data URLs. */
function imagePart(block: AnthropicImageBlock, at: string): OpenAIImagePart {
  const source = block.source as Partial<{ type: string; media_type: string; data: string; url: string }> | undefined;
  if (source?.type === 'base64') {
    if (typeof source.media_type !== 'string' || source.media_type === '') {
      throw new ProviderRequestError('Image sources of type base64 need a media_type', `${at}.source.media_type`);
    }
    if (typeof source.data !== 'string' || source.data === '') {
      throw new ProviderRequestError('Image sources of type base64 need data', `${at}.source.data`);
    }
    return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  }
  if (source?.type === 'url') {
    if (typeof source.url !== 'string' || source.url === '')
      throw new ProviderRequestError('Image sources of type url need a url', `${at}.source.url`);
    return { type: 'image_url', image_url: { url: source.url } };
  }
  throw new ProviderRequestError(
    `Image source type '${String(source?.type)}' is not supported for this model; send base64 or url sources`,
    `${at}.source.type`,
  );
}

function toolCall(block: AnthropicToolUseBlock, at: string): OpenAIToolCall {
  if (typeof block.id !== 'string' || block.id === '') throw new ProviderRequestError('tool_use blocks need an id', `${at}.id`);
  if (typeof block.name !== 'string' || block.name === '') throw new ProviderRequestError('tool_use blocks need a name', `${at}.name`);
  if (block.input != null && !isPlainObject(block.input)) throw new ProviderRequestError('tool_use input must be an object', `${at}.input`);
  // OpenAI carries arguments as a JSON string; its clients JSON.parse them, and '' would not parse.
  return { id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } };
}

function toolMessage(block: AnthropicToolResultBlock, at: string): { message: OpenAIMessage; images: OpenAIImagePart[] } {
  if (typeof block.tool_use_id !== 'string' || block.tool_use_id === '') {
    throw new ProviderRequestError('tool_result blocks need a tool_use_id', `${at}.tool_use_id`);
  }
  const texts: string[] = [];
  const images: OpenAIImagePart[] = [];
  const content = block.content;
  if (typeof content === 'string') texts.push(content);
  else if (Array.isArray(content)) {
    content.forEach((inner, k) => {
      const innerAt = `${at}.content[${k}]`;
      if (inner?.type === 'text') texts.push(textOf(inner, innerAt));
      else if (inner?.type === 'image') images.push(imagePart(inner, innerAt));
      else throw unsupportedBlock(inner, innerAt, 'tool_result');
    });
  } else if (content != null) {
    throw new ProviderRequestError('tool_result content must be a string or an array of blocks', `${at}.content`);
  }
  return { message: { role: 'tool', tool_call_id: block.tool_use_id, content: texts.join('\n') }, images };
}

function unsupportedBlock(block: unknown, at: string, where: string): ProviderRequestError {
  const type = (block as { type?: unknown } | null)?.type;
  return new ProviderRequestError(`Content block type '${String(type)}' is not supported in ${where} content for this model`, `${at}.type`);
}

function toOpenAITool(tool: AnthropicTool, i: number): OpenAITool {
  const at = `tools[${i}]`;
  if (!isPlainObject(tool)) throw new ProviderRequestError('Each tool must be an object', at);
  // Server tools (web_search_…, code_execution_…) run inside Anthropic; nothing else can run them.
  const type = (tool as { type?: unknown }).type;
  if (type !== undefined && type !== 'custom') {
    throw new ProviderRequestError(
      `Tool type '${String(type)}' runs only on Anthropic's servers and is not supported for this model`,
      `${at}.type`,
    );
  }
  if (typeof tool.name !== 'string' || tool.name === '') throw new ProviderRequestError('Tools need a name', `${at}.name`);
  if (!isPlainObject(tool.input_schema)) throw new ProviderRequestError('Tools need an input_schema object', `${at}.input_schema`);
  const fn: OpenAITool['function'] = { name: tool.name };
  if (typeof tool.description === 'string' && tool.description !== '') fn.description = tool.description;
  fn.parameters = tool.input_schema;
  return { type: 'function', function: fn };
}

function toOpenAIToolChoice(choice: AnthropicToolChoice): OpenAIToolChoice {
  switch ((choice as { type?: unknown })?.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool': {
      const name = (choice as { name?: unknown }).name;
      if (typeof name !== 'string' || name === '')
        throw new ProviderRequestError('tool_choice of type tool needs a name', 'tool_choice.name');
      return { type: 'function', function: { name } };
    }
    default:
      throw new ProviderRequestError('tool_choice.type must be auto, any, none or tool', 'tool_choice.type');
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
