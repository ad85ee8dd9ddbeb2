import http from 'node:http';

/** One thing read from an event stream: an event frame, a comment line, or the end of the response. */
export type StreamItem =
  | { type: 'event'; event: string; id: string | undefined; data: string; json: any }
  | { type: 'comment'; text: string }
  | { type: 'end' };

/**
 * A Server-Sent Events client over a raw HTTP request, for tests: it parses frames as the spec says
 * (fields, multi-line data, comments) and lets a test wait for the next frame with a bound, so a test
 * waits for what the server sends instead of sleeping.
 */
export class EventStream {
  readonly items: StreamItem[] = [];
  private eventCursor = 0;
  private commentCursor = 0;
  private waiters: Array<() => void> = [];
  private buffer = '';
  private pending: { event?: string; id?: string; data: string[] } = { data: [] };

  private constructor(private readonly request: http.ClientRequest, readonly response: http.IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.parse(chunk));
    const end = () => this.push({ type: 'end' });
    response.once('end', end);
    response.once('aborted', end);
    response.once('error', end);
  }

  /** Opens `url` with `Accept: text/event-stream` (plus `headers`) and resolves once the response head arrived. */
  static open(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
    return new Promise((resolve, reject) => {
      // agent: false — a socket per stream, so hundreds can be open at once and each closes on its own.
      const request = http.get(url, { agent: false, headers: { Accept: 'text/event-stream', ...headers } }, (response) => {
        resolve(new EventStream(request, response));
      });
      request.once('error', reject);
    });
  }

  get status(): number {
    return this.response.statusCode ?? 0;
  }

  /** The next event frame (comments skipped), or `{ type: 'end' }` once the server closed the stream. */
  nextEvent(timeout = 5000): Promise<Extract<StreamItem, { type: 'event' | 'end' }>> {
    return this.next(timeout, 'event', (item): item is Extract<StreamItem, { type: 'event' | 'end' }> => item.type !== 'comment');
  }

  /** The next comment line (a heartbeat), or `{ type: 'end' }`. */
  nextComment(timeout = 5000): Promise<Extract<StreamItem, { type: 'comment' | 'end' }>> {
    return this.next(timeout, 'comment', (item): item is Extract<StreamItem, { type: 'comment' | 'end' }> => item.type !== 'event');
  }

  /** The whole body once the server ends it, as items. */
  async rest(timeout = 5000): Promise<StreamItem[]> {
    const items: StreamItem[] = [];
    for (;;) {
      const item = await this.nextEvent(timeout);
      items.push(item);
      if (item.type === 'end') return items;
    }
  }

  /** Drops the connection, as a browser tab that closes. */
  close(): void {
    this.request.destroy();
  }

  private async next<Item extends StreamItem>(timeout: number, cursor: 'event' | 'comment', accepts: (item: StreamItem) => item is Item): Promise<Item> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const start = cursor === 'event' ? this.eventCursor : this.commentCursor;
      for (let index = start; index < this.items.length; index++) {
        const item = this.items[index]!;
        if (!accepts(item)) continue;
        if (cursor === 'event') this.eventCursor = index + 1;
        else this.commentCursor = index + 1;
        return item;
      }
      if (cursor === 'event') this.eventCursor = this.items.length;
      else this.commentCursor = this.items.length;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${cursor} frame within ${timeout} ms; received so far: ${JSON.stringify(this.items)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private push(item: StreamItem): void {
    if (this.items.at(-1)?.type === 'end') return;
    this.items.push(item);
    for (const wake of this.waiters.splice(0)) wake();
  }

  // https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
  private parse(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + (this.buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        const { event, id, data } = this.pending;
        this.pending = { data: [] };
        if (data.length === 0) continue;
        const text = data.join('\n');
        this.push({ type: 'event', event: event ?? 'message', id, data: text, json: safeJson(text) });
        continue;
      }
      if (line.startsWith(':')) {
        this.push({ type: 'comment', text: line.slice(1).trim() });
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') this.pending.event = value;
      else if (field === 'data') this.pending.data.push(value);
      else if (field === 'id') this.pending.id = value;
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
