import type { OpenAIErrorBody } from './openai.types';
import type { ProviderRequestError } from './provider-request.errors';

/** Why an upstream call failed; the router decides on retries and cooldowns from this. */
export type UpstreamFailureKind =
  | 'connection' // refused, reset, DNS: the upstream is not there
  | 'timeout' // no answer within the deployment's timeout
  | 'http' // the upstream answered with a non-2xx status
  | 'stream' // the upstream failed after its 2xx had started (mid-stream error event or broken stream)
  | 'unrepresentable'; // never sent: this deployment's API cannot express the request (another's may)

/**
 * A failed call to an upstream provider, already translated into what the client should see:
 * an HTTP status and an OpenAI-shaped error body. Adapters throw nothing else for upstream failures.
 */
export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamFailureKind,
    readonly status: number,
    readonly body: OpenAIErrorBody,
    /** Headers worth relaying to the client (`retry-after`…), lower-case names. */
    readonly headers: Record<string, string> = {},
    /** The upstream's own status and error body, relayed unchanged to a client that speaks its dialect. */
    readonly native?: { status: number; body: string },
    /** What only the operator's log may see (the upstream's address, the raw transport error). */
    readonly detail?: string,
  ) {
    super(body.error.message);
    this.name = 'UpstreamError';
  }

  /**
   * What went wrong, for logs and alerts: `http 503`, `timeout`, `connection`, `stream`. Never the
   * upstream's own message, which may quote the prompt back.
   */
  get reason(): string {
    return this.kind === 'http' ? `http ${this.status}` : this.kind;
  }

  /** Retry on another deployment only where another attempt can succeed: not for the caller's own mistakes. */
  get retryable(): boolean {
    if (this.kind !== 'http') return true;
    return this.status === 408 || this.status === 409 || this.status === 429 || this.status >= 500;
  }
}

/**
 * A request this deployment cannot take (a ProviderRequestError from its translation) as an attempt
 * failure: not the caller's mistake while another deployment or fallback can still take it. A 400
 * naming the field when none can.
 */
export function unrepresentableError(error: ProviderRequestError): UpstreamError {
  return new UpstreamError('unrepresentable', 400, openAIError(error.message, 'invalid_request_error', null, error.param));
}

export function openAIError(message: string, type: string, code: string | null = null, param: string | null = null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** The OpenAI error `type` conventionally paired with an HTTP status. */
export function openAIErrorTypeForStatus(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/**
 * A 2xx whose body is not the answer asked for — an error object, a proxy's HTML page, a truncated
 * or foreign JSON body — is an upstream failure whatever its status line said: a 502 the router
 * retries elsewhere, never a success charged at zero and never a 500.
 */
export function badSuccessBodyError(upstream: string, parsed: unknown, expected: string): UpstreamError {
  const error = (parsed as { error?: unknown } | null)?.error;
  const message = typeof error === 'string' ? error : (error as { message?: unknown } | undefined)?.message;
  const detail =
    parsed === null
      ? 'a body that is not JSON'
      : error !== undefined && error !== null
        ? `an error${typeof message === 'string' ? `: ${message.slice(0, 500)}` : ''}`
        : `a body that is not ${expected}`;
  return new UpstreamError('http', 502, openAIError(`${upstream} answered 200 with ${detail}`, 'api_error', 'bad_upstream_response'));
}
