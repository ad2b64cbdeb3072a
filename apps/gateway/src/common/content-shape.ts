import { InvalidRequestError } from './invalid-request.errors';

/**
 * The shape of content parts (OpenAI) and content blocks (Anthropic), checked before anything
 * walks them: the token estimate, the provider translations and the ledger all read these fields
 * and assume their types. A field the gateway never reads is left for the upstream to judge; a
 * field it reads must have the type the dialect documents, or the request is a 400 naming it.
 */

type FieldCheck = (value: unknown) => boolean;

const isString: FieldCheck = (value) => typeof value === 'string';
const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const optionalString = (object: Record<string, unknown>, field: string) => object[field] === undefined || typeof object[field] === 'string';

/** Known fields of a part or block, and what each must be when present. */
const FIELDS: Record<string, { check: FieldCheck; expected: string }> = {
  text: { check: isString, expected: 'a string' },
  id: { check: isString, expected: 'a string' },
  name: { check: isString, expected: 'a string' },
  tool_use_id: { check: isString, expected: 'a string' },
  thinking: { check: isString, expected: 'a string' },
  input: { check: isObject, expected: 'an object' },
  // OpenAI documents {url, detail}; a bare URL string is what LiteLLM also accepts.
  image_url: {
    check: (v) => isString(v) || (isObject(v) && isString(v.url) && (v.detail === undefined || isString(v.detail))),
    expected: 'an object with a string url',
  },
  source: {
    check: (v) =>
      isObject(v) && isString(v.type) && optionalString(v, 'url') && optionalString(v, 'data') && optionalString(v, 'media_type'),
    expected: 'an object with a string type',
  },
  input_audio: { check: isObject, expected: 'an object' },
  file: { check: isObject, expected: 'an object' },
};

/**
 * `content` as both dialects allow it: a string, or parts/blocks that are objects with a string
 * `type` and well-typed known fields. A `tool_result` block's own content is checked the same way.
 * `param` renders a path segment in the caller's style (`messages[0].content[1]` or `messages.0.content.1`).
 */
export function assertContent(content: unknown, param: string, index: (base: string, i: number) => string): void {
  if (typeof content === 'string') return;
  if (!Array.isArray(content)) throw new InvalidRequestError(`'${param}' must be a string or an array of content parts`, param);
  content.forEach((part, i) => {
    const at = index(param, i);
    if (!isObject(part) || typeof part.type !== 'string')
      throw new InvalidRequestError(`'${at}' must be a content part object with a string 'type'`, at);
    for (const [field, { check, expected }] of Object.entries(FIELDS)) {
      if (part[field] !== undefined && !check(part[field]))
        throw new InvalidRequestError(`'${at}.${field}' must be ${expected}`, `${at}.${field}`);
    }
    if (part.type === 'tool_result' && part.content !== undefined && part.content !== null)
      assertContent(part.content, `${at}.content`, index);
  });
}
