import type { ChatCompletionChunk, ChatCompletionChunkDelta, FinishReason } from '../openai.types';
import { anthropicStreamError } from './anthropic.errors';
import type { AnthropicStopReason, AnthropicStreamEvent } from './anthropic.types';
import { anthropicChatUsage, toFinishReason } from './chat-response.transform';

interface StreamedToolCall {
  /** Position among the message's tool calls: what OpenAI clients key their accumulators on. */
  index: number;
  sentArguments: boolean;
}

/**
 * Everything one Anthropic stream has told us so far. Plain data, owned by the caller, so the
 * translation stays a pure function of (state, event) and can be golden-tested event by event.
 */
export interface AnthropicStreamState {
  /** Seconds since the epoch, stamped on every chunk as OpenAI does. */
  readonly created: number;
  id: string;
  model: string;
  /**
   * Anthropic block index → tool call. The two numberings differ: with text first, the first tool
   * is block 1 but must be tool call 0, or clients build `[undefined, call]` arrays.
   */
  toolCalls: Map<number, StreamedToolCall>;
  nextToolCallIndex: number;
  /**
   * Usage fields as reported so far, unchecked: message_start carries the input side and
   * message_delta cumulative totals (either may carry any field), so each value replaces the
   * last and the whole is checked once, at message_stop.
   */
  usage: Record<string, unknown>;
  stopReason: AnthropicStopReason | null;
  finishSent: boolean;
  /** `message_stop` arrived: the stream is complete and its usage final. */
  done: boolean;
}

/** `now` is in milliseconds (Date.now()). */
export function createAnthropicStreamState(now: number): AnthropicStreamState {
  return {
    created: Math.floor(now / 1000),
    id: '',
    model: '',
    toolCalls: new Map(),
    nextToolCallIndex: 0,
    usage: {},
    stopReason: null,
    finishSent: false,
    done: false,
  };
}

/**
 * One Anthropic stream event → the OpenAI chunks it stands for (often none).
 * Throws UpstreamError (kind `stream`) for an `error` event.
 * https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
export function translateAnthropicEvent(state: AnthropicStreamState, event: AnthropicStreamEvent): ChatCompletionChunk[] {
  if (state.done) return [];
  switch (event.type) {
    case 'message_start': {
      state.id = event.message.id;
      state.model = event.message.model;
      mergeUsage(state, event.message.usage);
      return [chunk(state, { role: 'assistant', content: '' })];
    }

    case 'content_block_start': {
      const block = event.content_block;
      if (block.type === 'text') return block.text ? [chunk(state, { content: block.text })] : [];
      if (block.type === 'thinking') return block.thinking ? [chunk(state, { reasoning_content: block.thinking })] : [];
      if (block.type !== 'tool_use') return [];
      const call: StreamedToolCall = { index: state.nextToolCallIndex++, sentArguments: false };
      state.toolCalls.set(event.index, call);
      // The start block's input is `{}` in practice, with the real input following as input_json_delta.
      const initial = block.input && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
      call.sentArguments = initial !== '';
      return [
        chunk(state, {
          tool_calls: [{ index: call.index, id: block.id, type: 'function', function: { name: block.name, arguments: initial } }],
        }),
      ];
    }

    case 'content_block_delta': {
      const delta = event.delta;
      if (delta.type === 'text_delta') return delta.text ? [chunk(state, { content: delta.text })] : [];
      if (delta.type === 'thinking_delta') return delta.thinking ? [chunk(state, { reasoning_content: delta.thinking })] : [];
      if (delta.type !== 'input_json_delta') return [];
      // Server-tool blocks (web search…) also stream input_json_delta; only client tool calls are ours to relay.
      const call = state.toolCalls.get(event.index);
      if (!call || !delta.partial_json) return [];
      call.sentArguments = true;
      return [chunk(state, { tool_calls: [{ index: call.index, function: { arguments: delta.partial_json } }] })];
    }

    case 'content_block_stop': {
      const call = state.toolCalls.get(event.index);
      if (!call || call.sentArguments) return [];
      // A tool without parameters may stream no input at all; clients JSON.parse the arguments, and '' is not JSON.
      call.sentArguments = true;
      return [chunk(state, { tool_calls: [{ index: call.index, function: { arguments: '{}' } }] })];
    }

    case 'message_delta': {
      if (event.delta?.stop_reason) state.stopReason = event.delta.stop_reason;
      // Cumulative counts: each value replaces the previous one, never adds to it.
      mergeUsage(state, event.usage);
      return state.finishSent ? [] : [finishChunk(state)];
    }

    case 'message_stop': {
      const chunks = state.finishSent ? [] : [finishChunk(state)];
      state.done = true;
      // Usage that is missing or not believable is left out: spend then bills its estimate.
      const usage = anthropicChatUsage(state.usage);
      if (usage)
        chunks.push({ id: state.id, object: 'chat.completion.chunk', created: state.created, model: state.model, choices: [], usage });
      return chunks;
    }

    case 'error':
      throw anthropicStreamError(event.error);

    default:
      // `ping` and event types added after this was written.
      return [];
  }
}

function mergeUsage(state: AnthropicStreamState, usage: object | null | undefined): void {
  if (typeof usage !== 'object' || usage === null) return;
  for (const [field, value] of Object.entries(usage)) if (value !== null && value !== undefined) state.usage[field] = value;
}

function finishChunk(state: AnthropicStreamState): ChatCompletionChunk {
  state.finishSent = true;
  const reason: FinishReason = toFinishReason(state.stopReason) ?? 'stop';
  return chunk(state, {}, reason);
}

function chunk(
  state: AnthropicStreamState,
  delta: ChatCompletionChunkDelta,
  finishReason: FinishReason | null = null,
): ChatCompletionChunk {
  return {
    id: state.id,
    object: 'chat.completion.chunk',
    created: state.created,
    model: state.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    usage: null,
  };
}
