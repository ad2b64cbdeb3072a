import type {
  AnthropicMessage,
  AnthropicMessageDeltaUsage,
  AnthropicResponseContentBlock,
  AnthropicStopReason,
} from '../anthropic/anthropic.types';
import type { ChatCompletion, ChatUsage, FinishReason } from '../openai.types';

/**
 * OpenAI chat completion → Anthropic Messages response, for a client that called `/v1/messages`.
 * `requestedModel` is what the client asked for (the alias), which the Anthropic SDK echoes back
 * to its caller; the upstream's model name would leak the deployment behind the alias.
 * https://docs.anthropic.com/en/api/messages
 */
export function openAIToAnthropicMessage(completion: ChatCompletion, requestedModel: string): AnthropicMessage {
  const messageId = toAnthropicMessageId(completion.id, completion.created);
  const message = completion.choices?.[0]?.message;
  const content: AnthropicResponseContentBlock[] = [];

  // A structured refusal (content null, refusal set) is still the answer the user should read.
  const text = nonEmptyString(message?.content) ?? nonEmptyString(message?.refusal);
  if (text !== undefined) content.push({ type: 'text', text });

  (message?.tool_calls ?? []).forEach((call, i) => {
    content.push({
      type: 'tool_use',
      id: nonEmptyString(call?.id) ?? fallbackToolUseId(messageId, i),
      name: call?.function?.name ?? '',
      input: parseToolInput(call?.function?.arguments),
    });
  });

  const hasToolUse = content.some((block) => block.type === 'tool_use');
  return {
    id: messageId,
    type: 'message',
    role: 'assistant',
    model: requestedModel,
    content,
    stop_reason: toAnthropicStopReason(completion.choices?.[0]?.finish_reason ?? null, hasToolUse),
    // OpenAI does not say which stop sequence matched, so `stop_sequence` is never derivable.
    stop_sequence: null,
    usage: toAnthropicUsage(completion.usage),
  };
}

/**
 * OpenAI finish reasons in Anthropic's vocabulary. `stop` cannot tell end_turn from stop_sequence,
 * so it is end_turn. Some OpenAI-compatible servers (vLLM, older Ollama `/v1`) answer tool calls
 * with `stop`; Anthropic clients run tools only on `tool_use`, so tool calls win over `stop`.
 */
export function toAnthropicStopReason(finishReason: FinishReason | null, hasToolUse: boolean): AnthropicStopReason {
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return hasToolUse ? 'tool_use' : 'end_turn';
  }
}

export interface AnthropicTokenUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

/**
 * OpenAI's `prompt_tokens` includes cached tokens; Anthropic's `input_tokens` excludes both cache
 * reads and cache writes (total input = input + cache_read + cache_creation). Cache writes only
 * appear when the usage came from our own Anthropic translation, which keeps the raw counters.
 */
export function toAnthropicUsage(usage: ChatUsage | null | undefined): AnthropicTokenUsage {
  const prompt = count(usage?.prompt_tokens);
  const cacheRead = count(usage?.prompt_tokens_details?.cached_tokens ?? usage?.cache_read_input_tokens);
  const cacheCreation = count(usage?.cache_creation_input_tokens);
  return {
    input_tokens: Math.max(0, prompt - cacheRead - cacheCreation),
    output_tokens: count(usage?.completion_tokens),
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheCreation,
  };
}

/** The `message_delta` usage for a stream whose final OpenAI usage is known. */
export function toAnthropicDeltaUsage(usage: ChatUsage): AnthropicMessageDeltaUsage {
  const { input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens } = toAnthropicUsage(usage);
  return { output_tokens, input_tokens, cache_read_input_tokens, cache_creation_input_tokens };
}

/**
 * `msg_` + the upstream id with anything outside [A-Za-z0-9_-] removed, so the id stays safe in
 * headers and logs. An id that already is a message id is kept as it is.
 */
export function toAnthropicMessageId(completionId: string | null | undefined, created?: number): string {
  const cleaned = (completionId ?? '').replace(/[^A-Za-z0-9_-]/g, '');
  if (cleaned.startsWith('msg_')) return cleaned;
  // Deterministic rather than random, so the transform stays pure and golden-testable.
  return `msg_${cleaned || `tollgate_${created ?? 0}`}`;
}

/** Anthropic clients answer a tool_use with its id, so a call the upstream left without one needs one. */
export function fallbackToolUseId(messageId: string, toolIndex: number): string {
  return `toolu_${messageId.replace(/^msg_/, '')}_${toolIndex}`;
}

/**
 * Anthropic's `input` is an object. Arguments that are empty or not a JSON object (a model cut off
 * by max_tokens) become `{}`: a response must still be valid, and the stop reason tells the story.
 * Some OpenAI-compatible servers send the object itself instead of a string.
 */
export function parseToolInput(argumentsJson: unknown): Record<string, unknown> {
  if (isPlainObject(argumentsJson)) return argumentsJson;
  if (typeof argumentsJson !== 'string' || argumentsJson.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(argumentsJson);
    return isPlainObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
