/**
 * Models: the TEST-ONLY ARK, ASK and ASVK certificates of each product that parma-sim's fake KDS
 *   serves (`/vcek/v1/{product}/cert_chain`; spec snp.md e.1, e.3) and that `--test-roots` pins.
 * Real counterpart: AMD's public ARK/ASK/ASVK, which are the same for every chip of a product.
 * Differs: signed by the TEST-ONLY keys of models/snp/test-keys, so they protect nothing.
 * Invariants: fixed bytes, built once by `buildCaCertificate` (x509-profile.ts) and committed as
 *   models/snp/test-keys/*.cert.pem; a test rebuilds them and compares. They are the same for
 *   every seed, so no run pays for RSA-4096 signing to obtain them, and this module holds no
 *   private key: a verifier may import it without importing the fake issuer.
 */
import { assert } from '../../sim/kernel/assert.js';
import { AMD_TEST_CA_PEMS } from './amd-test-ca-pems.js';
import { fromPem } from './pem.js';
import type { Product } from './product.js';

export type TestCaRole = 'ark' | 'ask' | 'asvk';

/** The DER of the TEST-ONLY `role` certificate of `product` (decoding costs microseconds). */
export function testCaCertificate(product: Product, role: TestCaRole): Uint8Array {
  const id = `${role}-${product.toLowerCase()}`;
  const pem = AMD_TEST_CA_PEMS[id];
  assert(pem !== undefined, `no embedded test CA certificate ${id}`);
  const blocks = fromPem(pem);
  assert(blocks.length === 1, `${id}: one certificate`);
  return blocks[0]!;
}
