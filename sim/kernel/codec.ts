/**
 * Models: nothing real. The one canonical codec for simulation state: deterministic CBOR
 * (RFC 8949 section 4.2.1, core deterministic encoding: preferred serialisation, definite lengths,
 * map keys sorted bytewise by their encodings), and `fingerprint = SHA-256(encoding)`.
 * Method: plain objects are CBOR maps with text keys; arrays, text, booleans, null, finite numbers
 * (integers as integers, other numbers as the shortest exact float) and byte strings are native;
 * every bigint is a bignum (tag 2/3, RFC 8949 3.4.3, minimal magnitude), so `16n` and `16` differ;
 * a Map is tag 259 over a map, a Set is tag 258 over an array sorted by the elements' encodings
 * (so insertion order does not matter).
 * Why not cborg's encoder directly: with the type encoders this needs it costs 40–80 µs for a
 * firmware state, and the world and explorer encode millions of states. This walker writes the
 * same bytes in a few µs; cborg (`encode` with `rfc8949EncodeOptions` and taglib's bignum, Set and
 * Map encoders) is the reference it is tested against, byte for byte, in test/kernel/codec.test.ts.
 * Invariants: one-to-one (distinct values never share an encoding) and reversible
 * (decodeState(encodeState(v)) deep-equals v). What cannot be represented faithfully (undefined,
 * NaN, ±Infinity, -0, functions, symbols, class instances, typed arrays other than Uint8Array,
 * sparse arrays, Map keys that are not text or safe integers) is SIM_BAD_STATE, never a silent
 * conversion. The decoder accepts only canonical encodings (minimal heads, shortest floats, sorted
 * unique keys, known tags, no indefinite lengths, no trailing bytes), so bytes and values
 * correspond one to one in both directions.
 */
import { createHash } from 'node:crypto';
import { assert } from './assert.js';
import { SimError, isInputRefusal } from './errors.js';

export const TAG_BIGNUM_POSITIVE = 2;
export const TAG_BIGNUM_NEGATIVE = 3;
export const TAG_SET = 258;
export const TAG_MAP = 259;

/** Nesting bound for both directions: state is shallow; a deeper value is hostile or a bug. */
export const MAX_STATE_DEPTH = 256;

const MAJOR_UINT = 0;
const MAJOR_NEGINT = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_TAG = 6;
const SIMPLE_FALSE = 0xf4;
const SIMPLE_TRUE = 0xf5;
const SIMPLE_NULL = 0xf6;
const FLOAT16 = 0xf9;
const FLOAT32 = 0xfa;
const FLOAT64 = 0xfb;

/**
 * A refusal on its way out: each container it passes adds its key or index, so the hot path keeps
 * no path of its own and the error still names where the bad value sits.
 */
class Refused extends Error {
  readonly segments: string[] = [];
  constructor(readonly what: string) {
    super(what);
  }
}

function refuse(what: string): never {
  throw new Refused(what);
}

function within(error: unknown, segment: string): never {
  if (error instanceof Refused) error.segments.push(segment);
  throw error;
}

function malformed(what: string, offset: number): never {
  throw new SimError('SIM_BAD_STATE', { what, offset },
    `state bytes are not a canonical encoding (offset ${offset}): ${what}`);
}

// ---------------------------------------------------------------------------------------------
// Writer

class Writer {
  bytes = new Uint8Array(256);
  length = 0;

  reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  /** A head: major type and argument in the shortest form (RFC 8949 4.2.1 rule 1). */
  head(major: number, argument: number): void {
    assert(Number.isSafeInteger(argument) && argument >= 0, 'a CBOR head argument');
    const m = major << 5;
    this.reserve(9);
    const b = this.bytes;
    if (argument < 24) {
      b[this.length++] = m | argument;
    } else if (argument < 0x100) {
      b[this.length++] = m | 24;
      b[this.length++] = argument;
    } else if (argument < 0x10000) {
      b[this.length++] = m | 25;
      b[this.length++] = argument >>> 8;
      b[this.length++] = argument & 0xff;
    } else if (argument < 0x1_0000_0000) {
      b[this.length++] = m | 26;
      b[this.length++] = argument >>> 24;
      b[this.length++] = (argument >>> 16) & 0xff;
      b[this.length++] = (argument >>> 8) & 0xff;
      b[this.length++] = argument & 0xff;
    } else {
      b[this.length++] = m | 27;
      const high = Math.floor(argument / 0x1_0000_0000);
      const low = argument >>> 0;
      for (const word of [high, low]) {
        b[this.length++] = word >>> 24;
        b[this.length++] = (word >>> 16) & 0xff;
        b[this.length++] = (word >>> 8) & 0xff;
        b[this.length++] = word & 0xff;
      }
    }
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  text(value: string): void {
    // ASCII fast path: one byte per code unit, written while checking; rewind on the first
    // non-ASCII unit and let TextEncoder produce the UTF-8.
    const start = this.length;
    const n = value.length;
    this.head(MAJOR_TEXT, n);
    this.reserve(n);
    const b = this.bytes;
    let at = this.length;
    for (let i = 0; i < n; i++) {
      const unit = value.charCodeAt(i);
      if (unit > 0x7f) {
        this.length = start;
        const utf8 = utf8Of(value);
        this.head(MAJOR_TEXT, utf8.length);
        this.raw(utf8);
        return;
      }
      b[at++] = unit;
    }
    this.length = at;
  }

  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

function utf8Of(value: string): Uint8Array {
  const utf8 = textEncoder.encode(value);
  // A lone surrogate becomes U+FFFD: the text would not come back as it went in.
  if (utf8.includes(0xef) && textDecoder.decode(utf8) !== value) {
    refuse('text with a lone surrogate (not valid UTF-8)');
  }
  return utf8;
}

// ---------------------------------------------------------------------------------------------
// Floats: the shortest of binary16/32/64 that holds the value exactly (RFC 8949 4.2.1 rule 2).

const f32 = new Float32Array(1);
const u32OfF32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const bytesOfF64 = new Uint8Array(f64.buffer);

/** binary16 bits of `value` if it is exactly representable there, else -1. */
function half(value: number): number {
  f32[0] = value;
  if (f32[0] !== value) return -1;
  const bits = u32OfF32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7f_ffff;
  if (exponent === 0 && mantissa === 0) return sign;                     // zero
  const e = exponent - 127;
  if (e >= -14 && e <= 15) {                                             // normal half
    if ((mantissa & 0x1fff) !== 0) return -1;
    return sign | ((e + 15) << 10) | (mantissa >>> 13);
  }
  if (e >= -24 && e < -14) {                                             // subnormal half
    const full = mantissa | 0x80_0000;
    const shift = 13 + (-14 - e);
    if ((full & ((1 << shift) - 1)) !== 0) return -1;
    return sign | (full >>> shift);
  }
  return -1;
}

function writeFloat(w: Writer, value: number): void {
  const h = half(value);
  if (h >= 0) {
    w.byte(FLOAT16);
    w.byte(h >>> 8);
    w.byte(h & 0xff);
    return;
  }
  f32[0] = value;
  if (f32[0] === value) {
    const bits = u32OfF32[0]!;
    w.byte(FLOAT32);
    w.byte(bits >>> 24);
    w.byte((bits >>> 16) & 0xff);
    w.byte((bits >>> 8) & 0xff);
    w.byte(bits & 0xff);
    return;
  }
  f64[0] = value;
  w.byte(FLOAT64);
  for (let i = 7; i >= 0; i--) w.byte(bytesOfF64[i]!); // little-endian host → big-endian wire
}

// ---------------------------------------------------------------------------------------------
// Encoding

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** ASCII keys: shorter first (the head encodes the length), then bytewise = code-unit order. */
function compareAsciiKeys(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Any text keys: by their encodings (RFC 8949 4.2.1). */
function compareTextKeys(a: string, b: string): number {
  return compareBytes(encodeAlone(a, 0), encodeAlone(b, 0));
}

function sortedKeys(keys: string[]): string[] {
  if (keys.length < 2) return keys;
  for (const key of keys) if (!isAscii(key)) return keys.sort(compareTextKeys);
  return keys.sort(compareAsciiKeys);
}

/** The encoding of a nested value on a writer of its own (Map keys, Set items). */
function encodeAlone(value: unknown, depth: number): Uint8Array {
  const w = new Writer();
  write(w, value, depth);
  return w.result();
}

function writeBigint(w: Writer, value: bigint): void {
  const negative = value < 0n;
  const magnitude = negative ? -1n - value : value;
  let hex = magnitude.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  w.head(MAJOR_TAG, negative ? TAG_BIGNUM_NEGATIVE : TAG_BIGNUM_POSITIVE);
  w.head(MAJOR_BYTES, hex.length / 2);
  w.reserve(hex.length / 2);
  for (let i = 0; i < hex.length; i += 2) {
    w.bytes[w.length++] = parseInt(hex.slice(i, i + 2), 16);
  }
}

function writeNumber(w: Writer, value: number): void {
  if (Number.isSafeInteger(value)) {
    if (Object.is(value, -0)) refuse('negative zero');
    if (value >= 0) w.head(MAJOR_UINT, value);
    else w.head(MAJOR_NEGINT, -1 - value);
    return;
  }
  if (Number.isNaN(value)) refuse('NaN');
  if (!Number.isFinite(value)) refuse('an infinite number');
  writeFloat(w, value);
}

function writeObject(w: Writer, value: object, depth: number): void {
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
    refuse(`an instance of ${name}`);
  }
  if (Object.getOwnPropertySymbols(value).length > 0) refuse('a symbol-keyed property');
  const keys = sortedKeys(Object.keys(value));
  w.head(MAJOR_MAP, keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    try {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) refuse('undefined');
      w.text(key);
      write(w, item, depth + 1);
    } catch (error) {
      within(error, `.${key}`);
    }
  }
}

function writeArray(w: Writer, value: readonly unknown[], depth: number): void {
  w.head(MAJOR_ARRAY, value.length);
  for (let i = 0; i < value.length; i++) {
    try {
      if (!(i in value)) refuse('a sparse array');
      write(w, value[i], depth + 1);
    } catch (error) {
      within(error, `[${i}]`);
    }
  }
}

function writeMap(w: Writer, map: ReadonlyMap<unknown, unknown>, depth: number): void {
  const entries: [Uint8Array, unknown][] = [];
  for (const [key, item] of map) {
    if (typeof key !== 'string' && !(typeof key === 'number' && Number.isSafeInteger(key)
      && !Object.is(key, -0))) {
      refuse('a Map key that is neither text nor a safe integer');
    }
    entries.push([encodeAlone(key, depth + 1), item]);
  }
  entries.sort((a, b) => compareBytes(a[0], b[0]));
  w.head(MAJOR_TAG, TAG_MAP);
  w.head(MAJOR_MAP, entries.length);
  for (const [key, item] of entries) {
    w.raw(key);
    try {
      write(w, item, depth + 1);
    } catch (error) {
      within(error, '<map value>');
    }
  }
}

function writeSet(w: Writer, set: ReadonlySet<unknown>, depth: number): void {
  const items: Uint8Array[] = [];
  for (const item of set) {
    try {
      items.push(encodeAlone(item, depth + 1));
    } catch (error) {
      within(error, '<set item>');
    }
  }
  items.sort(compareBytes);
  for (let i = 1; i < items.length; i++) {
    if (compareBytes(items[i - 1]!, items[i]!) === 0) {
      refuse('a Set holding two equal values (distinct objects with the same content)');
    }
  }
  w.head(MAJOR_TAG, TAG_SET);
  w.head(MAJOR_ARRAY, items.length);
  for (const item of items) w.raw(item);
}

function write(w: Writer, value: unknown, depth: number): void {
  switch (typeof value) {
    case 'string': w.text(value); return;
    case 'number': writeNumber(w, value); return;
    case 'boolean': w.byte(value ? SIMPLE_TRUE : SIMPLE_FALSE); return;
    case 'bigint': writeBigint(w, value); return;
    case 'undefined': return refuse('undefined');
    case 'function': return refuse('a function');
    case 'symbol': return refuse('a symbol');
    default: break;
  }
  if (value === null) {
    w.byte(SIMPLE_NULL);
    return;
  }
  if (depth >= MAX_STATE_DEPTH) refuse(`nesting deeper than ${MAX_STATE_DEPTH}`);
  if (Array.isArray(value)) return writeArray(w, value, depth);
  if (value instanceof Uint8Array) {
    if (value.constructor !== Uint8Array && !Buffer.isBuffer(value)) {
      refuse('a Uint8Array subclass');
    }
    w.head(MAJOR_BYTES, value.length);
    w.raw(value);
    return;
  }
  if (value instanceof Map) return writeMap(w, value, depth);
  if (value instanceof Set) return writeSet(w, value, depth);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    refuse(`a ${(value as object).constructor.name} (use Uint8Array)`);
  }
  writeObject(w, value as object, depth);
}

/** One writer reused by top-level encodes (never re-entered: nested values use their own). */
const scratch = new Writer();
let scratchInUse = false;

/** The canonical encoding of a state value. Throws SIM_BAD_STATE for what it cannot represent. */
export function encodeState(value: unknown): Uint8Array {
  const w = scratchInUse ? new Writer() : scratch;
  const shared = w === scratch;
  scratchInUse = true;
  w.length = 0;
  try {
    write(w, value, 0);
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    const path = error.segments.reverse().join('');
    throw new SimError('SIM_BAD_STATE', { what: error.what, path },
      `state value at ${path === '' ? '<root>' : path} cannot be encoded canonically: `
      + error.what);
  } finally {
    if (shared) scratchInUse = false;
  }
  const bytes = w.result();
  assert(bytes.length > 0, 'every value has a non-empty encoding');
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Decoding: a strict reader that accepts exactly the bytes encodeState writes.

class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  take(count: number): Uint8Array {
    if (this.offset + count > this.bytes.length) malformed('truncated', this.offset);
    const out = this.bytes.slice(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  u8(): number {
    if (this.offset >= this.bytes.length) malformed('truncated', this.offset);
    return this.bytes[this.offset++]!;
  }

  /** A head's argument; rejects indefinite lengths and non-minimal forms. */
  argument(info: number, at: number): number {
    if (info < 24) return info;
    let value: number;
    let minimum: number;
    if (info === 24) {
      value = this.u8();
      minimum = 24;
    } else if (info === 25) {
      value = this.u8() * 0x100 + this.u8();
      minimum = 0x100;
    } else if (info === 26) {
      value = ((this.u8() << 24) >>> 0) + (this.u8() << 16) + (this.u8() << 8) + this.u8();
      minimum = 0x10000;
    } else if (info === 27) {
      const high = ((this.u8() << 24) >>> 0) + (this.u8() << 16) + (this.u8() << 8) + this.u8();
      const low = ((this.u8() << 24) >>> 0) + (this.u8() << 16) + (this.u8() << 8) + this.u8();
      if (high >= 0x20_0000) malformed('an integer beyond 2^53', at);
      value = high * 0x1_0000_0000 + low;
      minimum = 0x1_0000_0000;
    } else {
      return malformed(info === 31 ? 'an indefinite length' : 'a reserved head', at);
    }
    if (value < minimum) malformed('a non-minimal head', at);
    return value;
  }
}

function readFloat(r: Reader, initial: number, at: number): number {
  let value: number;
  if (initial === FLOAT16) {
    const bits = r.u8() * 0x100 + r.u8();
    const exponent = (bits >>> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    const magnitude = exponent === 0 ? mantissa * 2 ** -24
      : exponent === 31 ? (mantissa === 0 ? Infinity : NaN)
        : (mantissa + 1024) * 2 ** (exponent - 25);
    value = bits & 0x8000 ? -magnitude : magnitude;
  } else if (initial === FLOAT32) {
    u32OfF32[0] = (((r.u8() << 24) >>> 0) + (r.u8() << 16) + (r.u8() << 8) + r.u8()) >>> 0;
    value = f32[0]!;
  } else {
    for (let i = 7; i >= 0; i--) bytesOfF64[i] = r.u8();
    value = f64[0]!;
  }
  if (!Number.isFinite(value) || Object.is(value, -0)) malformed('NaN, infinity or -0', at);
  if (Number.isSafeInteger(value)) malformed('an integer written as a float', at);
  const canonical = new Writer();
  writeFloat(canonical, value);
  if (canonical.bytes[0] !== initial) malformed('a float wider than it needs', at);
  return value;
}

function readText(r: Reader, length: number, at: number): string {
  if (r.offset + length > r.bytes.length) malformed('truncated', at);
  const b = r.bytes;
  const end = r.offset + length;
  let ascii = true;
  for (let i = r.offset; i < end; i++) {
    if (b[i]! > 0x7f) {
      ascii = false;
      break;
    }
  }
  let text: string;
  if (ascii) {
    // Short keys by hand; longer text (hex digests) through the native latin1 slice.
    if (length <= 16) {
      text = '';
      for (let i = r.offset; i < end; i++) text += String.fromCharCode(b[i]!);
    } else {
      text = Buffer.from(b.buffer, b.byteOffset + r.offset, length).toString('latin1');
    }
  } else {
    try {
      text = textDecoder.decode(b.subarray(r.offset, end));
    } catch (error) {
      if (!isInputRefusal(error)) throw error;
      return malformed('text that is not valid UTF-8', at);
    }
  }
  r.offset = end;
  return text;
}

/** Encoded key `a` (bytes [a0, a1)) sorts strictly before key `b` ([b0, b1)) of the same input. */
function keyBefore(bytes: Uint8Array, a0: number, a1: number, b0: number, b1: number): boolean {
  const n = Math.min(a1 - a0, b1 - b0);
  for (let i = 0; i < n; i++) {
    const d = bytes[a0 + i]! - bytes[b0 + i]!;
    if (d !== 0) return d < 0;
  }
  return a1 - a0 < b1 - b0;
}

function readMap(r: Reader, count: number, depth: number): object {
  const out: Record<string, unknown> = {};
  let previousStart = -1;
  let previousEnd = -1;
  for (let i = 0; i < count; i++) {
    const at = r.offset;
    const key = read(r, depth + 1);
    if (typeof key !== 'string') malformed('a map key that is not text', at);
    if (previousStart >= 0 && !keyBefore(r.bytes, previousStart, previousEnd, at, r.offset)) {
      malformed('map keys not in canonical order, or duplicated', at);
    }
    previousStart = at;
    previousEnd = r.offset;
    const item = read(r, depth + 1);
    if (key === '__proto__') {
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true,
        configurable: true });
    } else {
      out[key] = item;
    }
  }
  return out;
}

function readTagged(r: Reader, tag: number, depth: number, at: number): unknown {
  if (tag === TAG_BIGNUM_POSITIVE || tag === TAG_BIGNUM_NEGATIVE) {
    const initial = r.u8();
    if (initial >> 5 !== MAJOR_BYTES) malformed('a bignum without a byte string', at);
    const bytes = r.take(r.argument(initial & 0x1f, at));
    if (bytes.length === 0 || (bytes.length > 1 && bytes[0] === 0)) {
      malformed('a bignum magnitude that is not minimal', at);
    }
    let magnitude = 0n;
    for (const byte of bytes) magnitude = (magnitude << 8n) | BigInt(byte);
    return tag === TAG_BIGNUM_NEGATIVE ? -1n - magnitude : magnitude;
  }
  const initial = r.u8();
  const count = r.argument(initial & 0x1f, at);
  if (tag === TAG_SET) {
    if (initial >> 5 !== MAJOR_ARRAY) malformed('a set without an array', at);
    const out = new Set<unknown>();
    let previous: Uint8Array | undefined;
    for (let i = 0; i < count; i++) {
      const start = r.offset;
      out.add(read(r, depth + 1));
      const itemBytes = r.bytes.subarray(start, r.offset);
      if (previous !== undefined && compareBytes(previous, itemBytes) >= 0) {
        malformed('set items not in canonical order, or duplicated', start);
      }
      previous = itemBytes;
    }
    return out;
  }
  if (tag === TAG_MAP) {
    if (initial >> 5 !== MAJOR_MAP) malformed('a Map tag without a map', at);
    const out = new Map<unknown, unknown>();
    let previous: Uint8Array | undefined;
    for (let i = 0; i < count; i++) {
      const start = r.offset;
      const key = read(r, depth + 1);
      if (typeof key !== 'string' && typeof key !== 'number') malformed('a Map key type', start);
      const keyBytes = r.bytes.subarray(start, r.offset);
      if (previous !== undefined && compareBytes(previous, keyBytes) >= 0) {
        malformed('Map keys not in canonical order, or duplicated', start);
      }
      previous = keyBytes;
      out.set(key, read(r, depth + 1));
    }
    return out;
  }
  return malformed(`an unknown tag ${tag}`, at);
}

function read(r: Reader, depth: number): unknown {
  if (depth > MAX_STATE_DEPTH) malformed(`nesting deeper than ${MAX_STATE_DEPTH}`, r.offset);
  const at = r.offset;
  const initial = r.u8();
  const major = initial >> 5;
  const info = initial & 0x1f;
  switch (major) {
    case MAJOR_UINT: {
      const value = r.argument(info, at);
      if (!Number.isSafeInteger(value)) malformed('an integer beyond 2^53 - 1', at);
      return value;
    }
    case MAJOR_NEGINT: {
      const value = r.argument(info, at);
      if (!Number.isSafeInteger(value + 1)) malformed('an integer below -(2^53 - 1)', at);
      return -1 - value;
    }
    case MAJOR_BYTES: return r.take(r.argument(info, at));
    case MAJOR_TEXT: return readText(r, r.argument(info, at), at);
    case MAJOR_ARRAY: {
      const count = r.argument(info, at);
      if (count > r.bytes.length - r.offset) malformed('an array longer than the input', at);
      const out: unknown[] = [];
      for (let i = 0; i < count; i++) out.push(read(r, depth + 1));
      return out;
    }
    case MAJOR_MAP: return readMap(r, r.argument(info, at), depth);
    case MAJOR_TAG: return readTagged(r, r.argument(info, at), depth, at);
    default: break;
  }
  if (initial === SIMPLE_FALSE) return false;
  if (initial === SIMPLE_TRUE) return true;
  if (initial === SIMPLE_NULL) return null;
  if (initial === FLOAT16 || initial === FLOAT32 || initial === FLOAT64) {
    return readFloat(r, initial, at);
  }
  return malformed(`simple value 0x${initial.toString(16)} is not state`, at);
}

/**
 * Decodes canonical state bytes. Anything that is not the canonical encoding of some state value
 * (bad CBOR, unknown tags, unsorted or duplicate keys, non-minimal forms, trailing bytes) is
 * SIM_BAD_STATE.
 */
export function decodeState(bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) malformed('empty input', 0);
  const reader = new Reader(bytes);
  const value = read(reader, 0);
  if (reader.offset !== bytes.length) malformed('trailing bytes after the value', reader.offset);
  assert(reader.offset === bytes.length);
  return value;
}

/** SHA-256 of the canonical encoding, lowercase hex: equal states, equal fingerprints. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(encodeState(value)).digest('hex');
}

/** A deep copy through the codec: what a snapshot restored in another process would hold. */
export function roundTrip<T>(value: T): T {
  return decodeState(encodeState(value)) as T;
}
