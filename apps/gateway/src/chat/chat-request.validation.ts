import type { ChatCompletionRequest } from '@tollgate/providers';

import { assertContent } from '../common/content-shape';
import { isObject, optionalBoolean, optionalInteger, optionalNumber } from '../common/field-checks';
import { InvalidRequestError } from '../common/invalid-request.errors';

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

/**
 * Envelope checks for `/v1/chat/completions`: enough to give a clear 400 naming the field for
 * what would otherwise fail obscurely upstream, cheap enough for the hot path (no class-validator).
 * Fields the gateway does not read are left for the upstream to judge.
 */
export function validateChatCompletionRequest(body: unknown): ChatCompletionRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequestError('Request body must be a JSON object', null);
  }
  const request = body as Record<string, unknown>;
  if (typeof request.model !== 'string' || request.model.trim() === '') {
    throw new InvalidRequestError(`'model' is required and must be a non-empty string`, 'model');
  }
  const messages = request.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new InvalidRequestError(`'messages' is required and must be a non-empty array`, 'messages');
  }
  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      throw new InvalidRequestError(`'${param}' must be an object`, param);
    }
    const { role, content } = message as Record<string, unknown>;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw new InvalidRequestError(`'${param}.role' must be one of system, developer, user, assistant, tool`, `${param}.role`);
    }
    if (content !== undefined && content !== null && typeof content !== 'string' && !Array.isArray(content)) {
      throw new InvalidRequestError(`'${param}.content' must be a string or an array of content parts`, `${param}.content`);
    }
    if (Array.isArray(content)) assertContent(content, `${param}.content`, (base, i) => `${base}[${i}]`);
    const toolCalls = (message as Record<string, unknown>).tool_calls;
    if (toolCalls !== undefined && toolCalls !== null) {
      const valid =
        Array.isArray(toolCalls) && toolCalls.every((call) => isObject(call) && isObject((call as Record<string, unknown>).function));
      if (!valid)
        throw new InvalidRequestError(`'${param}.tool_calls' must be an array of {id, type, function} objects`, `${param}.tool_calls`);
    }
    if (role === 'tool' && typeof (message as Record<string, unknown>).tool_call_id !== 'string') {
      throw new InvalidRequestError(`'${param}.tool_call_id' is required on tool messages`, `${param}.tool_call_id`);
    }
  });
  optionalBoolean(request, 'stream');
  optionalInteger(request, 'max_tokens', 1);
  optionalInteger(request, 'max_completion_tokens', 1);
  optionalInteger(request, 'n', 1, 128);
  optionalNumber(request, 'temperature', 0, 2);
  optionalNumber(request, 'top_p', 0, 1);
  if (request.stream_options !== undefined && request.stream_options !== null) {
    if (typeof request.stream_options !== 'object' || Array.isArray(request.stream_options)) {
      throw new InvalidRequestError(`'stream_options' must be an object`, 'stream_options');
    }
    optionalBoolean(request.stream_options as Record<string, unknown>, 'include_usage', 'stream_options.include_usage');
  }
  if (request.stop !== undefined && request.stop !== null) {
    const stop = request.stop;
    const valid = typeof stop === 'string' || (Array.isArray(stop) && stop.length <= 4 && stop.every((s) => typeof s === 'string'));
    if (!valid) throw new InvalidRequestError(`'stop' must be a string or an array of up to 4 strings`, 'stop');
  }
  if (request.tools !== undefined && request.tools !== null) {
    if (!Array.isArray(request.tools)) throw new InvalidRequestError(`'tools' must be an array`, 'tools');
    request.tools.forEach((tool, index) => {
      const fn = (tool as { function?: { name?: unknown } } | null)?.function;
      if (!isObject(fn) || typeof fn.name !== 'string' || fn.name === '') {
        throw new InvalidRequestError(`'tools[${index}].function.name' is required`, `tools[${index}].function.name`);
      }
    });
  }
  return request as ChatCompletionRequest;
}
