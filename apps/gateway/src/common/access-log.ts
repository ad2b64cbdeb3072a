import { callerOf } from '@tollgate/keys';
import { callRecordOf } from '@tollgate/spend';
import type { NextFunction, Request, Response } from 'express';

import { requestIdOf } from './request-id';

/** nginx's status for a request the client gave up on before its answer was complete. */
const CLIENT_CLOSED = 499;

/**
 * One info line per request, written when its response is over (after the last byte of a stream):
 * route, status, latency, and who served whom — never a key, a prompt or a completion. Built with a
 * single JSON.stringify and written straight to stdout, so it costs the hot path about as much as
 * the response headers do. The key is named by its alias only; the route is the pattern matched,
 * without its query string (`/key/info?key=sk-…`).
 */
export function accessLog(jsonLines: boolean): (request: Request, response: Response, next: NextFunction) => void {
  return (request, response, next) => {
    const started = performance.now();
    response.once('close', () => {
      const record = callRecordOf(request);
      const line = {
        level: 'info',
        time: new Date().toISOString(),
        message: 'request',
        request_id: requestIdOf(request),
        method: request.method,
        route: routeOf(request),
        status: response.writableFinished ? response.statusCode : CLIENT_CLOSED,
        latency_ms: Math.round((performance.now() - started) * 10) / 10,
        model_group: record?.servedByAlias ?? record?.modelGroup ?? null,
        deployment: record?.deployment?.id ?? null,
        key_alias: callerOf(request)?.keyAlias ?? null,
      };
      process.stdout.write(jsonLines ? `${JSON.stringify(line)}\n` : textLine(line));
    });
    next();
  };
}

/** The route pattern matched (`/key/info`, `/ui/api/keys/:token`): never the query string or a key in the path. */
export function routeOf(request: Request): string {
  return (request.route as { path?: string } | undefined)?.path ?? request.path;
}

function textLine(line: {
  time: string;
  request_id: string;
  method: string;
  route: string;
  status: number;
  latency_ms: number;
  model_group: string | null;
  deployment: string | null;
  key_alias: string | null;
}): string {
  const served = line.deployment ? ` ${line.model_group} via ${line.deployment}` : line.model_group ? ` ${line.model_group}` : '';
  const key = line.key_alias ? ` key=${line.key_alias}` : '';
  return `${line.time} [${line.request_id}] ${line.method} ${line.route} ${line.status} ${line.latency_ms}ms${served}${key}\n`;
}
