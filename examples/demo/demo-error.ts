/** A failure the demo explains in one message (no stack trace): what went wrong and what to do. */
export class DemoError extends Error {
  override readonly name = 'DemoError';
}
