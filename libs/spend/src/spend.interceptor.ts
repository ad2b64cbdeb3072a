import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { from, lastValueFrom, Observable } from 'rxjs';

import { callRecordOf } from './call-record';
import { SettledReply } from './settled-reply';
import { costHeaders, SpendRecorder } from './spend-recorder';

/**
 * The one place a model call is settled: exactly once, after its handler is done, whether it
 * succeeded, failed or was refused for budget. Handlers that stream await the end of their stream,
 * so this runs after the last byte; a non-streamed answer (SettledReply) is sent from here, once
 * its cost is known — before the ledger row is written (SettlementBatcher writes it in this
 * event-loop turn's batch), so the database is never on the response path of a settlement.
 */
@Injectable()
export class SpendInterceptor implements NestInterceptor {
  constructor(private readonly recorder: SpendRecorder) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    return from(this.settleAfter(http.getRequest(), http.getResponse<Response>(), next));
  }

  private async settleAfter(request: object, response: Response, next: CallHandler): Promise<unknown> {
    let value: unknown;
    try {
      value = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      // Thrown before the handler began its record (a body refused by validation): nothing to settle.
      const record = callRecordOf(request);
      if (record) {
        record.failed(error);
        this.recorder.settle(record);
      }
      throw error;
    }
    const record = callRecordOf(request);
    const charge = record ? this.recorder.settle(record) : undefined;
    if (value instanceof SettledReply) value.send(response, charge ? costHeaders(charge) : {});
    return value;
  }
}
