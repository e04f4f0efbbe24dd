/**
 * Models: RSASSA-PSS with SHA-384, MGF1-SHA-384, salt length 48 and trailer 0xBC (RFC 8017 §8.1
 * and §9.1 EMSA-PSS), the signature scheme of every AMD ARK/ASK/ASVK signature (spec snp.md e.3).
 * Real counterpart: AMD's HSM signing certificates and CRLs.
 * Differs: the salt is an input (parma-sim draws it from the seeded stream), so the same seed gives
 *   byte-identical signatures; node:crypto's PSS signing would pick a random salt. The encoding is
 *   ours (RFC 8017 §9.1.1) and the RSA private operation is node:crypto's raw RSADP
 *   (privateEncrypt with RSA_NO_PADDING).
 * Invariants: every signature we make verifies under node:crypto's own PSS verifier (checked after
 *   signing, ~80 µs); salt is exactly 48 bytes; the encoded message is below the modulus.
 */
import { constants, createHash, privateEncrypt, verify, type KeyObject } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';

export const PSS_HASH = 'sha384';
export const PSS_HASH_BYTES = 48;
export const PSS_SALT_BYTES = 48;
const TRAILER = 0xbc;

function sha384(...parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash(PSS_HASH);
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** MGF1 with SHA-384 (RFC 8017 §B.2.1). */
export function mgf1Sha384(seed: Uint8Array, length: number): Uint8Array {
  assert(Number.isSafeInteger(length) && length > 0, 'mgf1: length');
  const out = new Uint8Array(length);
  const counter = new Uint8Array(4);
  for (let offset = 0, i = 0; offset < length; i++, offset += PSS_HASH_BYTES) {
    new DataView(counter.buffer).setUint32(0, i, false);
    const block = sha384(seed, counter);
    out.set(block.subarray(0, Math.min(PSS_HASH_BYTES, length - offset)), offset);
  }
  return out;
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) of `message` for a modulus of `modulusBits` bits. */
export function emsaPssEncode(message: Uint8Array, salt: Uint8Array,
  modulusBits: number): Uint8Array {
  assert(salt.length === PSS_SALT_BYTES, 'PSS salt must be 48 bytes');
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  assert(emLen >= PSS_HASH_BYTES + PSS_SALT_BYTES + 2, 'modulus too small for PSS-SHA384');
  const mHash = sha384(message);
  const h = sha384(new Uint8Array(8), mHash, salt); // M' = 8 zero bytes || mHash || salt
  const db = new Uint8Array(emLen - PSS_HASH_BYTES - 1); // PS || 0x01 || salt
  db[db.length - PSS_SALT_BYTES - 1] = 0x01;
  db.set(salt, db.length - PSS_SALT_BYTES);
  const mask = mgf1Sha384(h, db.length);
  for (let i = 0; i < db.length; i++) db[i] = db[i]! ^ mask[i]!;
  db[0] = db[0]! & (0xff >>> (8 * emLen - emBits)); // clear the leftmost 8*emLen - emBits bits
  const em = new Uint8Array(emLen);
  em.set(db, 0);
  em.set(h, db.length);
  em[emLen - 1] = TRAILER;
  assert(em.length === emLen);
  return em;
}

/** RSASSA-PSS-SIGN (RFC 8017 §8.1.1) with a caller-chosen salt: deterministic for a fixed salt. */
export function rsaPssSign(
  options: Readonly<{ privateKey: KeyObject; message: Uint8Array; salt: Uint8Array }>,
): Uint8Array {
  const { privateKey, message, salt } = options;
  assert(privateKey.asymmetricKeyType === 'rsa', 'rsaPssSign: RSA key');
  const modulusBits = privateKey.asymmetricKeyDetails?.modulusLength;
  assert(modulusBits !== undefined && modulusBits % 8 === 0, 'rsaPssSign: modulus of whole bytes');
  const em = emsaPssEncode(message, salt, modulusBits);
  // emBits = modBits - 1 and modBits % 8 == 0, so emLen == k and EM < 2^(k*8-1) <= n.
  assert(em.length === modulusBits / 8, 'EM fills the modulus length');
  const signature = new Uint8Array(
    privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, em));
  assert(signature.length === modulusBits / 8, 'signature has the modulus length');
  assert(rsaPssVerify({ publicKey: privateKey, message, signature }),
    'our PSS signature verifies under node:crypto');
  return signature;
}

/** RSASSA-PSS-VERIFY with SHA-384 / MGF1-SHA-384 / salt 48 (node:crypto; salt length enforced). */
export function rsaPssVerify(
  options: Readonly<{ publicKey: KeyObject; message: Uint8Array; signature: Uint8Array }>,
): boolean {
  return verify(PSS_HASH, options.message, {
    key: options.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_BYTES,
  }, options.signature);
}
