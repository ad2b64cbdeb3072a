import type { ResponsesRequest } from '@tollgate/providers';

import { optionalBoolean, optionalInteger, optionalNumber } from '../common/field-checks';
import { InvalidRequestError } from '../common/invalid-request.errors';

const TOOL_CHOICES = new Set(['none', 'auto', 'required']);
const TEXT_FORMATS = new Set(['text', 'json_object', 'json_schema']);

/**
 * Envelope checks for `/v1/responses`: a clear 400 naming the field for what would otherwise fail
 * obscurely upstream or in a translation. Item contents are checked where they are translated;
 * an OpenAI deployment judges the rest itself.
 */
export function validateResponsesRequest(body: unknown): ResponsesRequest {
  const request = object(body, null);
  if (typeof request.model !== 'string' || request.model.trim() === '') {
    throw new InvalidRequestError(`'model' is required and must be a non-empty string`, 'model');
  }
  const input = request.input;
  if (input === undefined || input === null) {
    if (typeof request.previous_response_id !== 'string')
      throw new InvalidRequestError(`Missing required parameter: 'input'.`, 'input', 'missing_required_parameter');
  } else if (Array.isArray(input)) {
    input.forEach((item, index) => object(item, `input[${index}]`));
  } else if (typeof input !== 'string') {
    throw new InvalidRequestError(`'input' must be a string or an array of input items`, 'input');
  }
  optionalString(request, 'instructions');
  optionalString(request, 'previous_response_id');
  optionalString(request, 'prompt_cache_key');
  optionalString(request, 'user');
  optionalBoolean(request, 'stream');
  optionalBoolean(request, 'store');
  optionalBoolean(request, 'parallel_tool_calls');
  optionalInteger(request, 'max_output_tokens', 1);
  optionalNumber(request, 'temperature', 0, 2);
  optionalNumber(request, 'top_p', 0, 1);
  if (request.tools !== undefined && request.tools !== null) {
    if (!Array.isArray(request.tools)) throw new InvalidRequestError(`'tools' must be an array`, 'tools');
    request.tools.forEach((tool, index) => {
      const fields = object(tool, `tools[${index}]`);
      if (typeof fields.type !== 'string') throw new InvalidRequestError(`'tools[${index}].type' is required`, `tools[${index}].type`);
      if (fields.type === 'function' && (typeof fields.name !== 'string' || fields.name === '')) {
        throw new InvalidRequestError(`'tools[${index}].name' is required`, `tools[${index}].name`);
      }
    });
  }
  const choice = request.tool_choice;
  if (choice !== undefined && choice !== null && !(typeof choice === 'string' && TOOL_CHOICES.has(choice))) {
    if (typeof choice !== 'object' || Array.isArray(choice) || typeof (choice as { type?: unknown }).type !== 'string') {
      throw new InvalidRequestError(`'tool_choice' must be none, auto, required or a tool object`, 'tool_choice');
    }
  }
  if (request.reasoning !== undefined && request.reasoning !== null) {
    const reasoning = object(request.reasoning, 'reasoning');
    optionalString(reasoning, 'effort', 'reasoning.effort');
    optionalString(reasoning, 'summary', 'reasoning.summary');
  }
  if (request.text !== undefined && request.text !== null) {
    const format = object(request.text, 'text').format;
    if (format !== undefined && format !== null) {
      const fields = object(format, 'text.format');
      if (typeof fields.type !== 'string' || !TEXT_FORMATS.has(fields.type)) {
        throw new InvalidRequestError(`'text.format.type' must be one of text, json_object, json_schema`, 'text.format.type');
      }
      if (fields.type === 'json_schema') {
        if (typeof fields.name !== 'string' || fields.name === '')
          throw new InvalidRequestError(`'text.format.name' is required for json_schema`, 'text.format.name');
        object(fields.schema, 'text.format.schema');
      }
    }
  }
  if (request.include !== undefined && request.include !== null) {
    if (!Array.isArray(request.include) || !request.include.every((entry) => typeof entry === 'string')) {
      throw new InvalidRequestError(`'include' must be an array of strings`, 'include');
    }
  }
  if (request.metadata !== undefined && request.metadata !== null) {
    const metadata = object(request.metadata, 'metadata');
    // OpenAI's limits: 16 pairs, keys up to 64 characters, string values up to 512.
    const entries = Object.entries(metadata);
    if (entries.length > 16 || entries.some(([key, value]) => key.length > 64 || typeof value !== 'string' || value.length > 512)) {
      throw new InvalidRequestError(
        `'metadata' must hold at most 16 string values (keys up to 64 characters, values up to 512)`,
        'metadata',
      );
    }
  }
  return request as ResponsesRequest;
}

function object(value: unknown, param: string | null): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRequestError(param === null ? 'Request body must be a JSON object' : `'${param}' must be an object`, param);
  }
  return value as Record<string, unknown>;
}

function optionalString(fields: Record<string, unknown>, field: string, param = field): void {
  const value = fields[field];
  if (value !== undefined && value !== null && typeof value !== 'string')
    throw new InvalidRequestError(`'${param}' must be a string`, param);
}
