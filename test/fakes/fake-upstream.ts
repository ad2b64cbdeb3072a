/**
 * Shared machinery of the fake upstream providers used by the end-to-end suites.
 *
 * Each fake is a real HTTP server on 127.0.0.1 (node:http only, so nothing between the socket and
 * the bytes we choose to write). It records every request, answers with the provider's real wire
 * format, and can be scripted request by request to fail the ways real providers fail: error
 * statuses, slow first bytes, failures after a 200, hung or reset connections, and — through
 * `stop()` — a port that refuses connections.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';

/**
 * Text of every default reply. The accents, the check mark, the CJK characters and the 4-byte emoji
 * make sure that byte-splitting a stream really cuts through multi-byte UTF-8 sequences.
 */
export const DEFAULT_REPLY_TEXT = 'héllo wörld ✓ 日本 🚀';

/** Output tokens reported by every fake unless a reply overrides them: a constant keeps cost assertions simple. */
export const DEFAULT_COMPLETION_TOKENS = 9;

/** Embedding width when neither the request (`dimensions`) nor the fake's options set one. */
export const DEFAULT_EMBEDDING_DIMENSIONS = 8;

/**
 * The fakes' tokenizer: one token per started group of four UTF-16 code units (`Math.ceil(text.length / 4)`).
 * Every fake counts prompt tokens by applying this to the concatenation of the request's text (see each
 * fake's `promptTokensFor…`), so a request translated from one provider's format to another's — system
 * message moved to `system`, tool result moved into a user turn — costs the same number of tokens.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Splits text into stream deltas of `size` code points. Cutting by code point (not UTF-16 unit) keeps
 * surrogate pairs whole, as real providers never emit half an emoji in a JSON string.
 */
export function chunkText(text: string, size = 4): string[] {
  const points = Array.from(text);
  const chunks: string[] = [];
  for (let i = 0; i < points.length; i += size) chunks.push(points.slice(i, i + size).join(''));
  return chunks;
}

/**
 * A deterministic embedding for `text`: unit length and made of float32-exact numbers, so the same
 * values survive JSON, OpenAI's base64 float32 encoding and Ollama's normalisation unchanged.
 * Tests compute the expected vector with this function.
 */
export function fakeEmbedding(text: string, dimensions = DEFAULT_EMBEDDING_DIMENSIONS): number[] {
  let seed = 2166136261;
  for (const unit of Buffer.from(text, 'utf8')) seed = Math.imul(seed ^ unit, 16777619) >>> 0;
  const raw: number[] = [];
  for (let i = 0; i < dimensions; i++) {
    seed = Math.imul(seed ^ (seed >>> 15), 2246822507) >>> 0;
    raw.push((seed % 2001) / 1000 - 1);
  }
  const norm = Math.sqrt(raw.reduce((sum, v) => sum + v * v, 0)) || 1;
  return raw.map((v) => Math.fround(v / norm));
}

/** A tool call the fake model makes; the same shape scripts all three fakes. */
export interface FakeToolCall {
  /** Defaults to a provider-styled id (`call_…`, `toolu_…`). */
  id?: string;
  name: string;
  /** An object, or (for OpenAI, whose wire format carries a string) the exact JSON text to send. */
  arguments: Record<string, unknown> | string;
  /** Exact argument fragments to stream; by default the JSON text is cut into small pieces. */
  argumentChunks?: string[];
}

/**
 * What the next matching request gets instead of the default reply.
 * `TReply` is the provider's own reply overrides (text, tool calls, usage numbers, stop reason…).
 */
export type FakeBehaviour<TReply extends object = object> =
  /** A normal answer, with some fields overridden. */
  | ({ kind: 'reply' } & TReply)
  /**
   * An error status with the provider's real error body for that status; `message` replaces the text
   * inside it, `body` replaces it entirely (an object is sent as JSON, a string verbatim as text/plain).
   * With `status: 200` and a `body`, it is a broken upstream's success: an error object or a page
   * that is not JSON, sent with a 200 (also to a request that asked for a stream).
   */
  | {
      kind: 'error';
      status: number;
      body?: unknown;
      message?: string;
      /** Added to (or, when `null`, removed from) the default headers such as `retry-after`. */
      headers?: Record<string, string | null>;
    }
  /**
   * A normal answer whose first byte waits `delayMs`. With `afterHeaders`, the status line and
   * headers go out at once and only the body waits — a stream that opens and then says nothing.
   */
  | ({ kind: 'slowFirstByte'; delayMs: number; afterHeaders?: boolean } & TReply)
  /**
   * A 200 that starts normally and then fails the way the provider fails mid-stream, after
   * `afterEvents` events (provider default). A non-streaming request gets the provider's equivalent.
   */
  | ({ kind: 'midStreamError'; message?: string; errorType?: string; afterEvents?: number } & TReply)
  /** Accept the request and never answer (until `stop()` destroys the connection). */
  | { kind: 'hang' }
  /** Reset the TCP connection (RST) without answering. */
  | { kind: 'destroy' };

/** The behaviours a fake's own code has to render; the base class deals with the rest. */
export type ReplyBehaviour<TReply extends object> = Extract<FakeBehaviour<TReply>, { kind: 'reply' | 'midStreamError' }>;

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query parameters (Claude Code, for instance, adds `?beta=true`). */
  query: Record<string, string>;
  /** Lower-cased header names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or its raw text when it is not JSON, or `undefined` when empty. */
  body: unknown;
  /** The exact body text received, for byte-for-byte passthrough assertions. */
  rawBody: string;
  receivedAt: number;
  /** Which behaviour answered: `'default'` or the kind of the scripted behaviour consumed. */
  behaviour: FakeBehaviour['kind'] | 'default';
  /** True when the connection closed before the fake finished answering (client went away, or stop()). */
  aborted: boolean;
}

/** Which requests a scripted behaviour applies to: an exact path, a path pattern or a predicate. */
export type RequestMatcher = string | RegExp | ((request: RecordedRequest) => boolean);

export interface FakeUpstreamOptions {
  /** Pause between two written pieces of a stream. 0 yields with setImmediate only. Default 1 ms. */
  chunkDelayMs?: number;
  /**
   * Write every stream event in several awkward pieces (default true). The cuts fall after the first
   * byte, inside multi-byte UTF-8 characters, between `\r` and `\n`, and just before the final byte.
   */
  splitWrites?: boolean;
}

interface ScriptedEntry<TReply extends object> {
  behaviour: FakeBehaviour<TReply>;
  matches: (request: RecordedRequest) => boolean;
}

/**
 * Where a stream write should be cut so that a client's parser meets every hard case: a record cut
 * after its first byte, a multi-byte character cut in half, `\r` separated from its `\n`, and the
 * terminator arriving alone. Exported so the self-test can assert the cuts really happened.
 */
export function awkwardCutPoints(bytes: Uint8Array): number[] {
  const cuts = new Set<number>([1, Math.floor(bytes.length / 2), bytes.length - 1]);
  let firstLead = -1;
  let lastLead = -1;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= 0xc0) {
      if (firstLead === -1) firstLead = i;
      lastLead = i;
    }
  }
  if (firstLead !== -1) cuts.add(firstLead + 1);
  // A 4-byte sequence (emoji) is cut after its second byte, so both halves are themselves incomplete.
  if (lastLead !== -1 && lastLead !== firstLead) cuts.add(lastLead + (bytes[lastLead] >= 0xf0 ? 2 : 1));
  const firstCrLf = indexOfCrLf(bytes, 0);
  if (firstCrLf !== -1) cuts.add(firstCrLf + 1);
  const lastCrLf = lastIndexOfCrLf(bytes);
  if (lastCrLf !== -1) cuts.add(lastCrLf + 1);
  return [...cuts].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
}

function indexOfCrLf(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length - 1; i++) if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) return i;
  return -1;
}

function lastIndexOfCrLf(bytes: Uint8Array): number {
  for (let i = bytes.length - 2; i >= 0; i--) if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) return i;
  return -1;
}

export function splitAwkwardly(bytes: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of awkwardCutPoints(bytes)) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces.filter((p) => p.length > 0);
}

/** One request/response pair in flight; every write goes through it so delays and disconnects are honoured. */
export class Exchange {
  private firstBodyDelayMs = 0;
  private headersSent = false;

  constructor(
    readonly request: RecordedRequest,
    readonly res: ServerResponse,
    private readonly fake: FakeUpstream<any>,
  ) {}

  /** The connection is gone (client disconnect, destroy behaviour, or the fake stopped). */
  get closed(): boolean {
    return this.res.destroyed || this.res.socket === null || this.res.socket.destroyed || this.fake.isStopped;
  }

  /** Headers go out immediately, then the first body byte waits (`slowFirstByte` with `afterHeaders`). */
  delayFirstBody(ms: number): void {
    this.firstBodyDelayMs = ms;
  }

  async sendJson(status: number, body: unknown, headers: Record<string, string> = {}): Promise<void> {
    await this.sendText(status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  }

  async sendText(status: number, text: string, headers: Record<string, string> = {}): Promise<void> {
    if (this.closed) return;
    const bytes = Buffer.from(text, 'utf8');
    this.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers, 'content-length': String(bytes.length) });
    await this.waitBeforeBody();
    if (!this.closed) this.res.end(bytes);
  }

  /** Opens a streamed (chunked) response and sends its headers right away, as streaming APIs do. */
  startStream(status: number, headers: Record<string, string>): void {
    if (this.closed) return;
    this.writeHead(status, headers);
  }

  /** Writes one serialized event or line, in awkward pieces with pauses in between. */
  async write(text: string): Promise<void> {
    await this.waitBeforeBody();
    const bytes = Buffer.from(text, 'utf8');
    const pieces = this.fake.splitWrites ? splitAwkwardly(bytes) : [bytes];
    for (const piece of pieces) {
      if (this.closed) return;
      this.res.write(piece);
      await this.fake.pause();
    }
  }

  /** Writes raw bytes at once (used to send a deliberately truncated body). */
  writeRaw(text: string): void {
    if (!this.closed) this.res.write(text);
  }

  end(): void {
    if (!this.closed) this.res.end();
  }

  /** Abrupt close with a TCP reset, so the client sees ECONNRESET rather than a clean end. */
  reset(): void {
    const socket = this.res.socket;
    if (!socket || socket.destroyed) return;
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  }

  private writeHead(status: number, headers: Record<string, string>): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.res.writeHead(status, headers);
    this.res.flushHeaders();
  }

  private async waitBeforeBody(): Promise<void> {
    if (this.firstBodyDelayMs > 0) {
      const ms = this.firstBodyDelayMs;
      this.firstBodyDelayMs = 0;
      await this.fake.sleep(ms);
    }
  }
}

/**
 * Base of the three fakes. Subclasses implement `respond` (routing and the provider's formats),
 * `errorResponse` (the provider's error bodies) and `isScriptedByDefault` (which requests an
 * `enqueue` without a matcher applies to — the generation endpoint).
 */
export abstract class FakeUpstream<TReply extends object = object> {
  /** Every request received since start (or the last `reset()`), in arrival order. */
  readonly requests: RecordedRequest[] = [];

  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly script: ScriptedEntry<TReply>[] = [];
  private readonly waiters: Array<() => void> = [];
  private boundPort: number | undefined;
  private stopped = true;
  private readonly chunkDelayMs: number;
  readonly splitWrites: boolean;
  /** Overrides applied to every reply that is not scripted otherwise (see `setDefaultReply`). */
  protected defaultReply: TReply = {} as TReply;

  constructor(options: FakeUpstreamOptions = {}) {
    this.chunkDelayMs = options.chunkDelayMs ?? 1;
    this.splitWrites = options.splitWrites ?? true;
  }

  /** Starts listening on 127.0.0.1 on a free port; resolves to the base URL (no trailing slash). */
  async start(): Promise<string> {
    if (!this.stopped) return this.url;
    await this.listen(this.boundPort ?? 0);
    return this.url;
  }

  /**
   * Closes the port — new connections are refused (ECONNREFUSED) — and destroys open connections,
   * including hung ones, so in-flight requests fail at once (ECONNRESET / "other side closed").
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server || this.stopped) return;
    this.stopped = true;
    for (const [timer, wake] of this.timers) {
      clearTimeout(timer);
      wake();
    }
    this.timers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
    this.server = undefined;
    // Clients in this process (the gateway under test, undici's pools) see their kept-alive
    // connections close only on their next I/O poll; until then they would reuse a dead socket and
    // fail with "other side closed" instead of the ECONNREFUSED a stopped upstream gives.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Listens again on the same port after `stop()`: an upstream that comes back. */
  async restart(): Promise<string> {
    if (this.boundPort === undefined) throw new Error('restart() needs a previous start()');
    await this.stop();
    await this.listen(this.boundPort);
    return this.url;
  }

  get url(): string {
    if (this.boundPort === undefined) throw new Error('The fake has not been started');
    return `http://127.0.0.1:${this.boundPort}`;
  }

  get port(): number {
    if (this.boundPort === undefined) throw new Error('The fake has not been started');
    return this.boundPort;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Forgets recorded requests, scripted behaviours and default-reply overrides. */
  reset(): void {
    this.requests.length = 0;
    this.script.length = 0;
    this.defaultReply = {} as TReply;
  }

  /**
   * Scripts the next request that `match` selects (by default the fake's generation endpoint) to
   * get `behaviour`. Behaviours queue up in order; each is used once.
   */
  enqueue(behaviour: FakeBehaviour<TReply>, match?: RequestMatcher): this {
    this.script.push({ behaviour, matches: this.toPredicate(match) });
    return this;
  }

  /** Scripted behaviours not consumed yet — a test can assert its script was used up. */
  get pendingBehaviours(): number {
    return this.script.length;
  }

  /** Overrides applied to every unscripted reply (and merged under scripted `reply` overrides). */
  setDefaultReply(overrides: TReply): this {
    this.defaultReply = overrides;
    return this;
  }

  /** Requests whose path is `path`. */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  get lastRequest(): RecordedRequest | undefined {
    return this.requests[this.requests.length - 1];
  }

  /** Resolves once at least `count` requests have been recorded. */
  async waitForRequests(count: number, timeoutMs = 5000): Promise<RecordedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      if (Date.now() > deadline) throw new Error(`Expected ${count} requests, got ${this.requests.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.requests.slice(0, count);
  }

  /** A pause that `stop()` cuts short, so no timer outlives the fake and keeps jest waiting. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  /** The gap between two written pieces; long enough that the client reads them separately. */
  pause(): Promise<void> {
    if (this.chunkDelayMs <= 0) return new Promise((resolve) => setImmediate(resolve));
    return this.sleep(this.chunkDelayMs);
  }

  /** Renders `reply` and `midStreamError` behaviours, and routes everything that is not scripted. */
  protected abstract respond(exchange: Exchange, behaviour: ReplyBehaviour<TReply>): Promise<void>;

  /** The provider's error response for `status`: body and headers (e.g. `retry-after` on 429). */
  protected abstract errorResponse(
    status: number,
    message: string | undefined,
    request: RecordedRequest,
  ): { body: unknown; headers: Record<string, string> };

  /** The requests an `enqueue` without a matcher applies to. */
  protected abstract isScriptedByDefault(request: RecordedRequest): boolean;

  /** Merges the default-reply overrides under a behaviour's own. */
  protected withDefaults<B extends object>(behaviour: B): B & TReply {
    return { ...this.defaultReply, ...behaviour };
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((req, res) => {
      void this.handle(req, res).catch((error: unknown) => {
        // A bug in a fake must fail loudly in the test output, not hang the client.
        console.error('fake upstream failed', error);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake upstream failed: ${String(error)}`);
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.stopped = false;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: parseBody(rawBody),
      rawBody,
      receivedAt: Date.now(),
      behaviour: 'default',
      aborted: false,
    };
    this.requests.push(recorded);
    this.waiters.splice(0).forEach((wake) => wake());
    res.on('close', () => {
      if (!res.writableFinished) recorded.aborted = true;
    });
    // Writing after the client left must not crash the test process.
    res.on('error', () => undefined);

    const exchange = new Exchange(recorded, res, this);
    const scripted = this.takeScripted(recorded);
    if (scripted) recorded.behaviour = scripted.kind;
    const behaviour = scripted ?? ({ kind: 'reply' } as FakeBehaviour<TReply>);

    switch (behaviour.kind) {
      case 'hang':
        return;
      case 'destroy':
        exchange.reset();
        return;
      case 'error': {
        const fallback = this.errorResponse(behaviour.status, behaviour.message, recorded);
        const body = behaviour.body ?? fallback.body;
        if (typeof body === 'string') {
          // A string is a non-provider body (a proxy's HTML page, say): plain text unless the script says otherwise.
          const { 'content-type': _json, ...rest } = fallback.headers;
          await exchange.sendText(behaviour.status, body, mergeHeaders(rest, behaviour.headers));
        } else {
          await exchange.sendJson(behaviour.status, body, mergeHeaders(fallback.headers, behaviour.headers));
        }
        return;
      }
      case 'slowFirstByte': {
        const { kind: _kind, delayMs, afterHeaders, ...overrides } = behaviour;
        if (afterHeaders) exchange.delayFirstBody(delayMs);
        else await this.sleep(delayMs);
        if (exchange.closed) return;
        await this.respond(exchange, this.withDefaults({ kind: 'reply', ...overrides }) as ReplyBehaviour<TReply>);
        return;
      }
      default:
        await this.respond(exchange, this.withDefaults(behaviour) as ReplyBehaviour<TReply>);
    }
  }

  private takeScripted(request: RecordedRequest): FakeBehaviour<TReply> | undefined {
    const index = this.script.findIndex((entry) => entry.matches(request));
    if (index === -1) return undefined;
    return this.script.splice(index, 1)[0].behaviour;
  }

  private toPredicate(match: RequestMatcher | undefined): (request: RecordedRequest) => boolean {
    if (match === undefined) return (request) => this.isScriptedByDefault(request);
    if (typeof match === 'string') return (request) => request.path === match;
    if (match instanceof RegExp) return (request) => match.test(request.path);
    return match;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    // An upload cut short still gets recorded with what arrived.
    req.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function mergeHeaders(base: Record<string, string>, extra: Record<string, string | null> | undefined): Record<string, string> {
  const merged: Record<string, string> = { ...base };
  for (const [name, value] of Object.entries(extra ?? {})) {
    if (value === null) delete merged[name.toLowerCase()];
    else merged[name.toLowerCase()] = value;
  }
  return merged;
}

/** A short random hex id, for request ids that must differ between requests. */
export function randomHex(length: number): string {
  let out = '';
  while (out.length < length)
    out += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, length);
}

/** Whether a request asked for a streamed answer; `defaultValue` is the provider's default. */
export function wantsStream(body: unknown, defaultValue: boolean): boolean {
  const stream = (body as { stream?: unknown } | undefined)?.stream;
  return typeof stream === 'boolean' ? stream : defaultValue;
}

/** The argument fragments of a tool call: scripted ones, or the JSON text cut into small pieces. */
export function argumentPieces(call: FakeToolCall, json: string): string[] {
  return call.argumentChunks ?? chunkText(json, 7);
}

export function argumentsJson(call: FakeToolCall): string {
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
}

export function argumentsObject(call: FakeToolCall): Record<string, unknown> {
  return typeof call.arguments === 'string' ? (JSON.parse(call.arguments) as Record<string, unknown>) : call.arguments;
}

/** The text of a chat message's content: a string, or the `text` of its text parts/blocks. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => {
      const p = part as { type?: string; text?: unknown; content?: unknown };
      if (p.type === 'text' && typeof p.text === 'string') return p.text;
      // Anthropic tool results nest their own content (a string or text blocks).
      if (p.type === 'tool_result') return contentText(p.content);
      return '';
    })
    .join('');
}
