import type {
  ChatCompletionRequest,
  OpenAIContentPart,
  OpenAIMessage,
  OpenAITool,
  OpenAIToolCall,
  OpenAIToolChoice,
  ReasoningEffort,
} from '../openai.types';
import { ProviderRequestError } from '../provider-request.errors';
import type {
  ResponseContentPart,
  ResponseFunctionCallItem,
  ResponseFunctionCallOutputItem,
  ResponseFunctionTool,
  ResponseItem,
  ResponseMessageItem,
  ResponsesRequest,
  ResponseTool,
} from './responses.types';

const MESSAGE_ROLES = new Set(['user', 'assistant', 'system', 'developer']);

/** The request's `input` as items: a bare string is one user message, as OpenAI reads it. */
export function inputItemsOf(input: ResponsesRequest['input']): ResponseItem[] {
  if (input === undefined || input === null) return [];
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  return input;
}

/** Tools only OpenAI runs (web search, file search, code interpreter…) and Codex's `namespace` groups of tools. */
export function isHostedTool(tool: ResponseTool): boolean {
  return tool.type !== 'function';
}

/**
 * A Responses request → a Chat Completions request, for backends reached through the chat
 * translations (Anthropic, Ollama). `conversation` is every input item in order: the stored
 * conversation behind `previous_response_id` followed by this request's own input.
 *
 * Hosted tools are left out: Codex offers `web_search` on every request, and refusing it would
 * make Codex unusable on every local model. Only a `tool_choice` that forces one is refused.
 * Reasoning items are dropped: they are another model's thoughts, opaque or signed for it alone.
 */
export function toChatCompletionRequest(request: ResponsesRequest, conversation: ResponseItem[]): ChatCompletionRequest {
  const messages: OpenAIMessage[] = [];
  if (typeof request.instructions === 'string' && request.instructions !== '')
    messages.push({ role: 'system', content: request.instructions });
  messages.push(...toChatMessages(conversation));
  const chat: ChatCompletionRequest = { model: request.model, messages, stream: request.stream === true };
  const tools = (request.tools ?? []).filter((tool): tool is ResponseFunctionTool => !isHostedTool(tool)).map(toChatTool);
  if (tools.length > 0) {
    chat.tools = tools;
    const choice = toChatToolChoice(request.tool_choice);
    if (choice !== undefined) chat.tool_choice = choice;
    if (typeof request.parallel_tool_calls === 'boolean') chat.parallel_tool_calls = request.parallel_tool_calls;
  } else if (request.tool_choice !== undefined) {
    // Validated even without function tools: a forced hosted tool must not pass silently.
    toChatToolChoice(request.tool_choice);
  }
  if (typeof request.max_output_tokens === 'number') chat.max_completion_tokens = request.max_output_tokens;
  if (typeof request.temperature === 'number') chat.temperature = request.temperature;
  if (typeof request.top_p === 'number') chat.top_p = request.top_p;
  if (typeof request.user === 'string' && request.user !== '') chat.user = request.user;
  const effort = chatReasoningEffort(request.reasoning?.effort);
  if (effort) chat.reasoning_effort = effort;
  const responseFormat = toResponseFormat(request.text?.format);
  if (responseFormat) chat.response_format = responseFormat;
  return chat;
}

function toChatMessages(items: ResponseItem[]): OpenAIMessage[] {
  const messages: OpenAIMessage[] = [];
  items.forEach((item, index) => {
    const param = `input[${index}]`;
    if (item === null || typeof item !== 'object') throw new ProviderRequestError(`'${param}' must be an object`, param);
    switch (item.type ?? 'message') {
      case 'message':
        messages.push(toChatMessage(item as ResponseMessageItem, param));
        return;
      case 'function_call': {
        const call = item as ResponseFunctionCallItem;
        requireString(call, 'call_id', param);
        requireString(call, 'name', param);
        requireString(call, 'arguments', param);
        const toolCall: OpenAIToolCall = { id: call.call_id, type: 'function', function: { name: call.name, arguments: call.arguments } };
        // Chat attaches tool calls to the assistant turn they belong to; Responses lists them as items after it.
        const last = messages[messages.length - 1];
        if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), toolCall];
        else messages.push({ role: 'assistant', content: null, tool_calls: [toolCall] });
        return;
      }
      case 'function_call_output': {
        const output = item as ResponseFunctionCallOutputItem;
        requireString(output, 'call_id', param);
        messages.push({ role: 'tool', tool_call_id: output.call_id, content: textOf(output.output, `${param}.output`) });
        return;
      }
      case 'reasoning':
        return;
      default:
        throw new ProviderRequestError(
          `Input items of type '${String(item.type)}' can only be sent to an OpenAI deployment`,
          `${param}.type`,
        );
    }
  });
  return messages;
}

function toChatMessage(item: ResponseMessageItem, param: string): OpenAIMessage {
  if (!MESSAGE_ROLES.has(item.role))
    throw new ProviderRequestError(`'${param}.role' must be one of user, assistant, system, developer`, `${param}.role`);
  if (typeof item.content === 'string') return { role: item.role, content: item.content };
  if (!Array.isArray(item.content))
    throw new ProviderRequestError(`'${param}.content' must be a string or an array of content parts`, `${param}.content`);
  const parts = item.content.map((part, i) => toChatPart(part, `${param}.content[${i}]`));
  // Only user turns carry images in chat; every other role takes plain text.
  if (item.role === 'user' && parts.some((part) => part.type === 'image_url')) return { role: 'user', content: parts };
  return { role: item.role, content: parts.map((part) => (part.type === 'text' ? part.text : '')).join('\n\n') };
}

function toChatPart(part: ResponseContentPart, param: string): OpenAIContentPart {
  switch (part?.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: requireString(part as Record<string, unknown>, 'text', param) };
    case 'refusal':
      return { type: 'text', text: requireString(part as Record<string, unknown>, 'refusal', param) };
    case 'input_image': {
      const image = part as { image_url?: unknown; detail?: 'auto' | 'low' | 'high' };
      if (typeof image.image_url !== 'string')
        throw new ProviderRequestError(`'${param}' must carry an image_url; file ids are only known to OpenAI`, `${param}.image_url`);
      return { type: 'image_url', image_url: { url: image.image_url, ...(image.detail ? { detail: image.detail } : {}) } };
    }
    default:
      throw new ProviderRequestError(
        `Content parts of type '${String(part?.type)}' can only be sent to an OpenAI deployment`,
        `${param}.type`,
      );
  }
}

/** A tool's output as text: chat tool messages carry text only. */
function textOf(output: ResponseFunctionCallOutputItem['output'], param: string): string {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) throw new ProviderRequestError(`'${param}' must be a string or an array of content parts`, param);
  return output
    .map((part) => (typeof (part as { text?: unknown } | null)?.text === 'string' ? (part as { text: string }).text : ''))
    .join('');
}

function requireString(fields: Record<string, unknown>, field: string, param: string): string {
  const value = fields[field];
  if (typeof value !== 'string') throw new ProviderRequestError(`'${param}.${field}' must be a string`, `${param}.${field}`);
  return value;
}

function toChatTool(tool: ResponseFunctionTool): OpenAITool {
  const fn: OpenAITool['function'] = { name: tool.name };
  if (typeof tool.description === 'string') fn.description = tool.description;
  if (tool.parameters) fn.parameters = tool.parameters;
  if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
  return { type: 'function', function: fn };
}

function toChatToolChoice(choice: ResponsesRequest['tool_choice']): OpenAIToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (typeof choice === 'string') return choice;
  if (choice.type === 'function' && typeof choice.name === 'string') return { type: 'function', function: { name: choice.name } };
  throw new ProviderRequestError(`tool_choice '${String(choice.type)}' forces a tool only an OpenAI deployment runs`, 'tool_choice');
}

function toResponseFormat(format: NonNullable<ResponsesRequest['text']>['format']): ChatCompletionRequest['response_format'] {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_schema') {
    const { name, schema, strict, description } = format;
    return {
      type: 'json_schema',
      json_schema: { name, schema, ...(strict != null ? { strict } : {}), ...(description ? { description } : {}) },
    };
  }
  return { type: format.type };
}

/** Responses' effort scale is wider than chat's: `minimal` is chat's `low`, `xhigh` its `high`, `none` asks for no reasoning. */
function chatReasoningEffort(effort: unknown): ReasoningEffort | undefined {
  if (effort === 'minimal' || effort === 'low') return 'low';
  if (effort === 'medium') return 'medium';
  if (effort === 'high' || effort === 'xhigh') return 'high';
  return undefined;
}
