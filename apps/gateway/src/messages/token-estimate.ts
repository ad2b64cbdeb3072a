/**
 * A local input-token estimate for count_tokens on non-Anthropic deployments, where no counting
 * endpoint exists: about four characters per token for text, plus per-message framing.
 * Marked `x-tollgate-token-count: estimated` so clients know it is not exact.
 */
export function estimateInputTokens(body: { messages?: unknown; system?: unknown; tools?: unknown }): number {
  const text = JSON.stringify([body.system ?? '', body.messages ?? [], body.tools ?? []]);
  const messages = Array.isArray(body.messages) ? body.messages.length : 0;
  return Math.max(1, Math.ceil(text.length / 4) + messages * 3);
}
