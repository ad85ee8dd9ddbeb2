import { UnserializableValueError } from '../errors';
import { isPlainObject } from './job-options';

/**
 * Throws `UnserializableValueError` at the first value that `JSON.stringify` would drop, alter or refuse,
 * so that what a handler reads (and what a listener receives) is exactly what was sent.
 *
 * Accepted: null, booleans, finite numbers, strings, arrays and plain objects of those. Refused with
 * the path of the value: undefined (JSON drops or nulls it), NaN and ±Infinity (become null), BigInt,
 * symbols and functions, Date/Map/Set/Buffer/typed arrays and any class instance (their shape changes),
 * objects with a toJSON method, sparse arrays, circular references, and properties JSON skips without a
 * word: symbol keys, and named (non-index) properties of arrays.
 */
export function assertPlainJson(value: unknown, path: string): void {
  visit(value, path, new Set());
}

const MAX_DEPTH = 256;

function visit(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new UnserializableValueError(path, `is ${value}, which JSON turns into null`);
      if (Object.is(value, -0)) throw new UnserializableValueError(path, 'is -0, which JSON turns into 0');
      return;
    case 'undefined':
      throw new UnserializableValueError(path, 'is undefined, which JSON drops (or turns into null in arrays); use null or leave the key out');
    case 'bigint':
      throw new UnserializableValueError(path, 'is a BigInt, which JSON cannot encode');
    case 'symbol':
    case 'function':
      throw new UnserializableValueError(path, `is a ${typeof value}, which JSON cannot encode`);
  }
  if (value === null) return;
  const object = value as object;
  if (ancestors.has(object)) throw new UnserializableValueError(path, 'is a circular reference');
  // Far deeper than any real payload; stops a hostile body from exhausting the stack here or in Redis.
  if (ancestors.size >= MAX_DEPTH) throw new UnserializableValueError(path, `is nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(object)) {
    refuseSymbolKeys(object, path);
    ancestors.add(object);
    for (let index = 0; index < object.length; index++) {
      if (!(index in object)) throw new UnserializableValueError(`${path}[${index}]`, 'is a hole in a sparse array, which JSON turns into null');
      visit(object[index], `${path}[${index}]`, ancestors);
    }
    // JSON writes an array's elements only. With no holes, keys 0..length-1 come first, so any key
    // after them is a named property (a RegExp match's `index`, say) that would vanish.
    const named = Object.keys(object)[object.length];
    if (named !== undefined) throw new UnserializableValueError(appendKey(path, named), 'is a named property of an array, which JSON drops');
    ancestors.delete(object);
    return;
  }
  if (!isPlainObject(object)) {
    const kind = object.constructor?.name ?? 'an object with a custom prototype';
    throw new UnserializableValueError(path, `is a ${kind}, which JSON does not carry unchanged`);
  }
  if (typeof (object as { toJSON?: unknown }).toJSON === 'function') {
    throw new UnserializableValueError(path, 'has a toJSON method, so JSON would store something else');
  }
  refuseSymbolKeys(object, path);
  ancestors.add(object);
  for (const key of Object.keys(object)) {
    visit((object as Record<string, unknown>)[key], appendKey(path, key), ancestors);
  }
  ancestors.delete(object);
}

// JSON skips symbol-keyed properties silently; refuse them like any other value it would drop.
function refuseSymbolKeys(object: object, path: string): void {
  const symbol = Object.getOwnPropertySymbols(object).find((key) => Object.prototype.propertyIsEnumerable.call(object, key));
  if (symbol) throw new UnserializableValueError(`${path}[${symbol.toString()}]`, 'is a symbol-keyed property, which JSON drops');
}

/** Appends a property key to a path the way the rest of queuewire writes paths: `data.to`, `data["a-b"]`. */
export function appendKey(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}
