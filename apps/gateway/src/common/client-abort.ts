import type { Request, Response } from 'express';

/** A signal that fires when the client disconnects before its response is complete, so upstream work stops too. */
export function abortWhenClientLeaves(_request: Request, response: Response): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
