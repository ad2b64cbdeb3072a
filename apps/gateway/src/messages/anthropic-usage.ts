import { anthropicChatUsage, type ChatUsage } from '@tollgate/providers';

/**
 * Usage of a relayed Anthropic stream. `message_start` carries the input side; `message_delta`
 * carries cumulative totals — the last value of each field wins, nothing is summed. The fields are
 * kept as sent and checked as a whole (anthropicChatUsage): a negative or missing count makes the
 * usage untrusted, and spend bills its estimate.
 *
 * Until `message_delta` arrives, the output count is only message_start's placeholder (Anthropic
 * sends `output_tokens: 1` there). A stream that ends before it — an `error` event, a cut
 * connection, a client that left — has still been billed by Anthropic for what it generated, so
 * the caller passes a floor estimated from the output actually relayed: over-count, never under.
 */
export class AnthropicUsageTracker {
  private fields: Record<string, unknown> = {};
  seen = false;
  /** `message_delta` has been seen: the counts are the final ones. */
  complete = false;

  observe(event: { type?: string; message?: { usage?: unknown }; usage?: unknown }): void {
    const usage = event.type === 'message_start' ? event.message?.usage : event.type === 'message_delta' ? event.usage : undefined;
    if (typeof usage !== 'object' || usage === null) return;
    this.seen = true;
    if (event.type === 'message_delta') this.complete = true;
    for (const [name, value] of Object.entries(usage)) {
      if (value !== null && value !== undefined) this.fields[name] = value;
    }
  }

  /** `outputFloor`: output tokens estimated from what was relayed, used only while the counts are not final. */
  toChatUsage(outputFloor = 0): ChatUsage | undefined {
    if (!this.seen) return undefined;
    if (this.complete) return anthropicChatUsage(this.fields);
    const output = this.fields.output_tokens;
    return anthropicChatUsage({ ...this.fields, output_tokens: typeof output === 'number' ? Math.max(output, outputFloor) : output });
  }
}
