import type { AnthropicMessageDeltaUsage, AnthropicResponseContentBlock, AnthropicStreamEvent } from '../anthropic/anthropic.types';
import type { ChatCompletionChunk, ChatCompletionChunkToolCall, ChatUsage, FinishReason } from '../openai.types';
import { fallbackToolUseId, toAnthropicDeltaUsage, toAnthropicStopReason } from './messages-response.transform';

/**
 * OpenAI chat-completion chunks → Anthropic Messages stream events, for `/v1/messages` clients
 * (Claude Code, the Anthropic SDK) served by an OpenAI-compatible or Ollama deployment.
 *
 * The Anthropic SDK appends a block on every `content_block_start` and applies each delta to
 * `content[index]`; Claude Code aborts ("content block not found") when an index points anywhere
 * else. So blocks are numbered 0, 1, 2… in start order, only one is open at a time, and nothing
 * ever refers to a stopped block. See validateAnthropicEventSequence for the full contract.
 * https://docs.anthropic.com/en/docs/build-with-claude/streaming
 *
 * Interleaved tool calls. OpenAI streams each tool call's arguments in pieces keyed by the call's
 * index, and nothing forbids pieces of call 0 arriving after call 1 has started. Anthropic cannot
 * express that: a stopped block cannot be reopened. A new call therefore only closes the open
 * tool_use block when that block's arguments already form a complete JSON object (after which
 * only whitespace could legally follow). Otherwise the new call is held back, its pieces buffered,
 * and the open call keeps streaming; the moment the open call's JSON completes, the held-back
 * calls are started in order, each with its buffered arguments as one `input_json_delta`, and
 * stream live from there. At the end of the stream every held-back call is flushed the same way.
 * Every tool_use block thus receives all of its arguments, whatever the interleaving. The one
 * case that still strands pieces is text arriving between the pieces of an unfinished call (no
 * known server does this): the text block must open, which closes the calls; later pieces for
 * them land in `lateArguments` and are not emitted.
 *
 * `reasoning_content` (Ollama, DeepSeek-style thinking) is not relayed: an Anthropic thinking block
 * needs a signature only Anthropic can make, and Claude Code sends thinking blocks back in later
 * requests, where a forged one would fail if the alias ever falls back to an Anthropic deployment.
 */

export interface AnthropicEventStateOptions {
  /** `msg_…` (toAnthropicMessageId); also what the gateway logs for the request. */
  messageId: string;
  /** The model the client asked for (the alias), as the non-streaming response reports it. */
  model: string;
  /**
   * Input tokens known or estimated before the upstream answers: OpenAI reports usage only in its
   * last chunk, but `message_start` comes first and Claude Code rejects one whose usage is all zero.
   */
  inputTokensEstimate: number;
}

/** One OpenAI tool call on its way to becoming a tool_use block. */
export interface StreamedToolUse {
  id: string;
  name: string;
  /** The OpenAI tool-call index the upstream keys the call's pieces on; null if it sent none. */
  openAIIndex: number | null;
  /** The id as the upstream sent it (null if it sent none and `id` was made up). */
  upstreamId: string | null;
  /** The argument pieces received while the call was pending or open, concatenated. */
  arguments: string;
  /** `pending`: seen, but held back behind an unfinished call (no block started yet). */
  status: 'pending' | 'open' | 'closed';
  /** The Anthropic block index, which differs from `openAIIndex` as soon as a text block precedes it. */
  blockIndex: number | null;
  /** Pieces that arrived after the block was stopped: kept for diagnosis, never emitted. */
  lateArguments: string;
}

type OpenBlock = { type: 'text'; index: number } | { type: 'tool_use'; index: number; tool: StreamedToolUse };

/**
 * Everything one translation has seen so far. Plain data owned by the caller, so the translation
 * stays a pure function of (state, chunk) and can be golden-tested chunk by chunk.
 */
export interface AnthropicEventState {
  readonly messageId: string;
  readonly model: string;
  readonly inputTokensEstimate: number;
  /** `message_start` has been emitted. */
  started: boolean;
  /** `message_stop` has been emitted; anything later is ignored. */
  finished: boolean;
  /** The index the next `content_block_start` gets. */
  nextBlockIndex: number;
  openBlock: OpenBlock | null;
  /** OpenAI tool-call index → the call (the same index is reused when an upstream restarts it with a new id). */
  toolsByOpenAIIndex: Map<number, StreamedToolUse>;
  /** For upstreams that send pieces without an index. */
  lastTool: StreamedToolUse | null;
  /** Calls held back behind the open, unfinished tool_use block, in arrival order. */
  pendingTools: StreamedToolUse[];
  toolCount: number;
  finishReason: FinishReason | null;
  /** The last usage the upstream reported (the `choices: []` chunk under include_usage). */
  usage: ChatUsage | null;
  /** Characters relayed as text or tool arguments, for an output estimate when usage never arrives. */
  relayedCharacters: number;
}

export function createAnthropicEventState(options: AnthropicEventStateOptions): AnthropicEventState {
  const estimate = Number.isFinite(options.inputTokensEstimate) ? Math.round(options.inputTokensEstimate) : 0;
  return {
    messageId: options.messageId,
    model: options.model,
    // Claude Code rejects an all-zero message_start usage, so a bad estimate must not produce one.
    inputTokensEstimate: Math.max(1, estimate),
    started: false,
    finished: false,
    nextBlockIndex: 0,
    openBlock: null,
    toolsByOpenAIIndex: new Map(),
    lastTool: null,
    pendingTools: [],
    toolCount: 0,
    finishReason: null,
    usage: null,
    relayedCharacters: 0,
  };
}

/**
 * One OpenAI chunk → the Anthropic events it stands for (often none). `finish_reason` and usage
 * are only remembered: Anthropic's `message_delta` carries both, and with include_usage the usage
 * chunk comes after the finish_reason chunk, so the message can only end in finishAnthropicStream.
 */
export function translateOpenAIChunk(state: AnthropicEventState, chunk: ChatCompletionChunk): AnthropicStreamEvent[] {
  if (state.finished) return [];
  const events: AnthropicStreamEvent[] = [];
  startMessage(state, events);
  if (chunk?.usage) state.usage = chunk.usage;

  // The gateway never asks for n > 1, so choice 0 is the whole answer.
  const choice = chunk?.choices?.[0];
  if (!choice) return events;
  const delta = choice.delta ?? {};
  if (typeof delta.content === 'string' && delta.content !== '') appendText(state, delta.content, events);
  // A structured refusal is the answer the user should read, as in the non-streaming response.
  if (typeof delta.refusal === 'string' && delta.refusal !== '') appendText(state, delta.refusal, events);
  if (Array.isArray(delta.tool_calls)) {
    for (const fragment of delta.tool_calls) appendToolFragment(state, fragment, events);
  }
  if (choice.finish_reason) state.finishReason = choice.finish_reason;
  return events;
}

/**
 * Ends the Anthropic stream after the upstream's last chunk (or `[DONE]`, or a clean end without
 * it): closes the open block, starts and stops any held-back tool calls, then `message_delta` with
 * the stop reason and the final usage, then `message_stop`.
 */
export function finishAnthropicStream(state: AnthropicEventState): AnthropicStreamEvent[] {
  if (state.finished) return [];
  const events: AnthropicStreamEvent[] = [];
  startMessage(state, events);
  closeOpenBlock(state, events);
  flushPendingTools(state, events);
  // Claude Code expects at least one content block in every message.
  if (state.nextBlockIndex === 0) {
    const index = startBlock(state, { type: 'text', text: '' }, events);
    events.push({ type: 'content_block_stop', index });
  }
  events.push({
    type: 'message_delta',
    delta: { stop_reason: toAnthropicStopReason(state.finishReason, state.toolCount > 0), stop_sequence: null },
    usage: finalUsage(state),
  });
  events.push({ type: 'message_stop' });
  state.finished = true;
  return events;
}

/**
 * Without the usage chunk (an upstream that ignores include_usage) the output count is estimated
 * at four characters a token, never zero; input_tokens is left out so message_start's estimate stands.
 */
function finalUsage(state: AnthropicEventState): AnthropicMessageDeltaUsage {
  if (state.usage) return toAnthropicDeltaUsage(state.usage);
  return { output_tokens: Math.max(1, Math.ceil(state.relayedCharacters / 4)) };
}

function startMessage(state: AnthropicEventState, events: AnthropicStreamEvent[]): void {
  if (state.started) return;
  state.started = true;
  events.push({
    type: 'message_start',
    message: {
      id: state.messageId,
      type: 'message',
      role: 'assistant',
      model: state.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: state.inputTokensEstimate, output_tokens: 1 },
    },
  });
}

function appendText(state: AnthropicEventState, text: string, events: AnthropicStreamEvent[]): void {
  if (state.openBlock?.type !== 'text') {
    closeOpenBlock(state, events);
    flushPendingTools(state, events);
    state.openBlock = { type: 'text', index: startBlock(state, { type: 'text', text: '' }, events) };
  }
  events.push({ type: 'content_block_delta', index: state.openBlock.index, delta: { type: 'text_delta', text } });
  state.relayedCharacters += text.length;
}

function appendToolFragment(state: AnthropicEventState, fragment: ChatCompletionChunkToolCall, events: AnthropicStreamEvent[]): void {
  if (!fragment || typeof fragment !== 'object') return;
  const piece = typeof fragment.function?.arguments === 'string' ? fragment.function.arguments : '';
  const known = knownTool(state, fragment);
  if (known) {
    if (known.status === 'open') {
      relayArguments(state, known, piece, events);
      startPendingToolsIfReady(state, events);
    } else if (known.status === 'pending') {
      known.arguments += piece;
      if (known.name === '' && typeof fragment.function?.name === 'string') known.name = fragment.function.name;
    } else {
      known.lateArguments += piece;
    }
    return;
  }

  const tool = registerTool(state, fragment, piece);
  const open = state.openBlock;
  if (open?.type === 'tool_use' && !isCompleteJsonObject(open.tool.arguments)) {
    state.pendingTools.push(tool);
    return;
  }
  closeOpenBlock(state, events);
  flushPendingTools(state, events);
  startTool(state, tool, events);
}

/**
 * The call a piece continues, or null for a new call: a new index, or, for upstreams that reuse
 * index 0 for every call, an id different from the one the call at that index started with.
 */
function knownTool(state: AnthropicEventState, fragment: ChatCompletionChunkToolCall): StreamedToolUse | null {
  const known =
    typeof fragment.index === 'number' ? state.toolsByOpenAIIndex.get(fragment.index) : fragment.id ? undefined : state.lastTool;
  if (!known) return null;
  // An id arriving later for a call that started without one is the same call, not a new one.
  if (fragment.id && known.upstreamId !== null && fragment.id !== known.upstreamId) return null;
  return known;
}

function registerTool(state: AnthropicEventState, fragment: ChatCompletionChunkToolCall, piece: string): StreamedToolUse {
  const openAIIndex = typeof fragment.index === 'number' ? fragment.index : null;
  const upstreamId = typeof fragment.id === 'string' && fragment.id !== '' ? fragment.id : null;
  const tool: StreamedToolUse = {
    id: upstreamId ?? fallbackToolUseId(state.messageId, state.toolCount),
    name: typeof fragment.function?.name === 'string' ? fragment.function.name : '',
    openAIIndex,
    upstreamId,
    arguments: piece,
    status: 'pending',
    blockIndex: null,
    lateArguments: '',
  };
  state.toolCount += 1;
  if (openAIIndex !== null) state.toolsByOpenAIIndex.set(openAIIndex, tool);
  state.lastTool = tool;
  return tool;
}

/** Starts a call's block with everything buffered for it so far as one delta. */
function startTool(state: AnthropicEventState, tool: StreamedToolUse, events: AnthropicStreamEvent[]): void {
  // `input` starts empty and the arguments follow as input_json_delta, as Anthropic itself streams them.
  tool.blockIndex = startBlock(state, { type: 'tool_use', id: tool.id, name: tool.name, input: {} }, events);
  tool.status = 'open';
  state.openBlock = { type: 'tool_use', index: tool.blockIndex, tool };
  const buffered = tool.arguments;
  tool.arguments = '';
  relayArguments(state, tool, buffered, events);
}

function relayArguments(state: AnthropicEventState, tool: StreamedToolUse, piece: string, events: AnthropicStreamEvent[]): void {
  tool.arguments += piece;
  if (piece === '' || tool.blockIndex === null) return;
  events.push({ type: 'content_block_delta', index: tool.blockIndex, delta: { type: 'input_json_delta', partial_json: piece } });
  state.relayedCharacters += piece.length;
}

/** Once the open call's JSON is complete, the calls held back behind it can stream. */
function startPendingToolsIfReady(state: AnthropicEventState, events: AnthropicStreamEvent[]): void {
  while (state.pendingTools.length > 0) {
    const open = state.openBlock;
    if (open?.type === 'tool_use' && !isCompleteJsonObject(open.tool.arguments)) return;
    closeOpenBlock(state, events);
    startTool(state, state.pendingTools.shift()!, events);
  }
}

/** Starts and stops every held-back call, for when the stream moves on or ends without them finishing. */
function flushPendingTools(state: AnthropicEventState, events: AnthropicStreamEvent[]): void {
  while (state.pendingTools.length > 0) {
    startTool(state, state.pendingTools.shift()!, events);
    closeOpenBlock(state, events);
  }
}

function startBlock(state: AnthropicEventState, block: AnthropicResponseContentBlock, events: AnthropicStreamEvent[]): number {
  const index = state.nextBlockIndex++;
  events.push({ type: 'content_block_start', index, content_block: block });
  return index;
}

function closeOpenBlock(state: AnthropicEventState, events: AnthropicStreamEvent[]): void {
  const open = state.openBlock;
  if (!open) return;
  events.push({ type: 'content_block_stop', index: open.index });
  if (open.type === 'tool_use') open.tool.status = 'closed';
  state.openBlock = null;
}

function isCompleteJsonObject(text: string): boolean {
  const trimmed = text.trim();
  // Cheap pre-check: this runs on every piece while calls are held back.
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return false;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}
