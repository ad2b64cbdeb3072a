import { Injectable } from '@nestjs/common';
import {
  anthropicChatUsage,
  AnthropicPassthrough,
  anthropicStreamEvents,
  anthropicToOpenAIRequest,
  badSuccessBodyError,
  type ChatCompletionChunk,
  type Deployment,
  fitToDeployment,
  isAnthropicMessage,
  openAIToAnthropicMessage,
  parseJsonOrNull,
  ProviderRegistry,
  readBodyText,
  type ServerSentEvent,
} from '@tollgate/providers';
import type { RoutedResult } from '@tollgate/routing';
import { type CallRecord, pricingFor } from '@tollgate/spend';
import type { Request } from 'express';

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
    return this.router.route(
      body.model,
      record,
      { max_tokens: body.max_tokens, lowerToModelMaximum: isTranslated },
      signal,
      async (deployment: Deployment): Promise<MessagesOutcome> => {
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
          return { kind: 'native-stream', events: await firstThenRest(anthropicStreamEvents(response.body, deployment.apiBase)), headers };
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
        return {
          kind: 'translated-stream',
          chunks: await firstThenRest(await adapter.streamChatCompletion(deployment, request, { signal })),
        };
      },
    );
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
