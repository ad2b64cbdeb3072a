import type { Response } from 'express';

import { SseWriter } from './sse-writer';

/**
 * Anthropic-style SSE to the client, with `ping` events whenever the upstream has been silent for
 * `keepAliveMs`, so Claude Code (which gives up after minutes without bytes) keeps the connection.
 * Pings go only between whole events, never inside one, and never after `message_stop` or `error`:
 * nothing may follow those (validateAnthropicEventSequence), yet an upstream may keep the
 * connection open a while after its last event.
 */
export class AnthropicEventWriter {
  private readonly sse: SseWriter;
  private lastWriteAt = Date.now();
  private timer?: NodeJS.Timeout;

  constructor(response: Response, keepAliveMs: number) {
    this.sse = new SseWriter(response);
    this.timer = setInterval(
      () => {
        if (Date.now() - this.lastWriteAt >= keepAliveMs) void this.event('ping', '{"type": "ping"}');
      },
      Math.max(10, Math.floor(keepAliveMs / 2)),
    );
    this.timer.unref();
  }

  start(headers: Record<string, string>): void {
    this.sse.start(headers);
  }

  get closed(): boolean {
    return this.sse.closed;
  }

  async event(name: string, data: string): Promise<void> {
    this.lastWriteAt = Date.now();
    if (name === 'message_stop' || name === 'error') this.stopKeepAlive();
    await this.sse.event(name, data);
  }

  end(): void {
    this.stopKeepAlive();
    this.sse.end();
  }

  private stopKeepAlive(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
