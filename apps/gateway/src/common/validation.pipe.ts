import { type ValidationError, ValidationPipe } from '@nestjs/common';

import { InvalidRequestError } from './invalid-request.errors';

/**
 * Admin DTO validation. Unknown fields are refused (LiteLLM drops them silently and users lose
 * settings that way); the first offending field is named in `param`.
 */
export function adminValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors: ValidationError[]) => {
      const flat = flatten(errors);
      const first = flat[0];
      const message = flat.map((e) => (e.unknown ? `Unknown field "${e.path}"` : `${e.path}: ${e.messages.join(', ')}`)).join('; ');
      return new InvalidRequestError(message, first?.path ?? null, first?.unknown ? 'unknown_field' : 'invalid_field');
    },
  });
}

interface FlatError {
  path: string;
  messages: string[];
  unknown: boolean;
}

function flatten(errors: ValidationError[], prefix = ''): FlatError[] {
  return errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints
      ? [{ path, messages: Object.values(error.constraints), unknown: 'whitelistValidation' in error.constraints }]
      : [];
    return [...own, ...flatten(error.children ?? [], path)];
  });
}
