import { HttpException } from '@nestjs/common';
import { BudgetExceededError, BudgetStoreUnavailableError } from '@tollgate/budgets';
import { isUnstorableTextError } from '@tollgate/database';
import { AuthError, AuthThrottledError, KeyStoreUnavailableError } from '@tollgate/keys';
import { ProviderRequestError, UpstreamError } from '@tollgate/providers';
import { RateLimitedError, RateLimitStoreUnavailableError } from '@tollgate/rate-limits';
import { fallbacksNotPermitted, RouteFailedError, RoutingError, RoutingErrorCode } from '@tollgate/routing';
import { AdminError, AdminErrorCode, InvalidAdminQueryError } from '@tollgate/teams';

import { MetricsUnavailableError } from '../metrics/metrics.errors';
import { OtlpError, OtlpErrorCode } from '../otlp/otlp.errors';
import { ResponsesError, ResponsesErrorCode } from '../responses/responses.errors';
import { InvalidRequestError } from './invalid-request.errors';
import { SKIPPED_FALLBACKS_HEADER } from './routing-headers';

/** An error as the client will see it, before it is rendered in the route's dialect. */
export interface ErrorDescriptor {
  status: number;
  type: string;
  message: string;
  param: string | null;
  code: string | null;
  headers: Record<string, string>;
}

/**
 * The one place where domain errors become HTTP statuses. Each feature's error classes are
 * registered here; anything unrecognised is an internal error whose details stay in the log.
 */
export function describeError(exception: unknown, requestId: string): ErrorDescriptor {
  if (exception instanceof InvalidRequestError)
    return descriptor(400, 'invalid_request_error', exception.message, exception.param, exception.code);
  if (exception instanceof ProviderRequestError || exception instanceof InvalidAdminQueryError) {
    return descriptor(400, 'invalid_request_error', exception.message, exception.param, null);
  }
  if (exception instanceof ResponsesError) {
    // OpenAI answers an unknown previous_response_id with a 400 naming the field, a lookup with a 404.
    if (exception.code === ResponsesErrorCode.PREVIOUS_RESPONSE_NOT_FOUND)
      return descriptor(400, 'invalid_request_error', exception.message, 'previous_response_id', exception.code);
    if (exception.code === ResponsesErrorCode.STORE_UNAVAILABLE)
      return descriptor(503, 'service_unavailable', exception.message, null, exception.code);
    return descriptor(404, 'invalid_request_error', exception.message, null, exception.code);
  }
  if (exception instanceof OtlpError) {
    const status = { [OtlpErrorCode.UNDECODABLE]: 400, [OtlpErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415, [OtlpErrorCode.FOREIGN_CLIENT]: 403 }[
      exception.code
    ];
    return descriptor(status, status === 403 ? 'permission_error' : 'invalid_request_error', exception.message, null, exception.code);
  }
  if (exception instanceof AuthError) {
    return descriptor(
      exception.status,
      exception.status === 403 ? 'permission_error' : 'authentication_error',
      exception.message,
      null,
      exception.code,
    );
  }
  if (exception instanceof AuthThrottledError) {
    return descriptor(429, 'rate_limit_exceeded', exception.message, null, 'auth_throttled', {
      'retry-after': String(exception.retryAfterSeconds),
    });
  }
  if (exception instanceof BudgetExceededError) {
    // x-should-retry: false stops the OpenAI and Anthropic SDKs from retrying a 429 that will not clear.
    return descriptor(429, 'budget_exceeded', exception.message, null, '429', { 'x-should-retry': 'false' });
  }
  if (exception instanceof RateLimitedError) {
    return descriptor(429, 'rate_limit_exceeded', exception.message, null, `${exception.limit}_limit_exceeded`, {
      'retry-after': String(exception.retryAfterSeconds),
    });
  }
  if (exception instanceof BudgetStoreUnavailableError) {
    return storeUnavailable('Budget store unavailable; refusing calls that would spend money', 'budget_store_unavailable');
  }
  if (exception instanceof KeyStoreUnavailableError)
    return storeUnavailable('Key store unavailable; cannot check this key right now', 'key_store_unavailable');
  if (exception instanceof RateLimitStoreUnavailableError) return storeUnavailable('Rate limit store is unavailable', exception.code);
  if (exception instanceof MetricsUnavailableError) return descriptor(503, 'service_unavailable', exception.message, null, exception.code);
  if (exception instanceof AdminError) {
    const notFound = exception.code === AdminErrorCode.TEAM_NOT_FOUND || exception.code === AdminErrorCode.KEY_NOT_FOUND;
    return descriptor(
      notFound ? 404 : 400,
      notFound ? 'not_found_error' : 'invalid_request_error',
      exception.message,
      exception.param,
      exception.code,
    );
  }
  if (exception instanceof RouteFailedError) {
    const described = fromUpstream(exception.lastError, fallbackHeaders(exception));
    return { ...described, message: described.message + fallbacksNotPermitted(exception.skippedFallbacks) };
  }
  if (exception instanceof UpstreamError) return fromUpstream(exception, {});
  if (exception instanceof RoutingError) {
    const headers = fallbackHeaders(exception);
    if (exception.code === RoutingErrorCode.UNKNOWN_MODEL) {
      return descriptor(404, 'invalid_request_error', exception.message, 'model', 'model_not_found', headers);
    }
    return descriptor(503, 'service_unavailable', exception.message, null, exception.code, headers);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? (response as { message: string[] }).message.join('; ')
          : String((response as { message?: unknown }).message ?? exception.message);
    return descriptor(status, typeForStatus(status), message, null, String(status));
  }
  if (isUnstorableTextError(exception)) {
    return descriptor(
      400,
      'invalid_request_error',
      'A value in the request contains a NUL or an invalid character',
      null,
      'invalid_characters',
    );
  }
  return descriptor(500, 'internal_server_error', `Internal error; reference ${requestId} in the gateway log`, null, 'internal_error');
}

function fromUpstream(error: UpstreamError, extraHeaders: Record<string, string>): ErrorDescriptor {
  const e = error.body.error;
  return descriptor(error.status, e.type, withoutAddresses(e.message), e.param, e.code, { ...error.headers, ...extraHeaders });
}

/**
 * A store outage. The driver's reason names the database host ("getaddrinfo ENOTFOUND db.internal"),
 * so the client gets a fixed message and the log the full one.
 */
function storeUnavailable(message: string, code: string): ErrorDescriptor {
  return descriptor(503, 'service_unavailable', message, null, code);
}

/** Whether the client's message lost something (an address, a driver's reason) the operator's log should keep. */
export function hidesDetail(exception: unknown, error: ErrorDescriptor): boolean {
  return exception instanceof Error && error.status >= 500 && exception.message !== error.message;
}

function fallbackHeaders(error: { attemptedFallbacks: number; skippedFallbacks: number }): Record<string, string> {
  return { 'x-litellm-attempted-fallbacks': String(error.attemptedFallbacks), [SKIPPED_FALLBACKS_HEADER]: String(error.skippedFallbacks) };
}

/**
 * URLs and host:port pairs, as an upstream's or a driver's own message may carry them
 * ("connect ECONNREFUSED 10.0.0.5:5432"). Key holders see `[address hidden]`; the log keeps them.
 */
const ADDRESS =
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>),]+|\[[0-9a-f]*:[0-9a-f:]*\](?::\d+)?|\b(?:(?:[a-z0-9-]+\.)+[a-z0-9-]+|localhost):\d{2,5}\b/gi;

export function withoutAddresses(message: string): string {
  return message.replace(ADDRESS, '[address hidden]');
}

function descriptor(
  status: number,
  type: string,
  message: string,
  param: string | null,
  code: string | null,
  headers: Record<string, string> = {},
): ErrorDescriptor {
  return { status, type, message, param, code, headers };
}

function typeForStatus(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_exceeded';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** OpenAI's error body: `/v1/*` and the admin API. */
export function renderOpenAIError(error: ErrorDescriptor): unknown {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** Anthropic's error body, for `/v1/messages`: Anthropic SDKs and Claude Code parse only this. */
export function renderAnthropicError(error: ErrorDescriptor): unknown {
  const type = ANTHROPIC_TYPES[error.status] ?? (error.status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message: error.message } };
}

export function usesAnthropicDialect(path: string): boolean {
  return path.startsWith('/v1/messages') || path.startsWith('/api/hello');
}
