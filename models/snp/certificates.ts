/**
 * Models: the full AMD certificate set for one platform, as KDS hands it out
 *   (spec snp.md e.1–e.3):
 *   ARK, ASK, ASVK, the VCEK (or VLEK) for the platform's CHIP_ID and REPORTED_TCB, the KDS
 *   cert_chain PEMs (ASK then ARK; ASVK then ARK) and the ARK-signed CRL.
 * Real counterpart: `/vcek/v1/{product}/{hwid}?…`, `/vcek/v1/{product}/cert_chain`, `/…/crl`.
 * Differs: TEST-ONLY CA keys (models/snp/test-keys); the ARK/ASK/ASVK are the fixed test
 *   certificates of amd-test-ca.ts, the same for every seed (AMD's are the same for every chip);
 *   the VCEK/VLEK keys are derived from the seed (models/snp/endorsement-keys.ts), so the same
 *   seed, chip id and TCB give the same bytes.
 * Invariants: the leaf public key equals the derived endorsement key's; the leaf is issued for
 *   REPORTED_TCB; cert_chain lists the intermediate first, then the ARK.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import { hexBytes } from '../../sim/kernel/bytes.js';
import { Rng, type Seed } from '../../sim/kernel/rng.js';
import { CERT_GUID, encodeCertTable } from './cert-table.js';
import { testCaCertificate } from './amd-test-ca.js';
import { buildCrl, type RevokedEntry } from './crl.js';
import {
  deriveVcek, deriveVlek, endorsementRootOf, type EndorsementKey, type EndorsementKeyKind,
} from './endorsement-keys.js';
import { createPlatform, DEFAULT_VLEK_CSP_ID, type PlatformState } from './platform.js';
import { toPem } from './pem.js';
import { PRODUCTS, type Product } from './product.js';
import { buildEndorsementCertificate, type X509Quirks } from './x509-profile.js';

export type CertificateSetOptions = Readonly<{
  seed: Seed;
  product: Product;
  signingKey?: EndorsementKeyKind;
  /**
   * Chip id, REPORTED_TCB and VLEK csp id come from here; default
   * `createPlatform({seed, product})`.
   */
  platform?: PlatformState;
  /** Overrides the platform's chip id (64 bytes). */
  chipId?: Uint8Array;
  /** Overrides the platform's REPORTED_TCB (raw u64). */
  tcb?: bigint;
  cspId?: string;
  issuedAtTicks?: number;
  /** Serials the CRL lists as revoked (e.g. 0x10001n revokes ASK-Milan). */
  revokedSerials?: readonly bigint[];
  quirks?: X509Quirks;
}>;

export type CertificateSet = Readonly<{
  product: Product;
  signingKey: EndorsementKeyKind;
  ark: Uint8Array;
  ask: Uint8Array;
  asvk: Uint8Array;
  /** The VCEK or VLEK certificate, DER. */
  endorsementCert: Uint8Array;
  endorsementKey: EndorsementKey;
  chipId: Uint8Array;
  tcb: bigint;
  /** The ARK-signed CRL of the signing key's kind (`/vcek/v1/P/crl` or `/vlek/v1/P/crl`), DER. */
  crl: Uint8Array;
}>;

export { fromPem, toPem } from './pem.js';

/** Builds every certificate of one platform. */
export function buildCertificateSet(options: CertificateSetOptions): CertificateSet {
  const { seed, product } = options;
  const signingKey = options.signingKey ?? 'vcek';
  const snp = Rng.fromSeed(seed).fork('snp');
  const platform = options.platform ?? createPlatform({ rng: snp, product });
  if (platform.product !== product) {
    throw new SimError('SNP_BAD_PRODUCT', { product, platform: platform.product },
      `platform is a ${platform.product}, not a ${product}`);
  }
  const chipId = options.chipId ?? hexBytes(platform.chip_id);
  if (chipId.length !== 64) {
    throw new SimError('SNP_BAD_FIELD', { field: 'chip_id', bytes: chipId.length },
      'chip id must be 64 bytes');
  }
  const tcb = options.tcb ?? platform.reported_tcb;
  const cspId = options.cspId ?? platform.vlek_csp_id ?? DEFAULT_VLEK_CSP_ID;
  if (cspId.length === 0 || cspId.length > 255) {
    throw new SimError('SNP_BAD_FIELD', { field: 'csp_id' },
      'VLEK csp id must be 1..255 characters');
  }
  const root = endorsementRootOf(snp);
  const endorsementKey = signingKey === 'vcek'
    ? deriveVcek({ root, product, chipId, tcb })
    : deriveVlek({ root, product, cspId, tcb });
  const x509 = snp.fork('x509');
  const endorsementCert = buildEndorsementCertificate({
    rng: x509, product, kind: signingKey, publicKey: endorsementKey.publicKey, tcb,
    ...(signingKey === 'vcek' ? { chipId } : { cspId }),
    ...(options.issuedAtTicks === undefined ? {} : { issuedAtTicks: options.issuedAtTicks }),
    ...(options.quirks === undefined ? {} : { quirks: options.quirks }),
  });
  const revoked: RevokedEntry[] = (options.revokedSerials ?? []).map((serial) => ({ serial }));
  const set: CertificateSet = Object.freeze({
    product, signingKey,
    ark: testCaCertificate(product, 'ark'),
    ask: testCaCertificate(product, 'ask'),
    asvk: testCaCertificate(product, 'asvk'),
    endorsementCert, endorsementKey, chipId, tcb,
    crl: buildCrl({
      rng: x509, product, keyKind: signingKey, revoked,
      ...(options.issuedAtTicks === undefined ? {} : { issuedAtTicks: options.issuedAtTicks }),
    }),
  });
  assert(endorsementKey.tcb === tcb, 'leaf issued for the requested TCB');
  assert(PRODUCTS[product].hwidBytes <= chipId.length);
  return set;
}

/** The KDS cert_chain PEM: the intermediate (ASK for VCEKs, ASVK for VLEKs), then the ARK. */
export function certChainPem(set: CertificateSet, keyKind: EndorsementKeyKind = 'vcek'): string {
  return toPem(keyKind === 'vcek' ? set.ask : set.asvk) + toPem(set.ark);
}

/**
 * The certificate blob a host hands the guest with an extended report (GHCB spec
 * SNP_GET_EXT_REPORT; configfs-tsm `auxblob`): the GUID table of spec snp.md b.4 holding the
 * endorsement certificate (VCEK or VLEK), its signer (ASK, or ASVK under the ASK GUID) and the
 * ARK, in that order.
 */
export function extendedReportCertTable(set: CertificateSet): Uint8Array {
  const vlek = set.signingKey === 'vlek';
  const blob = encodeCertTable([
    { guid: vlek ? CERT_GUID.vlek : CERT_GUID.vcek, data: set.endorsementCert },
    { guid: CERT_GUID.ask, data: vlek ? set.asvk : set.ask },
    { guid: CERT_GUID.ark, data: set.ark },
  ]);
  assert(blob.length > set.endorsementCert.length + set.ark.length, 'the blob holds all three');
  return blob;
}
