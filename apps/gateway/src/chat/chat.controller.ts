import { Controller, HttpCode, Post, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { BudgetGuard } from '@tollgate/budgets';
import { Auth, AuthGuard, AuthMode, callerOf } from '@tollgate/keys';
import type { ChatCompletionChunk, ChatCompletionRequest } from '@tollgate/providers';
import { RateLimitGuard } from '@tollgate/rate-limits';
import { type CallRecord, SettledReply, SpendInterceptor } from '@tollgate/spend';
import type { Request, Response } from 'express';

import { BudgetedRouter } from '../calls/budgeted-router';
import { abortWhenClientLeaves } from '../common/client-abort';
import { describeError, renderOpenAIError } from '../common/error-descriptor';
import { routingHeaders } from '../common/routing-headers';
import { relayStream } from '../streaming/relay-stream';
import { SseWriter } from '../streaming/sse-writer';
import { ChatService } from './chat.service';
import { validateChatCompletionRequest } from './chat-request.validation';

/** OpenAI's `/v1/chat/completions` (and LiteLLM's unprefixed alias). */
@ApiExcludeController()
@Auth(AuthMode.VirtualKey)
@UseGuards(AuthGuard, RateLimitGuard, BudgetGuard)
@UseInterceptors(SpendInterceptor)
@Controller()
export class ChatController {
  constructor(
    private readonly chat: ChatService,
    private readonly calls: BudgetedRouter,
  ) {}

  @Post(['v1/chat/completions', 'chat/completions'])
  @HttpCode(200)
  async create(@Req() req: Request, @Res() res: Response): Promise<SettledReply | void> {
    const request = validateChatCompletionRequest(req.body);
    const record = this.calls.beginRecord(req, callerOf(req)!, 'chat_completion', request);
    const signal = abortWhenClientLeaves(req, res);
    if (!request.stream) {
      const routed = await this.chat.complete(request, record, signal);
      return new SettledReply(routingHeaders(routed), routed.value);
    }
    const { routed, chunks } = await this.chat.openStream(request, record, signal);
    const sse = new SseWriter(res);
    sse.start(routingHeaders(routed));
    await relayStream(record, sse, signal, {
      relay: () => relayChunks(chunks, request, record, sse),
      served: () => sse.data('[DONE]'),
      // The failure can only be told inside the stream, which then ends normally.
      failed: async (error) => {
        await sse.data(JSON.stringify(renderOpenAIError(describeError(error, record.requestId))));
        await sse.data('[DONE]');
      },
    });
  }
}

/** The upstream's chunks to the client as they come; undefined when the client left first. */
async function relayChunks(
  chunks: AsyncIterable<ChatCompletionChunk>,
  request: ChatCompletionRequest,
  record: CallRecord,
  sse: SseWriter,
): Promise<true | undefined> {
  const clientWantsUsage = request.stream_options?.include_usage === true;
  for await (const chunk of chunks) {
    record.countChunk(chunk);
    if (!clientWantsUsage) {
      // The usage-only chunk was asked for by the gateway, not the client: drop it; usage riding
      // on a chunk with choices (some OpenAI-compatible servers) is stripped from that chunk.
      if (chunk.choices.length === 0) continue;
      delete chunk.usage;
    }
    record.firstByteSent();
    await sse.data(JSON.stringify(chunk));
    if (sse.closed) break;
  }
  return sse.closed ? undefined : true;
}
