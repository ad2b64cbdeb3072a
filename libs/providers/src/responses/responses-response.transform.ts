import type { ChatCompletion, ChatUsage, FinishReason } from '../openai.types';
import type { ResponseItem, ResponseObject, ResponsesRequest, ResponseStatus, ResponseUsage } from './responses.types';

/** What a translated response is built around: its identity and the request it answers. */
export interface ResponseContext {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** The model the client asked for (the alias), which the response reports back. */
  model: string;
  request: ResponsesRequest;
  /** Item ids (`msg_…`, `fc_…`, `rs_…`); injected so golden tests stay deterministic. */
  newItemId(prefix: 'msg' | 'fc' | 'rs'): string;
}

/** The response object with the request's settings echoed, as OpenAI returns it; output and usage start empty. */
export function baseResponse(context: ResponseContext, status: ResponseStatus): ResponseObject {
  const { request } = context;
  return {
    id: context.id,
    object: 'response',
    created_at: context.createdAt,
    status,
    error: null,
    incomplete_details: null,
    instructions: typeof request.instructions === 'string' ? request.instructions : null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: context.model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: request.reasoning?.summary ?? null },
    store: request.store ?? true,
    temperature: request.temperature ?? null,
    text: { format: request.text?.format ?? { type: 'text' } },
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    top_p: request.top_p ?? null,
    truncation: 'disabled',
    usage: null,
    user: request.user ?? null,
    metadata: request.metadata ?? {},
  };
}

/** Reasoning is shown only as a summary, and only to a client that asked for one (`reasoning.summary`). */
export function wantsReasoningSummary(request: ResponsesRequest): boolean {
  return typeof request.reasoning?.summary === 'string' && request.reasoning.summary !== '';
}

/** A Chat Completion (from a translated backend) → a Responses object. */
export function toResponseObject(completion: ChatCompletion, context: ResponseContext): ResponseObject {
  const choice = completion.choices[0];
  const message = choice?.message;
  const output: ResponseItem[] = [];
  const reasoning = typeof message?.reasoning_content === 'string' ? message.reasoning_content : '';
  if (reasoning !== '' && wantsReasoningSummary(context.request)) {
    output.push({ id: context.newItemId('rs'), type: 'reasoning', summary: [{ type: 'summary_text', text: reasoning }] });
  }
  if (typeof message?.content === 'string' && message.content !== '') {
    output.push(messageItem(context.newItemId('msg'), message.content));
  }
  for (const call of message?.tool_calls ?? []) {
    output.push(functionCallItem(context.newItemId('fc'), call.id, call.function.name, call.function.arguments));
  }
  return {
    ...baseResponse(context, 'completed'),
    ...outcomeOf(choice?.finish_reason ?? null),
    output,
    usage: toResponseUsage(completion.usage),
  };
}

export function messageItem(id: string, text: string): ResponseItem {
  return { id, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] };
}

export function functionCallItem(id: string, callId: string, name: string, args: string): ResponseItem {
  return { id, type: 'function_call', status: 'completed', call_id: callId, name, arguments: args };
}

/** A length or content-filter stop leaves the response `incomplete`, saying why. */
export function outcomeOf(finishReason: FinishReason | null): Pick<ResponseObject, 'status' | 'incomplete_details'> {
  if (finishReason === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finishReason === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** Chat usage → Responses usage. Cached tokens stay a subset of input tokens, reasoning of output. */
export function toResponseUsage(usage: ChatUsage | undefined | null): ResponseUsage | null {
  if (!usage) return null;
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? usage.cache_read_input_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens,
  };
}

/** Responses usage (an OpenAI deployment's own) → the chat usage the spend ledger prices. */
export function chatUsageOfResponse(usage: Partial<ResponseUsage> | null | undefined): ChatUsage | undefined {
  if (!usage || typeof usage.input_tokens !== 'number' || typeof usage.output_tokens !== 'number') return undefined;
  return {
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: usage.total_tokens ?? usage.input_tokens + usage.output_tokens,
    prompt_tokens_details: { cached_tokens: usage.input_tokens_details?.cached_tokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.output_tokens_details?.reasoning_tokens ?? 0 },
  };
}
