import type { Deployment } from '../deployment';
import type { ChatCompletionRequest } from '../openai.types';
import { fitToDeployment } from './deployment-fit';

const translated: ChatCompletionRequest = {
  model: 'local-coding',
  max_tokens: 32_000,
  reasoning_effort: 'high',
  messages: [{ role: 'user', content: 'hi' }],
};
const at = (provider: Deployment['provider'], model: string, modelInfo?: Record<string, unknown>) => ({ provider, model, modelInfo });

describe('fitToDeployment', () => {
  it("lowers Claude Code's 32,000-token ceiling to gpt-4o's 16,384 and drops the reasoning gpt-4o would refuse", () => {
    expect(fitToDeployment(translated, at('openai', 'gpt-4o'), 16_384)).toEqual({
      model: 'local-coding',
      max_tokens: 16_384,
      messages: translated.messages,
    });
  });

  it('gives an OpenAI reasoning model its effort, with the cap as max_completion_tokens', () => {
    expect(fitToDeployment(translated, at('openai', 'o4-mini'), 100_000)).toEqual({
      model: 'local-coding',
      max_completion_tokens: 32_000,
      reasoning_effort: 'high',
      messages: translated.messages,
    });
  });

  it.each([
    ['qwen3:8b', true],
    ['deepseek-r1:14b', true],
    ['gpt-oss:20b', true],
    ['qwen3-coder:30b', false],
    ['qwen2.5-coder:14b', false],
  ])('keeps reasoning for the Ollama model %s: %s', (model, kept) => {
    expect(fitToDeployment(translated, at('ollama', model), 32_768).reasoning_effort).toBe(kept ? 'high' : undefined);
  });

  it("lets the config's model_info.supports_reasoning overrule the model's name", () => {
    expect(fitToDeployment(translated, at('ollama', 'my-finetune', { supports_reasoning: true }), 32_768).reasoning_effort).toBe('high');
    expect(fitToDeployment(translated, at('openai', 'o3', { supports_reasoning: false }), 100_000)).not.toHaveProperty('reasoning_effort');
  });
});
