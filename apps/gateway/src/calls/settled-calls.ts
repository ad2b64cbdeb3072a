import { Injectable } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { SpendInterceptor } from '@tollgate/spend';
import type { Request, Response } from 'express';
import { from, lastValueFrom } from 'rxjs';

/**
 * Runs a model call's handler under SpendInterceptor, called here rather than declared with
 * @UseInterceptors. Nest's interceptor consumer wraps every call in two `AsyncResource.bind`
 * (each builds Node's deprecation wrappers for the bound function) and a chain of rxjs operators,
 * which cost ~2.5% of a governed call's CPU, measured. The semantics are the interceptor's own:
 * the handler runs, the call is settled once after it, an error goes on to the exception filter.
 */
@Injectable()
export class SettledCalls {
  constructor(private readonly spend: SpendInterceptor) {}

  run(req: Request, res: Response, handler: () => Promise<unknown>): Promise<unknown> {
    const settled = this.spend.intercept(new ExecutionContextHost([req, res]), { handle: () => from(handler()) });
    return lastValueFrom(settled, { defaultValue: undefined });
  }
}
