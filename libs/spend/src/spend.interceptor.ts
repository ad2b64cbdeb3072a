import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { BudgetExceededError } from '@tollgate/budgets';
import { from, Observable, throwError } from 'rxjs';
import { catchError, concatMap } from 'rxjs/operators';
import { callRecordOf } from './call-record';
import { SpendRecorder } from './spend-recorder';

/**
 * Guarantees every model call that reached its handler is settled exactly once, whether it
 * succeeded, failed or was refused for budget. Handlers that stream await the end of their
 * stream, so this runs after the last byte.
 */
@Injectable()
export class SpendInterceptor implements NestInterceptor {
  constructor(private readonly recorder: SpendRecorder) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest();
    return next.handle().pipe(
      concatMap((value) => from(this.settle(request).then(() => value))),
      catchError((error: unknown) => {
        const record = callRecordOf(request);
        if (record && !record.settled) {
          record.status = error instanceof BudgetExceededError ? 'budget_exceeded' : record.abandonedInFlight ? 'client_cancelled' : 'error';
          record.error = (error as Error)?.message ?? String(error);
        }
        return from(this.settle(request)).pipe(concatMap(() => throwError(() => error)));
      }),
    );
  }

  private async settle(request: object): Promise<void> {
    const record = callRecordOf(request);
    if (record) await this.recorder.settle(record);
  }
}
