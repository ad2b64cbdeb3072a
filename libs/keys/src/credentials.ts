import type { Request } from 'express';

/**
 * The secret a client presented, from any header an OpenAI, Anthropic or Azure-style client uses:
 * `Authorization: Bearer`, `x-api-key`, `api-key`.
 */
export function presentedSecret(request: Request): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1].trim();
  }
  const apiKey = request.headers['x-api-key'] ?? request.headers['api-key'];
  if (typeof apiKey === 'string' && apiKey.trim() !== '') return apiKey.trim();
  return undefined;
}
