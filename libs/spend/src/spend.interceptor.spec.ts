import type { CallHandler, ExecutionContext } from '@nestjs/common';
import type { Caller } from '@tollgate/keys';
import { lastValueFrom, of, throwError } from 'rxjs';

import { attachCallRecord, CallRecord } from './call-record';
import { SettledReply } from './settled-reply';
import { SpendInterceptor } from './spend.interceptor';
import type { SpendRecorder } from './spend-recorder';

function setup() {
  const request = {};
  const sent: { headers: Record<string, string>; body?: unknown; status?: number } = { headers: {} };
  const response = {
    setHeader: (name: string, value: string) => void (sent.headers[name] = value),
    status(code: number) {
      sent.status = code;
      return this;
    },
    json: (body: unknown) => void (sent.body = body),
  };
  const context = { switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }) } as unknown as ExecutionContext;
  const settled: string[] = [];
  const recorder = {
    settle: jest.fn((record: CallRecord) => {
      settled.push(`${record.status} headers-sent=${Object.keys(sent.headers).length > 0}`);
      return { costNanos: 1_500_000, keySpendNanos: 2_000_000_000 };
    }),
  } as unknown as SpendRecorder;
  const record = new CallRecord({
    requestId: 'r',
    callType: 'chat_completion',
    caller: {} as Caller,
    modelGroup: 'm',
    endUser: null,
    sessionId: null,
    metadata: {},
    inputTokensBound: 1,
    unmeasuredInput: false,
  });
  return { request, context, recorder, record, sent, settled, interceptor: new SpendInterceptor(recorder) };
}

describe('SpendInterceptor', () => {
  it('prices a non-streamed answer before sending it, so the answer carries its exact cost', async () => {
    const { request, context, record, sent, settled, interceptor } = setup();
    attachCallRecord(request, record);
    record.succeeded();
    const handler: CallHandler = { handle: () => of(new SettledReply({ 'x-litellm-model-id': 'gpt#0' }, { id: 'answer' })) };
    await lastValueFrom(interceptor.intercept(context, handler));
    expect(settled).toEqual(['success headers-sent=false']);
    expect(sent).toEqual({
      status: 200,
      body: { id: 'answer' },
      headers: { 'x-litellm-model-id': 'gpt#0', 'x-litellm-response-cost': '0.0015', 'x-litellm-key-spend': '2' },
    });
  });

  it('a handler that throws is settled once as failed, and the error still reaches the exception filter', async () => {
    const { request, context, recorder, record, interceptor } = setup();
    attachCallRecord(request, record);
    const failure = new Error('upstream unreachable');
    await expect(lastValueFrom(interceptor.intercept(context, { handle: () => throwError(() => failure) }))).rejects.toBe(failure);
    expect(recorder.settle).toHaveBeenCalledTimes(1);
    expect(record.status).toBe('error');
  });

  it('a body refused before the call began has no record, and nothing is settled', async () => {
    const { context, recorder, interceptor } = setup();
    await expect(lastValueFrom(interceptor.intercept(context, { handle: () => throwError(() => new Error('bad body')) }))).rejects.toThrow(
      'bad body',
    );
    expect(recorder.settle).not.toHaveBeenCalled();
  });
});
