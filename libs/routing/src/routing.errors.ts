import type { UpstreamError } from '@tollgate/providers';

export enum RoutingErrorCode {
  UNKNOWN_MODEL = 'unknown_model',
  NO_HEALTHY_DEPLOYMENT = 'no_healthy_deployment',
}

/** A routing decision that ended without an upstream answer of our own making. */
export class RoutingError extends Error {
  constructor(
    readonly code: RoutingErrorCode,
    message: string,
    readonly attemptedFallbacks = 0,
  ) {
    super(message);
    this.name = 'RoutingError';
  }
}

/** Every attempt failed; `lastError` is what the client sees. */
export class RouteFailedError extends Error {
  constructor(
    readonly lastError: UpstreamError,
    readonly attemptedFallbacks: number,
    readonly servedByAlias: string,
  ) {
    super(lastError.message);
    this.name = 'RouteFailedError';
  }
}
