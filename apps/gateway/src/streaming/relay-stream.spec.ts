import type { Caller } from '@tollgate/keys';
import { CallRecord } from '@tollgate/spend';

import { relayStream } from './relay-stream';

function newRecord(): CallRecord {
  return new CallRecord({
    requestId: 'r',
    callType: 'responses',
    caller: {} as Caller,
    modelGroup: 'm',
    endUser: null,
    sessionId: null,
    metadata: {},
    inputTokensBound: 1,
    unmeasuredInput: false,
  });
}

function clientStream(closed = false) {
  return {
    closed,
    ended: 0,
    end() {
      this.ended++;
    },
  };
}

describe('relayStream', () => {
  const live = new AbortController().signal;

  it('a whole answer succeeds, runs its last step before the stream ends, and ends the stream once', async () => {
    const record = newRecord();
    const stream = clientStream();
    const order: string[] = [];
    await relayStream(record, stream, live, {
      relay: async () => 'answer',
      served: async (value) => void order.push(`served ${value}, ended ${stream.ended}`),
    });
    expect(record.status).toBe('success');
    expect(order).toEqual(['served answer, ended 0']);
    expect(stream.ended).toBe(1);
  });

  it('Codex closing right after the terminal event is not a cancellation: the relay decides who left', async () => {
    const record = newRecord();
    await relayStream(record, clientStream(true), live, { relay: async () => 'finished response' });
    expect(record.status).toBe('success');
  });

  it('a client that left first is a cancellation, and nothing is kept for it', async () => {
    const record = newRecord();
    const served = jest.fn();
    await relayStream(record, clientStream(true), live, { relay: async () => undefined, served });
    expect(record.status).toBe('client_cancelled');
    expect(served).not.toHaveBeenCalled();
  });

  it('an upstream error event inside the stream stays an error, and the answer it broke is not kept', async () => {
    const record = newRecord();
    const served = jest.fn();
    await relayStream(record, clientStream(), live, {
      relay: async () => {
        record.upstreamFailed('{"type":"error"}');
        return 'partial';
      },
      served,
    });
    expect(record.status).toBe('error');
    expect(served).not.toHaveBeenCalled();
  });

  it('a stream that breaks after the headers is told inside the stream, recorded, ended, and never thrown', async () => {
    const record = newRecord();
    const stream = clientStream();
    const told: unknown[] = [];
    const broken = new Error('connection reset');
    await expect(
      relayStream(record, stream, live, { relay: async () => Promise.reject(broken), failed: async (error) => void told.push(error) }),
    ).resolves.toBeUndefined();
    expect(told).toEqual([broken]);
    expect(record.status).toBe('error');
    expect(record.error).toBe('connection reset');
    expect(stream.ended).toBe(1);
  });

  it('a break caused by the client leaving counts as a cancellation', async () => {
    const record = newRecord();
    const left = new AbortController();
    left.abort();
    await relayStream(record, clientStream(), left.signal, { relay: async () => Promise.reject(new Error('aborted')) });
    expect(record.status).toBe('client_cancelled');
  });
});
