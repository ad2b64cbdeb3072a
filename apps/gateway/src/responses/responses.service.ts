import { randomBytes } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import { RequestLogLine } from '@tollgate/logging';
import {
  type ChatCompletionChunk,
  chatUsageOfResponse,
  type Deployment,
  inputItemsOf,
  openAIError,
  OpenAIResponsesPassthrough,
  parseJsonOrNull,
  ProviderRegistry,
  readBodyText,
  type ResponseContext,
  type ResponseItem,
  type ResponseObject,
  type ResponsesRequest,
  responsesStreamEvents,
  type ServerSentEvent,
  toChatCompletionRequest,
  toResponseObject,
  UpstreamError,
} from '@tollgate/providers';
import type { RoutedResult } from '@tollgate/routing';
import type { CallRecord } from '@tollgate/spend';

import { BudgetedRouter } from '../calls/budgeted-router';
import { firstThenRest } from '../streaming/first-then-rest';
import { ResponseStore } from './response-store';
import { ResponsesError } from './responses.errors';

/** The answer to a `/v1/responses` call, by the way it was produced. */
export type ResponsesOutcome =
  /** OpenAI deployment, non-streaming: the upstream's body, byte for byte, and its parse. */
  | { kind: 'native-json'; text: string; response: ResponseObject }
  /** OpenAI deployment, streaming: the upstream's events, relayed one by one. */
  | { kind: 'native-stream'; events: AsyncIterable<ServerSentEvent> }
  /** Anthropic or Ollama deployment: translated through the chat transforms. */
  | { kind: 'translated-json'; response: ResponseObject }
  | { kind: 'translated-stream'; chunks: AsyncIterable<ChatCompletionChunk>; context: ResponseContext };

/** A conversation to answer: the stored turns behind `previous_response_id`, then this request's input. */
export interface Conversation {
  history: ResponseItem[];
  input: ResponseItem[];
}

/**
 * OpenAI's Responses API on any deployment: relayed to OpenAI deployments, translated to the chat
 * shape (and back) for Anthropic and Ollama. Aliases, fallbacks, budgets and the ledger apply
 * exactly as on /v1/chat/completions. The gateway, not the upstream, owns conversation state, so
 * `previous_response_id` is expanded here and never reaches an upstream.
 */
@Injectable()
export class ResponsesService {
  private readonly logger = new Logger('Responses');

  constructor(
    private readonly router: BudgetedRouter,
    private readonly providers: ProviderRegistry,
    private readonly passthrough: OpenAIResponsesPassthrough,
    private readonly store: ResponseStore,
  ) {}

  /** The stored turns behind `previous_response_id` (the caller's own only), then this request's input. */
  async conversationOf(ownerToken: string, request: ResponsesRequest): Promise<Conversation> {
    const previousId = request.previous_response_id ?? null;
    const history = previousId ? await this.store.conversation(ownerToken, previousId) : [];
    if (!history) throw ResponsesError.previousNotFound(previousId!);
    return { history, input: inputItemsOf(request.input) };
  }

  /** Stores a finished answer for `previous_response_id` unless the client said `store: false`. */
  async keep(
    ownerToken: string,
    request: ResponsesRequest,
    conversation: Conversation,
    response: ResponseObject | undefined,
    requestId: string,
  ): Promise<void> {
    if (request.store === false || !response) return;
    // The answer is paid for by now: a store that fails must not lose it, only its continuation.
    await this.store
      .save(ownerToken, { response, input: conversation.input, previousId: request.previous_response_id ?? null })
      .catch((error: unknown) =>
        this.logger.warn(
          new RequestLogLine(requestId, `response ${response.id} not stored: ${(error as Error)?.message ?? String(error)}`),
        ),
      );
  }

  async create(
    request: ResponsesRequest,
    conversation: Conversation,
    record: CallRecord,
    signal: AbortSignal,
  ): Promise<RoutedResult<ResponsesOutcome>> {
    const stream = request.stream === true;
    return this.router.route(
      request.model,
      record,
      { max_tokens: request.max_output_tokens },
      signal,
      async (deployment: Deployment): Promise<ResponsesOutcome> => {
        if (deployment.provider === 'openai') {
          const response = await this.passthrough.send(deployment, upstreamBody(request, conversation), { signal, stream });
          if (stream)
            return { kind: 'native-stream', events: await firstThenRest(responsesStreamEvents(response.body, deployment.apiBase)) };
          const text = await readBodyText(response, deployment.apiBase);
          const parsed = parseJsonOrNull(text) as ResponseObject | null;
          if (parsed === null || typeof parsed !== 'object') {
            throw new UpstreamError(
              'http',
              502,
              openAIError('Upstream returned a body that is not JSON', 'api_error', 'bad_upstream_response'),
            );
          }
          record.succeeded(chatUsageOfResponse(parsed.usage));
          return { kind: 'native-json', text, response: parsed };
        }
        const chat = toChatCompletionRequest(request, [...conversation.history, ...conversation.input]);
        const adapter = this.providers.adapterFor(deployment.provider);
        const context = responseContext(request, record);
        if (!stream) {
          const completion = await adapter.chatCompletion(deployment, chat, { signal });
          record.succeeded(completion.usage);
          return { kind: 'translated-json', response: toResponseObject(completion, context) };
        }
        return {
          kind: 'translated-stream',
          chunks: await firstThenRest(await adapter.streamChatCompletion(deployment, chat, { signal })),
          context,
        };
      },
    );
  }
}

function responseContext(request: ResponsesRequest, record: CallRecord): ResponseContext {
  return {
    id: `resp_${randomBytes(24).toString('hex')}`,
    createdAt: Math.floor(record.startTime / 1000),
    model: request.model,
    request,
    newItemId: (prefix) => `${prefix}_${randomBytes(24).toString('hex')}`,
  };
}

/**
 * The body an OpenAI deployment gets: the client's own, unless it continues a stored response.
 * Then the stored turns are spelled out as input. Their item ids and reasoning without
 * `encrypted_content` are left out: the upstream never stored them (another backend may have
 * produced them, or the client sent `store: false`) and would refuse references it cannot resolve.
 */
function upstreamBody(request: ResponsesRequest, conversation: Conversation): Record<string, unknown> {
  if (request.previous_response_id == null) return request;
  const { previous_response_id: _expandedHere, ...rest } = request;
  const history = conversation.history
    .filter((item) => item.type !== 'reasoning' || typeof item.encrypted_content === 'string')
    .map(({ id: _unresolvable, ...item }) => item);
  return { ...rest, input: [...history, ...conversation.input] };
}
