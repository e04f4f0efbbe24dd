/**
 * Models: nothing real. Byte helpers shared by every codec: hex, little-endian integers, and the
 * AMD "LE72" convention (a 72-byte little-endian zero-padded integer, SEV-SNP ABI spec 56860).
 * Hostile hex strings get a SimError; wrong sizes from our own code are assertions.
 */
import { assert } from './assert.js';
import { SimError } from './errors.js';

const HEX = '0123456789abcdef';

/**
 * Bytes held in model state: lowercase hex text. JavaScript strings are immutable, so state bytes
 * cannot be changed through a reference someone holds, and snapshots can share them freely.
 */
export type Hex = string;

const HEX_PATTERN = /^(?:[0-9a-f]{2})*$/;

/** True when `text` is lowercase hex of exactly `bytes` bytes. */
export function isHexOf(text: unknown, bytes: number): text is Hex {
  return typeof text === 'string' && text.length === 2 * bytes && HEX_PATTERN.test(text);
}

/** Fresh bytes of state hex (our own data: a bad value is an assertion, not input). */
export function hexBytes(hex: Hex): Uint8Array {
  assert(hex.length % 2 === 0, 'state hex has an even length');
  const out = new Uint8Array(Buffer.from(hex, 'hex'));
  assert(out.length * 2 === hex.length, 'state hex is hex');
  return out;
}

export function toHex(bytes: Uint8Array): Hex {
  if (bytes.length > 16) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
    .toString('hex');
  let out = '';
  for (const byte of bytes) out += HEX[byte >>> 4]! + HEX[byte & 0xf]!;
  return out;
}

/** Decodes hex (an optional 0x prefix is accepted); `what` names the argument in the error. */
export function fromHex(text: string, what = 'hex', expectedBytes?: number): Uint8Array {
  const clean = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new SimError('SIM_USAGE', { what, text: text.slice(0, 80) }, `${what}: not a hex string`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  if (expectedBytes !== undefined && out.length !== expectedBytes) {
    throw new SimError('SIM_USAGE', { what, expectedBytes, actualBytes: out.length },
      `${what}: expected ${expectedBytes} bytes, got ${out.length}`);
  }
  return out;
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  assert(offset === length);
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function isAllZero(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte !== 0) return false;
  return true;
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Unsigned big-endian bytes → bigint. */
export function bigintFromBytesBE(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** bigint → `length` unsigned big-endian bytes. */
export function bigintToBytesBE(value: bigint, length: number): Uint8Array {
  assert(value >= 0n, 'bigintToBytesBE: negative');
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  assert(rest === 0n, 'bigintToBytesBE: value does not fit');
  return out;
}

export const LE72_BYTES = 72;

/** Big-endian unsigned integer bytes (e.g. a 48-byte P-384 scalar) → 72-byte LE72 field. */
export function toLE72(bigEndian: Uint8Array): Uint8Array {
  assert(bigEndian.length <= LE72_BYTES, 'toLE72: value longer than 72 bytes');
  const out = new Uint8Array(LE72_BYTES);
  for (let i = 0; i < bigEndian.length; i++) out[i] = bigEndian[bigEndian.length - 1 - i]!;
  return out;
}

/** 72-byte LE72 field → `length` big-endian bytes; returns undefined if it does not fit. */
export function fromLE72(le72: Uint8Array, length: number): Uint8Array | undefined {
  assert(le72.length === LE72_BYTES, 'fromLE72: field must be 72 bytes');
  for (let i = length; i < LE72_BYTES; i++) if (le72[i] !== 0) return undefined;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = le72[length - 1 - i]!;
  return out;
}
