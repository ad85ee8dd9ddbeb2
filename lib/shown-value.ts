/**
 * A value as an error message shows it: its JSON (so a string keeps its quotes and an object its
 * contents), else `String(value)` for what JSON cannot write (undefined, functions, BigInt, cycles).
 * Never throws, so a message about a bad value cannot itself fail on it.
 */
export function shown(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
