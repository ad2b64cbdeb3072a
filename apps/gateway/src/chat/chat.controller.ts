import { Controller, HttpCode, Post, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BudgetGuard } from '@tollgate/budgets';
import { Auth, AuthGuard, AuthMode, callerOf, RateLimitGuard } from '@tollgate/keys';
import type { ChatCompletionChunk, ChatCompletionRequest } from '@tollgate/providers';
import { countGenerated, SpendInterceptor, SpendRecorder, type CallRecord } from '@tollgate/spend';
import { abortWhenClientLeaves } from '../common/client-abort';
import { describeError, renderOpenAIError } from '../common/error-descriptor';
import { requestIdOf } from '../common/request-id';
import { routingHeaders } from '../common/routing-headers';
import { validateChatCompletionRequest } from './chat-request.validation';
import { BudgetedRouter } from '../calls/budgeted-router';
import { ChatService, usageOf } from './chat.service';
import { SseWriter } from './sse-writer';

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
    private readonly spend: SpendRecorder,
  ) {}

  @Post(['v1/chat/completions', 'chat/completions'])
  @HttpCode(200)
  async create(@Req() req: Request, @Res() res: Response): Promise<void> {
    const request = validateChatCompletionRequest(req.body);
    const record = this.calls.beginRecord(req, callerOf(req)!, 'chat_completion', request);
    const signal = abortWhenClientLeaves(req, res);
    if (request.stream) {
      await this.stream(request, record, req, res, signal);
      return;
    }
    const routed = await this.chat.complete(request, record, signal);
    // Settled before answering, so the answer can carry its exact cost.
    await this.spend.settle(record);
    for (const [name, value] of Object.entries({ ...routingHeaders(routed), ...this.spend.costHeaders(record) })) res.setHeader(name, value);
    res.status(200).json(routed.value);
  }

  private async stream(request: ChatCompletionRequest, record: CallRecord, req: Request, res: Response, signal: AbortSignal): Promise<void> {
    const { routed, chunks } = await this.chat.openStream(request, record, signal);
    const sse = new SseWriter(res);
    sse.start(routingHeaders(routed));
    const clientWantsUsage = request.stream_options?.include_usage === true;
    try {
      for await (const chunk of chunks) {
        const usage = usageOf(chunk);
        if (usage) record.usage = usage;
        for (const choice of chunk.choices) countGeneratedDelta(record, choice.delta);
        if (!clientWantsUsage) {
          // The usage-only chunk was asked for by the gateway, not the client: drop it; usage riding
          // on a chunk with choices (some OpenAI-compatible servers) is stripped from that chunk.
          if (chunk.choices.length === 0) continue;
          delete chunk.usage;
        }
        record.firstByteAt ??= Date.now();
        await sse.data(JSON.stringify(chunk));
        if (sse.closed) break;
      }
      record.status = sse.closed ? 'client_cancelled' : 'success';
      await sse.data('[DONE]');
    } catch (error) {
      record.status = signal.aborted ? 'client_cancelled' : 'error';
      record.error = (error as Error)?.message ?? String(error);
      // Headers are gone: the failure can only be told inside the stream, then the stream ends normally.
      await sse.data(JSON.stringify(renderOpenAIError(describeError(error, requestIdOf(req)))));
      await sse.data('[DONE]');
    } finally {
      sse.end();
    }
  }
}

/** Output received so far, for billing a stream whose usage never arrives or cannot be trusted. */
function countGeneratedDelta(record: CallRecord, delta: ChatCompletionChunk['choices'][number]['delta'] | undefined): void {
  countGenerated(record, delta?.content, delta?.reasoning_content, ...(delta?.tool_calls ?? []).map((call) => call.function?.arguments));
}
