/**
 * A local input-token estimate where no count exists yet: count_tokens on non-Anthropic deployments
 * (no counting endpoint; marked `x-tollgate-token-count: estimated`), and `message_start` on the
 * translated path, which goes out before the upstream reports its count in its last chunk. About
 * four characters per token of the request's JSON, plus per-message framing.
 */
export function estimateInputTokens(body: { messages?: unknown; system?: unknown; tools?: unknown }): number {
  const text = JSON.stringify([body.system ?? '', body.messages ?? [], body.tools ?? []]);
  const messages = Array.isArray(body.messages) ? body.messages.length : 0;
  return Math.max(1, Math.ceil(text.length / 4) + messages * 3);
}
