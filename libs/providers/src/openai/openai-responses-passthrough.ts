import { Injectable } from '@nestjs/common';
import type { Dispatcher } from 'undici';

import type { Deployment } from '../deployment';
import { type ServerSentEvent, SseParser } from '../stream-parsers';
import { openAIError, UpstreamError } from '../upstream.errors';
import { brokenStreamError, parseJsonOrNull, readBodyText, relayableHeaders, UpstreamHttp } from '../upstream-http';
import { openAIUpstreamError } from './openai.errors';

/** Events after which OpenAI sends nothing more for a response. */
const TERMINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * OpenAI's Responses API relayed as is to an OpenAI deployment: the body reaches the upstream as
 * the client wrote it, with only the model name and the credentials swapped (hosted tools, `include`,
 * encrypted reasoning and every field we do not know keep working).
 */
@Injectable()
export class OpenAIResponsesPassthrough {
  constructor(private readonly http: UpstreamHttp) {}

  /** Resolves with the upstream's 2xx response; a non-2xx becomes an UpstreamError in OpenAI's shape. */
  async send(
    deployment: Deployment,
    body: Record<string, unknown>,
    options: { signal?: AbortSignal; stream: boolean },
  ): Promise<Dispatcher.ResponseData> {
    const response = await this.http.send(deployment.apiBase, {
      method: 'POST',
      path: '/responses',
      headers: {
        ...(deployment.apiKey ? { authorization: `Bearer ${deployment.apiKey}` } : {}),
        ...(options.stream ? { accept: 'text/event-stream' } : {}),
      },
      body: { ...body, model: deployment.model },
      timeoutMs: options.stream ? deployment.streamTimeoutMs : deployment.timeoutMs,
      signal: options.signal,
    });
    if (response.statusCode < 300) return response;
    const text = await readBodyText(response, deployment.apiBase);
    throw openAIUpstreamError(response.statusCode, parseJsonOrNull(text), relayableHeaders(response.headers));
  }
}

/**
 * An upstream Responses stream, event by event. A first event that is an `error` or
 * `response.failed` fails the attempt like the HTTP error it stands for, so the router can still
 * fall back before the client has a byte; a stream that closes before its terminal event is broken.
 */
export async function* responsesStreamEvents(body: AsyncIterable<Uint8Array>, apiBase: string): AsyncIterable<ServerSentEvent> {
  const parser = new SseParser();
  let count = 0;
  let finished = false;
  const checked = function* (events: Iterable<ServerSentEvent>): Iterable<ServerSentEvent> {
    for (const event of events) {
      if (event.data === '[DONE]') continue;
      const type = event.event ?? (parseJsonOrNull(event.data) as { type?: string } | null)?.type;
      if (count++ === 0 && (type === 'error' || type === 'response.failed')) throw failureOf(event.data);
      yield event;
      if (type && TERMINAL_EVENTS.has(type)) finished = true;
    }
  };
  try {
    for await (const bytes of body) {
      yield* checked(parser.push(bytes));
      // Nothing follows the terminal event; returning lets the caller finish without waiting for the close.
      if (finished) return;
    }
    yield* checked(parser.end());
  } catch (error) {
    throw brokenStreamError(error, apiBase);
  }
  if (!finished)
    throw new UpstreamError(
      'stream',
      502,
      openAIError(`Upstream ${apiBase} ended the response stream before it completed`, 'api_error', 'upstream_stream_broken'),
    );
}

function failureOf(data: string): UpstreamError {
  const parsed = parseJsonOrNull(data) as {
    message?: unknown;
    code?: unknown;
    error?: { message?: unknown; code?: unknown };
    response?: { error?: { message?: unknown; code?: unknown } };
  } | null;
  const error = parsed?.response?.error ?? parsed?.error ?? parsed ?? {};
  const message = typeof error.message === 'string' ? error.message : 'Upstream response failed';
  const code = typeof error.code === 'string' ? error.code : null;
  return new UpstreamError('stream', code === 'rate_limit_exceeded' ? 429 : 502, openAIError(message, 'api_error', code));
}
