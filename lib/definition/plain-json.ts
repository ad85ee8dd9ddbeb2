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
  if (boundOf(value) < 0) visit(value, path, new Set());
}

/**
 * Like `assertPlainJson`, and also measures the value's JSON encoding in bytes: returns an upper bound
 * of it when that bound is within `maxBytes` (the common case, a small payload), else the exact size.
 * So the payload is serialised here only when it may be too large, not once more on every add.
 */
export function plainJsonBytes(value: unknown, path: string, maxBytes: number): number {
  const bound = boundOf(value);
  if (bound < 0) visit(value, path, new Set());
  return bound >= 0 && bound <= maxBytes ? bound : Buffer.byteLength(JSON.stringify(value));
}

// The objects and arrays the fast pass is inside of, outermost first: one array for every call (this
// runs on every add and every job result), so a check allocates nothing. Payloads are shallow, so a
// cycle is found by a short linear search.
const enclosing: object[] = [];

function boundOf(value: unknown): number {
  const base = enclosing.length;
  try {
    return plainJsonBound(value, base);
  } finally {
    enclosing.length = base;
  }
}

// The fast pass: no path strings, no error objects. Returns -1 at the first value `visit` would refuse
// (then `visit` runs to say where and why), else an upper bound of the UTF-8 JSON size: a UTF-16 unit
// encodes to at most 6 bytes (a control character as \u00XX), a number to at most 24 characters.
function plainJsonBound(value: unknown, base: number): number {
  switch (typeof value) {
    case 'string':
      return value.length * 6 + 2;
    case 'boolean':
      return 5;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? 24 : -1;
    case 'object':
      break;
    default:
      return -1;
  }
  if (value === null) return 4;
  const object = value as object;
  if (enclosing.length - base >= MAX_DEPTH || enclosing.includes(object, base)) return -1;
  let bound = 2;
  if (Array.isArray(object)) {
    if (Object.getOwnPropertySymbols(object).length > 0 || Object.keys(object).length !== object.length) return -1;
    enclosing.push(object);
    for (let index = 0; index < object.length; index++) {
      const size = plainJsonBound(object[index], base);
      if (size < 0) return -1;
      bound += size + 1;
    }
  } else {
    if (!isPlainObject(object) || typeof (object as { toJSON?: unknown }).toJSON === 'function') return -1;
    if (Object.getOwnPropertySymbols(object).length > 0) return -1;
    enclosing.push(object);
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue;
      const size = plainJsonBound((object as Record<string, unknown>)[key], base);
      if (size < 0) return -1;
      bound += key.length * 6 + 4 + size;
    }
  }
  enclosing.pop();
  return bound;
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
