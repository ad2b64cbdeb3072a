import { exceptionClassFor } from './exception-class';

describe('exceptionClassFor', () => {
  it.each([
    [400, 'BadRequestError'],
    [401, 'AuthenticationError'],
    [404, 'NotFoundError'],
    [429, 'RateLimitError'],
    [500, 'InternalServerError'],
    [503, 'ServiceUnavailableError'],
    [504, 'Timeout'],
    [529, 'InternalServerError'],
    [418, 'APIError'],
  ])('names status %i as LiteLLM does: %s', (status, name) => {
    expect(exceptionClassFor(status)).toBe(name);
  });
});
