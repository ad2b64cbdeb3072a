/**
 * A log line about one request. With `--json-logs` the gateway's logger prints its id as a field of
 * its own (`request_id`), so a log store finds every line of the request a client reports by its
 * `x-litellm-call-id`; in text mode the id leads the message. Libraries log these through Nest's
 * `Logger` like any other message and need nothing else from the app.
 */
export class RequestLogLine {
  constructor(
    readonly requestId: string,
    readonly message: string,
  ) {}

  toString(): string {
    return `[${this.requestId}] ${this.message}`;
  }
}
