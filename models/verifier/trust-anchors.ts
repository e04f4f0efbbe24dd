/**
 * Models: a relying party's pinned SEV-SNP trust anchors (spec snp.md e.4 step 2): per product, the
 *   ARK whose public key is trusted, plus the ASK/ASVK to use when the evidence carries none.
 * Real counterpart: go-sev-guest `verify/trust`, virtee/sev builtin certs: AMD's public
 *   ARK/ASK/ASVK.
 * Differs: besides AMD's real roots (models/verifier/amd-roots) we offer parma-sim's TEST roots,
 *   which are trusted only when a caller asks for them explicitly.
 * Invariants: an anchor is pinned by the ARK's SubjectPublicKeyInfo, never by whatever ARK the
 *   evidence carries; one anchor per product in each default set; both sets are embedded data
 *   (no file is read) and are decoded afresh on each call (microseconds; no module state).
 */
import { assert } from '../../sim/kernel/assert.js';
import { testCaCertificate } from '../snp/amd-test-ca.js';
import { fromPem } from '../snp/pem.js';
import { PRODUCT_NAMES, type Product } from '../snp/product.js';
import { AMD_ROOT_PEMS } from './amd-root-pems.js';

export type TrustAnchor = Readonly<{
  product: Product;
  /** The pinned ARK certificate (DER); its public key is what is trusted. */
  ark: Uint8Array;
  /** ASK (DER) used when the evidence has none. */
  ask?: Uint8Array;
  /** ASVK (DER) used when the evidence has none. */
  asvk?: Uint8Array;
  /** Where the anchor came from, for messages. */
  source: string;
}>;

/**
 * AMD's real ARK/ASK/ASVK for Milan, Genoa and Turin (public certificates committed in amd-roots/
 * and embedded in amd-root-pems.ts).
 */
export function amdTrustAnchors(): readonly TrustAnchor[] {
  const one = (product: Product, role: 'ark' | 'ask' | 'asvk'): Uint8Array => {
    const pem = AMD_ROOT_PEMS[`${role}-${product.toLowerCase()}`];
    assert(pem !== undefined, `amd-roots/${product}/${role}.pem is embedded`);
    const blocks = fromPem(pem);
    assert(blocks.length === 1, `amd-roots/${product}/${role}.pem: one certificate`);
    return blocks[0]!;
  };
  const anchors = Object.freeze(PRODUCT_NAMES.map((product) => Object.freeze({
    product, ark: one(product, 'ark'), ask: one(product, 'ask'), asvk: one(product, 'asvk'),
    source: 'amd',
  })));
  assert(anchors.length === PRODUCT_NAMES.length);
  return anchors;
}

/**
 * parma-sim's TEST-ONLY roots (models/snp/amd-test-ca.ts: fixed certificates, no private key).
 * Certificates built from any seed chain to these.
 */
export function parmaSimTestAnchors(): readonly TrustAnchor[] {
  const anchors = Object.freeze(PRODUCT_NAMES.map((product) => Object.freeze({
    product,
    ark: testCaCertificate(product, 'ark'),
    ask: testCaCertificate(product, 'ask'),
    asvk: testCaCertificate(product, 'asvk'),
    source: 'parma-sim-test',
  })));
  assert(anchors.length === PRODUCT_NAMES.length);
  return anchors;
}

/** A trust anchor from a user-supplied ARK certificate (e.g. `--trust-anchor ark.pem`). */
export function trustAnchorFromArk(product: Product, ark: Uint8Array, source: string): TrustAnchor {
  assert(ark.length > 0, 'anchor ARK is not empty');
  return Object.freeze({ product, ark, source });
}
