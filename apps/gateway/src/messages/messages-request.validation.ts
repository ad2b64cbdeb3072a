import { assertContent } from '../common/content-shape';
import { InvalidRequestError } from '../common/invalid-request.errors';

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
  request.messages.forEach((message, index) => {
    const { role, content } = (message ?? {}) as Record<string, unknown>;
    if (
      message === null ||
      typeof message !== 'object' ||
      Array.isArray(message) ||
      (role !== 'user' && role !== 'assistant' && role !== 'system')
    ) {
      throw new InvalidRequestError(`messages.${index}: must be an object with a role of "user" or "assistant"`, `messages.${index}`);
    }
    assertBlocks(content, `messages.${index}.content`);
  });
  if (request.system !== undefined && request.system !== null) assertBlocks(request.system, 'system');
  if (request.tools !== undefined && request.tools !== null) {
    if (
      !Array.isArray(request.tools) ||
      !request.tools.every((tool) => tool !== null && typeof tool === 'object' && !Array.isArray(tool))
    ) {
      throw new InvalidRequestError('tools: must be an array of tool objects', 'tools');
    }
  }
  if (request.stream !== undefined && typeof request.stream !== 'boolean')
    throw new InvalidRequestError('stream: must be a boolean', 'stream');
  return request as AnthropicMessagesBody;
}

/** Anthropic's error messages name fields with dots: `messages.0.content.1`. */
function assertBlocks(content: unknown, param: string): void {
  assertContent(content, param, (base, i) => `${base}.${i}`);
}
