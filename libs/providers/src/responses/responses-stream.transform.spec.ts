import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';

import type { ChatCompletionChunk } from '../openai.types';
import type { ResponsesRequest, ResponseStreamEvent } from './responses.types';
import { goldenContext } from './responses-response.transform.spec';
import {
  createResponsesStreamState,
  failResponsesStream,
  finishResponsesStream,
  startResponsesStream,
  translateChatChunk,
} from './responses-stream.transform';

const golden = JSON.parse(readFileSync(join(__dirname, '__fixtures__', 'stream-reasoning-text-tools.json'), 'utf8')) as {
  request: ResponsesRequest;
  chunks: ChatCompletionChunk[];
  expected: unknown;
};

function run(request: ResponsesRequest, chunks: ChatCompletionChunk[]): ResponseStreamEvent[] {
  const state = createResponsesStreamState(goldenContext(request));
  return [...startResponsesStream(state), ...chunks.flatMap((chunk) => translateChatChunk(state, chunk)), ...finishResponsesStream(state)];
}

function chunk(
  delta: ChatCompletionChunk['choices'][number]['delta'],
  finishReason: ChatCompletionChunk['choices'][number]['finish_reason'] = null,
): ChatCompletionChunk {
  return { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finishReason }] };
}

describe('Responses stream state machine', () => {
  it('translates the golden stream: reasoning summary, text, then each call closed before the next opens', () => {
    expect(run(golden.request, golden.chunks)).toEqual(golden.expected);
  });

  it('ends a length-limited stream with response.incomplete', () => {
    const events = run({ model: 'm' }, [chunk({ content: 'cut' }), chunk({}, 'length')]);
    expect(events[events.length - 1]).toMatchObject({
      type: 'response.incomplete',
      response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } },
    });
  });

  it('fails a broken stream with response.failed that keeps the items already finished', () => {
    const state = createResponsesStreamState(goldenContext({ model: 'm' }));
    startResponsesStream(state);
    translateChatChunk(state, chunk({ content: 'half' }));
    translateChatChunk(state, chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'f', arguments: '{' } }] }));
    const [failed] = failResponsesStream(state, { code: 'upstream_stream_broken', message: 'gone' });
    expect(failed).toMatchObject({
      type: 'response.failed',
      sequence_number: 10,
      response: { status: 'failed', error: { code: 'upstream_stream_broken', message: 'gone' }, output: [{ type: 'message' }] },
    });
  });

  const deltaArbitrary = fc.oneof(
    fc.record({ content: fc.string({ minLength: 1, maxLength: 5 }) }),
    fc.record({ reasoning_content: fc.string({ minLength: 1, maxLength: 5 }) }),
    fc.record({
      tool_calls: fc.tuple(
        fc.record({
          index: fc.integer({ min: 0, max: 3 }),
          id: fc.constant('call'),
          function: fc.record({ name: fc.constant('f'), arguments: fc.string({ maxLength: 5 }) }),
        }),
      ),
    }),
  );

  it('numbers events without gaps, opens one item at a time and never writes to a closed one, whatever the upstream interleaves', () => {
    fc.assert(
      fc.property(fc.array(deltaArbitrary, { maxLength: 30 }), (deltas) => {
        const events = run(
          { model: 'm', reasoning: { summary: 'auto' } },
          deltas.map((delta) => chunk(delta)),
        );
        expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
        let open: unknown;
        const closed = new Set<unknown>();
        for (const event of events) {
          const item = (event as { item?: { id: string } }).item;
          if (event.type.endsWith('.delta')) expect((event as { item_id?: string }).item_id).toBe(open);
          if (event.type === 'response.output_item.added') {
            expect(open).toBeUndefined();
            open = item!.id;
          }
          if (event.type === 'response.output_item.done') {
            expect(item!.id).toBe(open);
            expect(closed.has(open)).toBe(false);
            closed.add(open);
            open = undefined;
          }
        }
        expect(open).toBeUndefined();
        const completed = events[events.length - 1] as ResponseStreamEvent & { response: { output: { id: string }[] } };
        expect(completed.response.output.map((item) => item.id)).toEqual([...closed]);
      }),
    );
  });
});
