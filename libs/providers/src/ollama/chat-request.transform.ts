import type { ChatCompletionRequest, OpenAIContentPart, OpenAIMessage, OpenAITool, OpenAIToolCall } from '../openai.types';
import { ProviderRequestError } from '../provider-request.errors';
import type { OllamaChatRequest, OllamaMessage, OllamaOptions, OllamaTool, OllamaToolCall } from './ollama.types';

export interface OllamaChatRequestOptions {
  /** The deployment's model name on the Ollama server (`qwen2.5-coder:14b`). */
  model: string;
  stream: boolean;
}

/**
 * OpenAI chat request → Ollama `/api/chat` request.
 * Throws ProviderRequestError (naming the offending parameter) for what Ollama cannot do.
 */
export function toOllamaChatRequest(request: ChatCompletionRequest, options: OllamaChatRequestOptions): OllamaChatRequest {
  if (request.n != null && request.n !== 1) {
    throw new ProviderRequestError('Ollama returns a single choice; n must be 1', 'n');
  }
  const ollama: OllamaChatRequest = {
    model: options.model,
    messages: toOllamaMessages(request.messages),
    // Ollama streams unless told otherwise, so the flag is always explicit.
    stream: options.stream,
  };
  const tools = toOllamaTools(request.tools, request.tool_choice);
  if (tools) ollama.tools = tools;
  // `think` separates the reasoning from the answer (message.thinking) instead of inline <think> tags.
  // https://ollama.com/blog/thinking
  if (request.reasoning_effort) ollama.think = /^gpt-oss\b/.test(options.model) ? request.reasoning_effort : true;
  const format = toOllamaFormat(request.response_format);
  if (format !== undefined) ollama.format = format;
  const ollamaOptions = toOllamaOptions(request);
  if (Object.keys(ollamaOptions).length > 0) ollama.options = ollamaOptions;
  return ollama;
}

function toOllamaMessages(messages: OpenAIMessage[]): OllamaMessage[] {
  if (!Array.isArray(messages)) throw new ProviderRequestError('messages must be an array', 'messages');
  // Ollama matches a tool result to its call by tool name, not id: remember which id named which tool.
  const toolNamesById = new Map<string, string>();
  return messages.map((message, i) => {
    const param = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        return { role: 'system', ...toOllamaContent(message.content, `${param}.content`) };
      case 'user':
        return { role: 'user', ...toOllamaContent(message.content, `${param}.content`) };
      case 'assistant': {
        const converted: OllamaMessage = { role: 'assistant', ...toOllamaContent(message.content, `${param}.content`) };
        if (message.tool_calls?.length) {
          converted.tool_calls = message.tool_calls.map((call, j) => {
            if (call.id) toolNamesById.set(call.id, call.function.name);
            return toOllamaToolCall(call, `${param}.tool_calls[${j}]`);
          });
        }
        return converted;
      }
      case 'tool': {
        const converted: OllamaMessage = { role: 'tool', ...toOllamaContent(message.content, `${param}.content`) };
        const toolName = (message.tool_call_id && toolNamesById.get(message.tool_call_id)) || message.name;
        if (toolName) converted.tool_name = toolName;
        return converted;
      }
      default:
        throw new ProviderRequestError(`Ollama does not support messages with role '${String(message.role)}'`, `${param}.role`);
    }
  });
}

function toOllamaContent(content: OpenAIMessage['content'], param: string): Pick<OllamaMessage, 'content' | 'images'> {
  if (content == null) return { content: '' };
  if (typeof content === 'string') return { content };
  if (!Array.isArray(content)) throw new ProviderRequestError('content must be a string or an array of parts', param);
  const texts: string[] = [];
  const images: string[] = [];
  content.forEach((part: OpenAIContentPart, j) => {
    const partParam = `${param}[${j}]`;
    if (part?.type === 'text') texts.push(part.text);
    else if (part?.type === 'image_url') images.push(toOllamaImage(part.image_url?.url, `${partParam}.image_url.url`));
    else
      throw new ProviderRequestError(
        `Ollama does not support content parts of type '${String((part as { type?: unknown })?.type)}'`,
        `${partParam}.type`,
      );
  });
  // Ollama's content is one string; a newline keeps separate parts from running into each other.
  const converted: Pick<OllamaMessage, 'content' | 'images'> = { content: texts.join('\n') };
  if (images.length > 0) converted.images = images;
  return converted;
}

const BASE64_DATA_URL = /^data:[^,;]*(?:;[^,;]*)*;base64,(.*)$/s;

/** Ollama takes raw base64 image bytes; it has no way to fetch a URL, so only `data:` URLs can be sent. */
function toOllamaImage(url: unknown, param: string): string {
  if (typeof url !== 'string' || url === '') throw new ProviderRequestError('image_url.url is required', param);
  if (!url.startsWith('data:')) {
    throw new ProviderRequestError('Ollama cannot fetch image URLs; send the image inline as a base64 data: URL', param);
  }
  const match = BASE64_DATA_URL.exec(url);
  if (!match || match[1] === '') throw new ProviderRequestError('Image data: URLs must be base64-encoded', param);
  return match[1];
}

function toOllamaToolCall(call: OpenAIToolCall, param: string): OllamaToolCall {
  return { function: { name: call.function.name, arguments: parseToolArguments(call.function.arguments, `${param}.function.arguments`) } };
}

function parseToolArguments(text: string, param: string): Record<string, unknown> {
  // Clients replaying a call to an argument-less tool often send "" rather than "{}".
  if (text == null || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ProviderRequestError('Tool call arguments must be valid JSON', param);
  }
  // Ollama decodes arguments into a map: a JSON array or scalar would be rejected upstream.
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ProviderRequestError('Tool call arguments must be a JSON object', param);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Ollama has no tool_choice. `none` is honoured by not offering the tools, a named function by
 * offering only that one; `auto` and `required` send every tool (Ollama cannot force a call).
 */
function toOllamaTools(tools: OpenAITool[] | undefined, toolChoice: ChatCompletionRequest['tool_choice']): OllamaTool[] | undefined {
  if (!tools?.length || toolChoice === 'none') return undefined;
  const converted = tools.map((tool, i): OllamaTool => {
    if (tool.type !== 'function') throw new ProviderRequestError('Ollama supports only function tools', `tools[${i}].type`);
    // `strict` is OpenAI-only; Ollama's tool struct has no place for it.
    const fn: OllamaTool['function'] = { name: tool.function.name };
    if (tool.function.description !== undefined) fn.description = tool.function.description;
    if (tool.function.parameters !== undefined) fn.parameters = tool.function.parameters;
    return { type: 'function', function: fn };
  });
  if (!toolChoice || typeof toolChoice !== 'object') return converted;
  const named = converted.filter((tool) => tool.function.name === toolChoice.function?.name);
  if (named.length === 0) {
    throw new ProviderRequestError(`tool_choice names '${toolChoice.function?.name}', which is not in tools`, 'tool_choice');
  }
  return named;
}

function toOllamaFormat(responseFormat: ChatCompletionRequest['response_format']): OllamaChatRequest['format'] {
  if (!responseFormat || responseFormat.type === 'text') return undefined;
  if (responseFormat.type === 'json_object') return 'json';
  if (responseFormat.type === 'json_schema') {
    const schema = (responseFormat.json_schema as { schema?: unknown } | undefined)?.schema;
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
      throw new ProviderRequestError(
        'response_format.json_schema.schema must be a JSON schema object',
        'response_format.json_schema.schema',
      );
    }
    return schema as Record<string, unknown>;
  }
  throw new ProviderRequestError(`Unsupported response_format type '${responseFormat.type}'`, 'response_format.type');
}

function toOllamaOptions(request: ChatCompletionRequest): OllamaOptions {
  const options: OllamaOptions = {};
  if (request.temperature != null) options.temperature = request.temperature;
  if (request.top_p != null) options.top_p = request.top_p;
  if (request.seed != null) options.seed = request.seed;
  if (typeof request.presence_penalty === 'number') options.presence_penalty = request.presence_penalty;
  if (typeof request.frequency_penalty === 'number') options.frequency_penalty = request.frequency_penalty;
  if (request.stop != null) {
    const stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
    if (stop.length > 0) options.stop = stop;
  }
  // Ollama's default num_predict is unlimited, so an explicit client cap must get through.
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) options.num_predict = maxTokens;
  return options;
}
