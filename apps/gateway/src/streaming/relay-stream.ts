import type { CallRecord } from '@tollgate/spend';

/** A stream to the client whose headers have gone out. */
export interface ClientStream {
  readonly closed: boolean;
  end(): void;
}

export interface StreamRelay<T> {
  /** Relays the upstream to the client; resolves to what was served, or undefined if the client left first. */
  relay: () => Promise<T | undefined>;
  /** Runs once the answer went out whole and succeeded, before the stream ends. */
  served?: (value: T) => Promise<void>;
  /** Tells a failure inside the stream, in the client's dialect: the status line is long gone. */
  failed?: (error: unknown) => Promise<void>;
}

/**
 * The end of every streamed model call: the outcome goes on the call record (succeeded, cancelled
 * or failed — a failure the client caused by leaving counts as a cancellation), a failure is told
 * inside the stream, and the stream is always ended. Never throws: once the stream has begun, an
 * error response is no longer possible, and settlement (SpendInterceptor) follows.
 */
export async function relayStream<T>(record: CallRecord, stream: ClientStream, signal: AbortSignal, steps: StreamRelay<T>): Promise<void> {
  try {
    const value = await steps.relay();
    if (value === undefined) {
      record.cancelled();
      return;
    }
    record.succeeded();
    if (record.status === 'success') await steps.served?.(value);
  } catch (error) {
    record.failed(error, signal.aborted);
    await steps.failed?.(error);
  } finally {
    stream.end();
  }
}
