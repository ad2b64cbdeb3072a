/**
 * A fake Ollama server (native API, not its OpenAI-compatible layer): `/`, `/api/version`,
 * `/api/tags`, `/api/ps`, `/api/chat` (NDJSON stream by default) and `/api/embed`.
 * Formats follow https://github.com/ollama/ollama/blob/main/docs/api.md and server/routes.go.
 * `stop()` closes the port, which is exactly what a stopped Ollama looks like: ECONNREFUSED.
 */
import {
  argumentsObject,
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

export type OllamaEndpoint = '/api/chat' | '/api/embed';

export interface OllamaFakeOptions extends FakeUpstreamOptions {
  /**
   * Pulled models, listed by `/api/tags`; any other model gets Ollama's 404. A name without a tag
   * means `:latest`, as in Ollama. Default `DEFAULT_OLLAMA_MODELS`.
   */
  models?: string[];
  /** Models listed by `/api/ps` as loaded in memory. Default: none. */
  loadedModels?: string[];
  /** `/api/version`. Default `0.12.6`. */
  version?: string;
  /** Embedding width when the request has no `dimensions`. */
  embeddingDimensions?: number;
  /** The 404 text for a model that is not pulled. Default `ollamaModelNotFoundMessage`. */
  modelNotFoundMessage?: (model: string, endpoint: OllamaEndpoint) => string;
  /** Omit the `id` and `function.index` of tool calls, as Ollama releases before late 2025 did. */
  legacyToolCalls?: boolean;
}

/** Overrides for one reply (all optional; the defaults make a deterministic answer). */
export interface OllamaReply {
  /** Assistant content; default `DEFAULT_REPLY_TEXT`, or `''` when there are tool calls. */
  text?: string;
  /** Exact content pieces, one NDJSON line each; by default `text` is cut into 4-code-point pieces. */
  chunks?: string[];
  /** Sent as one `message.tool_calls` line, arguments as objects. */
  toolCalls?: FakeToolCall[];
  /** Default `stop` (Ollama says `stop` after tool calls too). */
  doneReason?: 'stop' | 'length' | 'load' | 'unload';
  /** Input tokens. Default `promptTokensForOllama(body)`; 0 is omitted from the JSON, as Go's omitempty does. */
  promptEvalCount?: number;
  /** Output tokens. Default `DEFAULT_COMPLETION_TOKENS`; 0 is omitted. */
  evalCount?: number;
  /** Nanosecond timings; defaults in `DEFAULT_OLLAMA_DURATIONS`. */
  durations?: Partial<typeof DEFAULT_OLLAMA_DURATIONS>;
  /** The `model` the answer reports; default: the requested one. */
  model?: string;
  /** Vectors for `/api/embed`; default `fakeEmbedding(input, dimensions)` per input. */
  embeddings?: number[][];
  /**
   * A lying or broken usage report: an object is sent verbatim instead of `prompt_eval_count` and `eval_count`
   * (negative, fractional, huge or non-numeric values, missing fields), `null` sends no usage at all.
   */
  usage?: Record<string, unknown> | null;
}

export type OllamaBehaviour = FakeBehaviour<OllamaReply>;

export const DEFAULT_OLLAMA_MODELS = ['llama3.2:latest', 'nomic-embed-text:latest'];

export const DEFAULT_OLLAMA_DURATIONS = {
  total: 6_500_000,
  load: 1_000_000,
  promptEval: 2_000_000,
  eval: 3_000_000,
};

/**
 * Ollama's wording for a model that is not pulled, as server/routes.go has it: `/api/chat` checks the
 * manifest first and answers `model 'x' not found`; `/api/embed` fails when scheduling the runner and
 * answers `model "x" not found, try pulling it first` (Go's %q). Releases of 2024 used the second
 * form for `/api/chat` too — see `ollamaLegacyModelNotFoundMessage`.
 */
export function ollamaModelNotFoundMessage(model: string, endpoint: OllamaEndpoint): string {
  return endpoint === '/api/chat' ? `model '${model}' not found` : ollamaLegacyModelNotFoundMessage(model);
}

export function ollamaLegacyModelNotFoundMessage(model: string): string {
  return `model ${JSON.stringify(model)} not found, try pulling it first`;
}

/** `llama3.2` and `llama3.2:latest` are the same model to Ollama. */
export function normalizeOllamaModel(name: string): string {
  const lower = name.toLowerCase();
  const lastSegment = lower.slice(lower.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? lower : `${lower}:latest`;
}

/**
 * Prompt tokens (`prompt_eval_count`) the fake reports for a chat request: `estimateTokens` of the
 * concatenated `content` of all messages — the same count `promptTokensForOpenAI` gives the
 * OpenAI form of the conversation.
 */
export function promptTokensForOllama(body: unknown): number {
  const messages = (body as { messages?: unknown } | undefined)?.messages;
  if (!Array.isArray(messages)) return 0;
  return estimateTokens(messages.map((m: { content?: unknown }) => contentText(m?.content)).join(''));
}

/** `prompt_eval_count` of an `/api/embed` request: `estimateTokens` summed over the inputs. */
export function promptTokensForOllamaEmbed(body: unknown): number {
  return embedInputs(body).reduce((sum, input) => sum + estimateTokens(input), 0);
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export class OllamaFake extends FakeUpstream<OllamaReply> {
  /** Pulled models; tests may change it at run time to simulate a pull or a removal. */
  models: string[];
  /** Models `/api/ps` reports as loaded. */
  loadedModels: string[];
  private readonly version: string;
  private readonly embeddingDimensions: number;
  private readonly modelNotFoundMessage: (model: string, endpoint: OllamaEndpoint) => string;
  private readonly legacyToolCalls: boolean;

  constructor(options: OllamaFakeOptions = {}) {
    super(options);
    this.models = options.models ?? [...DEFAULT_OLLAMA_MODELS];
    this.loadedModels = options.loadedModels ?? [];
    this.version = options.version ?? '0.12.6';
    this.embeddingDimensions = options.embeddingDimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
    this.modelNotFoundMessage = options.modelNotFoundMessage ?? ollamaModelNotFoundMessage;
    this.legacyToolCalls = options.legacyToolCalls ?? false;
  }

  /** See `promptTokensForOllama`. */
  promptTokensFor(body: unknown): number {
    return promptTokensForOllama(body);
  }

  protected isScriptedByDefault(request: RecordedRequest): boolean {
    return request.method === 'POST' && request.path === '/api/chat';
  }

  protected errorResponse(status: number, message: string | undefined, request: RecordedRequest) {
    const model = String((request.body as { model?: unknown } | undefined)?.model ?? '');
    const defaults: Record<number, string> = {
      400: 'invalid request',
      404: this.modelNotFoundMessage(model, request.path === '/api/embed' ? '/api/embed' : '/api/chat'),
      500: 'llama runner process has terminated: exit status 2',
      503: 'server busy, please try again.  maximum pending requests exceeded',
    };
    return { body: { error: message ?? defaults[status] ?? `error ${status}` }, headers: { 'content-type': JSON_CONTENT_TYPE } };
  }

  protected async respond(exchange: Exchange, behaviour: ReplyBehaviour<OllamaReply>): Promise<void> {
    const { method, path } = exchange.request;
    if ((method === 'GET' || method === 'HEAD') && path === '/') return exchange.sendText(200, 'Ollama is running');
    if (method === 'GET' && path === '/api/version') return this.json(exchange, 200, { version: this.version });
    if (method === 'GET' && path === '/api/tags') return this.json(exchange, 200, { models: this.models.map((m) => modelEntry(m)) });
    if (method === 'GET' && path === '/api/ps') {
      return this.json(exchange, 200, {
        models: this.loadedModels.map((m) => ({
          ...modelEntry(m),
          expires_at: new Date(Date.now() + 5 * 60_000).toISOString(),
          size_vram: 2_019_393_189,
          context_length: 4096,
        })),
      });
    }
    if (method === 'POST' && path === '/api/chat') return this.chat(exchange, behaviour);
    if (method === 'POST' && path === '/api/embed') return this.embed(exchange, behaviour);
    // Gin's default answer for an unknown route, plain text.
    return exchange.sendText(404, '404 page not found');
  }

  private async chat(exchange: Exchange, reply: ReplyBehaviour<OllamaReply>): Promise<void> {
    const model = await this.acceptModel(exchange, '/api/chat');
    if (model === undefined) return;
    const body = exchange.request.body as { messages?: unknown[] };
    const created = () => new Date().toISOString();
    const responseModel = reply.model ?? model;

    // An empty conversation only loads the model, and says so.
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return this.json(exchange, 200, {
        model: responseModel,
        created_at: created(),
        message: { role: 'assistant', content: '' },
        done_reason: 'load',
        done: true,
      });
    }

    const toolCalls = (reply.toolCalls ?? []).map((call, index) => this.toolCall(call, index));
    const text = reply.text ?? (toolCalls.length > 0 ? '' : DEFAULT_REPLY_TEXT);
    const durations = { ...DEFAULT_OLLAMA_DURATIONS, ...(reply.durations ?? {}) };
    const finalFields = () => ({
      done_reason: reply.doneReason ?? 'stop',
      done: true,
      total_duration: durations.total,
      load_duration: durations.load,
      ...(reply.usage !== undefined
        ? (reply.usage ?? {})
        : {
            ...omitZero('prompt_eval_count', reply.promptEvalCount ?? promptTokensForOllama(body)),
            ...omitZero('eval_count', reply.evalCount ?? DEFAULT_COMPLETION_TOKENS),
          }),
      prompt_eval_duration: durations.promptEval,
      eval_duration: durations.eval,
    });
    const failure = reply.kind === 'midStreamError' ? (reply.message ?? 'llama runner process has terminated: exit status 2') : undefined;

    if (!wantsStream(body, true)) {
      // Ollama buffers a non-streamed answer, so a runner failure still becomes a proper error status.
      if (failure !== undefined) return this.json(exchange, 500, { error: failure });
      return this.json(exchange, 200, {
        model: responseModel,
        created_at: created(),
        message: { role: 'assistant', content: text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
        ...finalFields(),
      });
    }

    const lines: unknown[] = (reply.chunks ?? (text === '' ? [] : chunkText(text))).map((content) => ({
      model: responseModel,
      created_at: created(),
      message: { role: 'assistant', content },
      done: false,
    }));
    if (toolCalls.length > 0) {
      lines.push({
        model: responseModel,
        created_at: created(),
        message: { role: 'assistant', content: '', tool_calls: toolCalls },
        done: false,
      });
    }
    lines.push({ model: responseModel, created_at: created(), message: { role: 'assistant', content: '' }, ...finalFields() });

    exchange.startStream(200, { 'content-type': 'application/x-ndjson' });
    const failAfter = reply.kind === 'midStreamError' ? (reply.afterEvents ?? 2) : Infinity;
    for (const [index, line] of lines.entries()) {
      if (index >= failAfter) {
        // After a 200, Ollama can only report a failure as one more NDJSON line, then it closes.
        await exchange.write(`${JSON.stringify({ error: failure })}\n`);
        exchange.end();
        return;
      }
      await exchange.write(`${JSON.stringify(line)}\n`);
    }
    exchange.end();
  }

  private async embed(exchange: Exchange, reply: ReplyBehaviour<OllamaReply>): Promise<void> {
    const body = exchange.request.body as { input?: unknown; dimensions?: number } | undefined;
    const input = body?.input;
    const validInput =
      input === undefined || typeof input === 'string' || (Array.isArray(input) && input.every((i) => typeof i === 'string'));
    if (typeof body === 'object' && body !== null && !validInput) return this.json(exchange, 400, { error: 'invalid input type' });
    const model = await this.acceptModel(exchange, '/api/embed');
    if (model === undefined) return;
    const inputs = embedInputs(body);
    const dimensions = body?.dimensions ?? this.embeddingDimensions;
    const durations = { ...DEFAULT_OLLAMA_DURATIONS, ...(reply.durations ?? {}) };
    if (inputs.length === 0) return this.json(exchange, 200, { model: reply.model ?? model, embeddings: [] });
    await this.json(exchange, 200, {
      model: reply.model ?? model,
      embeddings: reply.embeddings ?? inputs.map((text) => fakeEmbedding(text, dimensions)),
      total_duration: durations.total,
      load_duration: durations.load,
      ...(reply.usage !== undefined
        ? (reply.usage ?? {})
        : omitZero('prompt_eval_count', reply.promptEvalCount ?? promptTokensForOllamaEmbed(body))),
    });
  }

  /** Validates the body and the model as Ollama does; answers and returns undefined when refused. */
  private async acceptModel(exchange: Exchange, endpoint: OllamaEndpoint): Promise<string | undefined> {
    const { body, rawBody } = exchange.request;
    if (rawBody === '') {
      await this.json(exchange, 400, { error: 'missing request body' });
      return undefined;
    }
    if (typeof body !== 'object' || body === null) {
      await this.json(exchange, 400, { error: 'invalid character in request body' });
      return undefined;
    }
    const model = (body as { model?: unknown }).model;
    if (typeof model !== 'string' || model === '') {
      await this.json(exchange, 400, { error: 'model is required' });
      return undefined;
    }
    const pulled = this.models.map(normalizeOllamaModel);
    if (!pulled.includes(normalizeOllamaModel(model))) {
      await this.json(exchange, 404, { error: this.modelNotFoundMessage(model, endpoint) });
      return undefined;
    }
    // Ollama refuses `think` for models without the thinking capability.
    const think = (body as { think?: unknown }).think;
    if (think !== undefined && think !== false && !/^(deepseek-r1|qwen3(?!-coder)|gpt-oss|magistral)/.test(model)) {
      await this.json(exchange, 400, { error: `"${model}" does not support thinking` });
      return undefined;
    }
    return model;
  }

  private toolCall(call: FakeToolCall, index: number) {
    const fn = { name: call.name, arguments: argumentsObject(call) };
    if (this.legacyToolCalls) return { function: fn };
    return { id: call.id ?? `call_${randomHex(8)}`, function: { index, ...fn } };
  }

  private json(exchange: Exchange, status: number, body: unknown): Promise<void> {
    return exchange.sendJson(status, body, { 'content-type': JSON_CONTENT_TYPE });
  }
}

function embedInputs(body: unknown): string[] {
  const input = (body as { input?: unknown } | undefined)?.input;
  if (typeof input === 'string') return input === '' ? [] : [input];
  return Array.isArray(input) ? input.filter((i): i is string => typeof i === 'string') : [];
}

/** Go's `omitempty`: Ollama leaves zero counters out of its JSON instead of sending 0. */
function omitZero(key: string, value: number): Record<string, number> {
  return value === 0 ? {} : { [key]: value };
}

function modelEntry(name: string) {
  const full = normalizeOllamaModel(name);
  const family =
    full
      .split(/[:/]/)
      .slice(-2, -1)[0]
      ?.replace(/[\d.]+$/, '') || 'llama';
  return {
    name: full,
    model: full,
    modified_at: '2025-06-01T12:00:00.000000000Z',
    size: 2_019_393_189,
    digest: digestOf(full),
    details: {
      parent_model: '',
      format: 'gguf',
      family,
      families: [family],
      parameter_size: '3.2B',
      quantization_level: 'Q4_K_M',
    },
  };
}

/** A stable 64-hex digest per name, so `/api/tags` answers the same on every call. */
function digestOf(name: string): string {
  let out = '';
  let seed = 0x811c9dc5;
  for (const ch of name) seed = Math.imul(seed ^ ch.charCodeAt(0), 16777619) >>> 0;
  while (out.length < 64) {
    seed = Math.imul(seed ^ (seed >>> 13), 0x5bd1e995) >>> 0;
    out += seed.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}
