import { randomUUID } from 'node:crypto';

import type { NextFunction, Request, Response } from 'express';

const REQUEST_ID = Symbol('requestId');

/** Every request gets an id, echoed as LiteLLM's `x-litellm-call-id` and used as the ledger key. */
export function assignRequestId(request: Request, response: Response, next: NextFunction): void {
  const id = randomUUID();
  (request as unknown as Record<symbol, string>)[REQUEST_ID] = id;
  response.setHeader('x-litellm-call-id', id);
  next();
}

export function requestIdOf(request: Request): string {
  return (request as unknown as Record<symbol, string>)[REQUEST_ID] ?? 'unknown';
}
