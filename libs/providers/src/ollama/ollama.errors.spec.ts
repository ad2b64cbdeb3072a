import cases from './__fixtures__/errors.json';
import { ollamaUpstreamError } from './ollama.errors';

describe('ollamaUpstreamError', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s (golden)', (_name, c) => {
    const error = ollamaUpstreamError(c.status, c.body, c.headers as Record<string, string>);
    expect({ kind: error.kind, status: error.status, body: error.body, headers: error.headers, retryable: error.retryable }).toEqual(
      c.expected,
    );
  });
});
