/**
 * Models: reading DER (ITU-T X.690 Distinguished Encoding Rules), the encoding of every AMD
 *   certificate and CRL (spec snp.md e.2, e.3): tag-length-value elements, definite lengths in
 *   their shortest form, and the few universal types X.509 needs (INTEGER, BOOLEAN, BIT STRING,
 *   OCTET STRING, OBJECT IDENTIFIER, the string types, UTCTime, GeneralizedTime).
 * Real counterpart: the DER readers inside openssl and Go's encoding/asn1.
 * Differs: low-tag-number form only (tags 0..30, all X.509 uses); no indefinite lengths, no BER.
 *   Written here rather than loaded from @peculiar/asn1-schema because loading that stack costs
 *   about 0.15 s of CPU per process, twice node's whole start-up (measured for `snp verify`);
 *   the issuer still builds with @peculiar, and a test checks both agree on every real
 *   certificate.
 * Invariants: a reader never reads past its element; an element's length is the shortest DER
 *   form; bad input is SimError SNP_BAD_CERT (hostile bytes never crash); every function is pure.
 */
import { assert } from '../../sim/kernel/assert.js';
import { bigintFromBytesBE } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';

/** Universal tags (X.690 §8.1.2.2 table), constructed bit included where DER always sets it. */
export const DER_TAG = Object.freeze({
  BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06,
  UTF8_STRING: 0x0c, PRINTABLE_STRING: 0x13, T61_STRING: 0x14, IA5_STRING: 0x16,
  UTC_TIME: 0x17, GENERALIZED_TIME: 0x18, BMP_STRING: 0x1e, SEQUENCE: 0x30, SET: 0x31,
} as const);

/** [n] context-specific, constructed (EXPLICIT tagging) and primitive (IMPLICIT) tags. */
export const contextTag = (n: number, constructed = true): number =>
  0x80 | (constructed ? 0x20 : 0) | n;

/** One DER element: its tag, its content, and the whole encoding (tag + length + content). */
export type DerElement = Readonly<{ tag: number; content: Uint8Array; encoded: Uint8Array }>;

const MAX_ELEMENT_BYTES = 1 << 24;

export function derError(what: string, reason: string): SimError {
  return new SimError('SNP_BAD_CERT', { structure: what, reason }, `${what}: ${reason}`);
}

/** Reads the element at `offset`; returns it and the offset after it. */
function readAt(bytes: Uint8Array, offset: number, what: string): [DerElement, number] {
  if (offset + 2 > bytes.length) throw derError(what, 'truncated element');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw derError(what, 'high tag numbers are not used in X.509');
  let length = bytes[offset + 1]!;
  let at = offset + 2;
  if (length === 0x80) throw derError(what, 'indefinite length is not DER');
  if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 3 || at + count > bytes.length) throw derError(what, 'length out of range');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[at + i]!;
    at += count;
    if (length < 0x80 || bytes[at - count] === 0) {
      throw derError(what, 'length not in its shortest form (not DER)');
    }
  }
  if (length > MAX_ELEMENT_BYTES || at + length > bytes.length) {
    throw derError(what, 'element runs past its container');
  }
  const element = {
    tag, content: bytes.subarray(at, at + length), encoded: bytes.subarray(offset, at + length),
  };
  assert(element.encoded.length === at + length - offset, 'encoded spans tag to content end');
  return [element, at + length];
}

/** The one element `bytes` holds, with no byte left over. */
export function derParse(bytes: Uint8Array, what: string): DerElement {
  const [element, end] = readAt(bytes, 0, what);
  if (end !== bytes.length) throw derError(what, `${bytes.length - end} bytes after the element`);
  assert(element.encoded.length === bytes.length);
  return element;
}

/** The children of a constructed element, in order. */
export function derChildren(element: DerElement, what: string): DerElement[] {
  if ((element.tag & 0x20) === 0) throw derError(what, 'expected a constructed element');
  const out: DerElement[] = [];
  for (let at = 0; at < element.content.length;) {
    const [child, next] = readAt(element.content, at, what);
    out.push(child);
    at = next;
    if (out.length > 4096) throw derError(what, 'more than 4096 children');
  }
  return out;
}

/** The element must carry `tag`. */
export function derExpect(element: DerElement | undefined, tag: number,
  what: string): DerElement {
  if (element === undefined) throw derError(what, `missing (expected tag 0x${tag.toString(16)})`);
  if (element.tag !== tag) {
    throw derError(what, `tag 0x${element.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  }
  return element;
}

/** The children of a SEQUENCE (or of a constructed `tag`). */
export function derSequence(element: DerElement | undefined, what: string,
  tag: number = DER_TAG.SEQUENCE): DerElement[] {
  return derChildren(derExpect(element, tag, what), what);
}

/** A non-negative INTEGER (serials, SPLs, salt lengths), minimally encoded. */
export function derUnsigned(element: DerElement | undefined, what: string,
  tag: number = DER_TAG.INTEGER): bigint {
  const content = derExpect(element, tag, what).content;
  if (content.length === 0) throw derError(what, 'empty INTEGER');
  if (content.length > 1 && content[0] === 0 && content[1]! < 0x80) {
    throw derError(what, 'INTEGER not minimally encoded');
  }
  if (content[0]! >= 0x80) throw derError(what, 'negative INTEGER');
  return bigintFromBytesBE(content);
}

export function derBoolean(element: DerElement, what: string): boolean {
  const content = derExpect(element, DER_TAG.BOOLEAN, what).content;
  if (content.length !== 1 || (content[0] !== 0 && content[0] !== 0xff)) {
    throw derError(what, 'BOOLEAN is not 00 or FF');
  }
  return content[0] === 0xff;
}

/** BIT STRING → its bytes and number of unused bits. */
export function derBitString(element: DerElement | undefined,
  what: string): Readonly<{ bytes: Uint8Array; unusedBits: number }> {
  const content = derExpect(element, DER_TAG.BIT_STRING, what).content;
  const unusedBits = content[0];
  if (unusedBits === undefined || unusedBits > 7 || (content.length === 1 && unusedBits !== 0)) {
    throw derError(what, 'malformed BIT STRING');
  }
  return { bytes: content.subarray(1), unusedBits };
}

/** OBJECT IDENTIFIER → dotted text. */
export function derOid(element: DerElement | undefined, what: string): string {
  const content = derExpect(element, DER_TAG.OID, what).content;
  if (content.length === 0 || content[content.length - 1]! >= 0x80) {
    throw derError(what, 'malformed OBJECT IDENTIFIER');
  }
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const byte = content[i]!;
    if (value === 0 && byte === 0x80) throw derError(what, 'OID arc not minimally encoded');
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw derError(what, 'OID arc too large');
    if (byte < 0x80) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift()!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

const STRING_TAGS: readonly number[] = Object.freeze([
  DER_TAG.UTF8_STRING, DER_TAG.PRINTABLE_STRING, DER_TAG.T61_STRING, DER_TAG.IA5_STRING,
  DER_TAG.BMP_STRING,
]);

/** A directory or IA5 string as text (BMPString is UTF-16BE; the others are read as UTF-8). */
export function derString(element: DerElement | undefined, what: string): string {
  if (element === undefined || !STRING_TAGS.includes(element.tag)) {
    throw derError(what, 'expected a string');
  }
  if (element.tag === DER_TAG.BMP_STRING) {
    if (element.content.length % 2 !== 0) throw derError(what, 'odd-length BMPString');
    return new TextDecoder('utf-16be').decode(element.content);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(element.content);
}

/** UTCTime (YYMMDDHHMMSSZ, 1950..2049) or GeneralizedTime (YYYYMMDDHHMMSSZ) → Date. */
export function derTime(element: DerElement | undefined, what: string): Date {
  if (element === undefined) throw derError(what, 'missing time');
  const text = new TextDecoder('latin1').decode(element.content);
  const utc = element.tag === DER_TAG.UTC_TIME ? /^(\d{2})(\d{10})Z$/.exec(text) : null;
  const general = element.tag === DER_TAG.GENERALIZED_TIME ? /^(\d{4})(\d{10})Z$/.exec(text)
    : null;
  const match = utc ?? general;
  if (match === null) throw derError(what, 'not a DER UTCTime or GeneralizedTime');
  let year = Number(match[1]);
  if (utc !== null) year += year < 50 ? 2000 : 1900;
  const [mo, d, h, mi, s] = match[2]!.match(/\d{2}/g)!.map(Number) as
    [number, number, number, number, number];
  const ms = Date.UTC(year, mo - 1, d, h, mi, s);
  const date = new Date(ms);
  if (Number.isNaN(ms) || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 ||
    mi > 59 || s > 59) {
    throw derError(what, `impossible date ${text}`);
  }
  return date;
}
