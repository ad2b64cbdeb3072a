import type { Deployment } from './deployment';
import { capOutputTokens, fitThinkingBudget, upstreamOutputLimit, withDeploymentOutputCap } from './output-limit';

const openai = { provider: 'openai', maxTokens: 10 } as Pick<Deployment, 'provider' | 'maxTokens' | 'maxOutputTokens'>;
const uncapped = { provider: 'openai' } as Pick<Deployment, 'provider' | 'maxTokens' | 'maxOutputTokens'>;
const anthropic = { provider: 'anthropic', maxOutputTokens: 64_000 } as Pick<Deployment, 'provider' | 'maxTokens' | 'maxOutputTokens'>;

describe('the deployment output cap (litellm_params.max_tokens) as a ceiling', () => {
  it('takes the smaller of the request and the deployment, and the cap when the request sets none', () => {
    expect(capOutputTokens(500, openai)).toBe(10);
    expect(capOutputTokens(4, openai)).toBe(4);
    expect(capOutputTokens(undefined, openai)).toBe(10);
    expect(capOutputTokens(null, uncapped)).toBeUndefined();
  });

  it('lowers every limit field the request carries, or sets max_tokens when it carries none', () => {
    expect(withDeploymentOutputCap({ max_tokens: 500 }, openai)).toEqual({ max_tokens: 10 });
    expect(withDeploymentOutputCap({ max_completion_tokens: 500 }, openai)).toEqual({ max_completion_tokens: 10 });
    expect(withDeploymentOutputCap({ max_tokens: 500, max_completion_tokens: 7 }, openai)).toEqual({
      max_tokens: 10,
      max_completion_tokens: 7,
    });
    expect(withDeploymentOutputCap({}, openai)).toEqual({ max_tokens: 10 });
    const request = { max_tokens: 500 };
    expect(withDeploymentOutputCap(request, uncapped)).toBe(request);
  });

  it('bounds a call by what is sent upstream: the larger of two client fields, Anthropic’s default when none', () => {
    expect(upstreamOutputLimit(uncapped, { max_tokens: 5, max_completion_tokens: 9 })).toBe(9);
    expect(upstreamOutputLimit(openai, { max_tokens: 5, max_completion_tokens: 900 })).toBe(10);
    expect(upstreamOutputLimit(uncapped, {})).toBeUndefined();
    expect(upstreamOutputLimit(anthropic, {})).toBe(64_000);
    expect(upstreamOutputLimit({ provider: 'anthropic' }, {})).toBe(4096);
    expect(upstreamOutputLimit(uncapped, { max_tokens: 0 })).toBe(0);
  });
});

describe('fitThinkingBudget: Anthropic wants the thinking budget below max_tokens', () => {
  it('lowers a budget the cap has overtaken, keeps one that fits, and leaves what Anthropic must refuse', () => {
    expect(fitThinkingBudget({ type: 'enabled', budget_tokens: 31_999 }, 8_000)).toEqual({ type: 'enabled', budget_tokens: 7_999 });
    expect(fitThinkingBudget({ type: 'enabled', budget_tokens: 2_000 }, 8_000)).toEqual({ type: 'enabled', budget_tokens: 2_000 });
    expect(fitThinkingBudget({ type: 'enabled', budget_tokens: 31_999 }, 10)).toEqual({ type: 'enabled', budget_tokens: 31_999 });
    expect(fitThinkingBudget({ type: 'disabled' }, 10)).toEqual({ type: 'disabled' });
    expect(fitThinkingBudget(undefined, 10)).toBeUndefined();
  });
});
