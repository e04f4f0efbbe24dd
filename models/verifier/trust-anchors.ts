/**
 * Models: a relying party's pinned SEV-SNP trust anchors (spec snp.md e.4 step 2): per product, the
 *   ARK whose public key is trusted, plus the ASK/ASVK to use when the evidence carries none.
 * Real counterpart: go-sev-guest `verify/trust`, virtee/sev builtin certs: AMD's public
 *   ARK/ASK/ASVK.
 * Differs: besides AMD's real roots (models/verifier/amd-roots) we offer parma-sim's TEST roots,
 *   which are trusted only when a caller asks for them explicitly.
 * Invariants: an anchor is pinned by the ARK's SubjectPublicKeyInfo, never by whatever ARK the
 *   evidence carries; one anchor per product in each default set.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../../sim/kernel/assert.js';
import { packageRoot } from '../../sim/kernel/package-root.js';
import { fromPem } from '../snp/certificates.js';
import { PRODUCT_NAMES, type Product } from '../snp/product.js';
import { buildCaCertificate } from '../snp/x509-profile.js';

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

let amdAnchors: readonly TrustAnchor[] | undefined;

/**
 * AMD's real ARK/ASK/ASVK for Milan, Genoa and Turin (public certificates shipped in
 * amd-roots/).
 */
export function amdTrustAnchors(): readonly TrustAnchor[] {
  if (amdAnchors !== undefined) return amdAnchors;
  const dir = join(packageRoot(), 'models', 'verifier', 'amd-roots');
  const one = (product: Product, file: string): Uint8Array => {
    const blocks = fromPem(readFileSync(join(dir, product.toLowerCase(), file), 'utf8'));
    assert(blocks.length === 1, `amd-roots/${product}/${file}: one certificate`);
    return blocks[0]!;
  };
  amdAnchors = Object.freeze(PRODUCT_NAMES.map((product) => Object.freeze({
    product, ark: one(product, 'ark.pem'), ask: one(product, 'ask.pem'),
    asvk: one(product, 'asvk.pem'), source: 'amd',
  })));
  assert(amdAnchors.length === PRODUCT_NAMES.length);
  return amdAnchors;
}

let testAnchors: readonly TrustAnchor[] | undefined;

/**
 * parma-sim's TEST-ONLY roots (models/snp/test-keys). Certificates built from any seed chain to
 * these, because the pin is the ARK key, not the ARK certificate bytes.
 */
export function parmaSimTestAnchors(): readonly TrustAnchor[] {
  if (testAnchors !== undefined) return testAnchors;
  testAnchors = Object.freeze(PRODUCT_NAMES.map((product) => Object.freeze({
    product,
    ark: buildCaCertificate({ seed: 0, product, role: 'ark' }),
    ask: buildCaCertificate({ seed: 0, product, role: 'ask' }),
    asvk: buildCaCertificate({ seed: 0, product, role: 'asvk' }),
    source: 'parma-sim-test',
  })));
  assert(testAnchors.length === PRODUCT_NAMES.length);
  return testAnchors;
}

/** A trust anchor from a user-supplied ARK certificate (e.g. `--trust-anchor ark.pem`). */
export function trustAnchorFromArk(product: Product, ark: Uint8Array, source: string): TrustAnchor {
  assert(ark.length > 0, 'anchor ARK is not empty');
  return Object.freeze({ product, ark, source });
}
