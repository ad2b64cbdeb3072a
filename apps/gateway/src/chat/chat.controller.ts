import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { ChatCompletionRequest } from '@tollgate/providers';
import { describeError, renderOpenAIError } from '../common/error-descriptor';
import { abortWhenClientLeaves } from '../common/client-abort';
import { requestIdOf } from '../common/request-id';
import { routingHeaders } from '../common/routing-headers';
import { validateChatCompletionRequest } from './chat-request.validation';
import { ChatService, usageOf } from './chat.service';
import { SseWriter } from './sse-writer';

/** OpenAI's `/v1/chat/completions` (and LiteLLM's unprefixed alias). */
@ApiExcludeController()
@Controller()
export class ChatController {
  constructor(private readonly chat: ChatService) {}

  @Post(['v1/chat/completions', 'chat/completions'])
  @HttpCode(200)
  async create(@Req() req: Request, @Res() res: Response): Promise<void> {
    const request = validateChatCompletionRequest(req.body);
    const signal = abortWhenClientLeaves(req, res);
    if (request.stream) {
      await this.stream(request, req, res, signal);
      return;
    }
    const { completion, routed } = await this.chat.complete(request, signal);
    for (const [name, value] of Object.entries(routingHeaders(routed))) res.setHeader(name, value);
    res.status(200).json(completion);
  }

  private async stream(request: ChatCompletionRequest, req: Request, res: Response, signal: AbortSignal): Promise<void> {
    const { routed, chunks } = await this.chat.openStream(request, signal);
    const sse = new SseWriter(res);
    sse.start(routingHeaders(routed));
    const clientWantsUsage = request.stream_options?.include_usage === true;
    try {
      for await (const chunk of chunks) {
        if (usageOf(chunk)) {
          if (!clientWantsUsage) continue;
        } else if (!clientWantsUsage) {
          delete chunk.usage;
        }
        await sse.data(JSON.stringify(chunk));
        if (sse.closed) break;
      }
      await sse.data('[DONE]');
    } catch (error) {
      // Headers are gone: the failure can only be told inside the stream, then the stream ends normally.
      await sse.data(JSON.stringify(renderOpenAIError(describeError(error, requestIdOf(req)))));
      await sse.data('[DONE]');
    } finally {
      sse.end();
    }
  }
}
