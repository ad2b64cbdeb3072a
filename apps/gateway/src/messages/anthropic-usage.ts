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
 */
export class AnthropicUsageTracker {
  private fields: AnthropicUsageFields = {};
  seen = false;

  observe(event: { type?: string; message?: { usage?: AnthropicUsageFields }; usage?: AnthropicUsageFields }): void {
    const usage = event.type === 'message_start' ? event.message?.usage : event.type === 'message_delta' ? event.usage : undefined;
    if (!usage) return;
    this.seen = true;
    for (const [name, value] of Object.entries(usage)) {
      if (typeof value === 'number') (this.fields as Record<string, number>)[name] = value;
    }
  }

  toChatUsage(): ChatUsage | undefined {
    return this.seen ? anthropicUsageToChat(this.fields) : undefined;
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
