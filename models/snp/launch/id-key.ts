/**
 * Models: the guest owner's ID key and author key (P-384) and how they sign an ID block
 * (SEV-SNP Firmware ABI spec 56860, LAUNCH_FINISH; the shape sev-snp-measure's snp-create-id-block
 * produces). Real counterpart: keys held by the guest owner, never by the platform.
 * Differs: signatures are deterministic (RFC 6979 via @noble/curves) so runs replay byte for byte;
 * test keys derive from a seeded Rng stream. Invariants: every key is on P-384; ID_BLOCK_SIG signs
 * the 0x60-byte ID block with the ID key; ID_KEY_SIG signs the 0x404-byte ID_KEY with the author
 * key.
 */
import { createPrivateKey } from 'node:crypto';
import { p384 } from '@noble/curves/nist.js';
import { assert } from '../../../sim/kernel/assert.js';
import { SimError, isInputRefusal } from '../../../sim/kernel/errors.js';
import type { Rng } from '../../../sim/kernel/rng.js';
import { encodeEcdsaSignature } from './ecdsa-signature.js';
import {
  ID_BLOCK_VERSION, ID_KEY_ALGO_ECDSA_P384_SHA384, encodeIdAuthInfo, encodeIdBlock, type IdBlock,
} from './id-block.js';
import { encodeEcdsaPublicKey, publicKeyDigest } from './public-key.js';

/** A P-384 key pair: the secret scalar (48 bytes, big-endian) and its SEC1 uncompressed point. */
export type IdSigningKey = Readonly<{ secretKey: Uint8Array; publicKey: Uint8Array }>;

export function idSigningKeyFromSecret(secretKey: Uint8Array): IdSigningKey {
  if (secretKey.length !== 48 || !p384.utils.isValidSecretKey(secretKey)) {
    throw new SimError('SNP_BAD_KEY', { what: 'P-384 secret key' }, 'not a valid P-384 secret key');
  }
  const publicKey = p384.getPublicKey(secretKey, false);
  assert(publicKey.length === 97 && publicKey[0] === 0x04);
  return Object.freeze({ secretKey: secretKey.slice(), publicKey });
}

/** A PEM private key (PKCS#8 or SEC1 "EC PRIVATE KEY") on P-384; anything else is SNP_BAD_KEY. */
export function idSigningKeyFromPem(pem: string, what = 'key'): IdSigningKey {
  let jwk: { crv?: string; d?: string };
  try {
    jwk = createPrivateKey({ key: pem, format: 'pem' }).export({ format: 'jwk' }) as typeof jwk;
  } catch (error) {
    if (!isInputRefusal(error)) throw error;
    throw new SimError('SNP_BAD_KEY', { what }, `${what}: not a PEM private key`);
  }
  if (jwk.crv !== 'P-384' || jwk.d === undefined) {
    throw new SimError('SNP_BAD_KEY', { what, curve: jwk.crv ?? null },
      `${what}: not an EC P-384 private key`);
  }
  const secret = new Uint8Array(Buffer.from(jwk.d, 'base64url'));
  assert(secret.length === 48, 'P-384 JWK d is 48 bytes');
  return idSigningKeyFromSecret(secret);
}

/** A deterministic test key drawn from `rng` (use a dedicated fork, e.g. rng.fork('id-key')). */
export function testIdSigningKey(rng: Rng): IdSigningKey {
  const key = idSigningKeyFromSecret(p384.utils.randomSecretKey(rng.bytes(72)));
  assert(key.secretKey.length === 48);
  return key;
}

/** ECDSA P-384 / SHA-384 in the AMD 0x200-byte format (deterministic k). */
export function signAmdFormat(key: IdSigningKey, message: Uint8Array): Uint8Array {
  const rs = p384.sign(message, key.secretKey, { prehash: true });
  assert(rs.length === 96);
  return encodeEcdsaSignature(rs);
}

export type IdBlockRequest = Readonly<{
  ld: Uint8Array;
  family_id?: Uint8Array;
  image_id?: Uint8Array;
  guest_svn?: number;
  policy: bigint;
  idKey: IdSigningKey;
  /** Without an author key, ID_KEY_SIG and AUTHOR_KEY stay zero and AUTH_KEY_EN must be 0. */
  authorKey?: IdSigningKey;
}>;

export type SignedIdBlock = Readonly<{
  id_block: Uint8Array;
  id_auth_info: Uint8Array;
  id_key_digest: Uint8Array;
  /** 48 zero bytes when there is no author key. */
  author_key_digest: Uint8Array;
  author_key_en: boolean;
}>;

/** Builds and signs an ID block and its ID_AUTH_INFO, as a guest owner would. */
export function signIdBlock(request: IdBlockRequest): SignedIdBlock {
  assert(request.ld.length === 48, 'signIdBlock: ld is 48 bytes');
  const block: IdBlock = {
    ld: request.ld,
    family_id: request.family_id ?? new Uint8Array(16),
    image_id: request.image_id ?? new Uint8Array(16),
    version: ID_BLOCK_VERSION,
    guest_svn: request.guest_svn ?? 0,
    policy: request.policy,
  };
  const id_block = encodeIdBlock(block);
  const idKeyStruct = encodeEcdsaPublicKey(request.idKey.publicKey);
  const author = request.authorKey;
  const authorKeyStruct = author === undefined
    ? new Uint8Array(0x404)
    : encodeEcdsaPublicKey(author.publicKey);
  const id_auth_info = encodeIdAuthInfo({
    id_key_algo: ID_KEY_ALGO_ECDSA_P384_SHA384,
    auth_key_algo: author === undefined ? 0 : ID_KEY_ALGO_ECDSA_P384_SHA384,
    id_block_sig: signAmdFormat(request.idKey, id_block),
    id_key: idKeyStruct,
    id_key_sig: author === undefined ? new Uint8Array(0x200) : signAmdFormat(author, idKeyStruct),
    author_key: authorKeyStruct,
  });
  const result: SignedIdBlock = Object.freeze({
    id_block, id_auth_info,
    id_key_digest: publicKeyDigest(idKeyStruct),
    author_key_digest: author === undefined ? new Uint8Array(48) : publicKeyDigest(authorKeyStruct),
    author_key_en: author !== undefined,
  });
  assert(result.id_auth_info.length === 0x1000);
  return result;
}
