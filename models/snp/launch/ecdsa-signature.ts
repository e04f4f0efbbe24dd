/**
 * Models: the AMD "ECDSA P-384 with SHA-384" signature structure (SEV-SNP Firmware ABI spec 56860,
 * "ECDSA Signature Format"), as used by ID_BLOCK_SIG and ID_KEY_SIG in ID_AUTH_INFO.
 * Real counterpart: 0x200 bytes: R and S as LE72 (72-byte little-endian, zero padded), then zeros.
 * Differs: nothing. Invariants: R and S fit in 48 bytes (P-384 scalars); bytes 0x90..0x1FF are
 * zero.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { concatBytes, fromLE72, toLE72 } from '../../../sim/kernel/bytes.js';
import { decodeLayout, defineLayout, encodeLayout } from '../../../sim/kernel/layout.js';

export const ECDSA_SIGNATURE = defineLayout({ name: 'ECDSA_SIGNATURE', sizeBytes: 0x200 }, [
  { name: 'r',        offsetBytes: 0x000, sizeBytes: 72,  kind: 'bytes' },   // LE72
  { name: 's',        offsetBytes: 0x048, sizeBytes: 72,  kind: 'bytes' },   // LE72
  { name: 'reserved', offsetBytes: 0x090, sizeBytes: 368, kind: 'mbz' },
] as const);

export const P384_SCALAR_BYTES = 48;

/** IEEE-P1363 r||s (96 bytes, big-endian halves) → the AMD 0x200-byte structure. */
export function encodeEcdsaSignature(rs: Uint8Array): Uint8Array {
  assert(rs.length === 2 * P384_SCALAR_BYTES, 'encodeEcdsaSignature: r||s is 96 bytes');
  const out = encodeLayout(ECDSA_SIGNATURE, {
    r: toLE72(rs.subarray(0, P384_SCALAR_BYTES)), s: toLE72(rs.subarray(P384_SCALAR_BYTES)),
  });
  assert(out.length === ECDSA_SIGNATURE.sizeBytes);
  return out;
}

/**
 * The AMD structure → r||s, or undefined when R or S does not fit a P-384 scalar (hostile bytes:
 * the caller turns that into BAD_SIGNATURE). Throws SNP_BAD_LENGTH / SNP_MBZ_NONZERO for bad bytes.
 */
export function decodeEcdsaSignature(bytes: Uint8Array): Uint8Array | undefined {
  const { value } = decodeLayout(ECDSA_SIGNATURE, bytes);
  const r = fromLE72(value.r, P384_SCALAR_BYTES);
  const s = fromLE72(value.s, P384_SCALAR_BYTES);
  if (r === undefined || s === undefined) return undefined;
  const rs = concatBytes(r, s);
  assert(rs.length === 2 * P384_SCALAR_BYTES);
  return rs;
}
