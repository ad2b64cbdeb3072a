import { Controller, Head, HttpCode, Inject, Post, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BudgetGuard } from '@tollgate/budgets';
import { Auth, AuthGuard, AuthMode, callerOf, mayCallModel, RateLimitGuard } from '@tollgate/keys';
import {
  AnthropicPassthrough,
  type ChatCompletionChunk,
  createAnthropicEventState,
  finishAnthropicStream,
  translateOpenAIChunk,
  type ServerSentEvent,
} from '@tollgate/providers';
import { unknownModelError, ModelRegistry, DeploymentHealth } from '@tollgate/routing';
import { countGenerated, SpendInterceptor, SpendRecorder, type CallRecord } from '@tollgate/spend';
import { BudgetedRouter } from '../calls/budgeted-router';
import { abortWhenClientLeaves } from '../common/client-abort';
import { describeError, renderAnthropicError } from '../common/error-descriptor';
import { requestIdOf } from '../common/request-id';
import { routingHeaders } from '../common/routing-headers';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { usageOf } from '../chat/chat.service';
import { AnthropicEventWriter } from './anthropic-event-writer';
import { AnthropicUsageTracker } from './anthropic-usage';
import { estimateInputTokens } from './token-estimate';
import { type AnthropicMessagesBody, validateMessagesRequest } from './messages-request.validation';
import { MessagesService } from './messages.service';

/** Anthropic's Messages API, for Claude Code and Anthropic SDK clients (`?beta=true` included). */
@ApiExcludeController()
@Auth(AuthMode.VirtualKey)
@Controller()
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly calls: BudgetedRouter,
    private readonly spend: SpendRecorder,
    private readonly registry: ModelRegistry,
    private readonly health: DeploymentHealth,
    private readonly passthrough: AnthropicPassthrough,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Post('v1/messages')
  @HttpCode(200)
  @UseGuards(AuthGuard, RateLimitGuard, BudgetGuard)
  @UseInterceptors(SpendInterceptor)
  async create(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = validateMessagesRequest(req.body);
    const record = this.calls.beginRecord(req, callerOf(req)!, 'messages', body);
    const signal = abortWhenClientLeaves(req, res);
    const routed = await this.messages.create(body, req, record, signal);
    const outcome = routed.value;
    const headers = routingHeaders(routed);

    if (outcome.kind === 'native-json' || outcome.kind === 'translated-json') {
      record.status = 'success';
      await this.spend.settle(record);
      for (const [name, value] of Object.entries({ ...headers, ...(outcome.kind === 'native-json' ? outcome.headers : {}), ...this.spend.costHeaders(record) })) {
        res.setHeader(name, value);
      }
      if (outcome.kind === 'native-json') res.status(200).type('application/json').send(outcome.text);
      else res.status(200).json(outcome.message);
      return;
    }

    const writer = new AnthropicEventWriter(res, this.config.streamKeepAliveMs);
    writer.start({ ...headers, ...(outcome.kind === 'native-stream' ? outcome.headers : {}) });
    try {
      if (outcome.kind === 'native-stream') await this.relayNative(outcome.events, record, writer);
      else await this.relayTranslated(outcome.chunks, body, record, writer);
      record.status = writer.closed ? 'client_cancelled' : (record.status ?? 'success');
    } catch (error) {
      record.status = signal.aborted ? 'client_cancelled' : 'error';
      record.error = (error as Error)?.message ?? String(error);
      await writer.event('error', JSON.stringify(renderAnthropicError(describeError(error, requestIdOf(req)))));
    } finally {
      writer.end();
    }
  }

  /** Counts with Anthropic where the alias is served by Anthropic; elsewhere estimates locally and says so. */
  @Post('v1/messages/count_tokens')
  @UseGuards(RateLimitGuard)
  @HttpCode(200)
  async countTokens(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = validateMessagesRequest(req.body, false);
    const deployment = this.registry.deploymentsOf(body.model).find((d) => !this.health.isCoolingDown(d.id)) ?? this.registry.deploymentsOf(body.model)[0];
    if (!deployment) {
      const caller = callerOf(req);
      throw unknownModelError(body.model, this.registry.aliases().filter((alias) => !caller || mayCallModel(caller, alias)));
    }
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

  private async relayNative(events: AsyncIterable<ServerSentEvent>, record: CallRecord, writer: AnthropicEventWriter): Promise<void> {
    const usage = new AnthropicUsageTracker();
    for await (const event of events) {
      const parsed = safeParse(event.data);
      usage.observe(parsed);
      if (parsed.type === 'content_block_delta') countGenerated(record, parsed.delta?.text, parsed.delta?.partial_json, parsed.delta?.thinking);
      if (parsed.type === 'error') {
        record.status = 'error';
        record.error = event.data.slice(0, 500);
      }
      record.firstByteAt ??= Date.now();
      record.usage = usage.toChatUsage(generatedTokensEstimate(record));
      await writer.event(event.event ?? String(parsed.type), event.data);
      if (writer.closed) return;
    }
  }

  private async relayTranslated(chunks: AsyncIterable<ChatCompletionChunk>, body: AnthropicMessagesBody, record: CallRecord, writer: AnthropicEventWriter): Promise<void> {
    const model = body.model;
    // OpenAI and Ollama count input only in their last chunk, after message_start has gone out, so
    // message_start carries an estimate and message_delta the upstream's real counts (README, "Token counts").
    const state = createAnthropicEventState({ messageId: `msg_${record.requestId.replace(/-/g, '')}`, model, inputTokensEstimate: estimateInputTokens(body) });
    for await (const chunk of chunks) {
      const usage = usageOf(chunk);
      if (usage) record.usage = usage;
      for (const choice of chunk.choices) countGenerated(record, choice.delta.content, choice.delta.reasoning_content, ...(choice.delta.tool_calls ?? []).map((t) => t.function?.arguments));
      for (const event of translateOpenAIChunk(state, chunk)) {
        record.firstByteAt ??= Date.now();
        await writer.event(event.type, JSON.stringify(event));
      }
      if (writer.closed) return;
    }
    for (const event of finishAnthropicStream(state)) await writer.event(event.type, JSON.stringify(event));
  }
}

function safeParse(data: string): { type?: string; delta?: { text?: unknown; partial_json?: unknown; thinking?: unknown } } & Record<string, unknown> {
  try {
    return JSON.parse(data) as ReturnType<typeof safeParse>;
  } catch {
    return {};
  }
}

/**
 * Output tokens at least generated, from the deltas relayed so far: one per delta, or a character
 * count at three characters a token, whichever is more — the ratio SpendRecorder bills a stream
 * with no usage at all by (libs/spend/src/spend-recorder.ts), low enough to over-count, never under.
 */
function generatedTokensEstimate(record: CallRecord): number {
  return Math.max(record.generatedChunks, Math.ceil(record.generatedChars / 3));
}

