import { Injectable } from '@nestjs/common';
import { type EmbeddingRequest, openAIError, ProviderRegistry, UpstreamError } from '@tollgate/providers';
import type { RoutedResult } from '@tollgate/routing';
import type { CallRecord } from '@tollgate/spend';

import { BudgetedRouter } from '../calls/budgeted-router';

type Embeddings = { usage?: { prompt_tokens?: number; total_tokens?: number } };

/** Embeddings through the budgeted router, priced and ledgered like chat. */
@Injectable()
export class EmbeddingsService {
  constructor(
    private readonly router: BudgetedRouter,
    private readonly providers: ProviderRegistry,
  ) {}

  async create(request: EmbeddingRequest, record: CallRecord, signal: AbortSignal): Promise<RoutedResult<Embeddings>> {
    // Embeddings produce no output tokens: the reservation is the input bound alone.
    const routed = await this.router.route(request.model, record, { max_tokens: 0 }, signal, async (deployment) => {
      const adapter = this.providers.adapterFor(deployment.provider);
      if (!adapter.embeddings) {
        throw new UpstreamError(
          'http',
          400,
          openAIError(
            `Model "${deployment.alias}" (${deployment.provider}) does not serve embeddings`,
            'invalid_request_error',
            'embeddings_not_supported',
            'model',
          ),
        );
      }
      return (await adapter.embeddings(deployment, request, { signal })) as Embeddings;
    });
    // Passed on unchecked: settlement bills the input bound instead of a missing or unbelievable count.
    const promptTokens = routed.value.usage?.prompt_tokens as number;
    record.succeeded({ prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens });
    return routed;
  }
}
