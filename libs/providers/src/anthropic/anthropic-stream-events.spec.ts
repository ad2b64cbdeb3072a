import { UpstreamError } from '../upstream.errors';
import { anthropicStreamEvents } from './anthropic-stream-events';

async function* bytes(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<string[]> {
  const names: string[] = [];
  for await (const event of anthropicStreamEvents(body, 'http://anthropic')) names.push(event.event ?? '?');
  return names;
}

const OVERLOADED = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';

describe('anthropicStreamEvents', () => {
  it('relays events split at awkward byte boundaries, an error after the first event included', async () => {
    const names = await collect(
      bytes('event: message_st', 'art\ndata: {"type":"message_start"}\n\n', `event: error\ndata: ${OVERLOADED}\n\n`),
    );
    expect(names).toEqual(['message_start', 'error']);
  });

  it('overload as the first event fails the attempt like an HTTP 529 (503 to OpenAI clients), keeping the body to relay', async () => {
    const failure = collect(bytes(`event: error\ndata: ${OVERLOADED}\n\n`));
    await expect(failure).rejects.toMatchObject({ kind: 'http', status: 503, native: { status: 529, body: OVERLOADED } });
  });

  it('a first event that is not an Anthropic event is a broken upstream (502)', async () => {
    await expect(collect(bytes('data: <html>bad gateway</html>\n\n'))).rejects.toMatchObject({
      status: 502,
      body: { error: { code: 'bad_upstream_response' } },
    });
  });

  it('a 200 that ends without any event fails instead of passing for an empty answer', async () => {
    await expect(collect(bytes(''))).rejects.toMatchObject({ kind: 'stream', status: 502 });
  });

  it('a connection reset mid-stream becomes a stream failure, not a crash', async () => {
    async function* reset(): AsyncIterable<Uint8Array> {
      yield new TextEncoder().encode('event: message_start\ndata: {"type":"message_start"}\n\n');
      throw Object.assign(new Error('socket hang up'), { code: 'UND_ERR_SOCKET' });
    }
    const failure = collect(reset());
    await expect(failure).rejects.toBeInstanceOf(UpstreamError);
    await expect(failure).rejects.toMatchObject({ kind: 'stream', status: 503 });
  });
});
