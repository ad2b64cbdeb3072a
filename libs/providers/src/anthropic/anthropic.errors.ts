import { openAIError, openAIErrorTypeForStatus, UpstreamError } from '../upstream.errors';

interface MappedErrorType {
  /** OpenAI error `type` clients see. */
  type: string;
  /** OpenAI error `code`, set where the OpenAI type alone would lose what Anthropic said. */
  code: string | null;
  /** Status to use when Anthropic gave none (an `error` event after the 200 had started). */
  status: number;
}

/** https://docs.anthropic.com/en/api/errors */
const ERROR_TYPES: Record<string, MappedErrorType> = {
  invalid_request_error: { type: 'invalid_request_error', code: null, status: 400 },
  authentication_error: { type: 'authentication_error', code: null, status: 401 },
  // OpenAI's name for "the account behind this key has no credit".
  billing_error: { type: 'insufficient_quota', code: 'insufficient_quota', status: 402 },
  permission_error: { type: 'permission_error', code: null, status: 403 },
  not_found_error: { type: 'not_found_error', code: null, status: 404 },
  request_too_large: { type: 'invalid_request_error', code: 'request_too_large', status: 413 },
  rate_limit_error: { type: 'rate_limit_exceeded', code: 'rate_limit_exceeded', status: 429 },
  // Mid-stream there is no upstream status; from the client's side a failing upstream is a bad gateway.
  api_error: { type: 'api_error', code: null, status: 502 },
  timeout_error: { type: 'timeout', code: 'upstream_timeout', status: 504 },
  overloaded_error: { type: 'api_error', code: 'overloaded', status: 503 },
};

/**
 * Anthropic's 529 is not a standard status: OpenAI SDKs and HTTP proxies understand 503
 * ("try again later") and retry it; everything else, 4xx included, keeps its status.
 */
function clientStatus(status: number): number {
  return status === 529 ? 503 : status;
}

function errorDetail(body: unknown): { type: string; message: string } | null {
  const error = (body as { error?: unknown } | null)?.error;
  if (!error || typeof error !== 'object') return null;
  const { type, message } = error as { type?: unknown; message?: unknown };
  if (typeof message !== 'string') return null;
  return { type: typeof type === 'string' ? type : '', message };
}

/**
 * Anthropic's non-2xx answer (`{"type":"error","error":{"type","message"}}`) in OpenAI's error shape.
 * Bodies that are not Anthropic's (an HTML 502 from a proxy in front of it) get a wrapped message.
 */
export function anthropicUpstreamError(status: number, body: unknown, headers: Record<string, string>): UpstreamError {
  const mappedStatus = clientStatus(status);
  const detail = errorDetail(body);
  const mapped = ERROR_TYPES[detail?.type ?? (status === 529 ? 'overloaded_error' : '')];
  const message = detail?.message ?? `Anthropic answered HTTP ${status}`;
  const type = mapped?.type ?? openAIErrorTypeForStatus(mappedStatus);
  return new UpstreamError('http', mappedStatus, openAIError(message, type, mapped?.code ?? null), headers);
}

/** An `event: error` received after the stream's 200: the status comes from the error type. */
export function anthropicStreamError(error: { type?: string; message?: string } | null | undefined): UpstreamError {
  const mapped = ERROR_TYPES[error?.type ?? ''] ?? ERROR_TYPES.api_error;
  const message = error?.message ?? 'Anthropic stream failed';
  return new UpstreamError('stream', mapped.status, openAIError(message, mapped.type, mapped.code));
}
