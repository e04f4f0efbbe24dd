/**
 * Models: the ATTESTATION_REPORT signature (ABI spec 56860, "ECDSA P-384 with SHA-384 signature"
 * format; spec snp.md a.2): R at +0x00 and S at +0x48 of the 0x200-byte field, each LE72, the rest
 * zero; the signed bytes are [0x000, 0x2A0).
 * Real counterpart: the AMD-SP signing with the VCEK or VLEK.
 * Differs: signing is deterministic (RFC 6979 via @noble/curves), so one seed gives one report.
 * Invariants: the signature never covers itself; R and S fit in 48 bytes.
 */
import { p384 } from '@noble/curves/nist.js';
import { assert } from '../../sim/kernel/assert.js';
import { concatBytes, fromLE72, toLE72 } from '../../sim/kernel/bytes.js';
import { REPORT_BYTES, SIGNATURE_OFFSET, SIGNED_BYTES, signedSpan } from './attestation-report.js';
import type { EndorsementKey } from './endorsement-keys.js';

const SCALAR_BYTES = 48;
const R_OFFSET = SIGNATURE_OFFSET;
const S_OFFSET = SIGNATURE_OFFSET + 72;

/**
 * Signs a report in place of its signature field: returns new bytes with R and S (LE72) written
 * and every other byte of the signature field zero. The input is not modified.
 */
export function signAttestationReport(unsigned: Uint8Array, key: EndorsementKey): Uint8Array {
  assert(unsigned.length === REPORT_BYTES, 'signAttestationReport: report must be 0x4A0 bytes');
  assert(key.privateKey.length === SCALAR_BYTES, 'signAttestationReport: P-384 key');
  const compact = p384.sign(signedSpan(unsigned), key.privateKey); // SHA-384 prehash, RFC 6979
  assert(compact.length === 2 * SCALAR_BYTES);
  const signed = new Uint8Array(REPORT_BYTES);
  signed.set(unsigned.subarray(0, SIGNED_BYTES));
  signed.set(toLE72(compact.subarray(0, SCALAR_BYTES)), R_OFFSET);
  signed.set(toLE72(compact.subarray(SCALAR_BYTES)), S_OFFSET);
  assert(signed.length === REPORT_BYTES);
  return signed;
}

/**
 * The report's signature as IEEE-P1363 r||s (96 bytes), or undefined when R or S does not fit
 * in 48 bytes (then it cannot be a P-384 signature).
 */
export function reportSignatureP1363(report: Uint8Array): Uint8Array | undefined {
  assert(report.length === REPORT_BYTES, 'report must be 0x4A0 bytes');
  const r = fromLE72(report.subarray(R_OFFSET, R_OFFSET + 72), SCALAR_BYTES);
  const s = fromLE72(report.subarray(S_OFFSET, S_OFFSET + 72), SCALAR_BYTES);
  if (r === undefined || s === undefined) return undefined;
  return concatBytes(r, s);
}

/** r||s (P1363) → DER ECDSA-Sig-Value, as `openssl dgst -verify` wants it. */
export function p1363ToDer(p1363: Uint8Array): Uint8Array {
  assert(p1363.length % 2 === 0 && p1363.length > 0, 'p1363 signature has two equal halves');
  const half = p1363.length / 2;
  const integer = (bytes: Uint8Array): Uint8Array => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const body = bytes.subarray(start);
    const padded = body[0]! >= 0x80 ? concatBytes(new Uint8Array([0]), body) : body;
    return concatBytes(new Uint8Array([0x02, padded.length]), padded);
  };
  const content = concatBytes(integer(p1363.subarray(0, half)), integer(p1363.subarray(half)));
  assert(content.length < 0x80, 'short-form DER length suffices for P-384');
  return concatBytes(new Uint8Array([0x30, content.length]), content);
}
