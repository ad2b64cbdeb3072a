import type { Response } from 'express';

/**
 * A non-streamed answer to a model call. The handler returns it instead of sending it, and
 * SpendInterceptor sends it once the call is priced, so it carries its exact cost
 * (`x-litellm-response-cost`, `x-litellm-key-spend`) after the handler's own headers.
 */
export class SettledReply {
  /** `body`: an object sent as JSON, or a string that already is JSON (an upstream's body, byte for byte). */
  constructor(
    readonly headers: Record<string, string>,
    readonly body: unknown,
  ) {}

  send(response: Response, costHeaders: Record<string, string>): void {
    for (const [name, value] of Object.entries({ ...this.headers, ...costHeaders })) response.setHeader(name, value);
    if (typeof this.body === 'string') response.status(200).type('application/json').send(this.body);
    else response.status(200).json(this.body);
  }
}
