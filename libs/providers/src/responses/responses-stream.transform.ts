import type { ChatCompletionChunk, ChatUsage, FinishReason } from '../openai.types';
import type { ResponseItem, ResponseObject, ResponseStreamEvent } from './responses.types';
import {
  baseResponse,
  functionCallItem,
  messageItem,
  outcomeOf,
  type ResponseContext,
  toResponseUsage,
  wantsReasoningSummary,
} from './responses-response.transform';

interface OpenText {
  kind: 'message' | 'reasoning';
  id: string;
  outputIndex: number;
  text: string;
}

interface OpenCall {
  id: string;
  outputIndex: number;
  callId: string;
  name: string;
  args: string;
}

/**
 * Chat chunks → Responses events. One output item is open at a time, as OpenAI streams them:
 * a reasoning summary, a message, or a function call; a delta of another kind closes it first.
 */
export interface ResponsesStreamState {
  context: ResponseContext;
  sequence: number;
  open?: OpenText;
  openCall?: OpenCall;
  /** Chat tool-call index → the function call item it became (chat interleaves by index). */
  callsByIndex: Map<number, OpenCall>;
  output: ResponseItem[];
  finishReason: FinishReason | null;
  usage?: ChatUsage;
}

export function createResponsesStreamState(context: ResponseContext): ResponsesStreamState {
  return { context, sequence: 0, callsByIndex: new Map(), output: [], finishReason: null };
}

/** `response.created` then `response.in_progress`, before any upstream chunk. */
export function startResponsesStream(state: ResponsesStreamState): ResponseStreamEvent[] {
  const response = baseResponse(state.context, 'in_progress');
  return [event(state, 'response.created', { response }), event(state, 'response.in_progress', { response })];
}

export function translateChatChunk(state: ResponsesStreamState, chunk: ChatCompletionChunk): ResponseStreamEvent[] {
  const events: ResponseStreamEvent[] = [];
  if (chunk.usage) state.usage = chunk.usage;
  for (const choice of chunk.choices) {
    const delta = choice.delta ?? {};
    const reasoning = typeof delta.reasoning_content === 'string' ? delta.reasoning_content : '';
    if (reasoning !== '' && wantsReasoningSummary(state.context.request)) events.push(...appendText(state, 'reasoning', reasoning));
    if (typeof delta.content === 'string' && delta.content !== '') events.push(...appendText(state, 'message', delta.content));
    for (const fragment of delta.tool_calls ?? []) {
      let call = state.callsByIndex.get(fragment.index);
      if (!call) {
        events.push(...closeOpen(state));
        call = {
          id: state.context.newItemId('fc'),
          outputIndex: nextOutputIndex(state),
          callId: fragment.id ?? '',
          name: fragment.function?.name ?? '',
          args: '',
        };
        state.callsByIndex.set(fragment.index, call);
        state.openCall = call;
        events.push(
          event(state, 'response.output_item.added', {
            output_index: call.outputIndex,
            item: { id: call.id, type: 'function_call', status: 'in_progress', call_id: call.callId, name: call.name, arguments: '' },
          }),
        );
      }
      const piece = fragment.function?.arguments ?? '';
      // A call resumed after another item began cannot be reopened (its done event is out);
      // no adapter interleaves so, and writing to a closed item would break every client.
      if (piece !== '' && call === state.openCall) {
        call.args += piece;
        events.push(
          event(state, 'response.function_call_arguments.delta', { item_id: call.id, output_index: call.outputIndex, delta: piece }),
        );
      }
    }
    if (choice.finish_reason) state.finishReason = choice.finish_reason;
  }
  return events;
}

/** Closes whatever is open and reports the whole response: `response.completed`, or `response.incomplete` after a length stop. */
export function finishResponsesStream(state: ResponsesStreamState): ResponseStreamEvent[] {
  const events = closeOpen(state);
  const response = finalResponse(state);
  events.push(event(state, response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response }));
  return events;
}

/** A failure after the stream started: the response ends `failed`, with what was produced so far. */
export function failResponsesStream(state: ResponsesStreamState, error: { code: string; message: string }): ResponseStreamEvent[] {
  const response: ResponseObject = { ...finalResponse(state), status: 'failed', incomplete_details: null, error };
  return [event(state, 'response.failed', { response })];
}

/** The response as it stands: every item closed so far, in output order, and the usage reported. */
export function finalResponse(state: ResponsesStreamState): ResponseObject {
  return {
    ...baseResponse(state.context, 'completed'),
    ...outcomeOf(state.finishReason),
    output: [...state.output],
    usage: toResponseUsage(state.usage),
  };
}

function appendText(state: ResponsesStreamState, kind: OpenText['kind'], text: string): ResponseStreamEvent[] {
  const events: ResponseStreamEvent[] = [];
  if (state.open?.kind !== kind) {
    events.push(...closeOpen(state));
    const open: OpenText = {
      kind,
      id: state.context.newItemId(kind === 'message' ? 'msg' : 'rs'),
      outputIndex: nextOutputIndex(state),
      text: '',
    };
    state.open = open;
    if (kind === 'message') {
      events.push(
        event(state, 'response.output_item.added', {
          output_index: open.outputIndex,
          item: { id: open.id, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
        }),
      );
      events.push(
        event(state, 'response.content_part.added', {
          item_id: open.id,
          output_index: open.outputIndex,
          content_index: 0,
          part: { type: 'output_text', text: '', annotations: [] },
        }),
      );
    } else {
      events.push(
        event(state, 'response.output_item.added', {
          output_index: open.outputIndex,
          item: { id: open.id, type: 'reasoning', summary: [] },
        }),
      );
      events.push(
        event(state, 'response.reasoning_summary_part.added', {
          item_id: open.id,
          output_index: open.outputIndex,
          summary_index: 0,
          part: { type: 'summary_text', text: '' },
        }),
      );
    }
  }
  const open = state.open!;
  open.text += text;
  if (kind === 'message') {
    events.push(
      event(state, 'response.output_text.delta', {
        item_id: open.id,
        output_index: open.outputIndex,
        content_index: 0,
        delta: text,
        logprobs: [],
      }),
    );
  } else {
    events.push(
      event(state, 'response.reasoning_summary_text.delta', {
        item_id: open.id,
        output_index: open.outputIndex,
        summary_index: 0,
        delta: text,
      }),
    );
  }
  return events;
}

function closeOpen(state: ResponsesStreamState): ResponseStreamEvent[] {
  const events: ResponseStreamEvent[] = [];
  const open = state.open;
  if (open?.kind === 'message') {
    const item = messageItem(open.id, open.text);
    events.push(
      event(state, 'response.output_text.done', {
        item_id: open.id,
        output_index: open.outputIndex,
        content_index: 0,
        text: open.text,
        logprobs: [],
      }),
    );
    events.push(
      event(state, 'response.content_part.done', {
        item_id: open.id,
        output_index: open.outputIndex,
        content_index: 0,
        part: { type: 'output_text', text: open.text, annotations: [] },
      }),
    );
    events.push(event(state, 'response.output_item.done', { output_index: open.outputIndex, item }));
    state.output.push(item);
  } else if (open?.kind === 'reasoning') {
    const item: ResponseItem = { id: open.id, type: 'reasoning', summary: [{ type: 'summary_text', text: open.text }] };
    events.push(
      event(state, 'response.reasoning_summary_text.done', {
        item_id: open.id,
        output_index: open.outputIndex,
        summary_index: 0,
        text: open.text,
      }),
    );
    events.push(
      event(state, 'response.reasoning_summary_part.done', {
        item_id: open.id,
        output_index: open.outputIndex,
        summary_index: 0,
        part: { type: 'summary_text', text: open.text },
      }),
    );
    events.push(event(state, 'response.output_item.done', { output_index: open.outputIndex, item }));
    state.output.push(item);
  }
  state.open = undefined;
  const call = state.openCall;
  if (call) {
    const item = functionCallItem(call.id, call.callId, call.name, call.args);
    events.push(
      event(state, 'response.function_call_arguments.done', { item_id: call.id, output_index: call.outputIndex, arguments: call.args }),
    );
    events.push(event(state, 'response.output_item.done', { output_index: call.outputIndex, item }));
    state.output.push(item);
    state.openCall = undefined;
  }
  return events;
}

function nextOutputIndex(state: ResponsesStreamState): number {
  return state.output.length + (state.open ? 1 : 0) + (state.openCall ? 1 : 0);
}

function event(state: ResponsesStreamState, type: string, fields: Record<string, unknown>): ResponseStreamEvent {
  return { type, sequence_number: state.sequence++, ...fields };
}
