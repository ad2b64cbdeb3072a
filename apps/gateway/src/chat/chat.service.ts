import { Injectable } from '@nestjs/common';
import {
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type Deployment,
  ProviderRegistry,
} from '@tollgate/providers';
import type { RoutedResult } from '@tollgate/routing';
import type { CallRecord } from '@tollgate/spend';

import { BudgetedRouter } from '../calls/budgeted-router';
import { firstThenRest } from '../streaming/first-then-rest';

export interface OpenedStream {
  routed: RoutedResult<unknown>;
  /** Chunks in upstream order, starting with the one already read while choosing the deployment. */
  chunks: AsyncIterable<ChatCompletionChunk>;
}

/** Chat completions through the budgeted router: the part of the request path after the guards. */
@Injectable()
export class ChatService {
  constructor(
    private readonly router: BudgetedRouter,
    private readonly providers: ProviderRegistry,
  ) {}

  async complete(request: ChatCompletionRequest, record: CallRecord, signal: AbortSignal): Promise<RoutedResult<ChatCompletion>> {
    const routed = await this.router.route(request.model, record, request, signal, (deployment) =>
      this.providers.adapterFor(deployment.provider).chatCompletion(deployment, request, { signal }),
    );
    record.countChoices(routed.value.choices);
    record.succeeded(routed.value.usage);
    return routed;
  }

  /**
   * Opens a stream on the first deployment that produces a first chunk. Reading that chunk before
   * committing lets a failure at the very start (Ollama's error line, Anthropic's overloaded event)
   * still fall back; once the client has a byte, the deployment is fixed.
   */
  async openStream(request: ChatCompletionRequest, record: CallRecord, signal: AbortSignal): Promise<OpenedStream> {
    const routed = await this.router.route(request.model, record, request, signal, async (deployment: Deployment) =>
      firstThenRest(await this.providers.adapterFor(deployment.provider).streamChatCompletion(deployment, request, { signal })),
    );
    return { routed, chunks: routed.value };
  }
}
