import { Controller, HttpCode, Post, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { BudgetGuard } from '@tollgate/budgets';
import { Auth, AuthGuard, AuthMode, callerOf } from '@tollgate/keys';
import { RateLimitGuard } from '@tollgate/rate-limits';
import { SettledReply, SpendInterceptor } from '@tollgate/spend';
import type { Request, Response } from 'express';

import { BudgetedRouter } from '../calls/budgeted-router';
import { abortWhenClientLeaves } from '../common/client-abort';
import { routingHeaders } from '../common/routing-headers';
import { EmbeddingsService } from './embeddings.service';
import { validateEmbeddingRequest } from './embeddings-request.validation';

/** OpenAI's `/v1/embeddings`, for OpenAI-compatible and Ollama deployments, priced and ledgered like chat. */
@ApiExcludeController()
@Auth(AuthMode.VirtualKey)
@UseGuards(AuthGuard, RateLimitGuard, BudgetGuard)
@UseInterceptors(SpendInterceptor)
@Controller()
export class EmbeddingsController {
  constructor(
    private readonly embeddings: EmbeddingsService,
    private readonly calls: BudgetedRouter,
  ) {}

  @Post(['v1/embeddings', 'embeddings'])
  @HttpCode(200)
  async create(@Req() req: Request, @Res() res: Response): Promise<SettledReply> {
    const request = validateEmbeddingRequest(req.body);
    const record = this.calls.beginRecord(req, callerOf(req)!, 'embedding', request);
    const routed = await this.embeddings.create(request, record, abortWhenClientLeaves(req, res));
    return new SettledReply(routingHeaders(routed), routed.value);
  }
}
