/**
 * Models: the AMD root of trust for SEV-SNP: ARK (AMD Root Key), ASK (AMD SEV Key, signs VCEKs) and
 * ASVK (AMD SEV VLEK Key, signs VLEKs), one set per product (KDS spec 57230; spec snp.md e.3).
 * Real counterpart: AMD's RSA-4096 keys held in AMD's HSMs.
 * Differs: TEST-ONLY RSA-4096 keys that parma-sim generated once with `openssl genpkey` and commits
 *   in models/snp/test-keys/ (see the README there). They protect nothing. Keys are never generated
 *   at run time (spec perf-notes.md: ~1 s each and random).
 * Invariants: every key is RSA with a 4096-bit modulus and e = 65537; the PEM comes from the
 *   generated module amd-test-key-pems.ts (equal to the committed files, a test checks), so
 *   nothing here reads a file; each key is parsed at most once per process (the kernel memo).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { memo } from '../../sim/kernel/memo.js';
import { AMD_TEST_KEY_PEMS } from './amd-test-key-pems.js';
import type { Product } from './product.js';

export const AMD_KEY_ROLES = ['ark', 'ask', 'asvk'] as const;
export type AmdKeyRole = (typeof AMD_KEY_ROLES)[number];

export type AmdTestKey = Readonly<{
  product: Product;
  role: AmdKeyRole;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo (rsaEncryption). */
  spkiDer: Uint8Array;
  modulusBits: number;
}>;

/**
 * The TEST-ONLY key of `role` for `product`. Parsing an RSA-4096 PEM costs about a millisecond,
 * so each key is parsed once per process, in the kernel memo (keyed by the key's name, whose PEM
 * is a constant of this build).
 */
export function amdTestKey(product: Product, role: AmdKeyRole): AmdTestKey {
  const id = `${role}-${product.toLowerCase()}`;
  const key = memo('snp.amd-test-key', id, () => parseTestKey(product, role, id), 16);
  assert(key.product === product && key.role === role, 'the memo returns the key asked for');
  return key;
}

function parseTestKey(product: Product, role: AmdKeyRole, id: string): AmdTestKey {
  const pem = AMD_TEST_KEY_PEMS[id];
  assert(pem !== undefined, `no embedded test key ${id}`);
  const privateKey = createPrivateKey({ key: pem, format: 'pem' });
  const publicKey = createPublicKey(privateKey);
  const details = privateKey.asymmetricKeyDetails;
  assert(privateKey.asymmetricKeyType === 'rsa', `${id}: test key must be RSA`);
  assert(details?.modulusLength === 4096, `${id}: test key must be RSA-4096`);
  assert(details.publicExponent === 65537n, `${id}: test key must have e = 65537`);
  const spkiDer = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  return Object.freeze({ product, role, privateKey, publicKey, spkiDer, modulusBits: 4096 });
}
