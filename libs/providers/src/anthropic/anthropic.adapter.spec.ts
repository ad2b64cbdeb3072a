import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Deployment } from '../deployment';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../openai.types';
import { ProviderRequestError } from '../provider-request.errors';
import { UpstreamError } from '../upstream.errors';
import type { UpstreamHttp, UpstreamRequest } from '../upstream-http';
import { AnthropicAdapter } from './anthropic.adapter';
import type { AnthropicMessage, AnthropicStreamEvent } from './anthropic.types';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', name), 'utf8')) as T;
}

const responseFixture = fixture<{ now: number; message: AnthropicMessage; expected: ChatCompletion }>('response-tool-use.json');
const streamFixture = fixture<{ now: number; events: AnthropicStreamEvent[]; expected: ChatCompletionChunk[] }>(
  'stream-text-and-tools.json',
);

interface FakeResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array> & { text(): Promise<string> };
}

function fakeResponse(statusCode: number, pieces: (string | Uint8Array)[], headers: Record<string, string> = {}): FakeResponse {
  const bytes = pieces.map((piece) => (typeof piece === 'string' ? Buffer.from(piece) : piece));
  return {
    statusCode,
    headers,
    body: {
      async *[Symbol.asyncIterator]() {
        for (const piece of bytes) yield piece;
      },
      text: async () => Buffer.concat(bytes).toString('utf8'),
    },
  };
}

/** Stands in for UpstreamHttp: records each call and answers with a canned response. */
class FakeUpstreamHttp {
  readonly calls: { apiBase: string; request: UpstreamRequest }[] = [];
  constructor(private readonly answer: FakeResponse) {}
  async send(apiBase: string, request: UpstreamRequest): Promise<FakeResponse> {
    this.calls.push({ apiBase, request });
    return this.answer;
  }
}

function adapterAnswering(answer: FakeResponse): { adapter: AnthropicAdapter; http: FakeUpstreamHttp } {
  const http = new FakeUpstreamHttp(answer);
  return { adapter: new AnthropicAdapter(http as unknown as UpstreamHttp), http };
}

/** Anthropic's SSE framing, cut into 7-byte pieces so events, lines and UTF-8 sequences all split mid-way. */
function sseBytes(events: unknown[]): Uint8Array[] {
  const text = events.map((event) => `event: ${(event as { type: string }).type}\ndata: ${JSON.stringify(event)}\n\n`).join('');
  const bytes = Buffer.from(text);
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += 7) pieces.push(bytes.subarray(offset, offset + 7));
  return pieces;
}

function describeError(error: unknown): unknown {
  if (!(error instanceof UpstreamError)) throw error;
  return { kind: error.kind, status: error.status, body: error.body, headers: error.headers };
}

async function collect(chunks: AsyncIterable<ChatCompletionChunk>): Promise<{ chunks: ChatCompletionChunk[]; error: unknown }> {
  const received: ChatCompletionChunk[] = [];
  try {
    for await (const chunk of chunks) received.push(chunk);
  } catch (error) {
    return { chunks: received, error: describeError(error) };
  }
  return { chunks: received, error: null };
}

const deployment: Deployment = {
  id: 'sonnet#0',
  alias: 'sonnet',
  provider: 'anthropic',
  model: 'claude-sonnet-4-6',
  apiBase: 'https://api.anthropic.com',
  apiKey: 'sk-ant-api03-test',
  timeoutMs: 60_000,
  streamTimeoutMs: 120_000,
};

const request: ChatCompletionRequest = { model: 'sonnet', messages: [{ role: 'user', content: 'Weather in Paris and Berlin?' }] };
const headers = { 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-test' };
const messages = [{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Berlin?' }] }];

describe('AnthropicAdapter', () => {
  afterEach(() => jest.restoreAllMocks());

  describe('chatCompletion', () => {
    it('posts the translated request to /v1/messages and translates the answer', async () => {
      jest.spyOn(Date, 'now').mockReturnValue(responseFixture.now);
      const { adapter, http } = adapterAnswering(fakeResponse(200, [JSON.stringify(responseFixture.message)]));
      const signal = new AbortController().signal;

      expect(await adapter.chatCompletion(deployment, request, { signal })).toEqual(responseFixture.expected);
      expect(http.calls).toEqual([
        {
          apiBase: 'https://api.anthropic.com',
          request: {
            method: 'POST',
            path: '/v1/messages',
            headers,
            body: { model: 'claude-sonnet-4-6', max_tokens: 4096, messages, stream: false },
            timeoutMs: 60_000,
            signal,
          },
        },
      ]);
    });

    it.each<[string, Partial<Deployment>, string, number, Record<string, string>]>([
      ['deployment max_tokens', { maxTokens: 2000, maxOutputTokens: 64_000 }, '/v1/messages', 2000, headers],
      ['the model’s max output tokens', { maxOutputTokens: 64_000 }, '/v1/messages', 64_000, headers],
      ['an api_base that already ends in /v1', { apiBase: 'https://gateway.example.com/anthropic/v1' }, '/messages', 4096, headers],
      [
        'no api key (a keyless proxy)',
        { apiKey: undefined },
        '/v1/messages',
        4096,
        { 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      ],
    ])('honours %s', async (_name, overrides, path, maxTokens, expectedHeaders) => {
      const { adapter, http } = adapterAnswering(fakeResponse(200, [JSON.stringify(responseFixture.message)]));
      await adapter.chatCompletion({ ...deployment, ...overrides }, request, {});
      expect(http.calls.map((call) => call.request)).toEqual([
        {
          method: 'POST',
          path,
          headers: expectedHeaders,
          body: { model: 'claude-sonnet-4-6', max_tokens: maxTokens, messages, stream: false },
          timeoutMs: 60_000,
          signal: undefined,
        },
      ]);
    });

    it('maps a 529 to a retryable 503 and relays retry-after', async () => {
      const body = JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      const { adapter } = adapterAnswering(fakeResponse(529, [body], { 'retry-after': '3', 'request-id': 'req_01' }));
      const error = await adapter.chatCompletion(deployment, request, {}).catch((e: unknown) => e);
      expect(describeError(error)).toEqual({
        kind: 'http',
        status: 503,
        body: { error: { message: 'Overloaded', type: 'api_error', param: null, code: 'overloaded' } },
        headers: { 'retry-after': '3' },
      });
    });

    it('rejects a 200 whose body is not a message', async () => {
      const { adapter } = adapterAnswering(fakeResponse(200, ['<html>maintenance</html>']));
      const error = await adapter.chatCompletion(deployment, request, {}).catch((e: unknown) => e);
      expect(describeError(error)).toEqual({
        kind: 'http',
        status: 502,
        body: {
          error: {
            message: 'Anthropic answered 200 with a body that is not JSON',
            type: 'api_error',
            param: null,
            code: 'bad_upstream_response',
          },
        },
        headers: {},
      });
    });

    it('refuses an untranslatable request before calling Anthropic', async () => {
      const { adapter, http } = adapterAnswering(fakeResponse(200, ['{}']));
      const error = await adapter.chatCompletion(deployment, { ...request, n: 3 }, {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderRequestError);
      expect({ message: (error as ProviderRequestError).message, param: (error as ProviderRequestError).param }).toEqual({
        message: 'Anthropic models return one choice per request; n must be 1',
        param: 'n',
      });
      expect(http.calls).toEqual([]);
    });
  });

  describe('streamChatCompletion', () => {
    it('translates the golden stream arriving in awkward byte pieces', async () => {
      jest.spyOn(Date, 'now').mockReturnValue(streamFixture.now);
      const { adapter, http } = adapterAnswering(fakeResponse(200, sseBytes(streamFixture.events)));

      const result = await collect(await adapter.streamChatCompletion(deployment, request, {}));

      expect(result).toEqual({ chunks: streamFixture.expected, error: null });
      expect(http.calls.map((call) => call.request)).toEqual([
        {
          method: 'POST',
          path: '/v1/messages',
          headers,
          body: { model: 'claude-sonnet-4-6', max_tokens: 4096, messages, stream: true },
          timeoutMs: 120_000,
          signal: undefined,
        },
      ]);
    });

    it('fails a stream that ends before message_stop, after relaying what arrived', async () => {
      jest.spyOn(Date, 'now').mockReturnValue(streamFixture.now);
      const { adapter } = adapterAnswering(fakeResponse(200, sseBytes(streamFixture.events.slice(0, 5))));

      expect(await collect(await adapter.streamChatCompletion(deployment, request, {}))).toEqual({
        chunks: streamFixture.expected.slice(0, 3),
        error: {
          kind: 'stream',
          status: 502,
          body: {
            error: {
              message: 'Anthropic stream ended before message_stop',
              type: 'api_error',
              param: null,
              code: 'upstream_stream_broken',
            },
          },
          headers: {},
        },
      });
    });

    it('turns an error event after the 200 into a stream failure', async () => {
      jest.spyOn(Date, 'now').mockReturnValue(streamFixture.now);
      const events = [...streamFixture.events.slice(0, 4), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }];
      const { adapter } = adapterAnswering(fakeResponse(200, sseBytes(events)));

      expect(await collect(await adapter.streamChatCompletion(deployment, request, {}))).toEqual({
        chunks: streamFixture.expected.slice(0, 2),
        error: {
          kind: 'stream',
          status: 503,
          body: { error: { message: 'Overloaded', type: 'api_error', param: null, code: 'overloaded' } },
          headers: {},
        },
      });
    });

    it('rejects before streaming when Anthropic answers with an HTTP error', async () => {
      const body = JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } });
      const { adapter } = adapterAnswering(fakeResponse(429, [body], { 'retry-after': '20' }));
      const error = await adapter.streamChatCompletion(deployment, request, {}).catch((e: unknown) => e);
      expect(describeError(error)).toEqual({
        kind: 'http',
        status: 429,
        body: { error: { message: 'Rate limited', type: 'rate_limit_exceeded', param: null, code: 'rate_limit_exceeded' } },
        headers: { 'retry-after': '20' },
      });
    });
  });

  describe('probe', () => {
    it('lists models, which costs nothing', async () => {
      const { adapter, http } = adapterAnswering(fakeResponse(200, ['{"data":[],"has_more":false}']));
      await adapter.probe(deployment);
      expect(http.calls).toEqual([
        { apiBase: 'https://api.anthropic.com', request: { method: 'GET', path: '/v1/models', headers, timeoutMs: 5_000 } },
      ]);
    });

    it('fails when the key is refused', async () => {
      const body = JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
      const { adapter } = adapterAnswering(fakeResponse(401, [body]));
      const error = await adapter.probe(deployment).catch((e: unknown) => e);
      expect(describeError(error)).toEqual({
        kind: 'http',
        status: 401,
        body: { error: { message: 'invalid x-api-key', type: 'authentication_error', param: null, code: null } },
        headers: {},
      });
    });
  });
});
