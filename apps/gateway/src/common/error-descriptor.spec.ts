import { BudgetStoreUnavailableError } from '@tollgate/budgets';
import { KeyStoreUnavailableError } from '@tollgate/keys';
import { openAIError, UpstreamError } from '@tollgate/providers';
import { RouteFailedError } from '@tollgate/routing';

import { describeError, hidesDetail, withoutAddresses } from './error-descriptor';

describe('error bodies shown to key holders', () => {
  it("database host leak: a store outage names neither the host nor the driver's reason", () => {
    for (const exception of [
      new KeyStoreUnavailableError(new Error('getaddrinfo ENOTFOUND db.internal.example')),
      new BudgetStoreUnavailableError(new Error('connect ECONNREFUSED 10.20.30.40:5432')),
    ]) {
      const error = describeError(exception, 'req-1');
      expect(error.status).toBe(503);
      expect(error.message).not.toMatch(/db\.internal|10\.20\.30\.40|5432|ENOTFOUND|ECONNREFUSED/);
      // The log gets what the body lost.
      expect(hidesDetail(exception, error)).toBe(true);
    }
  });

  it("upstream address leak: an upstream's own message naming an address is redacted", () => {
    const upstream = new UpstreamError(
      'http',
      502,
      openAIError('proxy error: could not reach http://10.0.0.7:11434/api/chat (backend ollama.lan:11434)', 'api_error'),
    );
    const error = describeError(new RouteFailedError(upstream, 0, 'local'), 'req-2');
    expect(error.message).toBe('proxy error: could not reach [address hidden] (backend [address hidden])');
  });

  it('keeps what is not an address: times, JSON paths, model tags', () => {
    const text = 'at 2026-12-03T15:32:29Z messages[0].content for llama3.2:latest';
    expect(withoutAddresses(text)).toBe(text);
    expect(withoutAddresses('connect ECONNREFUSED [::1]:6379 or localhost:5432')).toBe(
      'connect ECONNREFUSED [address hidden] or [address hidden]',
    );
  });
});
