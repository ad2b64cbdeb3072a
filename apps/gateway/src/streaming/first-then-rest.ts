/**
 * Reads a stream's first item now and returns a stream that replays it, then the rest.
 * Awaiting the first item inside a routing attempt lets an upstream that fails at its very
 * start still fall back, before the client has received a byte.
 */
export async function firstThenRest<T>(stream: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        if (first.done) return;
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      } finally {
        // A consumer that stops early (client gone) must release the upstream connection too.
        await iterator.return?.();
      }
    },
  };
}
