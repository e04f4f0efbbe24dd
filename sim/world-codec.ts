/**
 * Models: nothing real. The canonical encoding of world state (sim/kernel/codec.ts, deterministic
 * CBOR) computed incrementally: state is immutable and structurally shared, so a step changes a
 * few records and leaves the rest as the very same objects. Their encodings are cached by object
 * identity and spliced into the encoding of the record that holds them.
 * Method: a plain object is a CBOR map: head, then each key's text and the value's encoding, keys
 * in canonical order (shorter first, then bytewise: the order encodeState uses for ASCII keys);
 * an array is a head and its items. Down to `depth` levels each record is assembled from its
 * children's (cached) encodings as a rope (a tree of byte pieces, so composing a record costs
 * its fields, not its bytes, and the bytes are written once per snapshot or fingerprint); below
 * that, and for every other value, encodeState is called and its result cached. A world's
 * fingerprint is remembered per state object (immutable: same object, same fingerprint).
 * Decoding runs the other way: the top records' values are located by a CBOR skip scanner
 * (shortest heads, sorted unique keys checked) and each value's bytes are looked up by digest in
 * the kernel memo (the decoded, frozen value), strictly decoded only on a miss.
 * Invariants: encodeComposed(v) is byte-for-byte encodeState(v) (a test checks it on every state
 * of a run); decodeComposed(encodeComposed(v)) deep-equals v; cached encodings are never handed
 * out for writing (callers get fresh bytes); anything encodeState refuses is refused here too.
 */
import { createHash } from 'node:crypto';
import { assert } from './kernel/assert.js';
import { decodeState, encodeState } from './kernel/codec.js';
import { SimError } from './kernel/errors.js';
import { memo } from './kernel/memo.js';

/**
 * An encoding as a tree of pieces: the bytes of a composed record are its pieces in order, each
 * a byte string or a smaller rope. Composing a record costs O(its fields), not O(its bytes); the
 * bytes are written once, when a snapshot or fingerprint needs them.
 */
type Rope = Readonly<{ size: number; parts: readonly Piece[] }>;
type Piece = Uint8Array | readonly number[] | Rope;

const encodings = new WeakMap<object, Uint8Array | Rope>();
/** The SHA-256 (hex) of a world pair's encoding, by its state object and config digest. */
const fingerprints = new WeakMap<object, Readonly<{ config: unknown; digest: string }>>();
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

function sizeOf(piece: Piece): number {
  return 'size' in piece ? piece.size : piece.length;
}

/** Writes `piece` into `out` at `at`; returns where it ended. */
function writePiece(piece: Piece, out: Uint8Array, at: number): number {
  if (!('size' in piece)) {
    out.set(piece, at);
    return at + piece.length;
  }
  let offset = at;
  for (const part of piece.parts) offset = writePiece(part, out, offset);
  return offset;
}

/** The bytes of an encoding (fresh when it is a rope; shared when it is bytes already). */
function bytesOf(encoding: Uint8Array | Rope): Uint8Array {
  if (encoding instanceof Uint8Array) return encoding;
  const out = new Uint8Array(encoding.size);
  const end = writePiece(encoding, out, 0);
  assert(end === encoding.size, 'every piece placed');
  return out;
}

function rope(parts: Piece[]): Rope {
  let size = 0;
  for (const part of parts) size += sizeOf(part);
  return { size, parts };
}

function keyPiece(key: string): number[] {
  const out = head(MAJOR_TEXT, key.length);
  for (let i = 0; i < key.length; i++) out.push(key.charCodeAt(i));
  return out;
}

function composeRecord(value: Readonly<Record<string, unknown>>,
  depth: number): Uint8Array | Rope {
  const keys = Object.keys(value);
  for (const key of keys) if (!isAsciiKey(key)) return encodeState(value);
  keys.sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const parts: Piece[] = [head(MAJOR_MAP, keys.length)];
  for (const key of keys) {
    const item = value[key];
    if (item === undefined) return encodeState(value);    // refused there, with its path
    parts.push(keyPiece(key), encodeShared(item, depth - 1));
  }
  return rope(parts);
}

function composeArray(value: readonly unknown[], depth: number): Uint8Array | Rope {
  const parts: Piece[] = [head(MAJOR_ARRAY, value.length)];
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) return encodeState(value);
    parts.push(encodeShared(value[i], depth - 1));
  }
  return rope(parts);
}

/** The encoding of `value`, shared (cached by identity for objects): never write into it. */
function encodeShared(value: unknown, depth: number): Uint8Array | Rope {
  if (value === null || typeof value !== 'object') return encodeState(value);
  const cached = encodings.get(value);
  if (cached !== undefined) {
    if (cached instanceof Uint8Array) return cached;
    // Used a second time: unchanged since, so its bytes are written once and kept (a rope of
    // many small pieces would cost a walk over all of them in every later snapshot).
    const flat = bytesOf(cached);
    encodings.set(value, flat);
    return flat;
  }
  let encoding: Uint8Array | Rope;
  if (depth > 0 && Array.isArray(value)) encoding = composeArray(value, depth);
  else if (depth > 0 && !(value instanceof Uint8Array) && !(value instanceof Map)
    && !(value instanceof Set) && isPlainRecord(value)) {
    encoding = composeRecord(value as Readonly<Record<string, unknown>>, depth);
  } else encoding = encodeState(value);
  encodings.set(value, encoding);
  return encoding;
}

/** The encoding of a top value (not cached: typically a wrapper made for this call). */
function encodeTop(value: unknown, depth: number): Uint8Array | Rope {
  assert(Number.isInteger(depth) && depth >= 0 && depth <= 16, 'a composition depth');
  if (value !== null && typeof value === 'object' && !encodings.has(value) && depth > 0) {
    if (Array.isArray(value)) return composeArray(value, depth);
    if (!(value instanceof Uint8Array) && !(value instanceof Map) && !(value instanceof Set)
      && isPlainRecord(value)) {
      return composeRecord(value as Readonly<Record<string, unknown>>, depth);
    }
  }
  return encodeShared(value, depth);
}

/** encodeState(value), assembled from cached encodings of unchanged records (fresh bytes). */
export function encodeComposed(value: unknown, depth = 4): Uint8Array {
  const encoding = encodeTop(value, depth);
  return encoding instanceof Uint8Array ? encoding.slice() : bytesOf(encoding);
}

/**
 * Where a fingerprint's bytes are written before they are hashed: one buffer, reused (hashing is
 * synchronous and the bytes never escape), so a fingerprint allocates no snapshot-sized array.
 */
let scratch = new Uint8Array(64 * 1024);

/** SHA-256 of encodeComposed(value), lowercase hex (= the kernel's fingerprint of value). */
export function fingerprintComposed(value: unknown, depth = 4): string {
  const encoding = encodeTop(value, depth);
  const hash = createHash('sha256');
  if (encoding instanceof Uint8Array) return hash.update(encoding).digest('hex');
  if (scratch.length < encoding.size) scratch = new Uint8Array(encoding.size * 2);
  const end = writePiece(encoding, scratch, 0);
  assert(end === encoding.size, 'every piece placed');
  return hash.update(scratch.subarray(0, end)).digest('hex');
}

/**
 * fingerprintComposed([config, state]), remembered per state object (states are immutable, so
 * the same state object with the same config always has the same fingerprint).
 */
export function fingerprintPair(config: string, state: object, depth = 4): string {
  const known = fingerprints.get(state);
  if (known !== undefined && known.config === config) return known.digest;
  const digest = fingerprintComposed([config, state], depth);
  fingerprints.set(state, { config, digest });
  return digest;
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
    if (frozen !== null && typeof frozen === 'object' && !encodings.has(frozen)) {
      encodings.set(frozen, bytes.slice());
    }
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
