import { type ServerSentEvent, SseParser } from '../stream-parsers';
import { openAIError, UpstreamError } from '../upstream.errors';
import { addressForLog, brokenStreamError, parseJsonOrNull } from '../upstream-http';

/** Anthropic's HTTP status for each error type: https://docs.anthropic.com/en/api/errors */
const STATUS_OF_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/**
 * The upstream's events, one by one. The first one is special: the attempt awaits it (see
 * firstThenRest) so that a stream failing at its very start can still be retried or fall back
 * before the client has a byte. Anthropic reports overload that way — a 200 whose first event is
 * `error` — so that event fails the attempt like the HTTP error it stands for, carrying its body
 * to relay unchanged if no other deployment answers. A stream that ends without any event fails
 * the same way. Every later event, `error` included, is relayed as it comes.
 */
export async function* anthropicStreamEvents(body: AsyncIterable<Uint8Array>, apiBase: string): AsyncIterable<ServerSentEvent> {
  const parser = new SseParser();
  let count = 0;
  const checked = function* (events: Iterable<ServerSentEvent>): Iterable<ServerSentEvent> {
    for (const event of events) {
      if (count++ === 0) failIfError(event, apiBase);
      yield event;
    }
  };
  try {
    for await (const bytes of body) yield* checked(parser.push(bytes));
    yield* checked(parser.end());
  } catch (error) {
    throw brokenStreamError(error, apiBase);
  }
  if (count === 0) {
    throw new UpstreamError(
      'stream',
      502,
      openAIError('The upstream provider ended the stream without an event', 'api_error'),
      {},
      undefined,
      `${addressForLog(apiBase)} ended the stream without an event`,
    );
  }
}

function failIfError(event: ServerSentEvent, apiBase: string): void {
  const data = parseJsonOrNull(event.data) as { type?: unknown; error?: { type?: unknown; message?: unknown } } | null;
  // A first event that is not an Anthropic event (not JSON, or OpenAI's `{"error": …}`) is a broken upstream.
  if (data === null || typeof data !== 'object' || (typeof data.type !== 'string' && event.event === undefined)) {
    throw new UpstreamError(
      'stream',
      502,
      openAIError(
        `Upstream ${apiBase} began its stream with something that is not an Anthropic event`,
        'api_error',
        'bad_upstream_response',
      ),
    );
  }
  if (event.event !== 'error' && data.type !== 'error') return;
  const type = typeof data.error?.type === 'string' ? data.error.type : 'api_error';
  const message = typeof data.error?.message === 'string' ? data.error.message : 'Anthropic stream failed';
  const nativeStatus = STATUS_OF_ERROR_TYPE[type] ?? 500;
  // 'http': the router judges it as it would the same status (overload and 5xx retried, 4xx not).
  // 529 is Anthropic's own; clients in OpenAI's dialect get 503, as for an HTTP 529.
  throw new UpstreamError(
    'http',
    nativeStatus === 529 ? 503 : nativeStatus,
    openAIError(message, type),
    {},
    { status: nativeStatus, body: event.data },
  );
}
