/**
 * Ollama native API wire types (`/api/chat`, `/api/embed`), not its OpenAI-compatible layer.
 * https://github.com/ollama/ollama/blob/main/docs/api.md
 * Only the fields the gateway writes or reads are typed.
 */

export type OllamaRole = 'system' | 'user' | 'assistant' | 'tool';

export interface OllamaToolCall {
  /** Recent Ollama versions may send one; older ones never do, so the gateway cannot rely on it. */
  id?: string;
  function: {
    /** Position of the call within the response, sent by recent Ollama versions only. */
    index?: number;
    name: string;
    /** An object, unlike OpenAI's JSON string. */
    arguments: Record<string, unknown>;
  };
}

export interface OllamaMessage {
  role: OllamaRole;
  content: string;
  /** Base64 image bytes without a `data:` prefix; Ollama cannot fetch URLs. */
  images?: string[];
  tool_calls?: OllamaToolCall[];
  /** On `tool` messages: which tool produced this result (Ollama has no tool-call ids to match on). */
  tool_name?: string;
  /** Reasoning text of thinking models. */
  thinking?: string;
}

export interface OllamaTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** Modelfile parameters accepted per request: https://github.com/ollama/ollama/blob/main/docs/modelfile.md#valid-parameters-and-values */
export interface OllamaOptions {
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string[];
  num_predict?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  num_ctx?: number;
}

export interface OllamaChatRequest {
  model: string;
  messages: OllamaMessage[];
  tools?: OllamaTool[];
  /** `'json'` for any JSON, or a JSON schema for structured output. */
  format?: 'json' | Record<string, unknown>;
  options?: OllamaOptions;
  /** Always sent: Ollama streams when it is absent. */
  stream: boolean;
  /** Thinking models only; gpt-oss takes a level, the others a boolean. */
  think?: boolean | 'low' | 'medium' | 'high';
  keep_alive?: string | number;
}

/**
 * A non-streaming `/api/chat` answer, and also each NDJSON line of a stream: intermediate lines
 * carry a message fragment with `done: false`; the last has `done: true` and the counters.
 */
export interface OllamaChatResponse {
  model: string;
  created_at: string;
  message?: OllamaMessage;
  done: boolean;
  /** `stop`, `length`, and for empty requests `load` / `unload`. */
  done_reason?: string;
  /** Durations are nanoseconds. */
  total_duration?: number;
  load_duration?: number;
  /** Input tokens; omitted when zero (Go `omitempty`), e.g. on a fully cached prompt. */
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  /** Output tokens; omitted when zero. */
  eval_count?: number;
  eval_duration?: number;
}

/** Every Ollama error body, including a failure reported as a stream line after the 200. */
export interface OllamaErrorBody {
  error: string;
}

export type OllamaChatStreamLine = OllamaChatResponse | OllamaErrorBody;

export interface OllamaEmbedRequest {
  model: string;
  input: string | string[];
  /** Ollama truncates over-long inputs by default; `false` makes it fail instead. */
  truncate?: boolean;
  dimensions?: number;
  keep_alive?: string | number;
  options?: OllamaOptions;
}

export interface OllamaEmbedResponse {
  model: string;
  /** One vector per input, even for a single string input. */
  embeddings: number[][];
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
}

/** `GET /api/version`. */
export interface OllamaVersionResponse {
  version: string;
}
