import OpenAI from 'openai';

import type { EmbeddingRequest } from '../openai.types';
import { ProviderRequestError } from '../provider-request.errors';
import fixture from './__fixtures__/embeddings.json';
import { fromOllamaEmbedResponse, toOllamaEmbedRequest } from './embeddings.transform';
import type { OllamaEmbedResponse } from './ollama.types';

describe('toOllamaEmbedRequest', () => {
  it('passes text inputs and dimensions through (golden)', () => {
    expect(toOllamaEmbedRequest(fixture.openaiRequest, fixture.model)).toEqual(fixture.ollamaRequest);
  });

  it('keeps a single string input a string', () => {
    expect(toOllamaEmbedRequest({ model: 'x', input: 'hello', encoding_format: 'float' }, 'all-minilm')).toEqual({
      model: 'all-minilm',
      input: 'hello',
    });
  });

  it.each([
    ['token ids', [1, 2, 3]],
    ['batches of token ids', [[1, 2], [3]]],
  ])('rejects %s, naming input', (_name, input) => {
    let caught: unknown;
    try {
      toOllamaEmbedRequest({ model: 'x', input } as EmbeddingRequest, 'all-minilm');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProviderRequestError);
    expect({ message: (caught as ProviderRequestError).message, param: (caught as ProviderRequestError).param }).toEqual({
      message: 'Ollama embeddings take text input only (a string or an array of strings), not token arrays',
      param: 'input',
    });
  });
});

describe('fromOllamaEmbedResponse', () => {
  it('answers float vectors in OpenAI shape (golden)', () => {
    expect(fromOllamaEmbedResponse(fixture.ollamaResponse as OllamaEmbedResponse, fixture.model)).toEqual(fixture.openaiResponse);
    expect(fromOllamaEmbedResponse(fixture.ollamaResponse as OllamaEmbedResponse, fixture.model, 'float')).toEqual(fixture.openaiResponse);
  });

  it('answers base64 float32 vectors when asked, as the OpenAI SDK does by default (golden)', () => {
    expect(fromOllamaEmbedResponse(fixture.ollamaResponse as OllamaEmbedResponse, fixture.model, 'base64')).toEqual(
      fixture.openaiResponseBase64,
    );
  });

  it('encodes base64 the way the official OpenAI SDK decodes it when encoding_format is left unset', async () => {
    let sentBody: Record<string, unknown> = {};
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: 'http://gateway.invalid/v1',
      fetch: async (_url, init) => {
        sentBody = JSON.parse(String(init?.body));
        const answer = fromOllamaEmbedResponse(
          fixture.ollamaResponse as OllamaEmbedResponse,
          fixture.model,
          sentBody.encoding_format as 'base64',
        );
        return new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json' } });
      },
    });
    const result = await client.embeddings.create({ model: 'embedder', input: ['a', 'b'] });
    expect(sentBody.encoding_format).toBe('base64');
    expect(result.data.map((d) => d.embedding)).toEqual(fixture.ollamaResponse.embeddings);
  });

  it('counts zero tokens when Ollama omits the counter', () => {
    expect(fromOllamaEmbedResponse({ model: 'm', embeddings: [] }, 'm')).toEqual({
      object: 'list',
      data: [],
      model: 'm',
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
  });
});
