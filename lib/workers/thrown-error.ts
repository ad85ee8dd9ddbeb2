import { shown } from '../shown-value';

/**
 * What a job fails with when user code (a handler, a `before` hook) throws something that is not an
 * Error. BullMQ reads `.message` of whatever fails a job: `throw null` would crash its failure handling
 * and leave the job active, and `throw 'text'` would be stored as "null". So anything else becomes an
 * Error that names who threw (`thrower`, e.g. `Handler for "welcome"`) and shows what was thrown.
 */
export function asJobError(thrown: unknown, thrower: string): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(`${thrower} threw a non-Error value: ${typeof thrown === 'string' ? thrown : shown(thrown)}`);
}
