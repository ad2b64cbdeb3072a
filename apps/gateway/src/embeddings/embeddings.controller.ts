import { Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { BudgetGuard } from '@tollgate/budgets';
import { Auth, AuthGuard, AuthMode, callerOf } from '@tollgate/keys';
import { RateLimitGuard } from '@tollgate/rate-limits';
import { SettledReply } from '@tollgate/spend';
import type { Request, Response } from 'express';

import { BudgetedRouter } from '../calls/budgeted-router';
import { SettledCalls } from '../calls/settled-calls';
import { abortWhenClientLeaves } from '../common/client-abort';
import { routingHeaders } from '../common/routing-headers';
import { EmbeddingsService } from './embeddings.service';
import { validateEmbeddingRequest } from './embeddings-request.validation';

/** OpenAI's `/v1/embeddings`, for OpenAI-compatible and Ollama deployments, priced and ledgered like chat. */
@ApiExcludeController()
@Auth(AuthMode.VirtualKey)
@UseGuards(AuthGuard, RateLimitGuard, BudgetGuard)
@Controller()
export class EmbeddingsController {
  constructor(
    private readonly embeddings: EmbeddingsService,
    private readonly calls: BudgetedRouter,
    private readonly settled: SettledCalls,
  ) {}

  @Post(['v1/embeddings', 'embeddings'])
  @HttpCode(200)
  create(@Req() req: Request, @Res() res: Response): Promise<unknown> {
    return this.settled.run(req, res, () => this.serve(req, res));
  }

  private async serve(req: Request, res: Response): Promise<SettledReply> {
    const request = validateEmbeddingRequest(req.body);
    const record = this.calls.beginRecord(req, callerOf(req)!, 'embedding', request);
    const routed = await this.embeddings.create(request, record, abortWhenClientLeaves(req, res));
    return new SettledReply(routingHeaders(routed), routed.value);
  }
}
