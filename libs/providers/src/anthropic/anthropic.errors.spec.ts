import { type UpstreamError } from '../upstream.errors';
import { anthropicUpstreamError } from './anthropic.errors';

function describeError(error: UpstreamError): {
  kind: string;
  status: number;
  body: unknown;
  headers: Record<string, string>;
  retryable: boolean;
} {
  return { kind: error.kind, status: error.status, body: error.body, headers: error.headers, retryable: error.retryable };
}

function anthropicBody(type: string, message: string): unknown {
  return { type: 'error', error: { type, message }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' };
}

describe('anthropicUpstreamError', () => {
  it.each<[number, string, string, number, string, string | null, boolean]>([
    [400, 'invalid_request_error', 'messages: roles must alternate', 400, 'invalid_request_error', null, false],
    [401, 'authentication_error', 'invalid x-api-key', 401, 'authentication_error', null, false],
    [402, 'billing_error', 'Your credit balance is too low', 402, 'insufficient_quota', 'insufficient_quota', false],
    [403, 'permission_error', 'Your API key does not have permission', 403, 'permission_error', null, false],
    [404, 'not_found_error', 'model: claude-nope', 404, 'not_found_error', null, false],
    [
      413,
      'request_too_large',
      'Request exceeds the maximum allowed number of bytes',
      413,
      'invalid_request_error',
      'request_too_large',
      false,
    ],
    [
      429,
      'rate_limit_error',
      'Number of request tokens has exceeded your per-minute rate limit',
      429,
      'rate_limit_exceeded',
      'rate_limit_exceeded',
      true,
    ],
    [500, 'api_error', 'Internal server error', 500, 'api_error', null, true],
    [504, 'timeout_error', 'Request timed out', 504, 'timeout', 'upstream_timeout', true],
    [529, 'overloaded_error', 'Overloaded', 503, 'api_error', 'overloaded', true],
  ])('maps HTTP %i %s', (status, anthropicType, message, clientStatus, type, code, retryable) => {
    expect(describeError(anthropicUpstreamError(status, anthropicBody(anthropicType, message), {}))).toEqual({
      kind: 'http',
      status: clientStatus,
      body: { error: { message, type, param: null, code } },
      headers: {},
      retryable,
    });
  });

  it('relays the headers it is given (retry-after on a 429)', () => {
    const headers = { 'retry-after': '17', 'anthropic-ratelimit-requests-remaining': '0' };
    expect(describeError(anthropicUpstreamError(429, anthropicBody('rate_limit_error', 'Slow down'), headers))).toEqual({
      kind: 'http',
      status: 429,
      body: { error: { message: 'Slow down', type: 'rate_limit_exceeded', param: null, code: 'rate_limit_exceeded' } },
      headers,
      retryable: true,
    });
  });

  it.each<[string, number, unknown, number, string, string, string | null]>([
    ['an HTML page from a proxy', 502, null, 502, 'Anthropic answered HTTP 502', 'api_error', null],
    ['a bare 529 with no body', 529, null, 503, 'Anthropic answered HTTP 529', 'api_error', 'overloaded'],
    [
      'a JSON body that is not Anthropic’s',
      403,
      { message: 'Forbidden by WAF' },
      403,
      'Anthropic answered HTTP 403',
      'permission_error',
      null,
    ],
    ['an error type from the future', 409, anthropicBody('conflict_error', 'Conflict'), 409, 'Conflict', 'invalid_request_error', null],
  ])('wraps %s', (_name, status, body, clientStatus, message, type, code) => {
    expect(describeError(anthropicUpstreamError(status, body, {}))).toEqual({
      kind: 'http',
      status: clientStatus,
      body: { error: { message, type, param: null, code } },
      headers: {},
      retryable: clientStatus === 409 || clientStatus >= 500,
    });
  });
});
