/**
 * Models: nothing real. The explorer's key for a world state: a Merkle digest of the state's
 * plain data, one-to-one with the canonical encoding (two states share a key only when their
 * encodings are equal, barring a SHA-256 collision), computed incrementally.
 * Method: state is immutable and structurally shared, so a step makes a few new records and
 * keeps the rest as the very same objects. Each record's digest is cached by object identity:
 * SHA-256 of a node text that lists its keys (sorted) or items, each child as its canonical
 * encoding (primitives) or its own digest (records, arrays, bytes). A new state costs the hashing
 * of the records the step made, not of the 50 KB snapshot (`fingerprint` hashes all of it).
 * The key leaves out the world's clock and trace position: they count steps and events, and no
 * step reads them (a test checks that two worlds differing only there step alike), so keeping
 * them would make every path a state of its own.
 * Invariants: node texts are prefix-free (a kind byte, then lengths before contents), so distinct
 * values give distinct texts; a cached digest is never handed out for writing; the key is 16
 * bytes (128 bits: a collision among 10^9 states has probability below 10^-20).
 */
import { hash } from 'node:crypto';
import { assert } from '../kernel/assert.js';
import { encodeState } from '../kernel/codec.js';
import type { World } from '../world.js';

/** Bytes of a state key. */
export const STATE_KEY_BYTES = 16;

const digests = new WeakMap<object, Buffer>();

const KIND_RECORD = 0x52;   // 'R'
const KIND_ARRAY = 0x41;    // 'A'
const KIND_LEAF = 0x4c;     // 'L': a value encoded whole by the codec (bytes, maps, sets)
const REF_DIGEST = 0x01;    // a 32-byte child digest follows
const REF_STRING = 0x02;    // u32 byte length, UTF-8
const REF_NUMBER = 0x03;    // float64 big-endian
const REF_FALSE = 0x04;
const REF_TRUE = 0x05;
const REF_NULL = 0x06;
const REF_OTHER = 0x07;     // u32 length, the codec's encoding (bigint)
const REF_LONG_STRING = 0x08;  // the 32-byte digest of a long string's UTF-8

/** Long strings (sealed blocks as hex) are hashed once and referred to by digest. */
const LONG_STRING = 512;
const longStrings = new Map<string, Buffer>();
const LONG_STRINGS_KEPT = 65_536;

function longStringDigest(value: string): Buffer {
  const known = longStrings.get(value);
  if (known !== undefined) return known;
  if (longStrings.size >= LONG_STRINGS_KEPT) longStrings.clear();
  const digest = hash('sha256', value, 'buffer');
  longStrings.set(value, digest);
  return digest;
}

/** One node text at a time: children's digests are computed before their parent is written. */
let text = Buffer.allocUnsafe(1 << 16);
let at = 0;

function room(bytes: number): void {
  if (at + bytes <= text.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(text.length * 2, at + bytes));
  text.copy(bigger, 0, 0, at);
  text = bigger;
}

function writeByte(byte: number): void {
  room(1);
  text[at++] = byte;
}

function writeLength(n: number): void {
  assert(Number.isSafeInteger(n) && n >= 0 && n < 0x1_0000_0000, 'a length below 2^32');
  room(4);
  text.writeUInt32BE(n, at);
  at += 4;
}

function writeBytes(bytes: Uint8Array): void {
  room(bytes.length);
  text.set(bytes, at);
  at += bytes.length;
}

function writeString(value: string): void {
  const length = Buffer.byteLength(value, 'utf8');
  writeLength(length);
  room(length);
  at += text.write(value, at, 'utf8');
}

function isPlainRecord(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return (proto === Object.prototype || proto === null)
    && Object.getOwnPropertySymbols(value).length === 0;
}

/** A child's digest when it is an object (computed first, so writing the parent is flat). */
function childDigest(value: unknown): Buffer | null {
  return value !== null && typeof value === 'object' ? digestOf(value) : null;
}

function writeChild(value: unknown, digest: Buffer | null): void {
  if (digest !== null) {
    writeByte(REF_DIGEST);
    writeBytes(digest);
  } else if (typeof value === 'string' && value.length >= LONG_STRING) {
    writeByte(REF_LONG_STRING);
    writeBytes(longStringDigest(value));
  } else if (typeof value === 'string') {
    writeByte(REF_STRING);
    writeString(value);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) encodeState(value);       // refused there
    writeByte(REF_NUMBER);
    room(8);
    text.writeDoubleBE(value, at);
    at += 8;
  } else if (typeof value === 'boolean') {
    writeByte(value ? REF_TRUE : REF_FALSE);
  } else if (value === null) {
    writeByte(REF_NULL);
  } else {
    const encoded = encodeState(value);                     // bigint; anything else refused
    writeByte(REF_OTHER);
    writeLength(encoded.length);
    writeBytes(encoded);
  }
}

function nodeDigest(value: object): Buffer {
  if (Array.isArray(value)) {
    const refs: (Buffer | null)[] = [];
    for (let i = 0; i < value.length; i++) {
      // encodeState refuses holes and undefined with the path; let it say so.
      if (!(i in value) || value[i] === undefined) encodeState(value);
      refs.push(childDigest(value[i]));
    }
    at = 0;
    writeByte(KIND_ARRAY);
    writeLength(value.length);
    for (let i = 0; i < value.length; i++) writeChild(value[i], refs[i]!);
  } else if (!(value instanceof Uint8Array) && !(value instanceof Map) && !(value instanceof Set)
    && isPlainRecord(value)) {
    const record = value as Readonly<Record<string, unknown>>;
    const keys = Object.keys(record).sort();
    const refs: (Buffer | null)[] = [];
    for (const key of keys) {
      if (record[key] === undefined) encodeState(value);    // refused there, with its path
      refs.push(childDigest(record[key]));
    }
    at = 0;
    writeByte(KIND_RECORD);
    writeLength(keys.length);
    for (let i = 0; i < keys.length; i++) {
      writeString(keys[i]!);
      writeChild(record[keys[i]!], refs[i]!);
    }
  } else {
    const encoded = encodeState(value);
    at = 0;
    writeByte(KIND_LEAF);
    writeBytes(encoded);
  }
  return hash('sha256', text.subarray(0, at), 'buffer');
}

/** The Merkle digest of a plain value (records and arrays by identity-cached child digests). */
export function digestOf(value: object): Buffer {
  const cached = digests.get(value);
  if (cached !== undefined) return cached;
  const digest = nodeDigest(value);
  assert(digest.length === 32, 'a SHA-256 digest');
  digests.set(value, digest);
  return digest;
}

/**
 * The explorer's key of a world: config digest and every part of the state except the clock
 * and the trace position, 16 bytes.
 */
export function stateKey(world: World): Buffer {
  const { clock: _clock, trace: _trace, ...rest } = world.state;
  const names = Object.keys(rest).sort() as (keyof typeof rest)[];
  const refs = names.map((name) => childDigest(rest[name]));
  at = 0;
  writeBytes(Buffer.from(world.configDigest, 'hex'));
  assert(at === 32, 'a config digest');
  for (let i = 0; i < names.length; i++) {
    writeString(names[i]!);
    writeChild(rest[names[i]!], refs[i]!);
  }
  const key = hash('sha256', text.subarray(0, at), 'buffer').subarray(0,
    STATE_KEY_BYTES);
  assert(key.length === STATE_KEY_BYTES, 'a 16-byte key');
  return key;
}
