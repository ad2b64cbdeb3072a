/**
 * Incremental parsers for upstream streams. Upstreams split their bytes anywhere — inside a
 * UTF-8 sequence, between `\r` and `\n`, in the middle of a JSON line — so both parsers buffer
 * until a complete record has arrived and decode bytes with a streaming TextDecoder.
 */

export interface ServerSentEvent {
  event?: string;
  data: string;
}

/** Server-sent events as specified by WHATWG HTML §9.2 (the subset providers use: event, data). */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private eventName: string | undefined;
  private dataLines: string[] = [];

  push(chunk: Uint8Array | string): ServerSentEvent[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.drain(false);
  }

  /** Call when the upstream closed; returns an event left without its terminating blank line. */
  end(): ServerSentEvent[] {
    this.buffer += this.decoder.decode();
    return this.drain(true);
  }

  private drain(final: boolean): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone trailing `\r` may be the first half of `\r\n`: wait for the next chunk.
      if (match[0] === '\r' && match.index === this.buffer.length - 1 && !final) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.acceptLine(line, events);
    }
    if (final) {
      if (this.buffer.length > 0) this.acceptLine(this.buffer, events);
      this.buffer = '';
      this.acceptLine('', events);
    }
    return events;
  }

  private acceptLine(line: string, events: ServerSentEvent[]): void {
    if (line === '') {
      if (this.dataLines.length > 0) events.push({ event: this.eventName, data: this.dataLines.join('\n') });
      this.eventName = undefined;
      this.dataLines = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventName = value;
    else if (field === 'data') this.dataLines.push(value);
  }
}

/** Newline-delimited JSON (Ollama's stream format): yields each complete non-empty line, parsed. */
export class NdjsonParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';

  push(chunk: Uint8Array | string): unknown[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const records: unknown[] = [];
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) !== -1) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) records.push(JSON.parse(line));
    }
    return records;
  }

  end(): unknown[] {
    this.buffer += this.decoder.decode();
    const line = this.buffer.trim();
    this.buffer = '';
    return line ? [JSON.parse(line)] : [];
  }
}
