import { Injectable } from '@nestjs/common';
import {
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatUsage,
  type Deployment,
  ProviderRegistry,
} from '@tollgate/providers';
import { ModelRouter, type RoutedResult } from '@tollgate/routing';

export interface CompletionResult {
  completion: ChatCompletion;
  routed: RoutedResult<unknown>;
}

export interface OpenedStream {
  routed: RoutedResult<unknown>;
  /** Chunks in upstream order, starting with the one already read while choosing the deployment. */
  chunks: AsyncIterable<ChatCompletionChunk>;
}

/** Chat completions through the router: the part of the request path after the guards. */
@Injectable()
export class ChatService {
  constructor(
    private readonly router: ModelRouter,
    private readonly providers: ProviderRegistry,
  ) {}

  async complete(request: ChatCompletionRequest, signal: AbortSignal): Promise<CompletionResult> {
    const routed = await this.router.route(
      request.model,
      (deployment) => this.providers.adapterFor(deployment.provider).chatCompletion(deployment, request, { signal }),
      signal,
    );
    return { completion: routed.value, routed };
  }

  /**
   * Opens a stream on the first deployment that produces a first chunk. Reading that chunk before
   * committing lets a failure at the very start (Ollama's error line, Anthropic's overloaded event)
   * still fall back; once the client has a byte, the deployment is fixed.
   */
  async openStream(request: ChatCompletionRequest, signal: AbortSignal): Promise<OpenedStream> {
    const routed = await this.router.route(
      request.model,
      async (deployment: Deployment) => {
        const stream = await this.providers.adapterFor(deployment.provider).streamChatCompletion(deployment, request, { signal });
        const iterator = stream[Symbol.asyncIterator]();
        const first = await iterator.next();
        return { first, iterator };
      },
      signal,
    );
    const { first, iterator } = routed.value;
    async function* replay(): AsyncIterable<ChatCompletionChunk> {
      try {
        if (first.done) return;
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      } finally {
        // A consumer that stops early (client gone) must release the upstream connection too.
        await iterator.return?.();
      }
    }
    return { routed, chunks: replay() };
  }
}

/** The usage chunk OpenAI sends last when `include_usage` is set: no choices, usage filled. */
export function usageOf(chunk: ChatCompletionChunk): ChatUsage | undefined {
  return chunk.choices.length === 0 && chunk.usage ? chunk.usage : undefined;
}
