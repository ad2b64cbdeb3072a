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
    readonly skippedFallbacks = 0,
  ) {
    super(message);
    this.name = 'RoutingError';
  }
}

/** The 404 for a model that does not exist, listing only the aliases this caller may call. */
export function unknownModelError(alias: string, callableAliases: string[]): RoutingError {
  return new RoutingError(
    RoutingErrorCode.UNKNOWN_MODEL,
    `Model "${alias}" does not exist. Available models: ${callableAliases.join(', ')}`,
  );
}

/** Every attempt failed; `lastError` is what the client sees. */
export class RouteFailedError extends Error {
  constructor(
    readonly lastError: UpstreamError,
    readonly attemptedFallbacks: number,
    readonly servedByAlias: string,
    /** Fallbacks the caller was not permitted to use; the client's message says so. */
    readonly skippedFallbacks = 0,
  ) {
    super(lastError.message);
    this.name = 'RouteFailedError';
  }
}
