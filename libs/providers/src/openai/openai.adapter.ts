import { Injectable } from '@nestjs/common';

import type { Deployment } from '../deployment';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, EmbeddingRequest } from '../openai.types';
import { withDeploymentOutputCap } from '../output-limit';
import type { ProviderAdapter, UpstreamCallOptions } from '../provider-adapter';
import { SseParser } from '../stream-parsers';
import { badSuccessBodyError, openAIError, UpstreamError } from '../upstream.errors';
import { brokenStreamError, parseJsonOrNull, readBodyText, relayableHeaders, UpstreamHttp } from '../upstream-http';
import { openAIUpstreamError } from './openai.errors';
import { toOpenAIUpstreamRequest } from './openai.transform';

@Injectable()
export class OpenAIAdapter implements ProviderAdapter {
  readonly provider = 'openai' as const;

  constructor(private readonly http: UpstreamHttp) {}

  async chatCompletion(deployment: Deployment, request: ChatCompletionRequest, options: UpstreamCallOptions): Promise<ChatCompletion> {
    const body = toOpenAIUpstreamRequest(withDeploymentOutputCap(request, deployment), deployment.model, false);
    return (await this.postJson(deployment, '/chat/completions', body, options, 'choices', 'a chat completion')) as ChatCompletion;
  }

  async embeddings(deployment: Deployment, request: EmbeddingRequest, options: UpstreamCallOptions): Promise<unknown> {
    return this.postJson(deployment, '/embeddings', { ...request, model: deployment.model }, options, 'data', 'an embeddings list');
  }

  async streamChatCompletion(
    deployment: Deployment,
    request: ChatCompletionRequest,
    options: UpstreamCallOptions,
  ): Promise<AsyncIterable<ChatCompletionChunk>> {
    const response = await this.http.send(deployment.apiBase, {
      method: 'POST',
      path: '/chat/completions',
      headers: this.headers(deployment),
      body: toOpenAIUpstreamRequest(withDeploymentOutputCap(request, deployment), deployment.model, true),
      timeoutMs: deployment.streamTimeoutMs,
      signal: options.signal,
    });
    if (response.statusCode >= 300) {
      const text = await readBodyText(response, deployment.apiBase);
      throw openAIUpstreamError(response.statusCode, parseJsonOrNull(text), relayableHeaders(response.headers));
    }
    return readOpenAIStream(response.body, deployment.apiBase);
  }

  async probe(deployment: Deployment): Promise<void> {
    const response = await this.http.send(deployment.apiBase, {
      method: 'GET',
      path: '/models',
      headers: this.headers(deployment),
      timeoutMs: 5_000,
    });
    const text = await readBodyText(response, deployment.apiBase);
    if (response.statusCode >= 300) throw openAIUpstreamError(response.statusCode, parseJsonOrNull(text), {});
  }

  /** `listField`: the array every genuine answer carries (`choices`, `data`); a 200 without it is not an answer. */
  private async postJson(
    deployment: Deployment,
    path: string,
    body: unknown,
    options: UpstreamCallOptions,
    listField: string,
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
    if (response.statusCode >= 300) throw openAIUpstreamError(response.statusCode, parsed, relayableHeaders(response.headers));
    if (!Array.isArray((parsed as Record<string, unknown> | null)?.[listField])) throw badSuccessBodyError('Upstream', parsed, expected);
    return parsed;
  }

  private headers(deployment: Deployment): Record<string, string> {
    return deployment.apiKey ? { authorization: `Bearer ${deployment.apiKey}` } : {};
  }
}

/** OpenAI SSE → chunks. A stream that closes before `[DONE]` is a failure, not a short answer. */
async function* readOpenAIStream(body: AsyncIterable<Uint8Array>, apiBase: string): AsyncIterable<ChatCompletionChunk> {
  const parser = new SseParser();
  let done = false;
  try {
    for await (const bytes of body) {
      for (const event of parser.push(bytes)) {
        if (event.data === '[DONE]') {
          done = true;
          continue;
        }
        yield parseChunk(event.data);
      }
    }
    for (const event of parser.end()) {
      if (event.data === '[DONE]') done = true;
      else yield parseChunk(event.data);
    }
  } catch (error) {
    throw brokenStreamError(error, apiBase);
  }
  if (!done) {
    throw new UpstreamError('stream', 502, openAIError('Upstream stream ended before [DONE]', 'api_error', 'upstream_stream_broken'));
  }
}

function parseChunk(data: string): ChatCompletionChunk {
  const parsed = parseJsonOrNull(data) as (ChatCompletionChunk & { error?: { message?: string; type?: string; code?: string } }) | null;
  if (parsed === null) {
    throw new UpstreamError(
      'stream',
      502,
      openAIError('Upstream sent a stream event that is not JSON', 'api_error', 'bad_upstream_response'),
    );
  }
  if (parsed.error) {
    throw new UpstreamError(
      'stream',
      502,
      openAIError(parsed.error.message ?? 'Upstream stream failed', parsed.error.type ?? 'api_error', parsed.error.code ?? null),
    );
  }
  return parsed;
}
