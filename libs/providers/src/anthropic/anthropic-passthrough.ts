import { Injectable } from '@nestjs/common';
import type { Dispatcher } from 'undici';

import type { Deployment } from '../deployment';
import { capOutputTokens, fitThinkingBudget } from '../output-limit';
import { UpstreamError } from '../upstream.errors';
import { parseJsonOrNull, readBodyText, relayableHeaders, UpstreamHttp } from '../upstream-http';
import { anthropicUpstreamError } from './anthropic.errors';

const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

/** Client headers an Anthropic upstream must see as sent: versions, betas and every other `anthropic-*`. */
export function forwardedAnthropicHeaders(clientHeaders: Record<string, string | string[] | undefined>): Record<string, string> {
  const forwarded: Record<string, string> = {};
  for (const [name, value] of Object.entries(clientHeaders)) {
    if (value !== undefined && name.toLowerCase().startsWith('anthropic-'))
      forwarded[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  forwarded['anthropic-version'] ??= DEFAULT_ANTHROPIC_VERSION;
  return forwarded;
}

/**
 * Anthropic's Messages API relayed as is, for Anthropic clients (Claude Code) calling an Anthropic
 * deployment: the body (system array, every cache_control, unknown fields) reaches the upstream
 * exactly as the client wrote it, with only the model name and the credentials swapped.
 */
@Injectable()
export class AnthropicPassthrough {
  constructor(private readonly http: UpstreamHttp) {}

  /** Resolves with the upstream's 2xx response; a non-2xx becomes an UpstreamError that keeps the native body. */
  async send(
    deployment: Deployment,
    path: '/messages' | '/messages/count_tokens',
    body: Record<string, unknown>,
    clientHeaders: Record<string, string | string[] | undefined>,
    options: { signal?: AbortSignal; stream: boolean },
  ): Promise<Dispatcher.ResponseData> {
    const headers = forwardedAnthropicHeaders(clientHeaders);
    if (deployment.apiKey) headers['x-api-key'] = deployment.apiKey;
    const response = await this.http.send(deployment.apiBase, {
      method: 'POST',
      path: /\/v1\/?$/.test(deployment.apiBase) ? path : `/v1${path}`,
      headers,
      body: { ...body, model: deployment.model, ...passthroughOutputCap(body, deployment) },
      timeoutMs: options.stream ? deployment.streamTimeoutMs : deployment.timeoutMs,
      signal: options.signal,
    });
    if (response.statusCode < 300) return response;
    const text = await readBodyText(response, deployment.apiBase);
    const errorHeaders = relayableHeaders(response.headers);
    // Anthropic clients quote `request-id` in support tickets; relay it with the native error.
    const requestId = response.headers['request-id'];
    if (typeof requestId === 'string') errorHeaders['request-id'] = requestId;
    const translated = anthropicUpstreamError(response.statusCode, parseJsonOrNull(text), errorHeaders);
    throw new UpstreamError(translated.kind, translated.status, translated.body, translated.headers, {
      status: response.statusCode,
      body: text,
    });
  }
}

/** The deployment's output cap over the client's `max_tokens`; count_tokens bodies carry none and get none. */
function passthroughOutputCap(body: Record<string, unknown>, deployment: Deployment): { max_tokens?: number; thinking?: unknown } {
  if (typeof body.max_tokens !== 'number' || deployment.maxTokens === undefined) return {};
  const maxTokens = capOutputTokens(body.max_tokens, deployment)!;
  return body.thinking === undefined
    ? { max_tokens: maxTokens }
    : { max_tokens: maxTokens, thinking: fitThinkingBudget(body.thinking, maxTokens) };
}
