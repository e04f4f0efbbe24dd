/**
 * Models: the AMD ECDSA public key structure (SEV-SNP Firmware ABI spec 56860, "ECDSA Public Key
 * Format"), used for ID_KEY and AUTHOR_KEY in ID_AUTH_INFO, and the key digests the report carries.
 * Real counterpart: 0x404 bytes: CURVE u32 (2 = P-384), QX and QY as LE72, then reserved zeros.
 * ID_KEY_DIGEST / AUTHOR_KEY_DIGEST = SHA-384 over all 0x404 bytes.
 * Differs: only P-384 is accepted (the firmware also refuses other curves for ID keys).
 * Invariants: QX/QY fit in 48 bytes; the point is on P-384 (checked by `publicKeyPoint`).
 */
import { hash } from 'node:crypto';
import { p384 } from '@noble/curves/nist.js';
import { assert } from '../../../sim/kernel/assert.js';
import { concatBytes, fromLE72, toLE72 } from '../../../sim/kernel/bytes.js';
import { isInputRefusal } from '../../../sim/kernel/errors.js';
import { decodeLayout, defineLayout, encodeLayout } from '../../../sim/kernel/layout.js';

export const ECDSA_PUBLIC_KEY = defineLayout({ name: 'ECDSA_PUBLIC_KEY', sizeBytes: 0x404 }, [
  { name: 'curve',    offsetBytes: 0x000, sizeBytes: 4,     kind: 'u32le' },
  { name: 'qx',       offsetBytes: 0x004, sizeBytes: 72,    kind: 'bytes' },   // LE72
  { name: 'qy',       offsetBytes: 0x04c, sizeBytes: 72,    kind: 'bytes' },   // LE72
  { name: 'reserved', offsetBytes: 0x094, sizeBytes: 0x370, kind: 'mbz' },
] as const);

/** EC curve ids inside AMD public-key structs. */
export const EC_CURVE = Object.freeze({ P256: 1, P384: 2 } as const);
const COORDINATE_BYTES = 48;

/** Uncompressed SEC1 P-384 point (0x04 || X || Y, 97 bytes) → the AMD 0x404-byte structure. */
export function encodeEcdsaPublicKey(sec1: Uint8Array): Uint8Array {
  assert(sec1.length === 1 + 2 * COORDINATE_BYTES && sec1[0] === 0x04,
    'encodeEcdsaPublicKey: SEC1');
  const out = encodeLayout(ECDSA_PUBLIC_KEY, {
    curve: EC_CURVE.P384,
    qx: toLE72(sec1.subarray(1, 1 + COORDINATE_BYTES)),
    qy: toLE72(sec1.subarray(1 + COORDINATE_BYTES)),
  });
  assert(out.length === ECDSA_PUBLIC_KEY.sizeBytes);
  return out;
}

/**
 * The AMD structure → uncompressed SEC1 point, or undefined when the curve is not P-384, a
 * coordinate does not fit, or the point is not on the curve (the firmware's BAD_SIGNATURE cases).
 */
export function publicKeyPoint(bytes: Uint8Array): Uint8Array | undefined {
  const { value } = decodeLayout(ECDSA_PUBLIC_KEY, bytes, { strict: false });
  if (value.curve !== EC_CURVE.P384) return undefined;
  const x = fromLE72(value.qx, COORDINATE_BYTES);
  const y = fromLE72(value.qy, COORDINATE_BYTES);
  if (x === undefined || y === undefined) return undefined;
  const sec1 = concatBytes(new Uint8Array([0x04]), x, y);
  try {
    p384.Point.fromBytes(sec1).assertValidity();
  } catch (error) {
    if (!isInputRefusal(error)) throw error;
    return undefined;
  }
  assert(sec1.length === 97);
  return sec1;
}

/** ID_KEY_DIGEST / AUTHOR_KEY_DIGEST: SHA-384 over the whole 0x404-byte structure. */
export function publicKeyDigest(publicKeyStruct: Uint8Array): Uint8Array {
  assert(publicKeyStruct.length === ECDSA_PUBLIC_KEY.sizeBytes, 'publicKeyDigest: 0x404 bytes');
  const digest = hash('sha384', publicKeyStruct, 'buffer');
  assert(digest.length === 48);
  return new Uint8Array(digest);
}
