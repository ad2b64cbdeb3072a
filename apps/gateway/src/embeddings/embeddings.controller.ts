import { Controller, HttpCode, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Auth, AuthMode, callerOf } from '@tollgate/keys';
import { type EmbeddingRequest, openAIError, ProviderRegistry, UpstreamError } from '@tollgate/providers';
import { SettledReply, SpendInterceptor } from '@tollgate/spend';
import { BudgetedRouter } from '../calls/budgeted-router';
import { abortWhenClientLeaves } from '../common/client-abort';
import { InvalidRequestError } from '../common/invalid-request.errors';
import { routingHeaders } from '../common/routing-headers';

/** OpenAI's `/v1/embeddings`, for OpenAI-compatible and Ollama deployments, priced and ledgered like chat. */
@ApiExcludeController()
@Auth(AuthMode.VirtualKey)
@UseInterceptors(SpendInterceptor)
@Controller()
export class EmbeddingsController {
  constructor(
    private readonly calls: BudgetedRouter,
    private readonly providers: ProviderRegistry,
  ) {}

  @Post(['v1/embeddings', 'embeddings'])
  @HttpCode(200)
  async create(@Req() req: Request, @Res() res: Response): Promise<SettledReply> {
    const request = validateEmbeddingRequest(req.body);
    const record = this.calls.beginRecord(req, callerOf(req)!, 'embedding', request);
    const signal = abortWhenClientLeaves(req, res);
    // Embeddings produce no output tokens: the reservation is the input bound alone.
    const routed = await this.calls.route(request.model, record, { max_tokens: 0 }, signal, async (deployment) => {
      const adapter = this.providers.adapterFor(deployment.provider);
      if (!adapter.embeddings) {
        throw new UpstreamError('http', 400, openAIError(`Model "${deployment.alias}" (${deployment.provider}) does not serve embeddings`, 'invalid_request_error', 'embeddings_not_supported', 'model'));
      }
      return (await adapter.embeddings(deployment, request, { signal })) as { usage?: { prompt_tokens?: number; total_tokens?: number } };
    });
    // Passed on unchecked: settlement bills the input bound instead of a missing or unbelievable count.
    const promptTokens = routed.value.usage?.prompt_tokens as number;
    record.succeeded({ prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens });
    return new SettledReply(routingHeaders(routed), routed.value);
  }
}

function validateEmbeddingRequest(body: unknown): EmbeddingRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequestError('Request body must be a JSON object');
  const request = body as Record<string, unknown>;
  if (typeof request.model !== 'string' || request.model === '') throw new InvalidRequestError(`'model' is required and must be a non-empty string`, 'model');
  if (!isEmbeddingInput(request.input)) {
    throw new InvalidRequestError(`'input' must be a non-empty string, an array of non-empty strings, a token array or an array of token arrays`, 'input');
  }
  if (request.encoding_format !== undefined && request.encoding_format !== 'float' && request.encoding_format !== 'base64') {
    throw new InvalidRequestError(`'encoding_format' must be "float" or "base64"`, 'encoding_format');
  }
  return request as EmbeddingRequest;
}

/**
 * OpenAI's four input shapes: a string, strings, one token array, token arrays — none of them empty,
 * and token ids non-negative integers (https://platform.openai.com/docs/api-reference/embeddings/create).
 * Anything else is refused here, before a reservation is taken or an upstream is bothered.
 */
function isEmbeddingInput(input: unknown): boolean {
  const isText = (item: unknown) => typeof item === 'string' && item !== '';
  const isTokenArray = (item: unknown) => Array.isArray(item) && item.length > 0 && item.every((id) => Number.isInteger(id) && (id as number) >= 0);
  if (isText(input)) return true;
  if (!Array.isArray(input) || input.length === 0) return false;
  return input.every(isText) || isTokenArray(input) || input.every(isTokenArray);
}
