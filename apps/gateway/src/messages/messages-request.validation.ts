import { InvalidRequestError } from '../common/invalid-request.error';

export interface AnthropicMessagesBody {
  model: string;
  max_tokens: number;
  messages: unknown[];
  stream?: boolean;
  system?: unknown;
  tools?: unknown;
  metadata?: { user_id?: unknown };
  [extra: string]: unknown;
}

/** Envelope checks for `/v1/messages`; everything else is the upstream's to judge, untouched. */
export function validateMessagesRequest(body: unknown, requireMaxTokens = true): AnthropicMessagesBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequestError('Request body must be a JSON object');
  const request = body as Record<string, unknown>;
  if (typeof request.model !== 'string' || request.model === '') throw new InvalidRequestError('model: Field required', 'model');
  if (requireMaxTokens && (typeof request.max_tokens !== 'number' || !Number.isInteger(request.max_tokens) || request.max_tokens < 1)) {
    throw new InvalidRequestError('max_tokens: Field required (a positive integer)', 'max_tokens');
  }
  if (!Array.isArray(request.messages)) throw new InvalidRequestError('messages: Field required (an array)', 'messages');
  if (request.stream !== undefined && typeof request.stream !== 'boolean') throw new InvalidRequestError('stream: must be a boolean', 'stream');
  return request as AnthropicMessagesBody;
}
