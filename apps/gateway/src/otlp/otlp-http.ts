import { type NextFunction, raw, type Request, type Response } from 'express';

import { contentTypeOf, encodeStatus, encodingOf } from './otlp-codec';

/** Where the receiver is mounted: OTEL_EXPORTER_OTLP_ENDPOINT=<gateway>/otlp gives /otlp/v1/logs and /otlp/v1/metrics. */
export const OTLP_PREFIX = '/otlp';

/**
 * Largest export accepted, after decompression (body-parser counts inflated bytes, so a gzip bomb
 * stops here too). Exporters batch at most 512 log records by default; a few kB each.
 */
export const OTLP_MAX_BODY_BYTES = 4 * 1024 * 1024;

export function isOtlpPath(path: string): boolean {
  return path === OTLP_PREFIX || path.startsWith(`${OTLP_PREFIX}/`);
}

/** gRPC status codes for google.rpc.Status, as OTLP/HTTP error bodies carry them. */
function grpcCodeOf(status: number): number {
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 403) return 7; // PERMISSION_DENIED
  if (status === 413 || status === 429) return 8; // RESOURCE_EXHAUSTED
  if (status >= 500) return status === 503 ? 14 : 13; // UNAVAILABLE / INTERNAL
  return 3; // INVALID_ARGUMENT
}

/**
 * Sends an OTLP/HTTP error: a google.rpc.Status in the request's encoding (JSON when the request's
 * is unknown), as https://opentelemetry.io/docs/specs/otlp/#failures-1 asks.
 */
export function sendOtlpError(request: Request, response: Response, status: number, message: string): void {
  const encoding = encodingOf(request.headers['content-type']) ?? 'json';
  response
    .status(status)
    .type(contentTypeOf(encoding))
    .send(encodeStatus(encoding, grpcCodeOf(status), message));
}

/**
 * The raw body of an export, gunzipped (Content-Encoding: gzip or deflate), for the decoder. Runs
 * before the gateway's JSON parser, which then sees a consumed request and leaves it alone.
 */
export function otlpBodyParser(limitBytes = OTLP_MAX_BODY_BYTES) {
  const parse = raw({ type: () => true, limit: limitBytes, inflate: true });
  return (request: Request, response: Response, next: NextFunction): void => {
    parse(request, response, (error?: unknown) => {
      if (!error) return next();
      const failure = error as { type?: string; status?: number; message?: string };
      if (failure.type === 'entity.too.large')
        return sendOtlpError(request, response, 413, `The export exceeds the limit of ${limitBytes} bytes (after decompression)`);
      if (failure.type === 'encoding.unsupported')
        return sendOtlpError(request, response, 415, failure.message ?? 'Unsupported Content-Encoding');
      sendOtlpError(request, response, 400, `The body could not be read: ${failure.message ?? 'bad encoding'}`);
    });
  };
}
