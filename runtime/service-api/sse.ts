import type { ServerResponse } from 'node:http';

/** One server-sent event (WHATWG HTML "Server-sent events", §9.2 event stream format). */
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Formats one event. Each line of `data` gets its own `data:` field (a line break inside a
 * field would end it), and CR/LF are stripped from `id`/`event`, which must be single lines.
 */
export function formatSseEvent(event: SseEvent): string {
  let out = '';
  if (event.id !== undefined) out += `id: ${event.id.replace(/[\r\n]/g, '')}\n`;
  if (event.event !== undefined) out += `event: ${event.event.replace(/[\r\n]/g, '')}\n`;
  for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

export interface SseStreamOptions {
  /** Milliseconds between keep-alive comments (proxies and clients drop idle streams). */
  heartbeatMs?: number;
  /**
   * Bytes allowed to queue for a slow reader before the stream is closed (the reader can
   * reconnect with `Last-Event-ID` and catch up from the recent-messages store).
   */
  maxBufferedBytes?: number;
}

/**
 * A server-sent-events response: writes the headers, events and heartbeats, and closes
 * itself when the reader falls too far behind or goes away. `closed` resolves once.
 */
export class SseStream {
  readonly closed: Promise<void>;
  private readonly res: ServerResponse;
  private readonly maxBuffered: number;
  private timer: NodeJS.Timeout | undefined;
  private isClosed = false;
  private resolveClosed!: () => void;

  constructor(res: ServerResponse, options: SseStreamOptions = {}) {
    this.res = res;
    this.maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    res.write(': edgemu telemetry stream\n\n');
    this.timer = setInterval(() => this.comment('keep-alive'), options.heartbeatMs ?? 15_000);
    this.timer.unref();
    res.on('close', () => this.close());
  }

  /** Sends one event; false when the stream is closed (or was just closed for falling behind). */
  send(event: SseEvent): boolean {
    if (this.isClosed) return false;
    if (this.res.writableLength > this.maxBuffered) {
      this.close();
      return false;
    }
    this.res.write(formatSseEvent(event));
    return true;
  }

  /** Ends the stream (idempotent). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.res.writableEnded) this.res.end();
    this.resolveClosed();
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  private comment(text: string): void {
    if (!this.isClosed) this.res.write(`: ${text}\n\n`);
  }
}

/**
 * Incremental parser of an event stream (the reader side of `formatSseEvent`, per the WHATWG
 * rules: fields `id`, `event`, `data` (joined with `\n`), comments starting with `:`, an
 * event dispatched at a blank line, CRLF/LF/CR line ends, one optional space after `:`).
 * Lines are bounded: a line longer than `maxLineBytes` is an error (a hostile server cannot
 * make the reader buffer without end).
 */
export class SseParser {
  private buffer = '';
  private id: string | undefined;
  private event: string | undefined;
  private data: string[] = [];
  /** The id of the last dispatched event that had one (for `Last-Event-ID`). */
  lastEventId: string | undefined;

  constructor(private readonly maxLineBytes = 1024 * 1024) {}

  /** Feeds text; returns the events completed by it. */
  push(text: string): SseEvent[] {
    this.buffer += text;
    const events: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      // A lone CR at the very end may be the first half of CRLF: wait for more input.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    if (this.buffer.length > this.maxLineBytes) throw new Error(`an event-stream line is longer than ${this.maxLineBytes} bytes`);
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = undefined;
        return undefined;
      }
      const event: SseEvent = { data: this.data.join('\n') };
      if (this.id !== undefined) event.id = this.id;
      if (this.event !== undefined) event.event = this.event;
      if (this.id !== undefined) this.lastEventId = this.id;
      this.data = [];
      this.event = undefined;
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'id') this.id = value;
    else if (field === 'event') this.event = value;
    return undefined;
  }
}
