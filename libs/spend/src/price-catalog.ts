import type { Deployment, TokenPrices } from '@tollgate/providers';

/** Prices in nano-dollars per token (= USD per million tokens × 1000) and model limits. */
export interface ModelPricing {
  prices: Required<TokenPrices>;
  maxOutputTokens: number;
  maxInputTokens: number;
  /** No price was known: reserved and charged at the conservative default, and flagged in the ledger. */
  unpriced: boolean;
}

const perMillion = (input: number, output: number, cacheRead: number, cacheWrite: number) => ({
  inputPerToken: input * 1000,
  outputPerToken: output * 1000,
  cacheReadPerToken: cacheRead * 1000,
  cacheWritePerToken: cacheWrite * 1000,
});

/**
 * Published list prices (USD per million tokens) for the models the seed config uses.
 * https://docs.anthropic.com/en/docs/about-claude/pricing · https://openai.com/api/pricing
 * OpenAI has no cache-write price: writes cost the normal input price.
 */
const CATALOG: Record<string, { prices: Required<TokenPrices>; maxOutputTokens: number; maxInputTokens: number }> = {
  'claude-sonnet-4-6': { prices: perMillion(3, 15, 0.3, 3.75), maxOutputTokens: 64_000, maxInputTokens: 200_000 },
  'claude-opus-4-6': { prices: perMillion(5, 25, 0.5, 6.25), maxOutputTokens: 128_000, maxInputTokens: 200_000 },
  'claude-haiku-4-5': { prices: perMillion(1, 5, 0.1, 1.25), maxOutputTokens: 64_000, maxInputTokens: 200_000 },
  'gpt-4o': { prices: perMillion(2.5, 10, 1.25, 2.5), maxOutputTokens: 16_384, maxInputTokens: 128_000 },
  'gpt-4o-mini': { prices: perMillion(0.15, 0.6, 0.075, 0.15), maxOutputTokens: 16_384, maxInputTokens: 128_000 },
  'text-embedding-3-small': { prices: perMillion(0.02, 0, 0.02, 0.02), maxOutputTokens: 0, maxInputTokens: 8_191 },
  'text-embedding-3-large': { prices: perMillion(0.13, 0, 0.13, 0.13), maxOutputTokens: 0, maxInputTokens: 8_191 },
  'text-embedding-ada-002': { prices: perMillion(0.1, 0, 0.1, 0.1), maxOutputTokens: 0, maxInputTokens: 8_191 },
};

/** What an unknown cloud model is reserved and charged at: Opus-class list prices, so a guess never under-counts. */
const UNPRICED_DEFAULT = perMillion(15, 75, 1.5, 18.75);
const UNPRICED_MAX_OUTPUT_TOKENS = 128_000;
const LOCAL_MAX_OUTPUT_TOKENS = 32_768;

/**
 * Prices for a deployment: the config's own (`input_cost_per_token`…) first, then the catalog by
 * model name, then — for local Ollama models — free, else the conservative default.
 */
export function pricingFor(deployment: Deployment): ModelPricing {
  const known = CATALOG[deployment.model] ?? CATALOG[deployment.model.replace(/-\d{8}$/, '')];
  const configured = deployment.prices;
  const maxOutputTokens =
    deployment.maxOutputTokens ??
    known?.maxOutputTokens ??
    (deployment.provider === 'ollama' ? LOCAL_MAX_OUTPUT_TOKENS : UNPRICED_MAX_OUTPUT_TOKENS);
  const maxInputTokens = deployment.maxInputTokens ?? known?.maxInputTokens ?? 1_000_000;
  if (configured?.inputPerToken !== undefined || configured?.outputPerToken !== undefined) {
    const input = configured.inputPerToken ?? known?.prices.inputPerToken ?? 0;
    return {
      prices: {
        inputPerToken: input,
        outputPerToken: configured.outputPerToken ?? known?.prices.outputPerToken ?? 0,
        cacheReadPerToken: configured.cacheReadPerToken ?? known?.prices.cacheReadPerToken ?? input,
        cacheWritePerToken: configured.cacheWritePerToken ?? known?.prices.cacheWritePerToken ?? input,
      },
      maxOutputTokens,
      maxInputTokens,
      unpriced: false,
    };
  }
  if (known) return { prices: known.prices, maxOutputTokens, maxInputTokens, unpriced: false };
  if (deployment.provider === 'ollama') {
    return {
      prices: { inputPerToken: 0, outputPerToken: 0, cacheReadPerToken: 0, cacheWritePerToken: 0 },
      maxOutputTokens,
      maxInputTokens,
      unpriced: false,
    };
  }
  return { prices: UNPRICED_DEFAULT, maxOutputTokens, maxInputTokens, unpriced: true };
}

export function isFree(pricing: ModelPricing): boolean {
  const p = pricing.prices;
  return p.inputPerToken === 0 && p.outputPerToken === 0 && p.cacheReadPerToken === 0 && p.cacheWritePerToken === 0;
}
