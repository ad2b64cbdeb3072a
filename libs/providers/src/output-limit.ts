import type { Deployment } from './deployment';
import type { ChatCompletionRequest } from './openai.types';

/** Used when neither the client nor the deployment says how many output tokens to allow (Anthropic requires one). */
const ANTHROPIC_FALLBACK_MAX_TOKENS = 4096;

type OutputLimitFields = Pick<ChatCompletionRequest, 'max_tokens' | 'max_completion_tokens'>;

/**
 * The deployment's `litellm_params.max_tokens` is a ceiling, not a default: the reservation is sized
 * by it, so the upstream must be told the same limit or it may write far more than was reserved.
 */
export function capOutputTokens(requested: number | null | undefined, deployment: Pick<Deployment, 'maxTokens'>): number | undefined {
  if (requested == null) return deployment.maxTokens;
  return deployment.maxTokens === undefined ? requested : Math.min(requested, deployment.maxTokens);
}

/** The request with every output-limit field it carries (or `max_tokens`, if none) lowered to the deployment's cap. */
export function withDeploymentOutputCap<T extends OutputLimitFields>(request: T, deployment: Pick<Deployment, 'maxTokens'>): T {
  if (deployment.maxTokens === undefined) return request;
  const capped = { ...request };
  if (request.max_completion_tokens != null) capped.max_completion_tokens = capOutputTokens(request.max_completion_tokens, deployment);
  if (request.max_tokens != null || request.max_completion_tokens == null)
    capped.max_tokens = capOutputTokens(request.max_tokens, deployment);
  return capped;
}

/** What an Anthropic request carries as `max_tokens` when the client set none. */
export function anthropicDefaultMaxTokens(deployment: Pick<Deployment, 'maxTokens' | 'maxOutputTokens'>): number {
  return deployment.maxTokens ?? deployment.maxOutputTokens ?? ANTHROPIC_FALLBACK_MAX_TOKENS;
}

/**
 * The output limit the gateway sends upstream for this request, or undefined when it sends none (the
 * model's own maximum then applies). When a client sends both fields the larger one bounds the call:
 * OpenAI-compatible servers receive both and may honour either.
 */
export function upstreamOutputLimit(
  deployment: Pick<Deployment, 'provider' | 'maxTokens' | 'maxOutputTokens'>,
  request: OutputLimitFields,
): number | undefined {
  const asked = [request.max_completion_tokens, request.max_tokens].filter((v): v is number => v != null);
  const capped = capOutputTokens(asked.length > 0 ? Math.max(...asked) : undefined, deployment);
  if (capped !== undefined) return capped;
  return deployment.provider === 'anthropic' ? anthropicDefaultMaxTokens(deployment) : undefined;
}

/** Anthropic's smallest thinking budget (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking). */
const MIN_THINKING_BUDGET = 1024;

/**
 * Anthropic requires `thinking.budget_tokens` below `max_tokens`. When the deployment's cap lowered
 * `max_tokens` under the client's thinking budget (Claude Code asks for 31,999 of 32,000), the budget
 * follows it down where Anthropic's minimum allows; otherwise it is left for Anthropic to refuse.
 */
export function fitThinkingBudget<T>(thinking: T, maxTokens: number): T {
  const budget = (thinking as { type?: unknown; budget_tokens?: unknown } | null | undefined)?.budget_tokens;
  if (typeof budget !== 'number' || budget < maxTokens || maxTokens - 1 < MIN_THINKING_BUDGET) return thinking;
  return { ...thinking, budget_tokens: maxTokens - 1 };
}
