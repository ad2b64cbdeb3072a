import type { EmbeddingRequest } from '../openai.types';
import { ProviderRequestError } from '../provider-request.errors';
import type { OllamaEmbedRequest, OllamaEmbedResponse } from './ollama.types';

/** OpenAI's `/v1/embeddings` answer. */
export interface OpenAIEmbeddingsResponse {
  object: 'list';
  data: { object: 'embedding'; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** OpenAI embeddings request → Ollama `/api/embed` request. */
export function toOllamaEmbedRequest(request: EmbeddingRequest, model: string): OllamaEmbedRequest {
  const input = request.input;
  const isText = typeof input === 'string' || (Array.isArray(input) && input.every((item) => typeof item === 'string'));
  if (!isText) {
    // Token ids only mean something in the tokenizer of the model that made them; Ollama takes text only.
    throw new ProviderRequestError('Ollama embeddings take text input only (a string or an array of strings), not token arrays', 'input');
  }
  const ollama: OllamaEmbedRequest = { model, input: input as string | string[] };
  if (request.dimensions != null) ollama.dimensions = request.dimensions;
  return ollama;
}

/**
 * Ollama `/api/embed` answer → OpenAI embeddings response.
 * `encodingFormat` is the client's `encoding_format`: the official OpenAI SDKs ask for `base64` by
 * default and decode the answer unconditionally, so it must be honoured, not ignored.
 */
export function fromOllamaEmbedResponse(
  response: OllamaEmbedResponse,
  model: string,
  encodingFormat: EmbeddingRequest['encoding_format'] = 'float',
): OpenAIEmbeddingsResponse {
  const promptTokens = response.prompt_eval_count ?? 0;
  return {
    object: 'list',
    data: (response.embeddings ?? []).map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: encodingFormat === 'base64' ? toBase64Float32(vector) : vector,
    })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

/** OpenAI's base64 encoding: the vector as little-endian float32 bytes. */
function toBase64Float32(vector: number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}
