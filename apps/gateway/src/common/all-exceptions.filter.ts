import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { RequestLogLine } from '@tollgate/logging';
import { UpstreamError } from '@tollgate/providers';
import { RouteFailedError } from '@tollgate/routing';
import { callRecordOf } from '@tollgate/spend';
import type { Request, Response } from 'express';

import { isOtlpPath, sendOtlpError } from '../otlp/otlp-http';
import { routeOf } from './access-log';
import { describeError, hidesDetail, renderAnthropicError, renderOpenAIError, usesAnthropicDialect } from './error-descriptor';
import { requestIdOf } from './request-id';

/**
 * Renders every error in the caller's dialect. Once a response has started (a stream is
 * flowing) it can no longer change status, so the stream's own error path handles it instead.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const requestId = requestIdOf(request);
    const error = describeError(exception, requestId);
    // The route pattern, not the path: a path may carry a key (`/ui/api/keys/<token>`).
    const where = `${request.method} ${routeOf(request)}`;
    const upstream = upstreamErrorOf(exception);
    if (error.status >= 500 && error.type === 'internal_server_error') {
      this.logger.error(new RequestLogLine(requestId, `${where}: ${(exception as Error)?.stack ?? String(exception)}`));
    } else if (upstream) {
      if (error.status >= 500) this.logger.warn(new RequestLogLine(requestId, `${where}: ${upstreamFailure(upstream, request)}`));
    } else if (hidesDetail(exception, error)) {
      this.logger.warn(new RequestLogLine(requestId, `${where}: ${(exception as Error).message}`));
    }
    if (response.headersSent) {
      if (!response.writableEnded) response.end();
      return;
    }
    for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
    // OTLP exporters expect a google.rpc.Status in their own encoding.
    if (isOtlpPath(request.path)) return sendOtlpError(request, response, error.status, error.message);
    const anthropicClient = usesAnthropicDialect(request.path);
    const native = anthropicClient ? nativeAnthropicBody(exception) : undefined;
    // An Anthropic upstream's own error reaches an Anthropic client unmodified.
    if (native !== undefined) response.status(native.status).type('application/json').send(native.body);
    else response.status(error.status).json(anthropicClient ? renderAnthropicError(error) : renderOpenAIError(error));
  }
}

function nativeAnthropicBody(exception: unknown): { status: number; body: string } | undefined {
  // Its message must also say that fallbacks were not permitted, so it is rendered as ours.
  if (exception instanceof RouteFailedError && exception.skippedFallbacks > 0) return undefined;
  return upstreamErrorOf(exception)?.native;
}

function upstreamErrorOf(exception: unknown): UpstreamError | undefined {
  return exception instanceof RouteFailedError ? exception.lastError : exception instanceof UpstreamError ? exception : undefined;
}

/**
 * An upstream failure as the operator's log tells it: the failure kind and status, the deployment
 * tried last and the transport's own detail (its address, `ECONNREFUSED`). Never the upstream's
 * message or body: an upstream may quote the prompt back in its error.
 */
function upstreamFailure(error: UpstreamError, request: Request): string {
  const deployment = callRecordOf(request)?.deployment?.id;
  return `upstream failed (${error.reason})${deployment ? ` on ${deployment}` : ''}${error.detail ? `: ${error.detail}` : ''}`;
}
