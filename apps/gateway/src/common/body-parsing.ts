import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';

import { type ErrorDescriptor, renderAnthropicError, renderOpenAIError, usesAnthropicDialect } from './error-descriptor';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';

/**
 * JSON bodies for every route, with errors in the caller's dialect. Body-parser errors happen
 * before Nest's router, where exception filters cannot see them, so they are rendered here.
 * Bodies are read as JSON whatever their declared type (multipart aside): `curl -d` sends
 * form-encoded headers with JSON bodies, and LiteLLM accepts those too. Depth is bounded here,
 * once for every route, before anything walks the body.
 */
export function jsonBodyParser(limitBytes: number) {
  const parse = json({
    limit: limitBytes,
    type: (req) => !/^multipart\//i.test(req.headers['content-type'] ?? ''),
  });
  return (request: Request, response: Response, next: NextFunction): void => {
    parse(request, response, (error?: unknown) => {
      let descriptor: ErrorDescriptor;
      if (error) {
        const failure = error as { type?: string; status?: number; message?: string };
        descriptor =
          failure.type === 'entity.too.large'
            ? {
                status: 413,
                type: 'invalid_request_error',
                message: `Request body exceeds the limit of ${limitBytes} bytes`,
                param: null,
                code: 'request_too_large',
                headers: {},
              }
            : {
                status: 400,
                type: 'invalid_request_error',
                message: `Request body is not valid JSON: ${failure.message ?? 'parse error'}`,
                param: null,
                code: 'invalid_json',
                headers: {},
              };
      } else if (nestsDeeperThan(request.body, MAX_JSON_DEPTH)) {
        descriptor = {
          status: 400,
          type: 'invalid_request_error',
          message: `Request body is nested deeper than ${MAX_JSON_DEPTH} levels`,
          param: null,
          code: 'too_deeply_nested',
          headers: {},
        };
      } else {
        return next();
      }
      response
        .status(descriptor.status)
        .json(usesAnthropicDialect(request.path) ? renderAnthropicError(descriptor) : renderOpenAIError(descriptor));
    });
  };
}
