/**
 * Models: the chip endorsement keys (VCEK: Versioned Chip Endorsement Key; VLEK: Versioned Loaded
 * Endorsement Key) of SEV-SNP (ABI spec 56860 "Chip Keys"; KDS spec 57230).
 * Real counterpart: on a real chip the VCEK is derived inside the AMD-SP from a chip-unique secret
 * and the TCB, so a firmware update (new TCB) gives a new VCEK; a VLEK is wrapped by AMD for a
 * cloud provider and loaded by the host.
 * Differs: every chip secret comes from one 32-byte test root drawn from the run's `snp` stream
 * (standing for AMD's secrets: the firmware and the fake KDS derive the same keys from it); the
 * KDF is HKDF-SHA384 over (root, product, chip id or CSP id, TCB): deterministic, test-only.
 * These keys protect nothing.
 * Invariants: same inputs → same key; any change of TCB or chip id → a different key; a derivation
 * (about 1 ms) runs once per distinct input in a process, through the kernel memo.
 */
import { p384 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha384 } from '@noble/hashes/sha2.js';
import { assert } from '../../sim/kernel/assert.js';
import { concatBytes, hexBytes, isHexOf, toHex, type Hex } from '../../sim/kernel/bytes.js';
import { memo } from '../../sim/kernel/memo.js';
import type { Rng } from '../../sim/kernel/rng.js';
import type { Product } from './product.js';

export type EndorsementKeyKind = 'vcek' | 'vlek';

export type EndorsementKey = Readonly<{
  kind: EndorsementKeyKind;
  product: Product;
  /** The REPORTED_TCB the key is versioned for (raw u64). */
  tcb: bigint;
  /** P-384 private scalar, 48 bytes big-endian. TEST ONLY. */
  privateKey: Uint8Array;
  /** Uncompressed SEC1 point 04||X||Y, 97 bytes. */
  publicKey: Uint8Array;
}>;

const encoder = new TextEncoder();

/** The test root every endorsement key of a run derives from: 32 bytes of the `snp` stream. */
export function endorsementRootOf(snp: Rng): Hex {
  const root = toHex(snp.fork('endorsement-root').bytes(32));
  assert(isHexOf(root, 32));
  return root;
}

function u64le(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
}

function deriveKey(kind: EndorsementKeyKind, root: Hex, product: Product, identity: Uint8Array,
  tcb: bigint): EndorsementKey {
  assert(isHexOf(root, 32), 'an endorsement root is 32 bytes of hex');
  assert(tcb >= 0n && tcb < 1n << 64n, 'tcb is a u64');
  const memoKey = `${kind}/${root}/${product}/${toHex(identity)}/${tcb.toString(16)}`;
  // The memo keeps hex (immutable); each caller gets fresh bytes, so no caller can change what the
  // next caller signs with.
  const pair = memo('snp/endorsement-key', memoKey, () => {
    const info = concatBytes(encoder.encode(`${kind}/${product}/`), identity, u64le(tcb));
    // 72 bytes = 48 + 24: keygen reduces it modulo n with negligible bias (FIPS 186-5 A.2.1).
    const material = hkdf(sha384, hexBytes(root), encoder.encode('parma-sim test endorsement key'),
      info, 72);
    const { secretKey } = p384.keygen(material);
    const publicKey = p384.getPublicKey(secretKey, false);
    assert(secretKey.length === 48 && publicKey.length === 97);
    return Object.freeze({ privateKey: toHex(secretKey), publicKey: toHex(publicKey) });
  });
  return Object.freeze({
    kind, product, tcb, privateKey: hexBytes(pair.privateKey), publicKey: hexBytes(pair.publicKey),
  });
}

/** The VCEK of chip `chipId` (64 bytes) at `tcb` (REPORTED_TCB). */
export function deriveVcek(
  options: Readonly<{ root: Hex; product: Product; chipId: Uint8Array; tcb: bigint }>,
): EndorsementKey {
  assert(options.chipId.length === 64, 'chip id is 64 bytes');
  return deriveKey('vcek', options.root, options.product, options.chipId, options.tcb);
}

/** The VLEK a cloud provider `cspId` loaded for `product` at `tcb`. */
export function deriveVlek(
  options: Readonly<{ root: Hex; product: Product; cspId: string; tcb: bigint }>,
): EndorsementKey {
  assert(options.cspId.length > 0, 'csp id must not be empty');
  return deriveKey('vlek', options.root, options.product, encoder.encode(options.cspId),
    options.tcb);
}
