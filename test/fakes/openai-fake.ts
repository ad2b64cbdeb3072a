/**
 * A fake OpenAI API: Chat Completions and Responses (JSON and SSE), Embeddings and Models, with OpenAI's
 * error bodies. Formats follow https://platform.openai.com/docs/api-reference/chat,
 * https://platform.openai.com/docs/api-reference/responses and the openai-node SDK's types; the real
 * Codex CLI accepts the Responses stream.
 */
import {
  argumentPieces,
  argumentsJson,
  chunkText,
  contentText,
  DEFAULT_COMPLETION_TOKENS,
  DEFAULT_EMBEDDING_DIMENSIONS,
  DEFAULT_REPLY_TEXT,
  estimateTokens,
  type Exchange,
  type FakeBehaviour,
  fakeEmbedding,
  type FakeToolCall,
  FakeUpstream,
  type FakeUpstreamOptions,
  randomHex,
  type RecordedRequest,
  type ReplyBehaviour,
  wantsStream,
} from './fake-upstream';

export interface OpenAIFakeOptions extends FakeUpstreamOptions {
  /** When set, every `/v1` request must carry `authorization: Bearer <apiKey>`, or gets OpenAI's 401. */
  apiKey?: string;
  /**
   * Models listed by `GET /v1/models`. Only when this option is given are other models refused
   * with OpenAI's 404 `model_not_found`; without it any model name is served.
   */
  models?: string[];
  /** Embedding width when the request has no `dimensions`. */
  embeddingDimensions?: number;
  /** SSE line ending; OpenAI sends `\n`, `\r\n` exercises a client's handling of the other legal form. */
  lineEnding?: '\n' | '\r\n';
}

/** Overrides for one reply (all optional; the defaults make a deterministic answer). */
export interface OpenAIReply {
  /** Assistant content; `null` sends no content (the usual shape of a tool-call-only answer). */
  text?: string | null;
  /** Exact content deltas to stream; by default `text` is cut into 4-code-point pieces. */
  chunks?: string[];
  toolCalls?: FakeToolCall[];
  /** Default: `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  /** Default: `promptTokensForOpenAI(request body)`. */
  promptTokens?: number;
  /** Default: `DEFAULT_COMPLETION_TOKENS`. */
  completionTokens?: number;
  /** `prompt_tokens_details.cached_tokens`, a subset of prompt_tokens. Default 0. */
  cachedTokens?: number;
  /** `completion_tokens_details.reasoning_tokens`, a subset of completion_tokens. Default 0. */
  reasoningTokens?: number;
  /** Responses API only: a reasoning item with this summary text, streamed before the message. */
  reasoningSummary?: string;
  /** The `model` the answer reports; default: the requested one. */
  model?: string;
  /** Embedding vectors for `/v1/embeddings`; default `fakeEmbedding(input, dimensions)` per input. */
  embeddings?: number[][];
  /**
   * A lying or broken usage report: an object is sent verbatim instead of the computed counts
   * (negative, fractional, huge or non-numeric values, missing fields), `null` sends no usage at all.
   */
  usage?: Record<string, unknown> | null;
  /**
   * Streamed usage rides on the last chunk that has choices (the finish chunk), as some
   * OpenAI-compatible servers send it, instead of a `choices: []` chunk of its own.
   */
  usageOnChoicesChunk?: boolean;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

export type OpenAIBehaviour = FakeBehaviour<OpenAIReply>;

export const DEFAULT_OPENAI_MODELS = ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small'];

/**
 * Prompt tokens the fake reports for a chat request: `estimateTokens` of the concatenated text of all
 * messages (string contents and `text` parts, any role; images, tool definitions and assistant
 * `tool_calls` count nothing).
 */
export function promptTokensForOpenAI(body: unknown): number {
  const messages = (body as { messages?: unknown } | undefined)?.messages;
  if (!Array.isArray(messages)) return 0;
  return estimateTokens(messages.map((m: { content?: unknown }) => contentText(m?.content)).join(''));
}

/**
 * Prompt tokens the fake reports for a Responses request: `estimateTokens` of `instructions` followed by
 * the text of every input item (message text parts, function call outputs); tool definitions and the
 * model's own function calls count nothing, as for chat.
 */
export function promptTokensForOpenAIResponses(body: unknown): number {
  const request = body as { instructions?: unknown; input?: unknown } | undefined;
  const texts: string[] = [typeof request?.instructions === 'string' ? request.instructions : ''];
  if (typeof request?.input === 'string') texts.push(request.input);
  else if (Array.isArray(request?.input)) {
    for (const item of request.input as { type?: string; content?: unknown; output?: unknown }[]) {
      if (item?.type === 'function_call_output') texts.push(responsesText(item.output));
      else if ((item?.type ?? 'message') === 'message') texts.push(responsesText(item.content));
    }
  }
  return estimateTokens(texts.join(''));
}

/** Tokens the fake reports for an embeddings request: `estimateTokens` per string input, one per token id. */
export function promptTokensForOpenAIEmbeddings(body: unknown): number {
  return embeddingInputs(body).reduce((sum, input) => sum + (typeof input === 'string' ? estimateTokens(input) : input.length), 0);
}

/** OpenAI's error object, the body of every error response and of a failure inside a stream. */
export function openAIErrorBody(message: string, type: string, code: string | null = null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

type OpenAIErrorShape = ReturnType<typeof openAIErrorBody>;

export class OpenAIFake extends FakeUpstream<OpenAIReply> {
  private readonly apiKey: string | undefined;
  private readonly models: string[] | undefined;
  private readonly embeddingDimensions: number;
  private readonly lineEnding: string;
  private sequence = 0;

  constructor(options: OpenAIFakeOptions = {}) {
    super(options);
    this.apiKey = options.apiKey;
    this.models = options.models;
    this.embeddingDimensions = options.embeddingDimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
    this.lineEnding = options.lineEnding ?? '\n';
  }

  /** The base URL the OpenAI SDK and most clients expect: `${url}/v1`. */
  get apiBase(): string {
    return `${this.url}/v1`;
  }

  /** See `promptTokensForOpenAI`. */
  promptTokensFor(body: unknown): number {
    return promptTokensForOpenAI(body);
  }

  protected isScriptedByDefault(request: RecordedRequest): boolean {
    return request.method === 'POST' && ['/chat/completions', '/responses'].includes(route(request.path));
  }

  protected errorResponse(status: number, message: string | undefined, request: RecordedRequest) {
    const model = (request.body as { model?: string } | undefined)?.model ?? 'gpt-4o';
    const headers: Record<string, string> = { 'x-request-id': `req_${randomHex(32)}` };
    let body: OpenAIErrorShape;
    switch (status) {
      case 400:
        body = openAIErrorBody(message ?? 'Invalid request.', 'invalid_request_error');
        break;
      case 401:
        body = openAIErrorBody(
          message ??
            'Incorrect API key provided: sk-fake***********abcd. You can find your API key at https://platform.openai.com/account/api-keys.',
          'invalid_request_error',
          'invalid_api_key',
        );
        break;
      case 403:
        body = openAIErrorBody(message ?? 'You are not allowed to sample from this model', 'invalid_request_error');
        break;
      case 404:
        body = openAIErrorBody(
          message ?? `The model \`${model}\` does not exist or you do not have access to it.`,
          'invalid_request_error',
          'model_not_found',
        );
        break;
      case 429:
        // The SDKs wait `retry-after` seconds before retrying; one second keeps retrying tests short.
        headers['retry-after'] = '1';
        headers['x-ratelimit-limit-requests'] = '500';
        headers['x-ratelimit-remaining-requests'] = '0';
        headers['x-ratelimit-reset-requests'] = '1s';
        body = openAIErrorBody(
          message ??
            `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
          'requests',
          'rate_limit_exceeded',
        );
        break;
      case 500:
        body = openAIErrorBody(message ?? 'The server had an error while processing your request. Sorry about that!', 'server_error');
        break;
      case 503:
        body = openAIErrorBody(message ?? 'The engine is currently overloaded, please try again later', 'server_error');
        break;
      default:
        body = openAIErrorBody(message ?? `Upstream answered ${status}`, status >= 500 ? 'server_error' : 'invalid_request_error');
    }
    return { body, headers };
  }

  protected async respond(exchange: Exchange, behaviour: ReplyBehaviour<OpenAIReply>): Promise<void> {
    const { request } = exchange;
    const path = route(request.path);
    const known = ['/chat/completions', '/responses', '/embeddings', '/models'].includes(path) || path.startsWith('/models/');
    if (!known) {
      await this.sendError(exchange, 404, openAIErrorBody(`Invalid URL (${request.method} ${request.path})`, 'invalid_request_error'));
      return;
    }
    if (!(await this.authorized(exchange))) return;

    if (request.method === 'GET' && path === '/models') return this.listModels(exchange);
    if (request.method === 'GET' && path.startsWith('/models/'))
      return this.retrieveModel(exchange, decodeURIComponent(path.slice('/models/'.length)));
    if (request.method === 'POST' && path === '/chat/completions') return this.chatCompletion(exchange, behaviour);
    if (request.method === 'POST' && path === '/embeddings') return this.embeddings(exchange, behaviour);
    if (request.method === 'POST' && path === '/responses') return this.response(exchange, behaviour);
    await this.sendError(
      exchange,
      405,
      openAIErrorBody(`Invalid method for URL (${request.method} ${request.path})`, 'invalid_request_error'),
    );
  }

  private async authorized(exchange: Exchange): Promise<boolean> {
    if (this.apiKey === undefined) return true;
    const header = exchange.request.headers.authorization;
    if (!header) {
      await this.sendError(
        exchange,
        401,
        openAIErrorBody(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
          'invalid_request_error',
        ),
      );
      return false;
    }
    const key = header.replace(/^Bearer\s+/i, '');
    if (key !== this.apiKey) {
      await this.sendError(
        exchange,
        401,
        openAIErrorBody(
          `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          'invalid_request_error',
          'invalid_api_key',
        ),
      );
      return false;
    }
    return true;
  }

  /** Validation in the order OpenAI applies it; returns the error sent, if any. */
  private async rejectInvalid(exchange: Exchange, required: string): Promise<boolean> {
    const body = exchange.request.body;
    if (typeof body !== 'object' || body === null) {
      await this.sendError(
        exchange,
        400,
        openAIErrorBody(
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
          'invalid_request_error',
        ),
      );
      return true;
    }
    const record = body as Record<string, unknown>;
    if (typeof record.model !== 'string' || record.model === '') {
      await this.sendError(exchange, 400, openAIErrorBody('you must provide a model parameter', 'invalid_request_error'));
      return true;
    }
    if (record[required] === undefined) {
      await this.sendError(
        exchange,
        400,
        openAIErrorBody(`Missing required parameter: '${required}'.`, 'invalid_request_error', 'missing_required_parameter', required),
      );
      return true;
    }
    if (this.models && !this.models.includes(record.model)) {
      const { body: notFound } = this.errorResponse(404, undefined, exchange.request);
      await this.sendError(exchange, 404, notFound as OpenAIErrorShape);
      return true;
    }
    const refusal = required === 'messages' ? unsupportedForModel(record) : null;
    if (refusal) {
      await this.sendError(exchange, 400, refusal);
      return true;
    }
    return false;
  }

  private async chatCompletion(exchange: Exchange, reply: ReplyBehaviour<OpenAIReply>): Promise<void> {
    if (await this.rejectInvalid(exchange, 'messages')) return;
    const body = exchange.request.body as { model: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
    const answer = this.buildAnswer(body, reply);
    const headers = { ...this.commonHeaders(), ...(reply.headers ?? {}) };

    if (!wantsStream(body, false)) {
      const completion = {
        id: answer.id,
        object: 'chat.completion',
        created: answer.created,
        model: answer.model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: answer.text,
              refusal: null,
              annotations: [],
              ...(answer.toolCalls.length > 0
                ? {
                    tool_calls: answer.toolCalls.map((call) => ({
                      id: call.id,
                      type: 'function',
                      function: { name: call.name, arguments: call.argumentsJson },
                    })),
                  }
                : {}),
            },
            logprobs: null,
            finish_reason: answer.finishReason,
          },
        ],
        ...(answer.usage === null ? {} : { usage: answer.usage }),
        service_tier: 'default',
        system_fingerprint: 'fp_fake',
      };
      if (reply.kind === 'midStreamError') {
        // A non-streamed answer cannot fail "mid-stream"; the nearest thing is a body cut off mid-way.
        const text = JSON.stringify(completion);
        exchange.startStream(200, { 'content-type': 'application/json', ...headers });
        exchange.writeRaw(text.slice(0, Math.floor(text.length / 2)));
        await this.pause();
        exchange.reset();
        return;
      }
      await exchange.sendJson(200, completion, headers);
      return;
    }

    // Per the API reference, `usage: null` is present on every chunk only when include_usage is set,
    // and then the usage arrives in one extra chunk with `choices: []` before [DONE].
    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
      id: answer.id,
      object: 'chat.completion.chunk',
      created: answer.created,
      model: answer.model,
      service_tier: 'default',
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
    });

    const events: unknown[] = [chunk({ role: 'assistant', content: answer.text === null ? null : '', refusal: null })];
    for (const piece of answer.chunks) events.push(chunk({ content: piece }));
    answer.toolCalls.forEach((call, index) => {
      events.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
      for (const piece of call.pieces) events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    });
    const usageOnChoices = includeUsage && answer.usage !== null && reply.usageOnChoicesChunk === true;
    events.push({ ...chunk({}, answer.finishReason), ...(usageOnChoices ? { usage: answer.usage } : {}) });
    if (includeUsage && answer.usage !== null && !usageOnChoices) {
      events.push({
        id: answer.id,
        object: 'chat.completion.chunk',
        created: answer.created,
        model: answer.model,
        service_tier: 'default',
        system_fingerprint: 'fp_fake',
        choices: [],
        usage: answer.usage,
      });
    }

    exchange.startStream(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      ...headers,
    });
    const failAfter = reply.kind === 'midStreamError' ? (reply.afterEvents ?? 2) : Infinity;
    for (const [index, event] of events.entries()) {
      if (index >= failAfter) {
        // OpenAI reports a failure after the 200 as a data line holding an error object, then closes without [DONE].
        const failure = openAIErrorBody(
          reply.kind === 'midStreamError' && reply.message
            ? reply.message
            : 'The server had an error while processing your request. Sorry about that!',
          (reply.kind === 'midStreamError' && reply.errorType) || 'server_error',
        );
        await exchange.write(this.sse(failure));
        exchange.end();
        return;
      }
      await exchange.write(this.sse(event));
    }
    await exchange.write(`data: [DONE]${this.lineEnding}${this.lineEnding}`);
    exchange.end();
  }

  /**
   * `POST /v1/responses`. Streams the documented event sequence: created, in_progress, then per
   * output item (reasoning summary, message, function calls) its added / delta / done events, then
   * `response.completed` (or `response.incomplete` after a length stop). A mid-stream failure is an
   * `error` event followed by `response.failed`, as OpenAI sends it.
   */
  private async response(exchange: Exchange, reply: ReplyBehaviour<OpenAIReply>): Promise<void> {
    if (await this.rejectInvalid(exchange, 'input')) return;
    const body = exchange.request.body as Record<string, any>;
    const answer = this.buildAnswer(
      { model: body.model },
      { ...reply, promptTokens: reply.promptTokens ?? promptTokensForOpenAIResponses(body) },
    );
    const id = `resp_fake${String(this.sequence).padStart(6, '0')}`;
    const itemId = (prefix: string, index = 0) => `${prefix}_fake${String(this.sequence).padStart(6, '0')}_${index}`;
    // A lying usage override is sent verbatim here too; otherwise the chat counts in Responses' names.
    const counted = answer.usage as {
      prompt_tokens: number;
      completion_tokens: number;
      total_tokens: number;
      prompt_tokens_details: { cached_tokens: number };
      completion_tokens_details: { reasoning_tokens: number };
    };
    const usage =
      reply.usage !== undefined
        ? reply.usage
        : {
            input_tokens: counted.prompt_tokens,
            input_tokens_details: { cached_tokens: counted.prompt_tokens_details.cached_tokens },
            output_tokens: counted.completion_tokens,
            output_tokens_details: { reasoning_tokens: counted.completion_tokens_details.reasoning_tokens },
            total_tokens: counted.total_tokens,
          };
    const incomplete = answer.finishReason === 'length';
    const base = {
      id,
      object: 'response',
      created_at: answer.created,
      status: 'in_progress',
      background: false,
      error: null,
      incomplete_details: null,
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      model: answer.model,
      output: [] as unknown[],
      parallel_tool_calls: body.parallel_tool_calls ?? true,
      previous_response_id: body.previous_response_id ?? null,
      reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null },
      service_tier: 'default',
      store: body.store ?? true,
      temperature: body.temperature ?? 1,
      text: { format: body.text?.format ?? { type: 'text' } },
      tool_choice: body.tool_choice ?? 'auto',
      tools: body.tools ?? [],
      top_p: body.top_p ?? 1,
      truncation: 'disabled',
      usage: null as unknown,
      user: body.user ?? null,
      metadata: body.metadata ?? {},
    };
    const reasoningItem =
      reply.reasoningSummary !== undefined
        ? { id: itemId('rs'), type: 'reasoning', summary: [{ type: 'summary_text', text: reply.reasoningSummary }] }
        : undefined;
    const messageItem =
      answer.text !== null
        ? {
            id: itemId('msg'),
            type: 'message',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: answer.text, annotations: [], logprobs: [] }],
          }
        : undefined;
    const callItems = answer.toolCalls.map((call, index) => ({
      id: itemId('fc', index),
      type: 'function_call',
      status: 'completed',
      arguments: call.argumentsJson,
      call_id: call.id,
      name: call.name,
    }));
    const output = [reasoningItem, messageItem, ...callItems].filter((item) => item !== undefined);
    const finished = {
      ...base,
      status: incomplete ? 'incomplete' : 'completed',
      incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
      output,
      usage,
    };
    const headers = { ...this.commonHeaders(), ...(reply.headers ?? {}) };

    if (!wantsStream(body, false)) {
      await exchange.sendJson(200, finished, headers);
      return;
    }

    let sequence = 0;
    const events: Record<string, unknown>[] = [];
    const push = (type: string, fields: Record<string, unknown>) => events.push({ type, sequence_number: sequence++, ...fields });
    push('response.created', { response: base });
    push('response.in_progress', { response: base });
    output.forEach((item, outputIndex) => {
      if (item.type === 'reasoning') {
        const text = reply.reasoningSummary!;
        push('response.output_item.added', { output_index: outputIndex, item: { id: item.id, type: 'reasoning', summary: [] } });
        push('response.reasoning_summary_part.added', {
          item_id: item.id,
          output_index: outputIndex,
          summary_index: 0,
          part: { type: 'summary_text', text: '' },
        });
        for (const piece of chunkText(text))
          push('response.reasoning_summary_text.delta', { item_id: item.id, output_index: outputIndex, summary_index: 0, delta: piece });
        push('response.reasoning_summary_text.done', { item_id: item.id, output_index: outputIndex, summary_index: 0, text });
        push('response.reasoning_summary_part.done', {
          item_id: item.id,
          output_index: outputIndex,
          summary_index: 0,
          part: { type: 'summary_text', text },
        });
      } else if (item.type === 'message') {
        const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
        push('response.output_item.added', {
          output_index: outputIndex,
          item: { id: item.id, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
        });
        push('response.content_part.added', { item_id: item.id, output_index: outputIndex, content_index: 0, part });
        for (const piece of answer.chunks)
          push('response.output_text.delta', { item_id: item.id, output_index: outputIndex, content_index: 0, delta: piece, logprobs: [] });
        push('response.output_text.done', {
          item_id: item.id,
          output_index: outputIndex,
          content_index: 0,
          text: answer.text,
          logprobs: [],
        });
        push('response.content_part.done', {
          item_id: item.id,
          output_index: outputIndex,
          content_index: 0,
          part: { ...part, text: answer.text },
        });
      } else {
        const call = answer.toolCalls[outputIndex - (reasoningItem ? 1 : 0) - (messageItem ? 1 : 0)];
        push('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', arguments: '' } });
        for (const piece of call.pieces)
          push('response.function_call_arguments.delta', { item_id: item.id, output_index: outputIndex, delta: piece });
        push('response.function_call_arguments.done', { item_id: item.id, output_index: outputIndex, arguments: call.argumentsJson });
      }
      push('response.output_item.done', { output_index: outputIndex, item });
    });
    push(incomplete ? 'response.incomplete' : 'response.completed', { response: finished });

    exchange.startStream(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
    const failAfter = reply.kind === 'midStreamError' ? (reply.afterEvents ?? 2) : Infinity;
    for (const [index, event] of events.entries()) {
      if (index >= failAfter) {
        const message =
          (reply.kind === 'midStreamError' && reply.message) || 'The server had an error while processing your request. Sorry about that!';
        const code = (reply.kind === 'midStreamError' && reply.errorType) || 'server_error';
        // Numbered on from the last event actually sent.
        await exchange.write(this.namedSse('error', { type: 'error', sequence_number: index, code, message, param: null }));
        await exchange.write(
          this.namedSse('response.failed', {
            type: 'response.failed',
            sequence_number: index + 1,
            response: { ...base, status: 'failed', error: { code, message } },
          }),
        );
        exchange.end();
        return;
      }
      await exchange.write(this.namedSse(String(event.type), event));
    }
    exchange.end();
  }

  private async embeddings(exchange: Exchange, reply: ReplyBehaviour<OpenAIReply>): Promise<void> {
    if (await this.rejectInvalid(exchange, 'input')) return;
    const body = exchange.request.body as { model: string; encoding_format?: string; dimensions?: number };
    const inputs = embeddingInputs(body);
    const dimensions = body.dimensions ?? this.embeddingDimensions;
    const vectors =
      reply.embeddings ?? inputs.map((input) => fakeEmbedding(typeof input === 'string' ? input : input.join(' '), dimensions));
    const tokens = reply.promptTokens ?? promptTokensForOpenAIEmbeddings(body);
    await exchange.sendJson(
      200,
      {
        object: 'list',
        data: vectors.map((vector, index) => ({
          object: 'embedding',
          index,
          // The SDK asks for base64 unless told otherwise: little-endian float32 bytes.
          embedding: body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
        })),
        model: reply.model ?? body.model,
        ...(reply.usage === null ? {} : { usage: reply.usage ?? { prompt_tokens: tokens, total_tokens: tokens } }),
      },
      { ...this.commonHeaders(), ...(reply.headers ?? {}) },
    );
  }

  private async listModels(exchange: Exchange): Promise<void> {
    await exchange.sendJson(200, { object: 'list', data: (this.models ?? DEFAULT_OPENAI_MODELS).map(modelObject) }, this.commonHeaders());
  }

  private async retrieveModel(exchange: Exchange, id: string): Promise<void> {
    if (!(this.models ?? DEFAULT_OPENAI_MODELS).includes(id)) {
      await this.sendError(
        exchange,
        404,
        openAIErrorBody(`The model '${id}' does not exist`, 'invalid_request_error', 'model_not_found', 'model'),
      );
      return;
    }
    await exchange.sendJson(200, modelObject(id), this.commonHeaders());
  }

  private buildAnswer(body: { model: string }, reply: OpenAIReply) {
    this.sequence += 1;
    const toolCalls = (reply.toolCalls ?? []).map((call, index) => {
      const json = argumentsJson(call);
      return {
        id: call.id ?? `call_fake${String(this.sequence).padStart(6, '0')}_${index}`,
        name: call.name,
        argumentsJson: json,
        pieces: argumentPieces(call, json),
      };
    });
    const text = reply.text !== undefined ? reply.text : toolCalls.length > 0 ? null : DEFAULT_REPLY_TEXT;
    const promptTokens = reply.promptTokens ?? promptTokensForOpenAI(body);
    const completionTokens = reply.completionTokens ?? DEFAULT_COMPLETION_TOKENS;
    return {
      id: `chatcmpl-fake${String(this.sequence).padStart(6, '0')}`,
      created: Math.floor(Date.now() / 1000),
      model: reply.model ?? body.model,
      text,
      chunks: text === null ? [] : (reply.chunks ?? chunkText(text)),
      toolCalls,
      finishReason: reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
      usage:
        reply.usage !== undefined
          ? reply.usage
          : {
              prompt_tokens: promptTokens,
              completion_tokens: completionTokens,
              total_tokens: promptTokens + completionTokens,
              prompt_tokens_details: { cached_tokens: reply.cachedTokens ?? 0, audio_tokens: 0 },
              completion_tokens_details: {
                reasoning_tokens: reply.reasoningTokens ?? 0,
                audio_tokens: 0,
                accepted_prediction_tokens: 0,
                rejected_prediction_tokens: 0,
              },
            },
    };
  }

  private namedSse(name: string, payload: unknown): string {
    return `event: ${name}${this.lineEnding}data: ${JSON.stringify(payload)}${this.lineEnding}${this.lineEnding}`;
  }

  private sse(payload: unknown): string {
    return `data: ${JSON.stringify(payload)}${this.lineEnding}${this.lineEnding}`;
  }

  private commonHeaders(): Record<string, string> {
    return { 'x-request-id': `req_${randomHex(32)}`, 'openai-processing-ms': '12', 'openai-version': '2020-10-01' };
  }

  private async sendError(exchange: Exchange, status: number, body: OpenAIErrorShape): Promise<void> {
    await exchange.sendJson(status, body, { 'x-request-id': `req_${randomHex(32)}` });
  }
}

/** Routes are served both under `/v1` and at the root, for clients configured with a base URL without `/v1`. */
function route(path: string): string {
  return path.replace(/^\/v1(?=\/)/, '');
}

/** The text of a Responses content value: a string, or the `text` of its parts (`input_text`, `output_text`). */
function responsesText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('');
}

function embeddingInputs(body: unknown): Array<string | number[]> {
  const input = (body as { input?: unknown } | undefined)?.input;
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) return [];
  // An array of numbers is one input already tokenized; an array of arrays is several.
  if (input.every((item) => typeof item === 'number')) return [input as number[]];
  return input as Array<string | number[]>;
}

function modelObject(id: string) {
  return { id, object: 'model', created: 1715367049, owned_by: id.startsWith('text-embedding') ? 'openai-internal' : 'system' };
}

/** OpenAI echoes a masked key in its 401, never the whole secret. */
/** What OpenAI refuses: a `user` over 64 characters, reasoning_effort on models that do not reason, max_tokens above gpt-4o's output limit. */
function unsupportedForModel(body: Record<string, unknown>): OpenAIErrorShape | null {
  const model = String(body.model);
  if (typeof body.user === 'string' && body.user.length > 64) {
    return openAIErrorBody(
      `Invalid 'user': string too long. Expected a string with maximum length 64, but got a string with length ${body.user.length} instead.`,
      'invalid_request_error',
      'string_above_max_length',
      'user',
    );
  }
  if (body.reasoning_effort !== undefined && !/^(o\d|gpt-5)/.test(model)) {
    return openAIErrorBody(
      "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
      'invalid_request_error',
      'unsupported_parameter',
      'reasoning_effort',
    );
  }
  const maxTokens = body.max_tokens;
  if (/^gpt-4o/.test(model) && typeof maxTokens === 'number' && maxTokens > 16_384) {
    return openAIErrorBody(
      `max_tokens is too large: ${maxTokens}. This model supports at most 16384 completion tokens, whereas you provided ${maxTokens}.`,
      'invalid_request_error',
      'invalid_value',
      'max_tokens',
    );
  }
  return null;
}

function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(Math.max(0, key.length - 7))}${key.slice(-4)}`;
}
