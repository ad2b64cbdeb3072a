export type ProviderName = 'openai' | 'anthropic' | 'ollama';

/**
 * Per-token prices in nano-dollars (1e-9 USD): $3 per million tokens is 3000, $0.075 per million is 75.
 * Every published price is a whole number of nano-dollars per token, so costs computed from them are
 * exact integers; the spend ledger stores integer nano-dollars and converts to USD only at the edges.
 */
export interface TokenPrices {
  inputPerToken?: number;
  outputPerToken?: number;
  cacheReadPerToken?: number;
  cacheWritePerToken?: number;
}

/** One concrete upstream model behind an alias: what `model_list[]` entries become. */
export interface Deployment {
  /** Stable id for health tracking and logs: `<alias>#<position in model_list>`. */
  id: string;
  alias: string;
  provider: ProviderName;
  /** The upstream's own model name (`qwen2.5-coder:14b`, `claude-sonnet-4-6`). */
  model: string;
  /** Base URL without a trailing slash and without credentials. */
  apiBase: string;
  apiKey?: string;
  timeoutMs: number;
  streamTimeoutMs: number;
  /** Output tokens to request when the client sets none (Anthropic requires max_tokens). */
  maxTokens?: number;
  rpm?: number;
  tpm?: number;
  /** Prices configured on the deployment (`input_cost_per_token`…), overriding the catalog. */
  prices?: TokenPrices;
  maxInputTokens?: number;
  maxOutputTokens?: number;
  /** Free-form `model_info` from the config, returned by admin endpoints. */
  modelInfo?: Record<string, unknown>;
}
