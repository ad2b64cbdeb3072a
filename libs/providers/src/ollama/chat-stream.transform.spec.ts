import type { ChatCompletionChunk } from '../openai.types';
import { UpstreamError } from '../upstream.errors';
import errorMidStream from './__fixtures__/chat-stream.error-mid-stream.json';
import textThenTools from './__fixtures__/chat-stream.text-then-tools.json';
import thinkingLength from './__fixtures__/chat-stream.thinking-length.json';
import { createOllamaStreamState, translateOllamaLine } from './chat-stream.transform';

function translateAll(context: { now: number; id: string; model: string }, lines: unknown[]) {
  const state = createOllamaStreamState(context);
  const chunks: ChatCompletionChunk[] = [];
  let error: unknown;
  try {
    for (const line of lines) chunks.push(...translateOllamaLine(state, line));
  } catch (e) {
    error = e;
  }
  return { state, chunks, error };
}

function describeUpstreamError(error: unknown) {
  expect(error).toBeInstanceOf(UpstreamError);
  const e = error as UpstreamError;
  return { kind: e.kind, status: e.status, body: e.body };
}

describe('translateOllamaLine', () => {
  it('translates text, then tool calls spread over two lines, then the done line (golden)', () => {
    const { state, chunks, error } = translateAll(textThenTools.context, textThenTools.lines);
    expect(error).toBeUndefined();
    expect(chunks).toEqual(textThenTools.chunks);
    expect(state.done).toBe(true);
  });

  it('translates thinking, and content carried on the done line, with a length stop (golden)', () => {
    const { chunks, error } = translateAll(thinkingLength.context, thinkingLength.lines);
    expect(error).toBeUndefined();
    expect(chunks).toEqual(thinkingLength.chunks);
  });

  it('throws an UpstreamError of kind stream on an error line after the 200 (golden)', () => {
    const { state, chunks, error } = translateAll(errorMidStream.context, errorMidStream.lines);
    expect(chunks).toEqual(errorMidStream.chunksBeforeError);
    expect(describeUpstreamError(error)).toEqual(errorMidStream.error);
    expect(state.done).toBe(false);
  });

  it('answers a done-only stream with role, finish and usage chunks', () => {
    const { chunks } = translateAll({ now: 2_000, id: 'chatcmpl-empty', model: 'm' }, [
      { model: 'm', created_at: '2025-01-01T00:00:00Z', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop' },
    ]);
    expect(chunks).toEqual([
      {
        id: 'chatcmpl-empty',
        object: 'chat.completion.chunk',
        created: 2,
        model: 'm',
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
        usage: null,
      },
      {
        id: 'chatcmpl-empty',
        object: 'chat.completion.chunk',
        created: 2,
        model: 'm',
        choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
        usage: null,
      },
      {
        id: 'chatcmpl-empty',
        object: 'chat.completion.chunk',
        created: 2,
        model: 'm',
        choices: [],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      },
    ]);
  });

  it('ignores lines after done', () => {
    const { chunks } = translateAll({ now: 0, id: 'c', model: 'm' }, [
      { model: 'm', created_at: '', message: { role: 'assistant', content: '' }, done: true },
      { model: 'm', created_at: '', message: { role: 'assistant', content: 'late' }, done: false },
    ]);
    expect(chunks).toHaveLength(3);
  });

  it('rejects a line that is not an object', () => {
    const { error } = translateAll({ now: 0, id: 'c', model: 'm' }, [['not', 'a', 'line']]);
    expect(describeUpstreamError(error)).toEqual({
      kind: 'stream',
      status: 502,
      body: {
        error: {
          message: 'Ollama sent a stream line that is not an object',
          type: 'api_error',
          param: null,
          code: 'bad_upstream_response',
        },
      },
    });
  });
});
