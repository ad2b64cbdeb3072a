import type { EmbeddingRequest } from '@tollgate/providers';

import { InvalidRequestError } from '../common/invalid-request.errors';

export function validateEmbeddingRequest(body: unknown): EmbeddingRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequestError('Request body must be a JSON object');
  const request = body as Record<string, unknown>;
  if (typeof request.model !== 'string' || request.model === '')
    throw new InvalidRequestError(`'model' is required and must be a non-empty string`, 'model');
  if (!isEmbeddingInput(request.input)) {
    throw new InvalidRequestError(
      `'input' must be a non-empty string, an array of non-empty strings, a token array or an array of token arrays`,
      'input',
    );
  }
  if (request.encoding_format !== undefined && request.encoding_format !== 'float' && request.encoding_format !== 'base64') {
    throw new InvalidRequestError(`'encoding_format' must be "float" or "base64"`, 'encoding_format');
  }
  return request as EmbeddingRequest;
}

/**
 * OpenAI's four input shapes: a string, strings, one token array, token arrays — none of them empty,
 * and token ids non-negative integers (https://platform.openai.com/docs/api-reference/embeddings/create).
 * Anything else is refused here, before a reservation is taken or an upstream is bothered.
 */
function isEmbeddingInput(input: unknown): boolean {
  const isText = (item: unknown) => typeof item === 'string' && item !== '';
  const isTokenArray = (item: unknown) =>
    Array.isArray(item) && item.length > 0 && item.every((id) => Number.isInteger(id) && (id as number) >= 0);
  if (isText(input)) return true;
  if (!Array.isArray(input) || input.length === 0) return false;
  return input.every(isText) || isTokenArray(input) || input.every(isTokenArray);
}
