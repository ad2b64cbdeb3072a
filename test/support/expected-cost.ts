/**
 * What a call must cost and what it must reserve, worked out here from the published prices
 * rather than imported from the gateway, so a wrong rate or a wrong bound in the gateway shows
 * up as a failed assertion instead of being agreed with. Nano-dollars per token.
 */

/** https://docs.anthropic.com/en/docs/about-claude/pricing · https://openai.com/api/pricing */
export const PRICES = {
  'claude-sonnet-4-6': { input: 3_000, output: 15_000, cacheRead: 300, cacheWrite: 3_750 },
  // OpenAI has no separate cache-write price: writes cost plain input.
  'gpt-4o': { input: 2_500, output: 10_000, cacheRead: 1_250, cacheWrite: 2_500 },
} as const;

export type PricedModel = keyof typeof PRICES;

/** Per-message framing allowance the gateway adds to the byte count of the messages. */
export const MESSAGE_OVERHEAD_TOKENS = 8;

/** Max tokens the gateway asks Anthropic for when the client sets none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4_096;

/**
 * Upper bound of input tokens for plain-text messages: UTF-8 bytes of the messages' JSON, plus the
 * bytes of the tools' JSON (`[]`, 2 bytes, when there are none), plus 8 per message.
 */
export function inputTokensBound(messages: unknown[], tools: unknown[] = []): number {
  return Buffer.byteLength(JSON.stringify(messages)) + Buffer.byteLength(JSON.stringify(tools)) + MESSAGE_OVERHEAD_TOKENS * messages.length;
}

/** The reservation: every input token at the dearest input rate, plus all allowed output. */
export function reservationNanos(model: PricedModel, messages: unknown[], maxTokens: number): number {
  const p = PRICES[model];
  return inputTokensBound(messages) * Math.max(p.input, p.cacheRead, p.cacheWrite) + maxTokens * p.output;
}

/**
 * The exact cost of a call from its usage. `freshInput` excludes cached tokens (Anthropic's
 * `input_tokens`; for OpenAI, prompt_tokens − cached_tokens).
 */
export function costNanos(
  model: PricedModel,
  usage: { freshInput: number; cacheRead?: number; cacheWrite?: number; output: number },
): number {
  const p = PRICES[model];
  return (
    usage.freshInput * p.input + (usage.cacheRead ?? 0) * p.cacheRead + (usage.cacheWrite ?? 0) * p.cacheWrite + usage.output * p.output
  );
}
