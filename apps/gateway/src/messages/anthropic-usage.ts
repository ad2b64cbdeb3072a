import { type ChatUsage, toChatUsage } from '@tollgate/providers';

interface AnthropicUsageFields {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/**
 * Usage of a relayed Anthropic stream. `message_start` carries the input side; `message_delta`
 * carries cumulative totals — the last value wins, nothing is summed.
 *
 * Until `message_delta` arrives, the output count is only message_start's placeholder (Anthropic
 * sends `output_tokens: 1` there). A stream that ends before it — an `error` event, a cut
 * connection, a client that left — has still been billed by Anthropic for what it generated, so
 * the caller passes a floor estimated from the output actually relayed: over-count, never under.
 */
export class AnthropicUsageTracker {
  private fields: AnthropicUsageFields = {};
  seen = false;
  /** `message_delta` has been seen: the counts are the final ones. */
  complete = false;

  observe(event: { type?: string; message?: { usage?: AnthropicUsageFields }; usage?: AnthropicUsageFields }): void {
    const usage = event.type === 'message_start' ? event.message?.usage : event.type === 'message_delta' ? event.usage : undefined;
    if (!usage) return;
    this.seen = true;
    if (event.type === 'message_delta') this.complete = true;
    for (const [name, value] of Object.entries(usage)) {
      if (typeof value === 'number') (this.fields as Record<string, number>)[name] = value;
    }
  }

  /** `outputFloor`: output tokens estimated from what was relayed, used only while the counts are not final. */
  toChatUsage(outputFloor = 0): ChatUsage | undefined {
    if (!this.seen) return undefined;
    if (this.complete) return anthropicUsageToChat(this.fields);
    return anthropicUsageToChat({ ...this.fields, output_tokens: Math.max(this.fields.output_tokens ?? 0, outputFloor) });
  }
}

export function anthropicUsageToChat(usage: AnthropicUsageFields): ChatUsage {
  return toChatUsage({
    input: usage.input_tokens ?? 0,
    output: usage.output_tokens ?? 0,
    cacheRead: usage.cache_read_input_tokens ?? 0,
    cacheCreation: usage.cache_creation_input_tokens ?? 0,
  });
}
