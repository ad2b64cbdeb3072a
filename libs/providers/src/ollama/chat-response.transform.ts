import type { ChatCompletion, ChatCompletionMessage, ChatUsage, FinishReason, OpenAIToolCall } from '../openai.types';
import type { OllamaChatResponse, OllamaToolCall } from './ollama.types';

export interface OllamaResponseContext {
  /** Milliseconds since the epoch (`Date.now()`); `created` is this in whole seconds. */
  now: number;
  /** The completion id handed to the client (`chatcmpl-…`); tool-call ids are derived from it. */
  id: string;
}

/** Ollama non-streaming `/api/chat` answer → OpenAI chat completion. */
export function fromOllamaChatResponse(response: OllamaChatResponse, context: OllamaResponseContext): ChatCompletion {
  const toolCalls = (response.message?.tool_calls ?? []).map((call, i) => toOpenAIToolCall(call, context.id, i));
  const content = response.message?.content ?? '';
  const message: ChatCompletionMessage = {
    role: 'assistant',
    // OpenAI sends null, not "", beside tool calls; Ollama always sends a string.
    content: toolCalls.length > 0 && content === '' ? null : content,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (response.message?.thinking) message.reasoning_content = response.message.thinking;
  return {
    id: context.id,
    object: 'chat.completion',
    created: Math.floor(context.now / 1000),
    model: response.model,
    choices: [{ index: 0, message, finish_reason: ollamaFinishReason(toolCalls.length > 0, response.done_reason), logprobs: null }],
    usage: ollamaUsage(response),
  };
}

/**
 * Ollama reports `done_reason: "stop"` even when the model called tools, so tool calls decide first.
 * Anything that is not a length cut-off (`stop`, `load`, absent) ends the turn normally.
 */
export function ollamaFinishReason(calledTools: boolean, doneReason: string | undefined): FinishReason {
  if (calledTools) return 'tool_calls';
  if (doneReason === 'length') return 'length';
  return 'stop';
}

/** Ollama omits a counter when it is zero (Go `omitempty`), so absence means 0, not unknown. */
export function ollamaUsage(response: Pick<OllamaChatResponse, 'prompt_eval_count' | 'eval_count'>): ChatUsage {
  const prompt = response.prompt_eval_count ?? 0;
  const completion = response.eval_count ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/**
 * Older Ollama versions give tool calls no id, so one is derived from the completion id and the
 * call's position: deterministic, unique within the completion, and stable for golden tests.
 */
export function toOpenAIToolCall(call: OllamaToolCall, completionId: string, index: number): OpenAIToolCall {
  return {
    id: call.id || `call_${completionId}_${index}`,
    type: 'function',
    function: { name: call.function.name, arguments: JSON.stringify(call.function.arguments ?? {}) },
  };
}
