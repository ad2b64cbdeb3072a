import { Controller, Head, HttpCode, Inject, Post, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { BudgetGuard } from '@tollgate/budgets';
import { Auth, AuthGuard, AuthMode, callerOf, mayCallModel } from '@tollgate/keys';
import {
  AnthropicPassthrough,
  type ChatCompletionChunk,
  createAnthropicEventState,
  finishAnthropicStream,
  type ServerSentEvent,
  translateOpenAIChunk,
} from '@tollgate/providers';
import { RateLimitGuard } from '@tollgate/rate-limits';
import { ModelRouter } from '@tollgate/routing';
import { type CallRecord, SettledReply, SpendInterceptor } from '@tollgate/spend';
import type { Request, Response } from 'express';

import { BudgetedRouter } from '../calls/budgeted-router';
import { abortWhenClientLeaves } from '../common/client-abort';
import { describeError, renderAnthropicError } from '../common/error-descriptor';
import { routingHeaders } from '../common/routing-headers';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { AnthropicEventWriter } from '../streaming/anthropic-event-writer';
import { relayStream } from '../streaming/relay-stream';
import { AnthropicUsageTracker } from './anthropic-usage';
import { MessagesService } from './messages.service';
import { type AnthropicMessagesBody, validateMessagesRequest } from './messages-request.validation';
import { estimateInputTokens } from './token-estimate';

/** Anthropic's Messages API, for Claude Code and Anthropic SDK clients (`?beta=true` included). */
@ApiExcludeController()
@Auth(AuthMode.VirtualKey)
@Controller()
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly calls: BudgetedRouter,
    private readonly router: ModelRouter,
    private readonly passthrough: AnthropicPassthrough,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Post('v1/messages')
  @HttpCode(200)
  @UseGuards(AuthGuard, RateLimitGuard, BudgetGuard)
  @UseInterceptors(SpendInterceptor)
  async create(@Req() req: Request, @Res() res: Response): Promise<SettledReply | void> {
    const body = validateMessagesRequest(req.body);
    const record = this.calls.beginRecord(req, callerOf(req)!, 'messages', body);
    const signal = abortWhenClientLeaves(req, res);
    const routed = await this.messages.create(body, req, record, signal);
    const outcome = routed.value;
    const headers = { ...routingHeaders(routed), ...('headers' in outcome ? outcome.headers : {}) };
    if (outcome.kind === 'native-json') return new SettledReply(headers, outcome.text);
    if (outcome.kind === 'translated-json') return new SettledReply(headers, outcome.message);

    const writer = new AnthropicEventWriter(res, this.config.streamKeepAliveMs);
    writer.start(headers);
    await relayStream(record, writer, signal, {
      relay: () =>
        outcome.kind === 'native-stream'
          ? relayNative(outcome.events, record, writer)
          : relayTranslated(outcome.chunks, body, record, writer),
      failed: (error) => writer.event('error', JSON.stringify(renderAnthropicError(describeError(error, record.requestId)))),
    });
  }

  /** Counts with Anthropic where the alias is served by Anthropic; elsewhere estimates locally and says so. */
  @Post('v1/messages/count_tokens')
  @UseGuards(RateLimitGuard)
  @HttpCode(200)
  async countTokens(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = validateMessagesRequest(req.body, false);
    const caller = callerOf(req);
    const deployment = this.router.deploymentFor(body.model, (alias) => !caller || mayCallModel(caller, alias));
    if (deployment.provider === 'anthropic') {
      const { max_tokens: _unused, stream: _alsoUnused, ...countable } = body;
      const response = await this.passthrough.send(deployment, '/messages/count_tokens', countable, req.headers, { stream: false });
      res.status(200).setHeader('x-tollgate-token-count', 'anthropic');
      res.type('application/json').send(await response.body.text());
      return;
    }
    res.status(200).setHeader('x-tollgate-token-count', 'estimated');
    res.json({ input_tokens: estimateInputTokens(body) });
  }

  /** Claude Code checks connectivity with `HEAD /api/hello`. */
  @Head('api/hello')
  @Auth(AuthMode.Public)
  @HttpCode(200)
  hello(): void {}
}

/** Anthropic's own events, relayed untouched; true once relayed whole, undefined when the client left first. */
async function relayNative(
  events: AsyncIterable<ServerSentEvent>,
  record: CallRecord,
  writer: AnthropicEventWriter,
): Promise<true | undefined> {
  const usage = new AnthropicUsageTracker();
  for await (const event of events) {
    const parsed = safeParse(event.data);
    usage.observe(parsed);
    if (parsed.type === 'content_block_delta') record.countDelta(parsed.delta?.text, parsed.delta?.partial_json, parsed.delta?.thinking);
    if (parsed.type === 'error') record.upstreamFailed(event.data);
    record.firstByteSent();
    record.usageReported(usage.toChatUsage(record.generatedTokensEstimate()));
    await writer.event(event.event ?? String(parsed.type), event.data);
    if (writer.closed) return undefined;
  }
  return writer.closed ? undefined : true;
}

/** OpenAI chunks from a translated deployment, as Anthropic events; undefined when the client left first. */
async function relayTranslated(
  chunks: AsyncIterable<ChatCompletionChunk>,
  body: AnthropicMessagesBody,
  record: CallRecord,
  writer: AnthropicEventWriter,
): Promise<true | undefined> {
  // OpenAI and Ollama count input only in their last chunk, after message_start has gone out, so
  // message_start carries an estimate and message_delta the upstream's real counts (README, "Token counts").
  const state = createAnthropicEventState({
    messageId: `msg_${record.requestId.replace(/-/g, '')}`,
    model: body.model,
    inputTokensEstimate: estimateInputTokens(body),
  });
  for await (const chunk of chunks) {
    record.countChunk(chunk);
    for (const event of translateOpenAIChunk(state, chunk)) {
      record.firstByteSent();
      await writer.event(event.type, JSON.stringify(event));
    }
    if (writer.closed) return undefined;
  }
  for (const event of finishAnthropicStream(state)) await writer.event(event.type, JSON.stringify(event));
  return writer.closed ? undefined : true;
}

function safeParse(
  data: string,
): { type?: string; delta?: { text?: unknown; partial_json?: unknown; thinking?: unknown } } & Record<string, unknown> {
  try {
    return JSON.parse(data) as ReturnType<typeof safeParse>;
  } catch {
    return {};
  }
}
