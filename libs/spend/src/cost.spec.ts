import type { ChatUsage } from '@tollgate/providers';

import type { TokenCounts } from './cost';
import { costNanos, costUpperBoundNanos, hasUnmeasuredInput, inputTokensBoundFor, inputTokensUpperBound, tokenCountsOf } from './cost';
import type { ModelPricing } from './price-catalog';

const SONNET = { maxInputTokens: 200_000 } as ModelPricing;

describe('the input bound', () => {
  it('is the UTF-8 bytes of the prompt JSON, 8 per message, and the tool-use allowance when tools are present', () => {
    const messages = [{ role: 'user', content: 'héllo' }];
    const bytes = Buffer.byteLength(JSON.stringify(messages));
    expect(inputTokensUpperBound({ messages })).toBe(bytes + 2 + 8);
    const tools = [{ name: 't', input_schema: {} }];
    expect(inputTokensUpperBound({ messages, tools })).toBe(bytes + Buffer.byteLength(JSON.stringify(tools)) + 8 + 2_000);
  });

  it.each([
    ['an Anthropic document by URL', { type: 'document', source: { type: 'url', url: 'https://x/y.pdf' } }],
    ['an Anthropic document from the Files API', { type: 'document', source: { type: 'file', file_id: 'file_1' } }],
    [
      'a base64 PDF (every page is also an image)',
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } },
    ],
    ['an Anthropic image by URL', { type: 'image', source: { type: 'url', url: 'https://x/y.png' } }],
    ['an OpenAI image_url', { type: 'image_url', image_url: { url: 'https://x/y.png' } }],
    ['an OpenAI file part', { type: 'file', file: { file_id: 'file-1' } }],
    ['OpenAI input audio', { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }],
    [
      'an image inside a tool result',
      { type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'url', url: 'https://x' } }] },
    ],
    ['a part type added after this was written', { type: 'video', source: { type: 'url', url: 'https://x' } }],
  ])('treats %s as unmeasured', (_name, part) => {
    expect(hasUnmeasuredInput({ messages: [{ role: 'user', content: [part, { type: 'text', text: 'Look.' }] }] })).toBe(true);
  });

  it('measures text, tool calls, tool results of text and thinking, and survives junk parts', () => {
    const content = [
      { type: 'text', text: 'a' },
      { type: 'tool_use', id: 't', name: 'n', input: {} },
      { type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'ok' }] },
      { type: 'tool_result', tool_use_id: 't', content: 'ok' },
      { type: 'thinking', thinking: 'hm', signature: 's' },
      null,
      7,
    ];
    expect(hasUnmeasuredInput({ messages: [{ role: 'user', content }, null, { role: 'user', content: 'plain' }] })).toBe(false);
    expect(hasUnmeasuredInput({})).toBe(false);
  });

  it('is the context window when part of the input is unmeasured, and the measured bound otherwise', () => {
    expect(inputTokensBoundFor(1_234, true, SONNET)).toBe(200_000);
    expect(inputTokensBoundFor(1_234, false, SONNET)).toBe(1_234);
    // A prompt measured larger than the catalog's window (a 1M-context beta) keeps its measured bound.
    expect(inputTokensBoundFor(300_000, true, SONNET)).toBe(300_000);
  });
});

describe('cost', () => {
  const pricing = {
    prices: { inputPerToken: 3_000, outputPerToken: 15_000, cacheReadPerToken: 300, cacheWritePerToken: 3_750 },
    maxOutputTokens: 64_000,
    maxInputTokens: 200_000,
    unpriced: false,
  };
  const tokens = (promptTokens: number, completionTokens: number, cacheReadTokens = 0, cacheWriteTokens = 0) => ({
    promptTokens,
    completionTokens,
    cacheReadTokens,
    cacheWriteTokens,
  });

  it.each([
    ['nothing costs nothing', tokens(0, 0), 0],
    ['fresh input and output at their rates', tokens(1_000, 100), 1_000 * 3_000 + 100 * 15_000],
    ['cache reads inside prompt_tokens at the read rate, the rest fresh', tokens(1_000, 0, 800), 200 * 3_000 + 800 * 300],
    ['cache writes inside prompt_tokens at the write rate', tokens(1_000, 0, 0, 1_000), 1_000 * 3_750],
    // A provider that reports more cached than prompt tokens must not earn a credit for fresh input.
    ['cached beyond prompt_tokens never makes fresh input negative', tokens(10, 0, 50), 50 * 300],
  ])('%s', (_name, counts, nanos) => {
    expect(costNanos(counts, pricing)).toBe(nanos);
  });

  it.each([
    ['one choice: input at the dearest input rate (cache write) plus the output limit', 1_000, 500, 1, 1_000 * 3_750 + 500 * 15_000],
    ['n choices multiply the output, not the input', 1_000, 500, 3, 1_000 * 3_750 + 3 * 500 * 15_000],
    ['n = 0 still bounds one choice', 0, 500, 0, 500 * 15_000],
  ])('upper bound, %s', (_name, input, output, choices, nanos) => {
    expect(costUpperBoundNanos(input, output, choices, pricing)).toBe(nanos);
  });

  it.each<[string, ChatUsage | undefined, TokenCounts]>([
    [
      'OpenAI usage with cached tokens in prompt_tokens_details',
      { prompt_tokens: 100, completion_tokens: 7, total_tokens: 107, prompt_tokens_details: { cached_tokens: 40 } },
      tokens(100, 7, 40),
    ],
    [
      'Anthropic-translated usage with cache reads and writes',
      { prompt_tokens: 100, completion_tokens: 7, total_tokens: 107, cache_read_input_tokens: 30, cache_creation_input_tokens: 20 },
      tokens(100, 7, 30, 20),
    ],
    ['no usage at all', undefined, tokens(0, 0)],
  ])('token counts from %s', (_name, usage, counts) => {
    expect(tokenCountsOf(usage)).toEqual(counts);
  });
});
