import type { Deployment } from '../deployment';
import type { ChatCompletionRequest } from '../openai.types';
import { supportsReasoning } from '../reasoning-models';

/**
 * A translated Messages request made to fit one deployment, since an alias may mix models that
 * differ in what they accept. Claude Code asks for up to 64,000 output tokens and for thinking
 * whatever the model; a local model or gpt-4o would refuse either, yet the request is sound.
 *
 * - `max_tokens` is lowered to the model's output limit (`maxOutputTokens`): it is a ceiling, and
 *   OpenAI refuses one above the model's ("max_tokens is too large").
 * - `reasoning_effort` is kept only for models that reason (supportsReasoning); OpenAI's reasoning
 *   models take the cap as `max_completion_tokens`, which counts the reasoning tokens too.
 */
export function fitToDeployment(
  request: ChatCompletionRequest,
  deployment: Pick<Deployment, 'provider' | 'model' | 'modelInfo'>,
  maxOutputTokens: number,
): ChatCompletionRequest {
  const { reasoning_effort, max_tokens, ...rest } = request;
  const cap = typeof max_tokens === 'number' && maxOutputTokens > 0 ? Math.min(max_tokens, maxOutputTokens) : max_tokens;
  if (!reasoning_effort || !supportsReasoning(deployment)) return { ...rest, max_tokens: cap };
  if (deployment.provider === 'openai') return { ...rest, reasoning_effort, max_completion_tokens: cap };
  return { ...rest, reasoning_effort, max_tokens: cap };
}
