import { type ChatUsage, isTokenCount, optionalTokenCount } from '@tollgate/providers';

import type { TokenCounts } from './cost';

/** What a believable usage report must fit in, from the bounds the call's reservation was sized by. */
export interface UsageLimits {
  /** The most prompt tokens the call can have had: the model's context window or the measured bound, whichever is larger. */
  maxPromptTokens: number;
  /** The output limit the upstream was given, times the choices asked for. */
  maxCompletionTokens: number;
  /** Output reached the gateway, so a completion of zero tokens is not the truth. */
  outputReceived: boolean;
}

/**
 * The upstream's usage as token counts, or undefined when it cannot be believed: every count a whole
 * non-negative number, cached parts no larger than the prompt, some input (no call has none), and
 * nothing beyond what the model or the call's output limit allows. Settlement bills an estimate
 * instead of anything this refuses, so a lying or broken upstream can neither credit a budget with
 * negative tokens nor push it past its reservation with impossible ones.
 */
export function trustedTokenCounts(usage: ChatUsage | null | undefined, limits: UsageLimits): TokenCounts | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const prompt: unknown = usage.prompt_tokens;
  const completion: unknown = usage.completion_tokens;
  const cacheRead = optionalTokenCount(usage.cache_read_input_tokens ?? usage.prompt_tokens_details?.cached_tokens);
  const cacheWrite = optionalTokenCount(usage.cache_creation_input_tokens);
  if (!isTokenCount(prompt) || !isTokenCount(completion) || cacheRead === undefined || cacheWrite === undefined) return undefined;
  if (cacheRead + cacheWrite > prompt || prompt === 0 || prompt > limits.maxPromptTokens) return undefined;
  if (completion > limits.maxCompletionTokens || (completion === 0 && limits.outputReceived)) return undefined;
  return { promptTokens: prompt, completionTokens: completion, cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite };
}
