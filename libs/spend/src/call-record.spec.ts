import { BudgetExceededError } from '@tollgate/budgets';
import type { Caller } from '@tollgate/keys';
import type { ChatCompletionChunk } from '@tollgate/providers';

import { CallRecord } from './call-record';

function newRecord(): CallRecord {
  return new CallRecord({
    requestId: 'req-1',
    callType: 'chat_completion',
    caller: {} as Caller,
    modelGroup: 'gpt',
    endUser: null,
    sessionId: null,
    metadata: {},
    inputTokensBound: 10,
    unmeasuredInput: false,
  });
}

function chunk(delta: Record<string, unknown>, usage?: ChatCompletionChunk['usage']): ChatCompletionChunk {
  return {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: null }],
    usage,
  } as ChatCompletionChunk;
}

describe('CallRecord', () => {
  it('an error event inside a 200 stream is not turned into a success when the stream then ends normally', () => {
    const record = newRecord();
    record.upstreamFailed('x'.repeat(600));
    record.succeeded();
    expect(record.status).toBe('error');
    expect(record.error).toHaveLength(500);
  });

  it('a client that leaves mid-call is a cancellation, not an upstream error', () => {
    const left = newRecord();
    left.failed(new Error('aborted'), true);
    expect(left.status).toBe('client_cancelled');

    const inFlight = newRecord();
    inFlight.abandonedInFlight();
    inFlight.failed(new Error('aborted'));
    expect(inFlight.status).toBe('client_cancelled');
    expect(inFlight.leftWhileInFlight).toBe(true);
  });

  it('a budget refusal is recorded as budget_exceeded with its message', () => {
    const record = newRecord();
    record.failed(new BudgetExceededError('key', 'sk-...abcd', 10, 0, 10));
    expect(record.status).toBe('budget_exceeded');
    expect(record.error).toContain('Budget has been exceeded');
  });

  it('usage repeated on every chunk (cumulative servers): the last report wins; chunks without usage keep it', () => {
    const record = newRecord();
    record.countChunk(chunk({ content: 'ab' }, { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 }));
    record.countChunk(chunk({ content: 'cd' }, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }));
    record.countChunk(chunk({ content: 'e' }));
    expect(record.usage).toEqual({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
  });

  it("a broken upstream's nulls and non-strings count no output; text, reasoning and tool arguments do", () => {
    const record = newRecord();
    record.countDelta(null, 42, { text: 'x' }, '');
    expect(record.outputReceived).toBe(false);
    record.countChunk(chunk({ content: 'abcd', reasoning_content: 'ef', tool_calls: [{ index: 0, function: { arguments: '{}' } }] }));
    // One delta of 8 characters: at three characters a token, 3 tokens.
    expect(record.generatedTokensEstimate()).toBe(3);
    for (const letter of 'abcde') record.countDelta(letter);
    // Six deltas of 13 characters: one token per delta outweighs ceil(13 / 3) = 5.
    expect(record.generatedTokensEstimate()).toBe(6);
  });

  it('a failed attempt hands its reservation back once; the next attempt starts without it', () => {
    const record = newRecord();
    record.attempting({ id: 'a#0' } as never, {} as never);
    record.reserved({ amountNanos: 5 } as never);
    expect(record.takeReservation()).toEqual({ amountNanos: 5 });
    expect(record.takeReservation()).toBeUndefined();
    record.attempting({ id: 'a#1' } as never, {} as never);
    expect(record.reservation).toBeUndefined();
    expect(record.deployment?.id).toBe('a#1');
  });
});
