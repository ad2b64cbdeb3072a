/**
 * A minimal OpenAI Responses API (`POST /v1/responses`, streamed) for driving the real Codex CLI.
 * Stand-in until the full OpenAI fake speaks the Responses API; it answers every request with one
 * assistant message and the event sequence the API documents, `response.completed` last with usage.
 * https://platform.openai.com/docs/api-reference/responses-streaming
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { DEFAULT_COMPLETION_TOKENS, DEFAULT_REPLY_TEXT, estimateTokens } from './fake-upstream';

export interface ResponsesFakeUsage {
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

export class OpenAIResponsesFake {
  /** Usage sent in every `response.completed`; input tokens default to the fakes' estimate of the body. */
  usage: Partial<ResponsesFakeUsage> = {};
  readonly requests: { path: string; body: Record<string, unknown> }[] = [];
  private server: Server | undefined;
  private sequence = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = (req.url ?? '').split('?')[0];
        if (req.method !== 'POST' || path !== '/v1/responses') {
          res.writeHead(404, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              error: { message: `Invalid URL (${req.method} ${path})`, type: 'invalid_request_error', param: null, code: null },
            }),
          );
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        this.requests.push({ path, body });
        res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': `req_${++this.sequence}` });
        for (const event of this.events(body)) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private events(body: Record<string, unknown>): Record<string, unknown>[] {
    const id = `resp_${this.sequence}`;
    const itemId = `msg_${this.sequence}`;
    const model = String(body.model ?? 'gpt-4o');
    const inputTokens = this.usage.inputTokens ?? estimateTokens(JSON.stringify(body.input ?? ''));
    const outputTokens = this.usage.outputTokens ?? DEFAULT_COMPLETION_TOKENS;
    const usage = {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: this.usage.cachedTokens ?? 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: this.usage.reasoningTokens ?? 0 },
      total_tokens: inputTokens + outputTokens,
    };
    const base = {
      id,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      model,
      output: [] as unknown[],
      usage: null as unknown,
    };
    const part = { type: 'output_text', text: DEFAULT_REPLY_TEXT, annotations: [] };
    const item = { id: itemId, type: 'message', role: 'assistant', status: 'completed', content: [part] };
    const events: Record<string, unknown>[] = [
      { type: 'response.created', response: { ...base, status: 'in_progress' } },
      { type: 'response.in_progress', response: { ...base, status: 'in_progress' } },
      { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', content: [] } },
      { type: 'response.content_part.added', item_id: itemId, output_index: 0, content_index: 0, part: { ...part, text: '' } },
      { type: 'response.output_text.delta', item_id: itemId, output_index: 0, content_index: 0, delta: DEFAULT_REPLY_TEXT },
      { type: 'response.output_text.done', item_id: itemId, output_index: 0, content_index: 0, text: DEFAULT_REPLY_TEXT },
      { type: 'response.content_part.done', item_id: itemId, output_index: 0, content_index: 0, part },
      { type: 'response.output_item.done', output_index: 0, item },
      { type: 'response.completed', response: { ...base, status: 'completed', output: [item], usage } },
    ];
    return events.map((event, index) => ({ ...event, sequence_number: index }));
  }
}
