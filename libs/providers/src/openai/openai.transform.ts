import type { ChatCompletionRequest } from '../openai.types';

/** OpenAI-compatible upstreams take the client's request as is, with the alias replaced by the deployment's model. */
export function toOpenAIUpstreamRequest(request: ChatCompletionRequest, model: string, stream: boolean): ChatCompletionRequest {
  if (!stream) {
    const { stream: _ignored, stream_options: _alsoIgnored, ...rest } = request;
    return { ...rest, model };
  }
  // Always ask for usage: spend needs it. The client's own wish is honoured downstream.
  return { ...request, model, stream: true, stream_options: { ...(request.stream_options ?? {}), include_usage: true } };
}
