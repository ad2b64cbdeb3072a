import type { ChatUsage } from '@tollgate/providers';

import type { ModelPricing } from './price-catalog';

/** Token counts as the ledger keeps them: fresh input, cache reads and cache writes apart. */
export interface TokenCounts {
  /** Every input token, cached or not (OpenAI's prompt_tokens). */
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export function tokenCountsOf(usage: ChatUsage | undefined): TokenCounts {
  if (!usage) return { promptTokens: 0, completionTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  const cacheRead = usage.cache_read_input_tokens ?? usage.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    promptTokens: usage.prompt_tokens ?? 0,
    completionTokens: usage.completion_tokens ?? 0,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
  };
}

/**
 * Exact cost in nano-dollars. Cache reads and writes are part of prompt_tokens (OpenAI's shape;
 * the Anthropic transform adds them in) and are priced at their own rates; the rest at the input rate.
 */
export function costNanos(tokens: TokenCounts, pricing: ModelPricing): number {
  const p = pricing.prices;
  const fresh = Math.max(0, tokens.promptTokens - tokens.cacheReadTokens - tokens.cacheWriteTokens);
  return Math.round(
    fresh * p.inputPerToken +
      tokens.cacheReadTokens * p.cacheReadPerToken +
      tokens.cacheWriteTokens * p.cacheWritePerToken +
      tokens.completionTokens * p.outputPerToken,
  );
}

/** Per-message framing tokens (role markers, separators) — a generous bound for every tokenizer in use. */
const MESSAGE_OVERHEAD_TOKENS = 8;
/**
 * Tokens a provider adds on its own when a request carries tools: Anthropic's tool-use system prompt
 * (up to 346 tokens on current models, more with computer use), OpenAI's function namespace preamble.
 * https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview#pricing
 */
const TOOLS_OVERHEAD_TOKENS = 2_000;

/**
 * A true upper bound of the input tokens the gateway can measure, without a tokenizer: no tokenizer
 * in use emits more tokens than UTF-8 bytes for text, so the byte length of the JSON that carries
 * the prompt bounds it from above. Media and references (see hasUnmeasuredInput) are not measured here.
 */
export function inputTokensUpperBound(request: { messages?: unknown; tools?: unknown; system?: unknown; input?: unknown }): number {
  let bound = Buffer.byteLength(JSON.stringify(request.messages ?? [])) + Buffer.byteLength(JSON.stringify(request.tools ?? []));
  if (request.input !== undefined) bound += Buffer.byteLength(JSON.stringify(request.input));
  if (request.system !== undefined) bound += Buffer.byteLength(JSON.stringify(request.system));
  if (Array.isArray(request.messages)) bound += request.messages.length * MESSAGE_OVERHEAD_TOKENS;
  if (Array.isArray(request.tools) && request.tools.length > 0) bound += TOOLS_OVERHEAD_TOKENS;
  return bound;
}

/**
 * Content the provider turns into tokens by a rule the gateway cannot apply to the bytes it sees: an
 * image (OpenAI's gpt-4o-mini bills one at up to ~48,000 tokens), a PDF (every page is also an image),
 * audio, and anything fetched by reference (a URL, a Files API id). Text, tool calls and their
 * results are measured; every other part type, known or not, counts as unmeasured.
 */
const MEASURED_PART_TYPES = new Set(['text', 'input_text', 'refusal', 'tool_use', 'thinking', 'redacted_thinking']);

/** Whether the request carries input that only the model's context window bounds. */
export function hasUnmeasuredInput(request: { messages?: unknown }): boolean {
  const unmeasured = (part: unknown): boolean => {
    if (typeof part !== 'object' || part === null) return false;
    const { type, content } = part as { type?: unknown; content?: unknown };
    // A tool result is text, but may hold images or documents of its own (one level deep, as the APIs allow).
    if (type === 'tool_result')
      return (
        Array.isArray(content) &&
        content.some(
          (inner) => typeof inner === 'object' && inner !== null && !MEASURED_PART_TYPES.has((inner as { type?: unknown }).type as string),
        )
      );
    return !MEASURED_PART_TYPES.has(type as string);
  };
  const messages = Array.isArray(request.messages) ? request.messages : [];
  return messages.some((message: unknown) => {
    const content = (message as { content?: unknown } | null)?.content;
    return Array.isArray(content) && content.some(unmeasured);
  });
}

/**
 * The input tokens a call may be billed for on a model: the measured bound, or — when part of the
 * input cannot be measured — the model's context window, the true ceiling on any input.
 */
export function inputTokensBoundFor(measured: number, unmeasured: boolean, pricing: ModelPricing): number {
  return unmeasured ? Math.max(measured, pricing.maxInputTokens) : measured;
}

/**
 * The most a call can cost: every input token at the dearest input rate (a cache write costs
 * more than fresh input) plus the largest output the request allows, times `n` choices.
 */
export function costUpperBoundNanos(inputTokensBound: number, maxOutputTokens: number, choices: number, pricing: ModelPricing): number {
  const p = pricing.prices;
  const inputRate = Math.max(p.inputPerToken, p.cacheWritePerToken, p.cacheReadPerToken);
  return Math.ceil(inputTokensBound * inputRate + maxOutputTokens * Math.max(1, choices) * p.outputPerToken);
}
