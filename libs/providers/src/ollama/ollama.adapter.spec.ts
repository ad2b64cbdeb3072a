import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Deployment } from '../deployment';
import type { ChatCompletionChunk } from '../openai.types';
import { UpstreamError } from '../upstream.errors';
import { UpstreamHttp } from '../upstream-http';
import chatResponse from './__fixtures__/chat-response.text.json';
import textThenTools from './__fixtures__/chat-stream.text-then-tools.json';
import embeddings from './__fixtures__/embeddings.json';
import { OllamaAdapter } from './ollama.adapter';

interface Recorded {
  method: string;
  url: string;
  body: unknown;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('OllamaAdapter against a fake Ollama', () => {
  let server: Server;
  let handler: Handler;
  let recorded: Recorded[];
  let http: UpstreamHttp;
  let adapter: OllamaAdapter;
  let deployment: Deployment;

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      recorded.push({ method: req.method ?? '', url: req.url ?? '', body: text ? JSON.parse(text) : undefined });
      await handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    recorded = [];
    http = new UpstreamHttp();
    adapter = new OllamaAdapter(http);
    deployment = {
      id: 'local#0',
      alias: 'local',
      provider: 'ollama',
      model: 'qwen2.5-coder:14b',
      apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      timeoutMs: 5_000,
      streamTimeoutMs: 5_000,
    };
  });

  afterEach(async () => {
    await http.onApplicationShutdown();
  });

  function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
    return (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
  }

  /** Writes the given byte pieces with pauses, as a real upstream splits its stream anywhere. */
  function ndjson(pieces: Buffer[]): Handler {
    return async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for (const piece of pieces) {
        res.write(piece);
        await sleep(2);
      }
      res.end();
    };
  }

  function splitEvery(bytes: Buffer, size: number): Buffer[] {
    const pieces: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
    return pieces;
  }

  async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
    const chunks: ChatCompletionChunk[] = [];
    try {
      for await (const chunk of stream) chunks.push(chunk);
    } catch (error) {
      return { chunks, error };
    }
    return { chunks, error: undefined };
  }

  function describeUpstreamError(error: unknown) {
    expect(error).toBeInstanceOf(UpstreamError);
    const e = error as UpstreamError;
    return { kind: e.kind, status: e.status, code: e.body.error.code, message: e.body.error.message, headers: e.headers };
  }

  it('posts a non-streaming /api/chat request and translates the answer', async () => {
    handler = json(200, chatResponse.ollama);
    const completion = await adapter.chatCompletion(deployment, { model: 'local', messages: [{ role: 'user', content: 'hi' }] }, {});
    expect(recorded).toEqual([
      {
        method: 'POST',
        url: '/api/chat',
        body: { model: 'qwen2.5-coder:14b', messages: [{ role: 'user', content: 'hi' }], stream: false },
      },
    ]);
    expect(completion.id).toMatch(/^chatcmpl-[0-9a-f]{24}$/);
    expect(completion).toEqual({ ...chatResponse.openai, id: completion.id, created: completion.created });
  });

  it('streams NDJSON split at awkward byte boundaries into the golden chunks', async () => {
    // Three-byte pieces cut lines, JSON tokens and the multi-byte characters below in half.
    const lines = textThenTools.lines.map((line, i) => (i === 1 ? { ...line, message: { ...line.message, content: ' chéck ✓.' } } : line));
    handler = ndjson(splitEvery(Buffer.from(lines.map((line) => JSON.stringify(line)).join('\n') + '\n'), 3));
    const stream = await adapter.streamChatCompletion(
      deployment,
      { model: 'local', messages: [{ role: 'user', content: 'hi' }], stream: true },
      {},
    );
    const { chunks, error } = await collect(stream);
    expect(error).toBeUndefined();
    expect(recorded[0]).toEqual({
      method: 'POST',
      url: '/api/chat',
      body: { model: 'qwen2.5-coder:14b', messages: [{ role: 'user', content: 'hi' }], stream: true },
    });
    const id = chunks[0].id;
    const expected = JSON.parse(
      JSON.stringify(textThenTools.chunks).replaceAll('chatcmpl-stream1', id).replace(' check.', ' chéck ✓.'),
    ) as ChatCompletionChunk[];
    expect(chunks).toEqual(expected.map((chunk) => ({ ...chunk, created: chunks[0].created })));
  });

  it('accepts a final line without a trailing newline', async () => {
    handler = ndjson([Buffer.from(JSON.stringify(textThenTools.lines[4]))]);
    const { chunks, error } = await collect(await adapter.streamChatCompletion(deployment, { model: 'local', messages: [] }, {}));
    expect(error).toBeUndefined();
    expect(chunks.map((c) => (c.choices.length > 0 ? c.choices[0].finish_reason : c.usage))).toEqual([
      null,
      'stop',
      { prompt_tokens: 57, completion_tokens: 21, total_tokens: 78 },
    ]);
  });

  it('fails a stream that ends before its done line', async () => {
    handler = ndjson([Buffer.from(JSON.stringify(textThenTools.lines[0]) + '\n')]);
    const { chunks, error } = await collect(await adapter.streamChatCompletion(deployment, { model: 'local', messages: [] }, {}));
    expect(chunks).toHaveLength(2);
    expect(describeUpstreamError(error)).toEqual({
      kind: 'stream',
      status: 502,
      code: 'upstream_stream_broken',
      message: 'Ollama stream ended before its final line',
      headers: {},
    });
  });

  it('fails a stream on an error line after the 200', async () => {
    handler = ndjson([Buffer.from(JSON.stringify(textThenTools.lines[0]) + '\n{"error":"model runner has unexpectedly stopped"}\n')]);
    const { chunks, error } = await collect(await adapter.streamChatCompletion(deployment, { model: 'local', messages: [] }, {}));
    expect(chunks).toHaveLength(2);
    expect(describeUpstreamError(error)).toEqual({
      kind: 'stream',
      status: 502,
      code: 'upstream_stream_error',
      message: 'model runner has unexpectedly stopped',
      headers: {},
    });
  });

  it('fails a stream on a line that is not JSON', async () => {
    handler = ndjson([Buffer.from('{"model":"m","done":fal\n')]);
    const { error } = await collect(await adapter.streamChatCompletion(deployment, { model: 'local', messages: [] }, {}));
    expect(describeUpstreamError(error)).toEqual({
      kind: 'stream',
      status: 502,
      code: 'bad_upstream_response',
      message: 'Ollama sent a stream line that is not JSON',
      headers: {},
    });
  });

  it('rejects the stream before it starts when the model is not pulled', async () => {
    handler = json(404, { error: "model 'qwen2.5-coder:14b' not found" });
    const error = await adapter.streamChatCompletion(deployment, { model: 'local', messages: [] }, {}).catch((e: unknown) => e);
    expect(describeUpstreamError(error)).toEqual({
      kind: 'http',
      status: 404,
      code: 'model_not_found',
      message: "model 'qwen2.5-coder:14b' not found",
      headers: {},
    });
  });

  it('maps a full queue to 503 and relays retry-after', async () => {
    handler = json(503, { error: 'server busy, please try again.  maximum pending requests exceeded' }, { 'retry-after': '2' });
    const error = await adapter.chatCompletion(deployment, { model: 'local', messages: [] }, {}).catch((e: unknown) => e);
    expect(describeUpstreamError(error)).toEqual({
      kind: 'http',
      status: 503,
      code: null,
      message: 'server busy, please try again.  maximum pending requests exceeded',
      headers: { 'retry-after': '2' },
    });
    expect((error as UpstreamError).retryable).toBe(true);
  });

  it('does not send a request Ollama cannot serve', async () => {
    handler = json(200, chatResponse.ollama);
    const error = await adapter
      .chatCompletion(
        deployment,
        { model: 'local', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/y.png' } }] }] },
        {},
      )
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('ProviderRequestError');
    expect(recorded).toEqual([]);
  });

  it('posts /api/embed and answers in the encoding the client asked for', async () => {
    handler = json(200, embeddings.ollamaResponse);
    const result = await adapter.embeddings(deployment, { ...embeddings.openaiRequest, encoding_format: 'base64' }, {});
    expect(recorded).toEqual([{ method: 'POST', url: '/api/embed', body: { ...embeddings.ollamaRequest, model: 'qwen2.5-coder:14b' } }]);
    expect(result).toEqual({ ...embeddings.openaiResponseBase64, model: 'qwen2.5-coder:14b' });
  });

  it('probes with GET /api/version', async () => {
    handler = json(200, { version: '0.12.6' });
    await expect(adapter.probe(deployment)).resolves.toBeUndefined();
    expect(recorded).toEqual([{ method: 'GET', url: '/api/version', body: undefined }]);
  });

  it('fails the probe at once when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await adapter.probe({ ...deployment, apiBase: `http://127.0.0.1:${port}` }).catch((e: unknown) => e);
    expect(describeUpstreamError(error)).toMatchObject({ kind: 'connection', status: 503, code: 'upstream_unreachable' });
  });
});
