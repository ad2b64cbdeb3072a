import type { Deployment } from './deployment';

/**
 * OpenAI models that take `reasoning_effort`; the others (gpt-4o, gpt-4.1…) refuse it with a 400.
 * https://platform.openai.com/docs/guides/reasoning
 */
const OPENAI_REASONING_MODEL = /^(o\d|gpt-5|codex-)/;

/**
 * Ollama models that take `think`; the others answer 400 "does not support thinking". Coder
 * variants of thinking families (qwen3-coder) do not think.
 * https://ollama.com/search?c=thinking
 */
const OLLAMA_THINKING_MODEL = /^(deepseek-r1|qwen3(?!-coder)|gpt-oss|magistral|phi4-(mini-)?reasoning|cogito)\b/;

/**
 * Whether a deployment's model can be asked to reason. LiteLLM's `model_info.supports_reasoning`
 * decides when the config sets it; otherwise the model's name does.
 */
export function supportsReasoning(deployment: Pick<Deployment, 'provider' | 'model' | 'modelInfo'>): boolean {
  const declared = deployment.modelInfo?.supports_reasoning;
  if (typeof declared === 'boolean') return declared;
  const model = deployment.model.replace(/^.*\//, '');
  if (deployment.provider === 'openai') return OPENAI_REASONING_MODEL.test(model);
  if (deployment.provider === 'ollama') return OLLAMA_THINKING_MODEL.test(model);
  return false;
}
