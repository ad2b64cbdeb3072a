import type { Response } from 'express';

/** Writes server-sent events to the client, honouring backpressure so a slow reader cannot grow memory without bound. */
export class SseWriter {
  constructor(private readonly response: Response) {}

  start(headers: Record<string, string>): void {
    this.response.status(200);
    this.response.setHeader('content-type', 'text/event-stream; charset=utf-8');
    this.response.setHeader('cache-control', 'no-cache');
    this.response.setHeader('connection', 'keep-alive');
    // Tell nginx-style proxies in front of us not to buffer the stream.
    this.response.setHeader('x-accel-buffering', 'no');
    for (const [name, value] of Object.entries(headers)) this.response.setHeader(name, value);
    this.response.flushHeaders();
  }

  get closed(): boolean {
    return this.response.writableEnded || this.response.destroyed;
  }

  async data(payload: string): Promise<void> {
    await this.write(`data: ${payload}\n\n`);
  }

  async event(name: string, payload: string): Promise<void> {
    await this.write(`event: ${name}\ndata: ${payload}\n\n`);
  }

  end(): void {
    if (!this.response.writableEnded) this.response.end();
  }

  private async write(text: string): Promise<void> {
    if (this.closed) return;
    if (!this.response.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.response.off('drain', done);
          this.response.off('close', done);
          resolve();
        };
        this.response.on('drain', done);
        this.response.on('close', done);
      });
    }
  }
}
