/** An event as written on the wire: the SSE `event:` name and the parsed `data:` JSON. */
export interface AnthropicSseRecord {
  event: string;
  data: unknown;
}

type BlockKind = 'text' | 'tool_use' | 'thinking' | 'redacted_thinking' | 'other';

/** Which delta types may touch which block kind; a mismatch is silently dropped by the SDK. */
const DELTAS_BY_BLOCK: Record<BlockKind, readonly string[] | null> = {
  text: ['text_delta', 'citations_delta'],
  tool_use: ['input_json_delta'],
  thinking: ['thinking_delta', 'signature_delta'],
  redacted_thinking: [],
  // Server-tool and future block kinds: not ours to judge.
  other: null,
};

/**
 * Checks an Anthropic Messages event stream against what the Anthropic SDK and Claude Code need,
 * and returns every violation found (an empty list means the stream is well-formed). Used by the
 * transform's golden tests and by the gateway's end-to-end tests.
 *
 * Accepts event objects (`{type, …}`) or SSE records (`{event, data}`); for the latter the `event:`
 * name must equal `data.type`, because the SDK dispatches on the name and reads the data.
 *
 * The contract, from the SDK's MessageStream accumulator (it pushes a block on every
 * content_block_start and applies deltas to `content[index]`) and Claude Code's failures:
 * - message_start comes first, exactly once, and its usage is not all zero;
 * - block indexes start at 0 and increase by 1; at most one block is open at a time;
 * - every delta and stop names a block that was started and not yet stopped, with a delta type the
 *   block kind accepts;
 * - the message has at least one content block;
 * - message_delta (with a stop_reason and a numeric output_tokens) follows the last block stop;
 * - message_stop comes last. `ping` may appear anywhere before it; unknown event types are
 *   tolerated; an `error` event ends the stream early and is then the last event.
 * https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
export function validateAnthropicEventSequence(events: readonly unknown[]): string[] {
  const violations: string[] = [];
  const blocks = new Map<number, { kind: BlockKind; stopped: boolean }>();
  let nextIndex = 0;
  let openIndex: number | null = null;
  let messageStarts = 0;
  let sawMessageDelta = false;
  let ended: 'message_stop' | 'error' | null = null;

  if (events.length === 0) return ['the stream has no events; it must start with message_start'];

  events.forEach((item, i) => {
    const event = unwrap(item, i, violations);
    if (!event) return;
    const type = event.type as string;
    const at = `event ${i} (${type})`;

    if (ended !== null) {
      violations.push(`${at}: nothing may follow ${ended}`);
      return;
    }
    if (i === 0 && type !== 'message_start') violations.push(`${at}: the first event must be message_start`);

    switch (type) {
      case 'message_start': {
        messageStarts += 1;
        if (messageStarts > 1) violations.push(`${at}: message_start must appear exactly once`);
        const usage = (event.message as { usage?: Record<string, unknown> } | undefined)?.usage;
        if (!usage || !Object.values(usage).some((value) => typeof value === 'number' && value > 0)) {
          violations.push(`${at}: message.usage must not be all zero (Claude Code rejects it)`);
        }
        return;
      }

      case 'content_block_start': {
        const index = event.index;
        if (!isIndex(index)) {
          violations.push(`${at}: index must be a non-negative integer`);
          return;
        }
        if (sawMessageDelta) violations.push(`${at}: content blocks must come before message_delta`);
        if (index !== nextIndex) {
          violations.push(`${at}: block index ${index} out of order; expected ${nextIndex} (indexes start at 0 and increase by 1)`);
        }
        if (openIndex !== null) violations.push(`${at}: block ${index} started while block ${openIndex} is still open`);
        if (blocks.has(index)) violations.push(`${at}: block ${index} was already started`);
        blocks.set(index, { kind: blockKind(event.content_block), stopped: false });
        openIndex = index;
        nextIndex = Math.max(nextIndex, index + 1);
        return;
      }

      case 'content_block_delta':
      case 'content_block_stop': {
        const index = event.index;
        const block = isIndex(index) ? blocks.get(index) : undefined;
        if (!isIndex(index)) violations.push(`${at}: index must be a non-negative integer`);
        else if (!block) violations.push(`${at}: block ${index} was never started`);
        else if (block.stopped) violations.push(`${at}: block ${index} was already stopped`);
        if (!block || block.stopped) return;
        if (type === 'content_block_delta') {
          const deltaType = (event.delta as { type?: unknown } | undefined)?.type;
          const allowed = DELTAS_BY_BLOCK[block.kind];
          if (allowed && !allowed.includes(deltaType as string)) {
            violations.push(`${at}: a ${String(deltaType)} cannot apply to block ${index}, a ${block.kind} block`);
          }
        } else {
          block.stopped = true;
          if (openIndex === index) openIndex = null;
        }
        return;
      }

      case 'message_delta': {
        if (openIndex !== null) violations.push(`${at}: block ${openIndex} is still open`);
        if (blocks.size === 0) violations.push(`${at}: the message has no content block (Claude Code expects at least one)`);
        const delta = event.delta as { stop_reason?: unknown } | undefined;
        if (typeof delta?.stop_reason !== 'string') violations.push(`${at}: delta.stop_reason must be set`);
        const usage = event.usage as { output_tokens?: unknown } | undefined;
        if (typeof usage?.output_tokens !== 'number') violations.push(`${at}: usage.output_tokens must be a number`);
        sawMessageDelta = true;
        return;
      }

      case 'message_stop':
        if (!sawMessageDelta) violations.push(`${at}: message_delta must come before message_stop`);
        if (openIndex !== null) violations.push(`${at}: block ${openIndex} is still open`);
        ended = 'message_stop';
        return;

      case 'error':
        ended = 'error';
        return;

      default:
        // `ping` and event types added after this was written.
        return;
    }
  });

  if (messageStarts === 0) violations.push('the stream has no message_start');
  if (ended === null) violations.push('the stream ended without message_stop');
  return violations;
}

function unwrap(item: unknown, i: number, violations: string[]): Record<string, unknown> | null {
  if (!isObject(item)) {
    violations.push(`event ${i}: not an object`);
    return null;
  }
  if (typeof item.type !== 'string' && typeof item.event === 'string') {
    const record = item as unknown as AnthropicSseRecord;
    if (!isObject(record.data) || record.data.type !== record.event) {
      const dataType = isObject(record.data) ? String(record.data.type) : 'nothing';
      violations.push(`event ${i}: the SSE event name '${record.event}' differs from data.type '${dataType}'`);
      return isObject(record.data) && typeof record.data.type === 'string' ? record.data : null;
    }
    return record.data;
  }
  if (typeof item.type !== 'string') {
    violations.push(`event ${i}: has no type`);
    return null;
  }
  return item;
}

function blockKind(block: unknown): BlockKind {
  const type = isObject(block) ? block.type : undefined;
  return type === 'text' || type === 'tool_use' || type === 'thinking' || type === 'redacted_thinking' ? type : 'other';
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
