import { Injectable } from '@nestjs/common';

import type { Deployment } from '../deployment';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../openai.types';
import { anthropicDefaultMaxTokens, fitThinkingBudget, withDeploymentOutputCap } from '../output-limit';
import type { ProviderAdapter, UpstreamCallOptions } from '../provider-adapter';
import { SseParser } from '../stream-parsers';
import { badSuccessBodyError, openAIError, UpstreamError } from '../upstream.errors';
import { brokenStreamError, parseJsonOrNull, readBodyText, relayableHeaders, UpstreamHttp } from '../upstream-http';
import { anthropicUpstreamError } from './anthropic.errors';
import { type AnthropicMessagesRequest, type AnthropicStreamEvent, isAnthropicMessage } from './anthropic.types';
import { toAnthropicRequest } from './chat-request.transform';
import { fromAnthropicMessage } from './chat-response.transform';
import { type AnthropicStreamState, createAnthropicStreamState, translateAnthropicEvent } from './chat-stream.transform';

/** https://docs.anthropic.com/en/api/versioning */
const ANTHROPIC_VERSION = '2023-06-01';

@Injectable()
export class AnthropicAdapter implements ProviderAdapter {
  readonly provider = 'anthropic' as const;

  constructor(private readonly http: UpstreamHttp) {}

  async chatCompletion(deployment: Deployment, request: ChatCompletionRequest, options: UpstreamCallOptions): Promise<ChatCompletion> {
    const body = this.toRequest(deployment, request, false);
    const response = await this.http.send(deployment.apiBase, {
      method: 'POST',
      path: apiPath(deployment.apiBase, '/messages'),
      headers: this.headers(deployment),
      body,
      timeoutMs: deployment.timeoutMs,
      signal: options.signal,
    });
    const text = await readBodyText(response, deployment.apiBase);
    const parsed = parseJsonOrNull(text);
    if (response.statusCode >= 300) throw anthropicUpstreamError(response.statusCode, parsed, relayableHeaders(response.headers));
    if (!isAnthropicMessage(parsed)) throw badSuccessBodyError('Anthropic', parsed, 'a message');
    return fromAnthropicMessage(parsed, Date.now());
  }

  async streamChatCompletion(
    deployment: Deployment,
    request: ChatCompletionRequest,
    options: UpstreamCallOptions,
  ): Promise<AsyncIterable<ChatCompletionChunk>> {
    const body = this.toRequest(deployment, request, true);
    const response = await this.http.send(deployment.apiBase, {
      method: 'POST',
      path: apiPath(deployment.apiBase, '/messages'),
      headers: this.headers(deployment),
      body,
      timeoutMs: deployment.streamTimeoutMs,
      signal: options.signal,
    });
    if (response.statusCode >= 300) {
      const text = await readBodyText(response, deployment.apiBase);
      throw anthropicUpstreamError(response.statusCode, parseJsonOrNull(text), relayableHeaders(response.headers));
    }
    return readAnthropicStream(response.body, deployment.apiBase, Date.now());
  }

  /** Listing models is free and proves the key works; a one-token message would cost money every probe. */
  async probe(deployment: Deployment): Promise<void> {
    const response = await this.http.send(deployment.apiBase, {
      method: 'GET',
      path: apiPath(deployment.apiBase, '/models'),
      headers: this.headers(deployment),
      timeoutMs: 5_000,
    });
    const text = await readBodyText(response, deployment.apiBase);
    if (response.statusCode >= 300) throw anthropicUpstreamError(response.statusCode, parseJsonOrNull(text), {});
  }

  private toRequest(deployment: Deployment, request: ChatCompletionRequest, stream: boolean): AnthropicMessagesRequest {
    const body = toAnthropicRequest(withDeploymentOutputCap(request, deployment), {
      model: deployment.model,
      defaultMaxTokens: anthropicDefaultMaxTokens(deployment),
      stream,
    });
    if (body.thinking !== undefined) body.thinking = fitThinkingBudget(body.thinking, body.max_tokens);
    return body;
  }

  private headers(deployment: Deployment): Record<string, string> {
    const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION, 'content-type': 'application/json' };
    if (deployment.apiKey) headers['x-api-key'] = deployment.apiKey;
    return headers;
  }
}

/**
 * LiteLLM configs spell Anthropic's base as `https://api.anthropic.com`, but some copy OpenAI's habit
 * of ending it in `/v1`; both must reach `/v1/messages`, not `/v1/v1/messages`.
 */
function apiPath(apiBase: string, path: string): string {
  return /\/v1\/?$/.test(apiBase) ? path : `/v1${path}`;
}

/**
 * Anthropic SSE → OpenAI chunks. The stream is complete only at `message_stop`: a connection that
 * closes before it lost the end of the answer and its usage, and must not pass for a short answer.
 */
async function* readAnthropicStream(body: AsyncIterable<Uint8Array>, apiBase: string, now: number): AsyncIterable<ChatCompletionChunk> {
  const parser = new SseParser();
  const state = createAnthropicStreamState(now);
  try {
    for await (const bytes of body) {
      for (const event of parser.push(bytes)) {
        yield* translate(state, event.event, event.data);
        // Nothing useful follows message_stop; returning lets the caller finish the response at once.
        if (state.done) return;
      }
    }
    for (const event of parser.end()) yield* translate(state, event.event, event.data);
  } catch (error) {
    throw brokenStreamError(error, apiBase);
  }
  if (!state.done) {
    throw new UpstreamError(
      'stream',
      502,
      openAIError('Anthropic stream ended before message_stop', 'api_error', 'upstream_stream_broken'),
    );
  }
}

function translate(state: AnthropicStreamState, name: string | undefined, data: string): ChatCompletionChunk[] {
  const event = parseEvent(name, data);
  try {
    return translateAnthropicEvent(state, event);
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    // A TypeError from an event missing its fields is Anthropic's malformed output, not a network failure.
    throw new UpstreamError(
      'stream',
      502,
      openAIError(`Anthropic sent a malformed ${String(event.type)} event`, 'api_error', 'bad_upstream_response'),
    );
  }
}

function parseEvent(name: string | undefined, data: string): AnthropicStreamEvent {
  const parsed = parseJsonOrNull(data) as { type?: unknown } | null;
  if (parsed === null || typeof parsed !== 'object') {
    throw new UpstreamError(
      'stream',
      502,
      openAIError('Anthropic sent a stream event that is not JSON', 'api_error', 'bad_upstream_response'),
    );
  }
  // The type lives in the data; the SSE event name is a fallback for proxies that strip it.
  if (typeof parsed.type !== 'string' && name) parsed.type = name;
  return parsed as AnthropicStreamEvent;
}
