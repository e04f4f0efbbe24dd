/**
 * Models: nothing real. The canonical encoding of world state (sim/kernel/codec.ts, deterministic
 * CBOR) computed incrementally: state is immutable and structurally shared, so a step changes a
 * few records and leaves the rest as the very same objects. Their encodings are cached by object
 * identity and spliced into the encoding of the record that holds them.
 * Method: a plain object is a CBOR map: head, then each key's text and the value's encoding, keys
 * in canonical order (shorter first, then bytewise: the order encodeState uses for ASCII keys);
 * an array is a head and its items. Down to `depth` levels each record is assembled from its
 * children's (cached) encodings; below that, and for every other value, encodeState is called and
 * its result cached. Decoding runs the other way: the top records' values are located by a CBOR
 * skip scanner (shortest heads, sorted unique keys checked) and each value's bytes are looked up
 * by digest in the kernel memo (the decoded, frozen value), strictly decoded only on a miss.
 * Invariants: encodeComposed(v) is byte-for-byte encodeState(v) (a test checks it on every state
 * of a run); decodeComposed(encodeComposed(v)) deep-equals v; cached encodings are never handed
 * out for writing (callers get fresh bytes); anything encodeState refuses is refused here too.
 */
import { createHash } from 'node:crypto';
import { assert } from './kernel/assert.js';
import { decodeState, encodeState } from './kernel/codec.js';
import { SimError } from './kernel/errors.js';
import { memo } from './kernel/memo.js';

const encodings = new WeakMap<object, Uint8Array>();
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_TEXT = 3;

function head(major: number, argument: number): number[] {
  assert(Number.isSafeInteger(argument) && argument >= 0 && argument < 0x1_0000_0000,
    'a head argument below 2^32');
  const m = major << 5;
  if (argument < 24) return [m | argument];
  if (argument < 0x100) return [m | 24, argument];
  if (argument < 0x10000) return [m | 25, argument >>> 8, argument & 0xff];
  return [m | 26, argument >>> 24, (argument >>> 16) & 0xff, (argument >>> 8) & 0xff,
    argument & 0xff];
}

function isAsciiKey(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return false;
  return true;
}

function isPlainRecord(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return (proto === Object.prototype || proto === null)
    && Object.getOwnPropertySymbols(value).length === 0;
}

function concat(parts: readonly (Uint8Array | number[])[], total: number): Uint8Array {
  // Every byte is written below, so the zero fill of `new Uint8Array` is skipped.
  const out = new Uint8Array(Buffer.allocUnsafeSlow(total).buffer, 0, total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  assert(at === total, 'every part placed');
  return out;
}

function composeRecord(value: Readonly<Record<string, unknown>>, depth: number): Uint8Array {
  const keys = Object.keys(value);
  for (const key of keys) if (!isAsciiKey(key)) return encodeState(value);
  keys.sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const parts: (Uint8Array | number[])[] = [head(MAJOR_MAP, keys.length)];
  let total = parts[0]!.length;
  for (const key of keys) {
    const item = value[key];
    if (item === undefined) return encodeState(value);    // refused there, with its path
    const keyHead = head(MAJOR_TEXT, key.length);
    const keyBytes = new Uint8Array(key.length);
    for (let i = 0; i < key.length; i++) keyBytes[i] = key.charCodeAt(i);
    const itemBytes = encodeShared(item, depth - 1);
    parts.push(keyHead, keyBytes, itemBytes);
    total += keyHead.length + keyBytes.length + itemBytes.length;
  }
  return concat(parts, total);
}

function composeArray(value: readonly unknown[], depth: number): Uint8Array {
  const parts: (Uint8Array | number[])[] = [head(MAJOR_ARRAY, value.length)];
  let total = parts[0]!.length;
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) return encodeState(value);
    const itemBytes = encodeShared(value[i], depth - 1);
    parts.push(itemBytes);
    total += itemBytes.length;
  }
  return concat(parts, total);
}

/** The encoding of `value`, shared (cached by identity for objects): never write into it. */
function encodeShared(value: unknown, depth: number): Uint8Array {
  if (value === null || typeof value !== 'object') return encodeState(value);
  const cached = encodings.get(value);
  if (cached !== undefined) return cached;
  let bytes: Uint8Array;
  if (depth > 0 && Array.isArray(value)) bytes = composeArray(value, depth);
  else if (depth > 0 && !(value instanceof Uint8Array) && !(value instanceof Map)
    && !(value instanceof Set) && isPlainRecord(value)) {
    bytes = composeRecord(value as Readonly<Record<string, unknown>>, depth);
  } else bytes = encodeState(value);
  encodings.set(value, bytes);
  return bytes;
}

/**
 * encodeState(value), assembled from cached encodings of unchanged records (fresh bytes). The
 * top value itself is not cached: it is typically a wrapper made for this call.
 */
export function encodeComposed(value: unknown, depth = 4): Uint8Array {
  assert(Number.isInteger(depth) && depth >= 0 && depth <= 16, 'a composition depth');
  if (value !== null && typeof value === 'object' && !encodings.has(value) && depth > 0) {
    if (Array.isArray(value)) return composeArray(value, depth);
    if (!(value instanceof Uint8Array) && !(value instanceof Map) && !(value instanceof Set)
      && isPlainRecord(value)) {
      return composeRecord(value as Readonly<Record<string, unknown>>, depth);
    }
  }
  return encodeShared(value, depth).slice();
}

/** SHA-256 of encodeComposed(value), lowercase hex (= the kernel's fingerprint of value). */
export function fingerprintComposed(value: unknown, depth = 4): string {
  const cached = value !== null && typeof value === 'object' ? encodings.get(value) : undefined;
  return createHash('sha256').update(cached ?? encodeComposed(value, depth)).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Decoding

function bad(offset: number): never {
  throw new SimError('SIM_BAD_STATE', { offset }, `state bytes are not a canonical encoding `
    + `(offset ${offset})`);
}

/** Reads a head at `at`: major, argument, and where the head ends. */
function readHead(bytes: Uint8Array, at: number): [number, number, number] {
  if (at >= bytes.length) bad(at);
  const initial = bytes[at]!;
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (info < 24) return [major, info, at + 1];
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  if (size === 0 || at + 1 + size > bytes.length) bad(at);
  let argument = 0;
  for (let i = 0; i < size; i++) argument = argument * 256 + bytes[at + 1 + i]!;
  const minimum = size === 1 ? 24 : size === 2 ? 0x100 : size === 4 ? 0x10000 : 0x1_0000_0000;
  if (major !== 7 && argument < minimum) bad(at);                  // not the shortest head
  return [major, argument, at + 1 + size];
}

/**
 * The offset just past the CBOR item at `at` (a bounded walk over heads). The heads are read
 * inline (no tuple per head): this walk is the part of a restore that grows with the state.
 */
function skipItem(bytes: Uint8Array, at: number): number {
  let pending = 1;
  let offset = at;
  const end = bytes.length;
  for (let guard = 0; pending > 0; guard++) {
    if (guard > end || offset >= end) bad(offset);
    const initial = bytes[offset]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    let argument = info;
    let next = offset + 1;
    if (info >= 24) {
      const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
      if (size === 0 || next + size > end) bad(offset);
      argument = 0;
      for (let i = 0; i < size; i++) argument = argument * 256 + bytes[next + i]!;
      const minimum = size === 1 ? 24 : size === 2 ? 0x100 : size === 4 ? 0x10000 : 0x1_0000_0000;
      if (major !== 7 && argument < minimum) bad(offset);               // not the shortest head
      next += size;
    }
    pending--;
    offset = next;
    if (major === 2 || major === 3) offset += argument;
    else if (major === MAJOR_ARRAY) pending += argument;
    else if (major === MAJOR_MAP) pending += 2 * argument;
    else if (major === 6) pending += 1;
    if (offset > end) bad(offset);
  }
  return offset;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)
    && !(value instanceof Uint8Array)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

function decodePart(bytes: Uint8Array, depth: number): unknown {
  const digest = createHash('sha256').update(bytes).digest('hex');
  return memo('world/decoded-part', `${depth}/${digest}`, () => {
    const value = depth > 0 ? decodeLevel(bytes, depth) : decodeState(bytes);
    const frozen = deepFreeze(value);
    if (frozen !== null && typeof frozen === 'object') encodings.set(frozen, bytes.slice());
    return frozen;
  }, 16_384);
}

/** The value of one part: small or empty ones decoded directly, others through the memo. */
function decodeValue(valueBytes: Uint8Array, depth: number): unknown {
  return valueBytes[0]! === 0xa0 || valueBytes[0]! === 0x80 || valueBytes.length < 64
    ? deepFreeze(decodeState(valueBytes)) : decodePart(valueBytes, depth);
}

/** An array's items decoded part by part (the last one runs to the end of the bytes). */
function decodeArrayLevel(bytes: Uint8Array, depth: number, count: number,
  start: number): unknown {
  const out: unknown[] = [];
  let offset = start;
  for (let i = 0; i < count; i++) {
    const end = i === count - 1 ? bytes.length : skipItem(bytes, offset);
    if (end <= offset) bad(offset);
    out.push(decodeValue(bytes.subarray(offset, end), depth - 1));
    offset = end;
  }
  if (offset !== bytes.length) bad(offset);
  assert(out.length === count, 'every item decoded');
  return out;
}

/** A map's values (or an array's items) decoded part by part, shared and frozen; anything else
 * decoded whole. */
function decodeLevel(bytes: Uint8Array, depth: number): unknown {
  const [major, count, start] = readHead(bytes, 0);
  if (major === MAJOR_ARRAY && count > 0) return decodeArrayLevel(bytes, depth, count, start);
  if (major !== MAJOR_MAP) return decodeState(bytes);
  const out: Record<string, unknown> = {};
  let offset = start;
  let previous = '';
  for (let i = 0; i < count; i++) {
    const keyEnd = skipItem(bytes, offset);
    const key = decodeState(bytes.subarray(offset, keyEnd));
    if (typeof key !== 'string' || !isAsciiKey(key) || (i > 0 && !(previous.length < key.length
      || (previous.length === key.length && previous < key)))) {
      return decodeState(bytes);                      // not our shape: the strict decoder judges
    }
    previous = key;
    // The last value runs to the end of the bytes (a trailing byte would make its part one the
    // strict decoder refuses): no walk over what may be most of the snapshot.
    const valueEnd = i === count - 1 ? bytes.length : skipItem(bytes, keyEnd);
    if (valueEnd <= keyEnd) bad(keyEnd);
    const item = decodeValue(bytes.subarray(keyEnd, valueEnd), depth - 1);
    Object.defineProperty(out, key, { value: item, enumerable: true, writable: true,
      configurable: true });
    offset = valueEnd;
  }
  if (offset !== bytes.length) bad(offset);
  return out;
}

/**
 * decodeState(bytes) for a map or an array, decoding its values (down to `depth` levels) through
 * a memo of already-decoded parts: a snapshot of a state this process has seen restores in
 * microseconds. The result is deep-frozen.
 */
export function decodeComposed(bytes: Uint8Array, depth = 2): unknown {
  assert(Number.isInteger(depth) && depth >= 0 && depth <= 8, 'a decomposition depth');
  // Canonical only: shortest heads and sorted unique keys are checked here, every value part by
  // the strict decoder (a part found in the memo has the bytes of one it decoded before).
  const value = Object.freeze(decodeLevel(bytes, depth));
  return value;
}
