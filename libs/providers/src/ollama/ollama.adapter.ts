import { randomBytes } from 'node:crypto';

import { Injectable } from '@nestjs/common';

import type { Deployment } from '../deployment';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, EmbeddingRequest } from '../openai.types';
import { withDeploymentOutputCap } from '../output-limit';
import type { ProviderAdapter, UpstreamCallOptions } from '../provider-adapter';
import { NdjsonParser } from '../stream-parsers';
import { badSuccessBodyError, openAIError, UpstreamError } from '../upstream.errors';
import { brokenStreamError, parseJsonOrNull, readBodyText, relayableHeaders, UpstreamHttp } from '../upstream-http';
import { toOllamaChatRequest } from './chat-request.transform';
import { fromOllamaChatResponse } from './chat-response.transform';
import { createOllamaStreamState, OllamaStreamState, translateOllamaLine } from './chat-stream.transform';
import { fromOllamaEmbedResponse, OpenAIEmbeddingsResponse, toOllamaEmbedRequest } from './embeddings.transform';
import { ollamaUpstreamError } from './ollama.errors';
import type { OllamaChatResponse, OllamaEmbedResponse } from './ollama.types';

/**
 * Ollama through its native API (`/api/chat`, `/api/embed`), used for both the `ollama/` and
 * `ollama_chat/` config prefixes. The native API reports token counts on every answer and
 * streams NDJSON; its OpenAI-compatible layer is not used.
 */
@Injectable()
export class OllamaAdapter implements ProviderAdapter {
  readonly provider = 'ollama' as const;

  constructor(private readonly http: UpstreamHttp) {}

  async chatCompletion(deployment: Deployment, request: ChatCompletionRequest, options: UpstreamCallOptions): Promise<ChatCompletion> {
    const body = toOllamaChatRequest(withDeploymentOutputCap(request, deployment), { model: deployment.model, stream: false });
    const response = (await this.postJson(
      deployment,
      '/api/chat',
      body,
      options,
      (r) => typeof r.message === 'object' && r.message !== null,
      'a chat response',
    )) as OllamaChatResponse;
    return fromOllamaChatResponse(response, { now: Date.now(), id: newCompletionId() });
  }

  async streamChatCompletion(
    deployment: Deployment,
    request: ChatCompletionRequest,
    options: UpstreamCallOptions,
  ): Promise<AsyncIterable<ChatCompletionChunk>> {
    const body = toOllamaChatRequest(withDeploymentOutputCap(request, deployment), { model: deployment.model, stream: true });
    const response = await this.http.send(deployment.apiBase, {
      method: 'POST',
      path: '/api/chat',
      headers: this.headers(deployment),
      body,
      timeoutMs: deployment.streamTimeoutMs,
      signal: options.signal,
    });
    if (response.statusCode >= 300) {
      const text = await readBodyText(response, deployment.apiBase);
      throw ollamaUpstreamError(response.statusCode, parseJsonOrNull(text) ?? text, relayableHeaders(response.headers));
    }
    const state = createOllamaStreamState({ now: Date.now(), id: newCompletionId(), model: deployment.model });
    return readOllamaStream(response.body, state, deployment.apiBase);
  }

  async embeddings(deployment: Deployment, request: EmbeddingRequest, options: UpstreamCallOptions): Promise<OpenAIEmbeddingsResponse> {
    const body = toOllamaEmbedRequest(request, deployment.model);
    const response = (await this.postJson(
      deployment,
      '/api/embed',
      body,
      options,
      (r) => Array.isArray(r.embeddings),
      'an embeddings response',
    )) as OllamaEmbedResponse;
    return fromOllamaEmbedResponse(response, deployment.model, request.encoding_format);
  }

  /** `/api/version` answers without touching a model, so probing never triggers a slow model load. */
  async probe(deployment: Deployment): Promise<void> {
    const response = await this.http.send(deployment.apiBase, {
      method: 'GET',
      path: '/api/version',
      headers: this.headers(deployment),
      timeoutMs: 5_000,
    });
    const text = await readBodyText(response, deployment.apiBase);
    if (response.statusCode >= 300) throw ollamaUpstreamError(response.statusCode, parseJsonOrNull(text) ?? text, {});
  }

  /** `isAnswer`: whether a 200's JSON is the answer asked for, and not an error or a foreign body. */
  private async postJson(
    deployment: Deployment,
    path: string,
    body: unknown,
    options: UpstreamCallOptions,
    isAnswer: (parsed: Record<string, unknown>) => boolean,
    expected: string,
  ): Promise<unknown> {
    const response = await this.http.send(deployment.apiBase, {
      method: 'POST',
      path,
      headers: this.headers(deployment),
      body,
      timeoutMs: deployment.timeoutMs,
      signal: options.signal,
    });
    const text = await readBodyText(response, deployment.apiBase);
    const parsed = parseJsonOrNull(text);
    if (response.statusCode >= 300) throw ollamaUpstreamError(response.statusCode, parsed ?? text, relayableHeaders(response.headers));
    if (parsed === null || typeof parsed !== 'object' || !isAnswer(parsed as Record<string, unknown>))
      throw badSuccessBodyError('Ollama', parsed, expected);
    return parsed;
  }

  /** Plain Ollama has no auth, but one behind an authenticating proxy (or Ollama's cloud) takes a bearer token. */
  private headers(deployment: Deployment): Record<string, string> {
    return deployment.apiKey ? { authorization: `Bearer ${deployment.apiKey}` } : {};
  }
}

function newCompletionId(): string {
  return `chatcmpl-${randomBytes(12).toString('hex')}`;
}

/** Ollama NDJSON → chunks. A stream that closes before its `done: true` line is a failure, not a short answer. */
export async function* readOllamaStream(
  body: AsyncIterable<Uint8Array>,
  state: OllamaStreamState,
  apiBase: string,
): AsyncIterable<ChatCompletionChunk> {
  const parser = new NdjsonParser();
  try {
    for await (const bytes of body) {
      for (const line of parseLines(() => parser.push(bytes))) yield* translateOllamaLine(state, line);
    }
    for (const line of parseLines(() => parser.end())) yield* translateOllamaLine(state, line);
  } catch (error) {
    throw brokenStreamError(error, apiBase);
  }
  if (!state.done) {
    throw new UpstreamError('stream', 502, openAIError('Ollama stream ended before its final line', 'api_error', 'upstream_stream_broken'));
  }
}

function parseLines(parse: () => unknown[]): unknown[] {
  try {
    return parse();
  } catch {
    throw new UpstreamError('stream', 502, openAIError('Ollama sent a stream line that is not JSON', 'api_error', 'bad_upstream_response'));
  }
}
