import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { Caller } from '@tollgate/keys';
import {
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatUsage,
  type Deployment,
  ProviderRegistry,
} from '@tollgate/providers';
import { ModelRouter, type Attempt, type RoutedResult } from '@tollgate/routing';
import { attachCallRecord, inputTokensUpperBound, SpendRecorder, type CallRecord, type CallType } from '@tollgate/spend';
import { requestIdOf } from '../common/request-id';
import { sessionIdOf } from '../common/session';

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
    private readonly spend: SpendRecorder,
  ) {}

  /** Starts the request's ledger record; the spend interceptor settles it when the request ends. */
  beginRecord(req: Request, caller: Caller, callType: CallType, body: { model: string; user?: unknown; metadata?: unknown; messages?: unknown }): CallRecord {
    const tags = (body.metadata as { tags?: unknown } | undefined)?.tags;
    const record: CallRecord = {
      requestId: requestIdOf(req),
      callType,
      caller,
      startTime: Date.now(),
      modelGroup: body.model,
      endUser: typeof body.user === 'string' ? body.user : null,
      sessionId: sessionIdOf(req, body),
      metadata: Array.isArray(tags) ? { tags } : {},
      inputTokensBound: inputTokensUpperBound(body),
      attemptedFallbacks: 0,
      generatedChars: 0,
      generatedChunks: 0,
      settled: false,
    };
    attachCallRecord(req, record);
    return record;
  }

  async complete(request: ChatCompletionRequest, record: CallRecord, signal: AbortSignal): Promise<RoutedResult<ChatCompletion>> {
    const routed = await this.route(request, record, signal, (deployment) =>
      this.providers.adapterFor(deployment.provider).chatCompletion(deployment, request, { signal }),
    );
    record.usage = routed.value.usage;
    record.status = 'success';
    return routed;
  }

  /**
   * Opens a stream on the first deployment that produces a first chunk. Reading that chunk before
   * committing lets a failure at the very start (Ollama's error line, Anthropic's overloaded event)
   * still fall back; once the client has a byte, the deployment is fixed.
   */
  async openStream(request: ChatCompletionRequest, record: CallRecord, signal: AbortSignal): Promise<OpenedStream> {
    const routed = await this.route(request, record, signal, async (deployment: Deployment) => {
      const stream = await this.providers.adapterFor(deployment.provider).streamChatCompletion(deployment, request, { signal });
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      return { first, iterator };
    });
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

  /** Every attempt reserves its deployment's cost bound first, and hands it back if the attempt fails. */
  private async route<T>(request: ChatCompletionRequest, record: CallRecord, signal: AbortSignal, call: Attempt<T>): Promise<RoutedResult<T>> {
    const routed = await this.router.route(
      request.model,
      async (deployment) => {
        await this.spend.reserveForAttempt(record, deployment, request);
        try {
          return await call(deployment);
        } catch (error) {
          await this.spend.releaseAttempt(record);
          throw error;
        }
      },
      signal,
    );
    record.servedByAlias = routed.servedByAlias;
    record.attemptedFallbacks = routed.attemptedFallbacks;
    return routed;
  }
}

/** The usage chunk OpenAI sends last when `include_usage` is set: no choices, usage filled. */
export function usageOf(chunk: ChatCompletionChunk): ChatUsage | undefined {
  return chunk.choices.length === 0 && chunk.usage ? chunk.usage : undefined;
}
