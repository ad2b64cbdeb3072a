import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import {
  anthropicChatUsage,
  AnthropicPassthrough,
  anthropicToOpenAIRequest,
  type ChatCompletionChunk,
  type Deployment,
  badSuccessBodyError,
  isAnthropicMessage,
  fitToDeployment,
  openAIError,
  openAIToAnthropicMessage,
  parseJsonOrNull,
  readBodyText,
  ProviderRegistry,
  type ServerSentEvent,
  SseParser,
  brokenStreamError,
  UpstreamError,
} from '@tollgate/providers';
import type { RoutedResult } from '@tollgate/routing';
import { type CallRecord, pricingFor } from '@tollgate/spend';
import { BudgetedRouter } from '../calls/budgeted-router';
import { firstThenRest } from '../streaming/first-then-rest';
import type { AnthropicMessagesBody } from './messages-request.validation';

/** The answer to a `/v1/messages` call, by the way it was produced. */
export type MessagesOutcome =
  /** Anthropic deployment, non-streaming: the upstream's body, byte for byte. */
  | { kind: 'native-json'; text: string; headers: Record<string, string> }
  /** Anthropic deployment, streaming: the upstream's events, relayed one by one. */
  | { kind: 'native-stream'; events: AsyncIterable<ServerSentEvent>; headers: Record<string, string> }
  /** OpenAI or Ollama deployment: translated to Anthropic's shapes. */
  | { kind: 'translated-json'; message: unknown }
  | { kind: 'translated-stream'; chunks: AsyncIterable<ChatCompletionChunk> };

const RELAYED_HEADER = /^(request-id|retry-after|x-should-retry|anthropic-ratelimit-.*)$/i;

/**
 * Anthropic's Messages API for any deployment: relayed untouched to Anthropic, translated to
 * OpenAI's chat format (and back) for OpenAI-compatible and Ollama deployments. Aliases,
 * fallbacks, budgets and the ledger apply exactly as on /v1/chat/completions.
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly router: BudgetedRouter,
    private readonly providers: ProviderRegistry,
    private readonly passthrough: AnthropicPassthrough,
  ) {}

  async create(body: AnthropicMessagesBody, req: Request, record: CallRecord, signal: AbortSignal): Promise<RoutedResult<MessagesOutcome>> {
    const stream = body.stream === true;
    return this.router.route(body.model, record, { max_tokens: body.max_tokens, lowerToModelMaximum: isTranslated }, signal, async (deployment: Deployment): Promise<MessagesOutcome> => {
      if (deployment.provider === 'anthropic') {
        const response = await this.passthrough.send(deployment, '/messages', body, req.headers, { signal, stream });
        const headers = relayedHeaders(response.headers);
        if (!stream) {
          const text = await readBodyText(response, deployment.apiBase);
          const message = parseJsonOrNull(text);
          if (!isAnthropicMessage(message)) throw badSuccessBodyError('Anthropic', message, 'a message');
          record.countBlocks(message.content);
          record.succeeded(anthropicChatUsage(message.usage));
          return { kind: 'native-json', text, headers };
        }
        return { kind: 'native-stream', events: await firstThenRest(sseEvents(response.body, deployment.apiBase)), headers };
      }
      // A ProviderRequestError here fails this attempt only: the router moves on (see ModelRouter).
      const request = fitToDeployment(anthropicToOpenAIRequest(body as never), deployment, pricingFor(deployment).maxOutputTokens);
      const adapter = this.providers.adapterFor(deployment.provider);
      if (!stream) {
        const completion = await adapter.chatCompletion(deployment, request, { signal });
        record.countChoices(completion.choices);
        record.succeeded(completion.usage);
        return { kind: 'translated-json', message: openAIToAnthropicMessage(completion, body.model) };
      }
      return { kind: 'translated-stream', chunks: await firstThenRest(await adapter.streamChatCompletion(deployment, request, { signal })) };
    });
  }
}

/** Translated deployments: the client asked in Anthropic's terms and cannot know this model's output limit. */
function isTranslated(deployment: Deployment): boolean {
  return deployment.provider !== 'anthropic';
}

function relayedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const relayed: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && RELAYED_HEADER.test(name)) relayed[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return relayed;
}

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
async function* sseEvents(body: AsyncIterable<Uint8Array>, apiBase: string): AsyncIterable<ServerSentEvent> {
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
    throw new UpstreamError('stream', 502, openAIError('The upstream provider ended the stream without an event', 'api_error'), {}, undefined, `${apiBase} ended the stream without an event`);
  }
}

function failIfError(event: ServerSentEvent, apiBase: string): void {
  const data = parseJsonOrNull(event.data) as { type?: unknown; error?: { type?: unknown; message?: unknown } } | null;
  // A first event that is not an Anthropic event (not JSON, or OpenAI's `{"error": …}`) is a broken upstream.
  if (data === null || typeof data !== 'object' || (typeof data.type !== 'string' && event.event === undefined)) {
    throw new UpstreamError('stream', 502, openAIError(`Upstream ${apiBase} began its stream with something that is not an Anthropic event`, 'api_error', 'bad_upstream_response'));
  }
  if (event.event !== 'error' && data.type !== 'error') return;
  const type = typeof data.error?.type === 'string' ? data.error.type : 'api_error';
  const message = typeof data.error?.message === 'string' ? data.error.message : 'Anthropic stream failed';
  const nativeStatus = STATUS_OF_ERROR_TYPE[type] ?? 500;
  // 'http': the router judges it as it would the same status (overload and 5xx retried, 4xx not).
  // 529 is Anthropic's own; clients in OpenAI's dialect get 503, as for an HTTP 529.
  throw new UpstreamError('http', nativeStatus === 529 ? 503 : nativeStatus, openAIError(message, type), {}, { status: nativeStatus, body: event.data });
}
