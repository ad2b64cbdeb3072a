import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { BudgetGuard } from '@tollgate/budgets';
import { Auth, AuthGuard, AuthMode, callerOf } from '@tollgate/keys';
import {
  type ChatCompletionChunk,
  chatUsageOfResponse,
  createResponsesStreamState,
  failResponsesStream,
  finalResponse,
  finishResponsesStream,
  type ResponseContext,
  type ResponseObject,
  type ServerSentEvent,
  startResponsesStream,
  translateChatChunk,
} from '@tollgate/providers';
import { RateLimitGuard } from '@tollgate/rate-limits';
import { type CallRecord, SettledReply, SpendInterceptor } from '@tollgate/spend';
import type { Request, Response } from 'express';

import { BudgetedRouter } from '../calls/budgeted-router';
import { abortWhenClientLeaves } from '../common/client-abort';
import { describeError } from '../common/error-descriptor';
import { InvalidRequestError } from '../common/invalid-request.errors';
import { routingHeaders } from '../common/routing-headers';
import { relayStream } from '../streaming/relay-stream';
import { SseWriter } from '../streaming/sse-writer';
import { ResponseStore, type StoredResponse } from './response-store';
import { ResponsesError } from './responses.errors';
import { ResponsesService } from './responses.service';
import { validateResponsesRequest } from './responses-request.validation';

/** Output event types whose `delta` is generated text, counted to bill a stream cut before its usage. */
const DELTA_EVENTS = new Set([
  'response.output_text.delta',
  'response.function_call_arguments.delta',
  'response.reasoning_summary_text.delta',
  'response.reasoning_text.delta',
]);
const TERMINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** OpenAI's Responses API (`/v1/responses` and LiteLLM's unprefixed alias), for Codex CLI and the `openai` SDK. */
@ApiExcludeController()
@Auth(AuthMode.VirtualKey)
@Controller()
export class ResponsesController {
  constructor(
    private readonly responses: ResponsesService,
    private readonly calls: BudgetedRouter,
    private readonly store: ResponseStore,
  ) {}

  @Post(['v1/responses', 'responses'])
  @HttpCode(200)
  @UseGuards(AuthGuard, RateLimitGuard, BudgetGuard)
  @UseInterceptors(SpendInterceptor)
  async create(@Req() req: Request, @Res() res: Response): Promise<SettledReply | void> {
    const request = validateResponsesRequest(req.body);
    const caller = callerOf(req)!;
    const conversation = await this.responses.conversationOf(caller.token, request);
    const record = this.calls.beginRecord(req, caller, 'responses', {
      ...request,
      input: [...conversation.history, ...conversation.input],
      system: request.instructions ?? undefined,
    });
    const signal = abortWhenClientLeaves(req, res);
    const routed = await this.responses.create(request, conversation, record, signal);
    const outcome = routed.value;
    const keep = (response: ResponseObject | undefined) =>
      this.responses.keep(caller.token, request, conversation, response, record.requestId);

    if (outcome.kind === 'native-json' || outcome.kind === 'translated-json') {
      await keep(outcome.response);
      return new SettledReply(routingHeaders(routed), outcome.kind === 'native-json' ? outcome.text : outcome.response);
    }

    const sse = new SseWriter(res);
    sse.start(routingHeaders(routed));
    // Codex closes as soon as it reads the terminal event, so a connection closed after that event
    // is not a cancellation. Each relay tells its own failure (`response.failed`) before throwing.
    await relayStream(record, sse, signal, {
      relay: () =>
        outcome.kind === 'native-stream'
          ? relayNative(outcome.events, record, sse)
          : relayTranslated(outcome.chunks, outcome.context, record, sse),
      served: keep,
    });
  }

  @Get(['v1/responses/:id', 'responses/:id'])
  @UseGuards(RateLimitGuard)
  async retrieve(@Req() req: Request, @Param('id') id: string): Promise<ResponseObject> {
    return (await this.owned(req, id)).response;
  }

  @Delete(['v1/responses/:id', 'responses/:id'])
  @UseGuards(RateLimitGuard)
  async remove(@Req() req: Request, @Param('id') id: string): Promise<{ id: string; object: 'response'; deleted: true }> {
    if (!(await this.store.delete(callerOf(req)!.token, id))) throw ResponsesError.notFound(id);
    return { id, object: 'response', deleted: true };
  }

  /** This response's own input items (not the earlier turns it continued), newest first unless `order=asc`, as OpenAI lists them. */
  @Get(['v1/responses/:id/input_items', 'responses/:id/input_items'])
  @UseGuards(RateLimitGuard)
  async inputItems(@Req() req: Request, @Param('id') id: string, @Query() query: Record<string, unknown>) {
    const stored = await this.owned(req, id);
    const order = query.order ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw new InvalidRequestError(`'order' must be asc or desc`, 'order');
    const limit = query.limit === undefined ? 20 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw new InvalidRequestError(`'limit' must be an integer between 1 and 100`, 'limit');
    // Items the client sent without an id get a stable one, so `after` can page through them.
    let items = stored.input.map((item, index) => ({ id: `${id.replace(/^resp_/, 'item_')}_${index}`, ...item }));
    if (order === 'desc') items.reverse();
    if (typeof query.after === 'string') items = items.slice(items.findIndex((item) => item.id === query.after) + 1);
    const page = items.slice(0, limit);
    return {
      object: 'list',
      data: page,
      first_id: page[0]?.id ?? null,
      last_id: page[page.length - 1]?.id ?? null,
      has_more: items.length > limit,
    };
  }

  private async owned(req: Request, id: string): Promise<StoredResponse> {
    const stored = await this.store.find(callerOf(req)!.token, id);
    if (!stored) throw ResponsesError.notFound(id);
    return stored;
  }
}

/** The upstream's events as they come; returns the finished response its terminal event carried, or undefined if the client left. */
async function relayNative(
  events: AsyncIterable<ServerSentEvent>,
  record: CallRecord,
  sse: SseWriter,
): Promise<ResponseObject | undefined> {
  let latest: ResponseObject | undefined;
  let sequence = 0;
  try {
    for await (const event of events) {
      const parsed = safeParse(event.data);
      const type = event.event ?? parsed.type ?? 'message';
      if (typeof parsed.sequence_number === 'number') sequence = parsed.sequence_number;
      if (parsed.response) latest = parsed.response;
      if (DELTA_EVENTS.has(type)) record.countDelta(parsed.delta);
      if (TERMINAL_EVENTS.has(type)) record.usageReported(chatUsageOfResponse(parsed.response?.usage));
      if (type === 'response.failed' || type === 'error') record.upstreamFailed(event.data);
      record.firstByteSent();
      if (sse.closed) return undefined;
      await sse.event(type, event.data);
      if (TERMINAL_EVENTS.has(type)) return latest;
    }
    return latest;
  } catch (error) {
    if (sse.closed) throw error;
    const failed = { ...(latest ?? {}), status: 'failed', error: failureOf(error, record) };
    await sse.event('response.failed', JSON.stringify({ type: 'response.failed', sequence_number: sequence + 1, response: failed }));
    throw error;
  }
}

/** Chat chunks → Responses events; returns the finished response, or undefined if the client left. */
async function relayTranslated(
  chunks: AsyncIterable<ChatCompletionChunk>,
  context: ResponseContext,
  record: CallRecord,
  sse: SseWriter,
): Promise<ResponseObject | undefined> {
  const state = createResponsesStreamState(context);
  const send = async (events: { type: string }[]) => {
    for (const event of events) await sse.event(event.type, JSON.stringify(event));
  };
  record.firstByteSent();
  await send(startResponsesStream(state));
  try {
    for await (const chunk of chunks) {
      record.countChunk(chunk);
      if (sse.closed) return undefined;
      await send(translateChatChunk(state, chunk));
    }
  } catch (error) {
    if (!sse.closed) await send(failResponsesStream(state, failureOf(error, record)));
    throw error;
  }
  if (sse.closed) return undefined;
  await send(finishResponsesStream(state));
  return finalResponse(state);
}

/** The error a failed stream reports to the client, in the dialect of `response.error`. */
function failureOf(error: unknown, record: CallRecord): { code: string; message: string } {
  const described = describeError(error, record.requestId);
  return { code: described.code ?? described.type, message: described.message };
}

function safeParse(data: string): { type?: string; sequence_number?: number; delta?: unknown; response?: ResponseObject } {
  try {
    return JSON.parse(data) as ReturnType<typeof safeParse>;
  } catch {
    return {};
  }
}
