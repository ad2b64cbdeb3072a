import type { Deployment, ProviderName } from './deployment';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, EmbeddingRequest } from './openai.types';

export interface UpstreamCallOptions {
  /** Aborted when the client goes away or the gateway shuts down. */
  signal?: AbortSignal;
}

/**
 * What every provider adapter offers the router. Requests and responses are OpenAI-shaped;
 * the adapter translates to its provider (pure transforms in its folder) and does the I/O.
 * Every upstream failure surfaces as an UpstreamError.
 */
export interface ProviderAdapter {
  readonly provider: ProviderName;

  chatCompletion(deployment: Deployment, request: ChatCompletionRequest, options: UpstreamCallOptions): Promise<ChatCompletion>;

  /**
   * Resolves once the upstream has accepted the stream (2xx headers received); rejects before that.
   * The chunks always end with a usage chunk (`choices: []`) when the upstream reported usage,
   * whether or not the client asked for it: the gateway needs it for spend.
   * A failure after the stream started is thrown from the iterator as an UpstreamError of kind `stream`.
   */
  streamChatCompletion(
    deployment: Deployment,
    request: ChatCompletionRequest,
    options: UpstreamCallOptions,
  ): Promise<AsyncIterable<ChatCompletionChunk>>;

  /** Cheap liveness probe that never spends money (Ollama: /api/version). Resolves when healthy. */
  probe(deployment: Deployment): Promise<void>;

  embeddings?(deployment: Deployment, request: EmbeddingRequest, options: UpstreamCallOptions): Promise<unknown>;
}
