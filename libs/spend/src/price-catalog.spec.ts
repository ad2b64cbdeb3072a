import type { Deployment, ProviderName, TokenPrices } from '@tollgate/providers';

import { isFree, pricingFor } from './price-catalog';

function deployment(provider: ProviderName, model: string, extra: Partial<Deployment> = {}): Deployment {
  return {
    id: `${model}#0`,
    alias: model,
    provider,
    model,
    apiBase: 'http://upstream',
    timeoutMs: 1_000,
    streamTimeoutMs: 1_000,
    ...extra,
  };
}

/** Nano-dollars per token from USD per million tokens: input, output, cache read, cache write. */
const perMillion = (input: number, output: number, cacheRead: number, cacheWrite: number): Required<TokenPrices> => ({
  inputPerToken: input * 1000,
  outputPerToken: output * 1000,
  cacheReadPerToken: cacheRead * 1000,
  cacheWritePerToken: cacheWrite * 1000,
});

describe('pricingFor', () => {
  it.each<[string, Deployment, Required<TokenPrices>, number, number, boolean]>([
    [
      'a catalog model at its list prices',
      deployment('anthropic', 'claude-sonnet-4-6'),
      perMillion(3, 15, 0.3, 3.75),
      64_000,
      200_000,
      false,
    ],
    [
      'a dated snapshot (-YYYYMMDD) of a catalog model, as the model it snapshots',
      deployment('anthropic', 'claude-haiku-4-5-20251001'),
      perMillion(1, 5, 0.1, 1.25),
      64_000,
      200_000,
      false,
    ],
    ['an embedding model: input only', deployment('openai', 'text-embedding-3-small'), perMillion(0.02, 0, 0.02, 0.02), 0, 8_191, false],
    [
      'a local Ollama model: free, with a local output ceiling',
      deployment('ollama', 'llama3.2'),
      perMillion(0, 0, 0, 0),
      32_768,
      1_000_000,
      false,
    ],
    [
      'an unknown cloud model: Opus-class default, flagged unpriced',
      deployment('openai', 'gpt-9-preview'),
      perMillion(15, 75, 1.5, 18.75),
      128_000,
      1_000_000,
      true,
    ],
    [
      'configured prices override the catalog; unset cache rates fall back to the catalog',
      deployment('anthropic', 'claude-haiku-4-5', { prices: { inputPerToken: 2_000, outputPerToken: 9_000 } }),
      { inputPerToken: 2_000, outputPerToken: 9_000, cacheReadPerToken: 100, cacheWritePerToken: 1_250 },
      64_000,
      200_000,
      false,
    ],
    [
      'configured prices on an unknown model: cache rates default to the input rate',
      deployment('openai', 'in-house-model', { prices: { inputPerToken: 700 } }),
      { inputPerToken: 700, outputPerToken: 0, cacheReadPerToken: 700, cacheWritePerToken: 700 },
      128_000,
      1_000_000,
      false,
    ],
    [
      'configured limits override the catalog',
      deployment('openai', 'gpt-4o-mini', { maxOutputTokens: 1_000, maxInputTokens: 5_000 }),
      perMillion(0.15, 0.6, 0.075, 0.15),
      1_000,
      5_000,
      false,
    ],
  ])('%s', (_name, target, prices, maxOutputTokens, maxInputTokens, unpriced) => {
    expect(pricingFor(target)).toEqual({ prices, maxOutputTokens, maxInputTokens, unpriced });
  });
});

describe('isFree', () => {
  it.each<[string, Deployment, boolean]>([
    ['a local model', deployment('ollama', 'qwen2.5-coder:14b'), true],
    ['a local model with a configured price', deployment('ollama', 'qwen2.5-coder:14b', { prices: { inputPerToken: 1 } }), false],
    ['an embedding model (no output price, but input costs)', deployment('openai', 'text-embedding-3-large'), false],
    ['an unknown cloud model', deployment('anthropic', 'claude-next'), false],
  ])('%s: %s', (_name, target, free) => {
    expect(isFree(pricingFor(target))).toBe(free);
  });
});
