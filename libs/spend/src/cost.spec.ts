import { hasUnmeasuredInput, inputTokensBoundFor, inputTokensUpperBound } from './cost';
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
    ['a base64 PDF (every page is also an image)', { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }],
    ['an Anthropic image by URL', { type: 'image', source: { type: 'url', url: 'https://x/y.png' } }],
    ['an OpenAI image_url', { type: 'image_url', image_url: { url: 'https://x/y.png' } }],
    ['an OpenAI file part', { type: 'file', file: { file_id: 'file-1' } }],
    ['OpenAI input audio', { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }],
    ['an image inside a tool result', { type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'url', url: 'https://x' } }] }],
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
