import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Dispatcher, Pool } from 'undici';

import { openAIError, UpstreamError } from './upstream.errors';

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  /** Path appended to the deployment's base path, e.g. `/api/chat`. */
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Time allowed for the response headers, and between two body chunks. */
  timeoutMs: number;
  signal?: AbortSignal;
}

interface UpstreamTarget {
  pool: Pool;
  basePath: string;
}

/**
 * One keep-alive connection pool per upstream origin, shared by every deployment on it.
 * Global fetch would open and close connections per call and cost milliseconds per request.
 */
@Injectable()
export class UpstreamHttp implements OnApplicationShutdown {
  private readonly targets = new Map<string, UpstreamTarget>();

  async send(apiBase: string, request: UpstreamRequest): Promise<Dispatcher.ResponseData> {
    const target = this.target(apiBase);
    const headers: Record<string, string> = { ...request.headers };
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] ??= 'application/json';
    }
    try {
      return await target.pool.request({
        method: request.method,
        path: target.basePath + request.path,
        headers,
        body,
        signal: request.signal,
        headersTimeout: request.timeoutMs,
        bodyTimeout: request.timeoutMs,
      });
    } catch (error) {
      throw toUpstreamError(error, apiBase);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const pools = [...this.targets.values()].map((t) => t.pool);
    this.targets.clear();
    await Promise.allSettled(pools.map((pool) => pool.close()));
  }

  private target(apiBase: string): UpstreamTarget {
    let target = this.targets.get(apiBase);
    if (!target) {
      const url = new URL(apiBase);
      target = {
        pool: new Pool(url.origin, {
          connections: 256,
          keepAliveTimeout: 30_000,
          connect: { timeout: 10_000 },
        }),
        basePath: url.pathname.replace(/\/+$/, ''),
      };
      this.targets.set(apiBase, target);
    }
    return target;
  }
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_ERROR_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Map a transport-level failure (no HTTP status from the upstream) to an UpstreamError. */
export function toUpstreamError(error: unknown, apiBase: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const code = (error as { code?: string })?.code ?? '';
  if (TIMEOUT_ERROR_CODES.has(code)) {
    return new UpstreamError(
      'timeout',
      504,
      openAIError('The upstream provider timed out', 'timeout', 'upstream_timeout'),
      {},
      undefined,
      `${addressForLog(apiBase)} timed out (${code})`,
    );
  }
  if (code === 'UND_ERR_ABORTED' || (error as Error)?.name === 'AbortError') {
    return new UpstreamError('connection', 499, openAIError('Request cancelled by the client', 'api_error', 'client_cancelled'));
  }
  // A transport error's own message names the address ("connect ECONNREFUSED 10.0.0.5:11434"):
  // the client gets only its code, the log gets the rest.
  const reason = CONNECTION_ERROR_CODES.has(code) ? code : 'connection failed';
  return new UpstreamError(
    'connection',
    503,
    openAIError(`The upstream provider is unreachable (${reason})`, 'api_error', 'upstream_unreachable'),
    {},
    undefined,
    `${addressForLog(apiBase)} is unreachable: ${(error as Error)?.message ?? String(error)}`,
  );
}

/**
 * An upstream's address as the operator's log shows it: origin and path, without the credentials
 * or query string an `api_base` may carry (`https://user:secret@proxy/v1?key=…`).
 */
export function addressForLog(apiBase: string): string {
  try {
    const url = new URL(apiBase);
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '[unparseable api_base]';
  }
}

/**
 * A stream that broke while it was being read (connection reset, body timeout): a 'stream' failure,
 * judged as one that began with a 200. Errors the stream's own checks raised pass through as they are.
 */
export function brokenStreamError(error: unknown, apiBase: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const cause = toUpstreamError(error, apiBase);
  return new UpstreamError('stream', cause.status, cause.body, {}, undefined, cause.detail);
}

/** Read a whole upstream body as text, mapping a broken or slow body to an UpstreamError. */
export async function readBodyText(response: Dispatcher.ResponseData, apiBase: string): Promise<string> {
  try {
    return await response.body.text();
  } catch (error) {
    throw toUpstreamError(error, apiBase);
  }
}

/** Parse JSON from an upstream, tolerating non-JSON error pages (a proxy's HTML 502, say). */
export function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The response headers a gateway should relay to its client. */
export function relayableHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const relayed: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (
      lower === 'retry-after' ||
      lower === 'x-should-retry' ||
      lower.startsWith('anthropic-ratelimit-') ||
      lower.startsWith('x-ratelimit-')
    ) {
      relayed[lower] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return relayed;
}
