import type { ChatCompletionChunk, ChatCompletionChunkDelta, FinishReason } from '../openai.types';
import { openAIError, UpstreamError } from '../upstream.errors';
import { ollamaFinishReason, ollamaUsage, toOpenAIToolCall } from './chat-response.transform';
import type { OllamaChatResponse, OllamaChatStreamLine } from './ollama.types';

/** Everything the translation of one Ollama stream needs to remember between lines. */
export interface OllamaStreamState {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
  /** The role chunk has been emitted. */
  started: boolean;
  /** OpenAI tool-call indexes count calls across the whole stream, whichever line they came in. */
  toolCallCount: number;
  /** The `done: true` line has been translated; the stream is complete. */
  done: boolean;
}

export interface OllamaStreamContext {
  /** Milliseconds since the epoch (`Date.now()`). */
  now: number;
  /** The completion id (`chatcmpl-…`) shared by every chunk. */
  id: string;
  /** The model name reported in every chunk. */
  model: string;
}

export function createOllamaStreamState(context: OllamaStreamContext): OllamaStreamState {
  return {
    id: context.id,
    created: Math.floor(context.now / 1000),
    model: context.model,
    started: false,
    toolCallCount: 0,
    done: false,
  };
}

/**
 * One parsed Ollama NDJSON line → the OpenAI chunks it stands for.
 * Ollama sends tool calls whole (arguments complete) in a single line, so each becomes one
 * chunk entry with id, name and the full JSON arguments string.
 * An `{"error": …}` line — how Ollama reports a failure after its 200 — throws an UpstreamError of kind `stream`.
 */
export function translateOllamaLine(state: OllamaStreamState, line: OllamaChatStreamLine | unknown): ChatCompletionChunk[] {
  if (line === null || typeof line !== 'object' || Array.isArray(line)) {
    throw new UpstreamError(
      'stream',
      502,
      openAIError('Ollama sent a stream line that is not an object', 'api_error', 'bad_upstream_response'),
    );
  }
  const error = (line as { error?: unknown }).error;
  if (error !== undefined && error !== null) {
    const message = typeof error === 'string' && error !== '' ? error : 'Ollama stream failed';
    throw new UpstreamError('stream', 502, openAIError(message, 'api_error', 'upstream_stream_error'));
  }
  // Nothing may follow the final chunk; a stray line after `done` is ignored rather than corrupting the stream.
  if (state.done) return [];

  const response = line as OllamaChatResponse;
  // Every chat line carries `message` and `done`: anything else is not Ollama's answer (a proxy's JSON, say).
  if ((typeof response.message !== 'object' || response.message === null) && response.done !== true) {
    throw new UpstreamError(
      'stream',
      502,
      openAIError('Ollama sent a stream line that is not a chat response', 'api_error', 'bad_upstream_response'),
    );
  }
  const chunks: ChatCompletionChunk[] = [];
  if (!state.started) {
    state.started = true;
    chunks.push(chunk(state, { role: 'assistant', content: '' }));
  }
  const message = response.message;
  if (message?.thinking) chunks.push(chunk(state, { reasoning_content: message.thinking }));
  if (message?.content) chunks.push(chunk(state, { content: message.content }));
  if (message?.tool_calls?.length) {
    const toolCalls = message.tool_calls.map((call) => {
      const index = state.toolCallCount++;
      return { index, ...toOpenAIToolCall(call, state.id, index) };
    });
    chunks.push(chunk(state, { tool_calls: toolCalls }));
  }

  if (response.done) {
    state.done = true;
    chunks.push(chunk(state, {}, ollamaFinishReason(state.toolCallCount > 0, response.done_reason)));
    // Always emitted: spend needs it whether or not the client asked for include_usage.
    chunks.push({
      id: state.id,
      object: 'chat.completion.chunk',
      created: state.created,
      model: state.model,
      choices: [],
      usage: ollamaUsage(response),
    });
  }
  return chunks;
}

function chunk(state: OllamaStreamState, delta: ChatCompletionChunkDelta, finishReason: FinishReason | null = null): ChatCompletionChunk {
  return {
    id: state.id,
    object: 'chat.completion.chunk',
    created: state.created,
    model: state.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    // As OpenAI does under include_usage: null everywhere but the final usage chunk.
    usage: null,
  };
}
