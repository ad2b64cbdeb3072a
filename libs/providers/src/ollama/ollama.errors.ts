import { openAIError, openAIErrorTypeForStatus, UpstreamError } from '../upstream.errors';

/** Ollama's own wording for a model that has not been pulled: `model 'llama3' not found`. */
const MODEL_NOT_FOUND = /model ['"]?.*['"]? not found/i;

const MAX_TEXT_MESSAGE = 300;

/**
 * An Ollama non-2xx answer → the OpenAI-shaped error the client sees.
 * Ollama's bodies are `{"error": "…"}` with a plain string, so the type and code come from the status:
 * 404 for a model not pulled (OpenAI's `model_not_found`), 503 when its request queue is full,
 * 400 for requests the model cannot serve (no tool support, bad options).
 * `body` is the parsed JSON, or the raw text when it was not JSON.
 */
export function ollamaUpstreamError(status: number, body: unknown, headers: Record<string, string>): UpstreamError {
  const type = openAIErrorTypeForStatus(status);
  const error = (body as { error?: unknown } | null)?.error;
  if (typeof error === 'string' && error !== '') {
    const code = status === 404 && MODEL_NOT_FOUND.test(error) ? 'model_not_found' : null;
    return new UpstreamError('http', status, openAIError(error, type, code), headers);
  }
  return new UpstreamError('http', status, openAIError(describeUnknownBody(status, body), type), headers);
}

/**
 * Ollama's router answers unknown paths with Gin's plain-text `404 page not found` — worth showing,
 * since it means the api_base is wrong. A proxy's HTML error page is not.
 */
function describeUnknownBody(status: number, body: unknown): string {
  const generic = `Ollama answered HTTP ${status}`;
  if (typeof body !== 'string') return generic;
  const text = body.trim();
  if (text === '' || text.startsWith('<')) return generic;
  return `${generic}: ${text.length > MAX_TEXT_MESSAGE ? `${text.slice(0, MAX_TEXT_MESSAGE)}…` : text}`;
}
