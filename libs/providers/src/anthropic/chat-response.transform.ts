import type { ChatCompletion, ChatCompletionMessage, ChatUsage, FinishReason, OpenAIToolCall } from '../openai.types';
import { isTokenCount, optionalTokenCount } from '../token-count';
import type { AnthropicMessage, AnthropicStopReason } from './anthropic.types';

/**
 * Anthropic's stop reasons in OpenAI's vocabulary. `pause_turn` (a server tool paused a long turn)
 * has no OpenAI counterpart; the text so far is a complete answer to show, so it is `stop`.
 */
export function toFinishReason(stopReason: AnthropicStopReason | null | undefined): FinishReason | null {
  switch (stopReason) {
    case null:
    case undefined:
      return null;
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** The token counts an Anthropic message reports, with absent cache counters as zero. */
export interface AnthropicTokenCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
  /** Thinking tokens, already included in `output`; undefined when Anthropic did not break them out. */
  thinking?: number;
}

/**
 * Anthropic's usage object, checked: `input_tokens` and `output_tokens` must be token counts, and the
 * cache counters too where present. Anything else — missing, negative, fractional, a string — is no
 * usage at all, so spend bills its conservative estimate instead of trusting it.
 */
export function anthropicTokenCounts(usage: unknown): AnthropicTokenCounts | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const u = usage as Record<string, unknown>;
  const cacheRead = optionalTokenCount(u.cache_read_input_tokens);
  const cacheCreation = optionalTokenCount(u.cache_creation_input_tokens);
  if (!isTokenCount(u.input_tokens) || !isTokenCount(u.output_tokens) || cacheRead === undefined || cacheCreation === undefined)
    return undefined;
  const thinking = (u.output_tokens_details as { thinking_tokens?: unknown } | null | undefined)?.thinking_tokens;
  const counts: AnthropicTokenCounts = { input: u.input_tokens, output: u.output_tokens, cacheRead, cacheCreation };
  if (isTokenCount(thinking)) counts.thinking = thinking;
  return counts;
}

/**
 * Anthropic's `input_tokens` excludes cached tokens, while OpenAI's `prompt_tokens` includes them
 * and reports reads as `cached_tokens`. The raw cache counters ride along so spend can price cache
 * writes and reads at their own rates.
 */
export function toChatUsage(counts: AnthropicTokenCounts): ChatUsage {
  const promptTokens = counts.input + counts.cacheRead + counts.cacheCreation;
  const usage: ChatUsage = {
    prompt_tokens: promptTokens,
    completion_tokens: counts.output,
    total_tokens: promptTokens + counts.output,
    prompt_tokens_details: { cached_tokens: counts.cacheRead },
    cache_read_input_tokens: counts.cacheRead,
    cache_creation_input_tokens: counts.cacheCreation,
  };
  if (counts.thinking !== undefined) usage.completion_tokens_details = { reasoning_tokens: counts.thinking };
  return usage;
}

/**
 * Anthropic Messages response → OpenAI chat completion. `now` is in milliseconds (Date.now()).
 * Thinking goes to `reasoning_content`, the field LiteLLM uses, so it never leaks into `content`.
 */
export function fromAnthropicMessage(message: AnthropicMessage, now: number = Date.now()): ChatCompletion {
  const texts: string[] = [];
  const thoughts: string[] = [];
  const toolCalls: OpenAIToolCall[] = [];
  for (const block of message.content ?? []) {
    switch (block.type) {
      case 'text':
        texts.push(block.text);
        break;
      case 'thinking':
        thoughts.push(block.thinking);
        break;
      case 'tool_use':
        toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
        break;
      case 'redacted_thinking':
        // Encrypted, and server-tool blocks are Anthropic's own business: nothing to show.
        break;
    }
  }

  const chatMessage: ChatCompletionMessage = { role: 'assistant', content: texts.length > 0 ? texts.join('') : null };
  if (toolCalls.length > 0) chatMessage.tool_calls = toolCalls;
  if (thoughts.length > 0) chatMessage.reasoning_content = thoughts.join('');

  return {
    id: message.id,
    object: 'chat.completion',
    created: Math.floor(now / 1000),
    model: message.model,
    choices: [{ index: 0, message: chatMessage, finish_reason: toFinishReason(message.stop_reason), logprobs: null }],
    usage: anthropicChatUsage(message.usage),
  };
}

/** Anthropic usage in OpenAI's shape, or undefined when the upstream's usage cannot be trusted. */
export function anthropicChatUsage(usage: unknown): ChatUsage | undefined {
  const counts = anthropicTokenCounts(usage);
  return counts && toChatUsage(counts);
}
