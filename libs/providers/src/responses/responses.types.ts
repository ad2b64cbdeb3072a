/**
 * OpenAI Responses API wire types (`/v1/responses`), as Codex CLI and the `openai` SDK speak them.
 * Only the fields the gateway reads or writes are typed; the rest rides along untouched.
 * https://platform.openai.com/docs/api-reference/responses
 */

export interface ResponseInputTextPart {
  type: 'input_text' | 'output_text' | 'summary_text' | 'reasoning_text';
  text: string;
  [extra: string]: unknown;
}

export interface ResponseInputImagePart {
  type: 'input_image';
  image_url?: string | null;
  file_id?: string | null;
  detail?: 'auto' | 'low' | 'high';
}

export type ResponseContentPart = ResponseInputTextPart | ResponseInputImagePart | { type: string; [extra: string]: unknown };

export interface ResponseMessageItem {
  type?: 'message';
  id?: string;
  role: 'user' | 'assistant' | 'system' | 'developer';
  content: string | ResponseContentPart[];
  status?: string;
  [extra: string]: unknown;
}

export interface ResponseFunctionCallItem {
  type: 'function_call';
  id?: string;
  call_id: string;
  name: string;
  /** A JSON string, as in Chat Completions. */
  arguments: string;
  status?: string;
  [extra: string]: unknown;
}

export interface ResponseFunctionCallOutputItem {
  type: 'function_call_output';
  id?: string;
  call_id: string;
  output: string | ResponseContentPart[];
  [extra: string]: unknown;
}

export interface ResponseReasoningItem {
  type: 'reasoning';
  id?: string;
  summary: { type: 'summary_text'; text: string }[];
  encrypted_content?: string | null;
  [extra: string]: unknown;
}

export type ResponseItem =
  | ResponseMessageItem
  | ResponseFunctionCallItem
  | ResponseFunctionCallOutputItem
  | ResponseReasoningItem
  | { type: string; [extra: string]: unknown };

export interface ResponseFunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
}

/** Function tools, or OpenAI's hosted ones (`web_search`, `file_search`, …) and Codex's `namespace` groups. */
export type ResponseTool = ResponseFunctionTool | { type: string; [extra: string]: unknown };

export type ResponseToolChoice =
  'none' | 'auto' | 'required' | { type: 'function'; name: string } | { type: string; [extra: string]: unknown };

export type ResponseTextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean | null; description?: string };

export interface ResponsesRequest {
  model: string;
  input?: string | ResponseItem[];
  instructions?: string | null;
  tools?: ResponseTool[];
  tool_choice?: ResponseToolChoice;
  parallel_tool_calls?: boolean | null;
  reasoning?: { effort?: string | null; summary?: string | null } | null;
  text?: { format?: ResponseTextFormat; verbosity?: string } | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  store?: boolean | null;
  previous_response_id?: string | null;
  include?: string[] | null;
  prompt_cache_key?: string | null;
  metadata?: Record<string, string> | null;
  user?: string | null;
  stream?: boolean | null;
  [extra: string]: unknown;
}

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'completed' | 'failed' | 'in_progress' | 'incomplete' | 'cancelled';

export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: ResponseItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: ResponseTextFormat };
  tool_choice: ResponseToolChoice;
  tools: ResponseTool[];
  top_p: number | null;
  truncation: 'disabled';
  usage: ResponseUsage | null;
  user: string | null;
  metadata: Record<string, string>;
  [extra: string]: unknown;
}

/** One server-sent event of a streamed response; the SSE event name is its `type`. */
export interface ResponseStreamEvent {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}
