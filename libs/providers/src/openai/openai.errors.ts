import { openAIError, openAIErrorTypeForStatus, UpstreamError } from '../upstream.errors';

/**
 * An OpenAI-compatible upstream's non-2xx answer. Its body is already in our dialect, so it is
 * relayed as received; servers that answer with something else (an HTML 502 from a proxy,
 * vLLM's `{"detail": …}`) get a wrapped message.
 */
export function openAIUpstreamError(status: number, body: unknown, headers: Record<string, string>): UpstreamError {
  const error = (body as { error?: unknown } | null)?.error;
  if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    const e = error as { message: string; type?: string; param?: string | null; code?: string | number | null };
    return new UpstreamError(
      'http',
      status,
      openAIError(e.message, e.type ?? openAIErrorTypeForStatus(status), e.code == null ? null : String(e.code), e.param ?? null),
      headers,
    );
  }
  const detail = typeof error === 'string' ? error : (body as { detail?: unknown } | null)?.detail;
  const message = typeof detail === 'string' ? detail : `Upstream answered HTTP ${status}`;
  return new UpstreamError('http', status, openAIError(message, openAIErrorTypeForStatus(status)), headers);
}
