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

/** Tokens an image may cost at most (Anthropic caps images near 1,600 tokens; OpenAI high detail below 1,500). */
const IMAGE_TOKEN_BOUND = 2_000;
/** Per-message framing tokens (role markers, separators) — a generous bound for every tokenizer in use. */
const MESSAGE_OVERHEAD_TOKENS = 8;

/**
 * A true upper bound of a request's input tokens without a tokenizer: no tokenizer in use emits
 * more tokens than UTF-8 bytes for text, so the byte length of the JSON that carries the prompt
 * bounds it from above; images referenced by URL get a fixed bound.
 */
export function inputTokensUpperBound(request: { messages?: unknown; tools?: unknown; system?: unknown; input?: unknown }): number {
  let bound = Buffer.byteLength(JSON.stringify(request.messages ?? [])) + Buffer.byteLength(JSON.stringify(request.tools ?? []));
  if (request.input !== undefined) bound += Buffer.byteLength(JSON.stringify(request.input));
  if (request.system !== undefined) bound += Buffer.byteLength(JSON.stringify(request.system));
  for (const message of Array.isArray(request.messages) ? (request.messages as { content?: unknown }[]) : []) {
    bound += MESSAGE_OVERHEAD_TOKENS;
    if (Array.isArray(message.content)) {
      for (const part of message.content as { type?: string; image_url?: { url?: string }; source?: { type?: string } }[]) {
        const byUrl = (part.type === 'image_url' && !part.image_url?.url?.startsWith('data:')) || (part.type === 'image' && part.source?.type === 'url');
        if (byUrl) bound += IMAGE_TOKEN_BOUND;
      }
    }
  }
  return bound;
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

/**
 * Output tokens the upstream may produce: what the request allows, else what the adapter will
 * ask for by default (Anthropic requires one), else the model's maximum. Never capped by the
 * catalog: if a request asks for more than we think the model allows, the bound must still hold.
 */
export function maxOutputTokensOf(request: { max_tokens?: number | null; max_completion_tokens?: number | null }, pricing: ModelPricing, adapterDefault?: number): number {
  return request.max_completion_tokens ?? request.max_tokens ?? adapterDefault ?? pricing.maxOutputTokens;
}
