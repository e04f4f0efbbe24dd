/**
 * Models: how Azure Key Vault protects released key material for the requester's RSA key
 *   (the `enc` algorithms of the key release API: RSA_AES_KEY_WRAP_256, RSA_AES_KEY_WRAP_384,
 *   CKM_RSA_AES_KEY_WRAP): an ephemeral AES-256 key-encryption key is encrypted with RSAES-OAEP
 *   (RFC 8017 7.1; SHA-256, SHA-384 or SHA-1 with MGF1 of the same hash, empty label) and the
 *   key material is wrapped under it with AES Key Wrap with Padding (RFC 5649); the ciphertext is
 *   OAEP(KEK) || KWP(material), as confidential-sidecar-containers' `rsaAESKeyUnwrap` reads it.
 *   RSA_AES_KEY_WRAP_256 is "RSA-OAEP-256 plus AES key wrap", the default here.
 * Real counterpart: AKV / Managed HSM's release, and the sidecar's unwrap.
 * Differs: OAEP needs a random seed and the KEK is random in AKV; here both come from the
 *   broker's seeded stream, so the EME-OAEP encoding is built in this file and encrypted with
 *   raw RSA (node:crypto RSA_NO_PADDING); RFC 5649 wrapping is deterministic
 *   (node:crypto `id-aes256-wrap-pad`). The unwrap side uses node:crypto's own OAEP decryption,
 *   so our encoder is checked against an independent implementation on every test.
 * Invariants: ciphertext length = modulus bytes + 8·ceil(material/8) + 8; unwrap(wrap(m)) = m
 *   under the matching private key; the same inputs give the same bytes.
 */
import {
  constants, createCipheriv, createDecipheriv, createHash, privateDecrypt, publicEncrypt,
  type KeyObject,
} from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { concatBytes } from '../../sim/kernel/bytes.js';

export const KEY_WRAP_ALGORITHMS = Object.freeze({
  RSA_AES_KEY_WRAP_256: 'sha256', RSA_AES_KEY_WRAP_384: 'sha384', CKM_RSA_AES_KEY_WRAP: 'sha1',
} as const);
export type KeyWrapAlgorithm = keyof typeof KEY_WRAP_ALGORITHMS;

export function isKeyWrapAlgorithm(name: unknown): name is KeyWrapAlgorithm {
  return typeof name === 'string' && Object.hasOwn(KEY_WRAP_ALGORITHMS, name);
}

const KEK_BYTES = 32;
/** RFC 5649's alternative initial value: A65959A6 || 32-bit message length (node adds it). */
const KWP_IV = Buffer.from('a65959a6', 'hex');

function hashLength(hash: string): number {
  return createHash(hash).digest().length;
}

/** MGF1 (RFC 8017 B.2.1). */
function mgf1(hash: string, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let counter = 0, offset = 0; offset < length; counter++) {
    const c = new Uint8Array(4);
    new DataView(c.buffer).setUint32(0, counter, false);
    const block = createHash(hash).update(seed).update(c).digest();
    out.set(block.subarray(0, Math.min(block.length, length - offset)), offset);
    offset += block.length;
  }
  return out;
}

/** EME-OAEP encoding (RFC 8017 7.1.1 step 2) with an empty label and a caller-chosen seed. */
export function emeOaepEncode(hash: string, message: Uint8Array, seed: Uint8Array,
  modulusBytes: number): Uint8Array {
  const hLen = hashLength(hash);
  assert(seed.length === hLen, 'the OAEP seed is one hash long');
  assert(message.length <= modulusBytes - 2 * hLen - 2, 'message too long for OAEP');
  const lHash = createHash(hash).digest();
  const db = new Uint8Array(modulusBytes - hLen - 1);
  db.set(lHash, 0);
  db[db.length - message.length - 1] = 0x01;
  db.set(message, db.length - message.length);
  const dbMask = mgf1(hash, seed, db.length);
  const maskedDb = db.map((byte, i) => byte ^ dbMask[i]!);
  const seedMask = mgf1(hash, maskedDb, hLen);
  const maskedSeed = seed.map((byte, i) => byte ^ seedMask[i]!);
  const em = concatBytes(new Uint8Array([0]), maskedSeed, maskedDb);
  assert(em.length === modulusBytes && em[0] === 0);
  return em;
}

export type WrapRandomness = Readonly<{ kek: Uint8Array; oaepSeed: Uint8Array }>;

/** How many random bytes a wrap takes: the KEK, then the OAEP seed. */
export function wrapRandomnessBytes(algorithm: KeyWrapAlgorithm): number {
  return KEK_BYTES + hashLength(KEY_WRAP_ALGORITHMS[algorithm]);
}

/** OAEP(KEK) || KWP_KEK(material) for the holder of `publicKey`. */
export function rsaAesKeyWrap(algorithm: KeyWrapAlgorithm, publicKey: KeyObject,
  material: Uint8Array, randomness: WrapRandomness): Uint8Array {
  assert(randomness.kek.length === KEK_BYTES, 'an AES-256 KEK');
  assert(material.length > 0, 'something to wrap');
  const modulusBits = publicKey.asymmetricKeyDetails?.modulusLength;
  assert(modulusBits !== undefined && modulusBits % 8 === 0, 'an RSA key of whole bytes');
  const hash = KEY_WRAP_ALGORITHMS[algorithm];
  const em = emeOaepEncode(hash, randomness.kek, randomness.oaepSeed, modulusBits / 8);
  const encryptedKek = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, em);
  const cipher = createCipheriv('id-aes256-wrap-pad', randomness.kek, KWP_IV);
  const wrapped = Buffer.concat([cipher.update(material), cipher.final()]);
  assert(wrapped.length === 8 * Math.ceil(material.length / 8) + 8, 'RFC 5649 length');
  return concatBytes(encryptedKek, wrapped);
}

/** The requester's side: node:crypto's OAEP decryption, then RFC 5649 unwrapping. */
export function rsaAesKeyUnwrap(algorithm: KeyWrapAlgorithm, privateKey: KeyObject,
  ciphertext: Uint8Array): Uint8Array {
  const modulusBits = privateKey.asymmetricKeyDetails?.modulusLength;
  assert(modulusBits !== undefined, 'an RSA private key');
  const k = modulusBits / 8;
  assert(ciphertext.length > k + 8, 'an encrypted KEK and a wrapped key');
  const kek = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING,
    oaepHash: KEY_WRAP_ALGORITHMS[algorithm] }, ciphertext.subarray(0, k));
  const decipher = createDecipheriv('id-aes256-wrap-pad', kek, KWP_IV);
  const material = Buffer.concat([decipher.update(ciphertext.subarray(k)), decipher.final()]);
  assert(kek.length === KEK_BYTES);
  return new Uint8Array(material);
}
