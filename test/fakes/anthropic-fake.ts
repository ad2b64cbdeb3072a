/**
 * A fake Anthropic API: Messages (JSON and SSE), token counting and Models, with Anthropic's error
 * bodies and `request-id` headers. Formats follow https://docs.anthropic.com/en/api/messages,
 * https://docs.anthropic.com/en/docs/build-with-claude/streaming and the @anthropic-ai/sdk types.
 */
import {
  argumentPieces,
  argumentsJson,
  argumentsObject,
  chunkText,
  contentText,
  DEFAULT_COMPLETION_TOKENS,
  DEFAULT_REPLY_TEXT,
  estimateTokens,
  type Exchange,
  type FakeBehaviour,
  type FakeToolCall,
  FakeUpstream,
  type FakeUpstreamOptions,
  randomHex,
  type RecordedRequest,
  type ReplyBehaviour,
  wantsStream,
} from './fake-upstream';

export interface AnthropicFakeOptions extends FakeUpstreamOptions {
  /** When set, requests must carry it as `x-api-key` or `authorization: Bearer`, or get a 401. */
  apiKey?: string;
  /**
   * Models listed by `GET /v1/models`. Only when this option is given are other models refused with
   * Anthropic's 404 `not_found_error` (`model: <name>`); without it any model name is served.
   */
  models?: string[];
  /** SSE line ending; Anthropic sends `\n`, `\r\n` exercises a client's handling of the other legal form. */
  lineEnding?: '\n' | '\r\n';
}

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

/** Overrides for one reply (all optional; the defaults make a deterministic answer). */
export interface AnthropicReply {
  /** Text block content; `null` or `''` sends no text block (the default when there are tool calls). */
  text?: string | null;
  /** Exact `text_delta` pieces to stream; by default `text` is cut into 4-code-point pieces. */
  chunks?: string[];
  /** A leading thinking block (`thinking_delta`s then one `signature_delta` when streamed). */
  thinking?: { text: string; signature?: string };
  /** `tool_use` blocks after the text; `arguments` becomes `input`, streamed as `input_json_delta`s. */
  toolCalls?: FakeToolCall[];
  /** Default: `tool_use` when there are tool calls, else `end_turn`. */
  stopReason?: AnthropicStopReason;
  stopSequence?: string | null;
  /**
   * Uncached input tokens. Default: `promptTokensForAnthropic(body) − cacheReadInputTokens −
   * cacheCreationInputTokens` (floored at 0), so the three always add up to the prompt's size.
   */
  inputTokens?: number;
  /** Default: `DEFAULT_COMPLETION_TOKENS`. */
  outputTokens?: number;
  /** Default 0. */
  cacheCreationInputTokens?: number;
  /** Default 0. */
  cacheReadInputTokens?: number;
  /** The `model` the answer reports; default: the requested one. */
  model?: string;
  /**
   * A lying or broken usage report: an object is sent verbatim instead of the computed counts (in message_start, message_delta and a whole message)
   * (negative, fractional, huge or non-numeric values, missing fields), `null` sends no usage at all.
   */
  usage?: Record<string, unknown> | null;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

export type AnthropicBehaviour = FakeBehaviour<AnthropicReply>;

export const DEFAULT_ANTHROPIC_MODELS = ['claude-sonnet-4-6', 'claude-opus-4-6', 'claude-haiku-4-5'];

/**
 * Prompt tokens the fake counts for a Messages (or count_tokens) request: `estimateTokens` of the
 * `system` text followed by the text of every message (string contents, `text` blocks and the text
 * inside `tool_result` blocks; images, tool definitions and `tool_use` inputs count nothing).
 * This matches `promptTokensForOpenAI` on the OpenAI form of the same conversation.
 */
export function promptTokensForAnthropic(body: unknown): number {
  const request = body as { system?: unknown; messages?: unknown } | undefined;
  const messages = Array.isArray(request?.messages) ? request.messages : [];
  const text = contentText(request?.system) + messages.map((m: { content?: unknown }) => contentText(m?.content)).join('');
  return estimateTokens(text);
}

/** Anthropic's error envelope, used for HTTP errors and for the `error` event of a broken stream. */
export function anthropicErrorBody(type: string, message: string, requestId?: string) {
  return { type: 'error', error: { type, message }, ...(requestId ? { request_id: requestId } : {}) };
}

const ERROR_TYPES: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'Invalid request.'],
  401: ['authentication_error', 'invalid x-api-key'],
  402: [
    'billing_error',
    'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
  ],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'Not found'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: [
    'rate_limit_error',
    'Number of request tokens has exceeded your per-minute rate limit (https://docs.claude.com/en/api/rate-limits); see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later.',
  ],
  500: ['api_error', 'Internal server error'],
  504: ['timeout_error', 'Request timed out'],
  529: ['overloaded_error', 'Overloaded'],
};

interface Block {
  start: Record<string, unknown>;
  deltas: Record<string, unknown>[];
  final: Record<string, unknown>;
}

export class AnthropicFake extends FakeUpstream<AnthropicReply> {
  private readonly apiKey: string | undefined;
  private readonly models: string[] | undefined;
  private readonly lineEnding: string;
  private sequence = 0;

  constructor(options: AnthropicFakeOptions = {}) {
    super(options);
    this.apiKey = options.apiKey;
    this.models = options.models;
    this.lineEnding = options.lineEnding ?? '\n';
  }

  /** See `promptTokensForAnthropic`. */
  promptTokensFor(body: unknown): number {
    return promptTokensForAnthropic(body);
  }

  protected isScriptedByDefault(request: RecordedRequest): boolean {
    return request.method === 'POST' && request.path === '/v1/messages';
  }

  protected errorResponse(status: number, message: string | undefined) {
    const requestId = newRequestId();
    const [type, defaultMessage] = ERROR_TYPES[status] ?? [status >= 500 ? 'api_error' : 'invalid_request_error', `Error ${status}`];
    const headers: Record<string, string> = { 'request-id': requestId };
    // The SDKs wait `retry-after` seconds before retrying; one second keeps retrying tests short.
    if (status === 429) headers['retry-after'] = '1';
    return { body: anthropicErrorBody(type, message ?? defaultMessage, requestId), headers };
  }

  protected async respond(exchange: Exchange, behaviour: ReplyBehaviour<AnthropicReply>): Promise<void> {
    const { request } = exchange;
    const known =
      request.path === '/v1/messages' ||
      request.path === '/v1/messages/count_tokens' ||
      request.path === '/v1/models' ||
      request.path.startsWith('/v1/models/');
    if (!known) return this.sendError(exchange, 404, 'not_found_error', 'Not Found');
    if (!(await this.authorized(exchange))) return;
    if (!request.headers['anthropic-version']) {
      return this.sendError(exchange, 400, 'invalid_request_error', 'anthropic-version: header is required');
    }

    if (request.method === 'GET' && request.path === '/v1/models') return this.listModels(exchange);
    if (request.method === 'GET' && request.path.startsWith('/v1/models/')) {
      return this.retrieveModel(exchange, decodeURIComponent(request.path.slice('/v1/models/'.length)));
    }
    if (request.method === 'POST' && request.path === '/v1/messages') return this.createMessage(exchange, behaviour);
    if (request.method === 'POST' && request.path === '/v1/messages/count_tokens') return this.countTokens(exchange);
    return this.sendError(exchange, 405, 'invalid_request_error', `Method ${request.method} not allowed`);
  }

  private async authorized(exchange: Exchange): Promise<boolean> {
    if (this.apiKey === undefined) return true;
    const headers = exchange.request.headers;
    const presented = (headers['x-api-key'] as string | undefined) ?? headers.authorization?.replace(/^Bearer\s+/i, '');
    if (!presented) {
      await this.sendError(exchange, 401, 'authentication_error', 'x-api-key header is required');
      return false;
    }
    if (presented !== this.apiKey) {
      await this.sendError(exchange, 401, 'authentication_error', 'invalid x-api-key');
      return false;
    }
    return true;
  }

  /** Anthropic's validation messages name the field (`max_tokens: Field required`). */
  private async rejectInvalid(exchange: Exchange, required: string[]): Promise<boolean> {
    const body = exchange.request.body;
    if (typeof body !== 'object' || body === null) {
      await this.sendError(
        exchange,
        400,
        'invalid_request_error',
        'There was an issue with your request body. Please ensure it is valid JSON.',
      );
      return true;
    }
    const record = body as Record<string, unknown>;
    for (const field of required) {
      if (record[field] === undefined) {
        await this.sendError(exchange, 400, 'invalid_request_error', `${field}: Field required`);
        return true;
      }
    }
    if (this.models && !this.models.includes(String(record.model))) {
      await this.sendError(exchange, 404, 'not_found_error', `model: ${String(record.model)}`);
      return true;
    }
    return false;
  }

  private async createMessage(exchange: Exchange, reply: ReplyBehaviour<AnthropicReply>): Promise<void> {
    if (await this.rejectInvalid(exchange, ['model', 'max_tokens', 'messages'])) return;
    const body = exchange.request.body as { model: string };
    this.sequence += 1;
    const sequence = String(this.sequence).padStart(6, '0');
    const blocks = this.buildBlocks(reply, sequence);
    const promptTokens = promptTokensForAnthropic(body);
    const cacheRead = reply.cacheReadInputTokens ?? 0;
    const cacheCreation = reply.cacheCreationInputTokens ?? 0;
    const inputTokens = reply.inputTokens ?? Math.max(0, promptTokens - cacheRead - cacheCreation);
    const outputTokens = reply.outputTokens ?? DEFAULT_COMPLETION_TOKENS;
    const stopReason = reply.stopReason ?? ((reply.toolCalls ?? []).length > 0 ? 'tool_use' : 'end_turn');
    const usage = (output: number) =>
      reply.usage !== undefined
        ? reply.usage
        : {
            input_tokens: inputTokens,
            cache_creation_input_tokens: cacheCreation,
            cache_read_input_tokens: cacheRead,
            cache_creation: { ephemeral_5m_input_tokens: cacheCreation, ephemeral_1h_input_tokens: 0 },
            output_tokens: output,
            service_tier: 'standard',
          };
    const usageField = (output: number) => (usage(output) === null ? {} : { usage: usage(output) });
    const message = (content: unknown[], output: number, stop: string | null, stopSequence: string | null) => ({
      id: `msg_fake${sequence}`,
      type: 'message',
      role: 'assistant',
      model: reply.model ?? body.model,
      content,
      stop_reason: stop,
      stop_sequence: stopSequence,
      ...usageField(output),
    });
    const headers = { 'request-id': newRequestId(), ...(reply.headers ?? {}) };

    if (!wantsStream(body, false)) {
      const full = message(
        blocks.map((b) => b.final),
        outputTokens,
        stopReason,
        reply.stopSequence ?? null,
      );
      if (reply.kind === 'midStreamError') {
        // A non-streamed answer cannot fail "mid-stream"; the nearest thing is a body cut off mid-way.
        const text = JSON.stringify(full);
        exchange.startStream(200, { 'content-type': 'application/json', ...headers });
        exchange.writeRaw(text.slice(0, Math.floor(text.length / 2)));
        await this.pause();
        exchange.reset();
        return;
      }
      await exchange.sendJson(200, full, headers);
      return;
    }

    // message_start carries the input usage and a token of output; message_delta repeats the input
    // counts and the final output count, cumulatively — clients must take its values, not add them.
    const events: Array<[string, unknown]> = [['message_start', { type: 'message_start', message: message([], 1, null, null) }]];
    blocks.forEach((block, index) => {
      events.push(['content_block_start', { type: 'content_block_start', index, content_block: block.start }]);
      // Anthropic's documented example puts a ping right after the first block opens.
      if (index === 0) events.push(['ping', { type: 'ping' }]);
      for (const delta of block.deltas) events.push(['content_block_delta', { type: 'content_block_delta', index, delta }]);
      events.push(['content_block_stop', { type: 'content_block_stop', index }]);
    });
    if (blocks.length === 0) events.push(['ping', { type: 'ping' }]);
    events.push([
      'message_delta',
      {
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: reply.stopSequence ?? null },
        ...(reply.usage !== undefined
          ? usageField(outputTokens)
          : {
              usage: {
                input_tokens: inputTokens,
                cache_creation_input_tokens: cacheCreation,
                cache_read_input_tokens: cacheRead,
                output_tokens: outputTokens,
              },
            }),
      },
    ]);
    events.push(['message_stop', { type: 'message_stop' }]);

    exchange.startStream(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
    const failAfter = reply.kind === 'midStreamError' ? (reply.afterEvents ?? 4) : Infinity;
    for (const [index, [name, data]] of events.entries()) {
      if (index >= failAfter) {
        const failure =
          reply.kind === 'midStreamError'
            ? anthropicErrorBody(reply.errorType ?? 'overloaded_error', reply.message ?? 'Overloaded')
            : anthropicErrorBody('overloaded_error', 'Overloaded');
        await exchange.write(this.sse('error', failure));
        exchange.end();
        return;
      }
      await exchange.write(this.sse(name, data));
    }
    exchange.end();
  }

  private async countTokens(exchange: Exchange): Promise<void> {
    if (await this.rejectInvalid(exchange, ['model', 'messages'])) return;
    await exchange.sendJson(200, { input_tokens: promptTokensForAnthropic(exchange.request.body) }, { 'request-id': newRequestId() });
  }

  private async listModels(exchange: Exchange): Promise<void> {
    const data = (this.models ?? DEFAULT_ANTHROPIC_MODELS).map(modelInfo);
    await exchange.sendJson(
      200,
      { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null },
      { 'request-id': newRequestId() },
    );
  }

  private async retrieveModel(exchange: Exchange, id: string): Promise<void> {
    if (!(this.models ?? DEFAULT_ANTHROPIC_MODELS).includes(id)) {
      return this.sendError(exchange, 404, 'not_found_error', `model: ${id}`);
    }
    await exchange.sendJson(200, modelInfo(id), { 'request-id': newRequestId() });
  }

  private buildBlocks(reply: AnthropicReply, sequence: string): Block[] {
    const blocks: Block[] = [];
    const toolCalls = reply.toolCalls ?? [];
    if (reply.thinking) {
      const signature = reply.thinking.signature ?? `sig_fake${sequence}`;
      blocks.push({
        start: { type: 'thinking', thinking: '', signature: '' },
        deltas: [
          ...chunkText(reply.thinking.text).map((thinking) => ({ type: 'thinking_delta', thinking })),
          { type: 'signature_delta', signature },
        ],
        final: { type: 'thinking', thinking: reply.thinking.text, signature },
      });
    }
    const text = reply.text !== undefined ? reply.text : toolCalls.length > 0 ? null : DEFAULT_REPLY_TEXT;
    if (text) {
      blocks.push({
        start: { type: 'text', text: '' },
        deltas: (reply.chunks ?? chunkText(text)).map((piece) => ({ type: 'text_delta', text: piece })),
        final: { type: 'text', text },
      });
    }
    toolCalls.forEach((call, index) => {
      const id = call.id ?? `toolu_fake${sequence}_${index}`;
      const json = argumentsJson(call);
      blocks.push({
        start: { type: 'tool_use', id, name: call.name, input: {} },
        // Anthropic opens every tool input with an empty partial_json before the real pieces.
        deltas: ['', ...argumentPieces(call, json)].map((partial_json) => ({ type: 'input_json_delta', partial_json })),
        final: { type: 'tool_use', id, name: call.name, input: argumentsObject(call) },
      });
    });
    return blocks;
  }

  private sse(event: string, data: unknown): string {
    const eol = this.lineEnding;
    return `event: ${event}${eol}data: ${JSON.stringify(data)}${eol}${eol}`;
  }

  private async sendError(exchange: Exchange, status: number, type: string, message: string): Promise<void> {
    const requestId = newRequestId();
    await exchange.sendJson(status, anthropicErrorBody(type, message, requestId), { 'request-id': requestId });
  }
}

function newRequestId(): string {
  return `req_011Cfake${randomHex(16)}`;
}

function modelInfo(id: string) {
  const displayName = id
    .replace(/^claude-/, 'Claude ')
    .replace(/-(\d+)-(\d+)$/, ' $1.$2')
    .replace(/(^|\s)([a-z])/g, (_m, space: string, letter: string) => space + letter.toUpperCase());
  return { type: 'model', id, display_name: displayName, created_at: '2025-09-29T00:00:00Z' };
}
