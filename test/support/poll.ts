/**
 * Reads a fact again and again until `holds` accepts it or `timeout` ms have passed, and returns the
 * last value read, so the test asserts on the fact itself (and shows it when it never came) instead
 * of sleeping for a guessed time.
 */
export async function pollUntil<Value>(
  read: () => Promise<Value> | Value,
  holds: (value: Value) => boolean,
  { timeout = 5000, interval = 20 }: { timeout?: number; interval?: number } = {},
): Promise<Value> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (holds(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
