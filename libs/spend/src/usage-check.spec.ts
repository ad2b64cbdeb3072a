import { trustedTokenCounts, type UsageLimits } from './usage-check';

const LIMITS: UsageLimits = { maxPromptTokens: 128_000, maxCompletionTokens: 16, outputReceived: true };
const honest = { prompt_tokens: 1000, completion_tokens: 9, total_tokens: 1009, prompt_tokens_details: { cached_tokens: 600 } };

describe('trustedTokenCounts: which usage reports are believed', () => {
  it('believes an honest report, cache reads and writes included', () => {
    expect(trustedTokenCounts(honest, LIMITS)).toEqual({
      promptTokens: 1000,
      completionTokens: 9,
      cacheReadTokens: 600,
      cacheWriteTokens: 0,
    });
    expect(trustedTokenCounts({ ...honest, cache_read_input_tokens: 300, cache_creation_input_tokens: 50 }, LIMITS)).toEqual({
      promptTokens: 1000,
      completionTokens: 9,
      cacheReadTokens: 300,
      cacheWriteTokens: 50,
    });
  });

  it('believes an empty answer only when no output arrived', () => {
    expect(trustedTokenCounts({ ...honest, completion_tokens: 0 }, { ...LIMITS, outputReceived: false })?.completionTokens).toBe(0);
    expect(trustedTokenCounts({ ...honest, completion_tokens: 0 }, LIMITS)).toBeUndefined();
  });

  it.each([
    ['missing usage', undefined],
    ['null usage', null],
    ['a missing prompt count', { completion_tokens: 9 }],
    ['a negative prompt count', { ...honest, prompt_tokens: -5 }],
    ['a negative completion count', { ...honest, completion_tokens: -1 }],
    ['a fractional count', { ...honest, prompt_tokens: 10.5 }],
    ['a count past 2^53', { ...honest, prompt_tokens: 2 ** 53 }],
    ['1e300', { ...honest, prompt_tokens: 1e300 }],
    ['NaN', { ...honest, prompt_tokens: Number.NaN }],
    ['a string', { ...honest, prompt_tokens: '12' }],
    ['a negative cache read', { ...honest, prompt_tokens_details: { cached_tokens: -600 } }],
    ['cache parts larger than the prompt', { ...honest, cache_read_input_tokens: 900, cache_creation_input_tokens: 200 }],
    ['no input at all', { ...honest, prompt_tokens: 0, prompt_tokens_details: {} }],
    ['more input than the context window', { ...honest, prompt_tokens: 128_001 }],
    ['more output than the limit sent upstream', { ...honest, completion_tokens: 17 }],
  ])('refuses %s', (_fault, usage) => {
    expect(trustedTokenCounts(usage as never, LIMITS)).toBeUndefined();
  });
});
