/**
 * Server-Sent Events framing (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 * Data is JSON on one line, so no value can break out of its frame; ids and event names are our own
 * and never contain line breaks.
 */

/** The response headers of an event stream: never cached or transformed, not buffered by proxies. */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  // nginx buffers proxied responses unless told otherwise, which would hold events back.
  'X-Accel-Buffering': 'no',
});

/** One event frame: `event:` name, optional `id:`, and the JSON of `data`. */
export function sseEvent(event: string, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: ignored by EventSource, but it keeps idle connections (and proxies) alive. */
export function sseComment(text: string): string {
  return `: ${text}\n\n`;
}
