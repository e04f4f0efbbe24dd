/**
 * Models: the AMD certificate revocation lists (X.509 v2 CRL, RFC 5280 §5) that KDS serves at
 *   `/vcek/v1/{product}/crl` and `/vlek/v1/{product}/crl` (spec snp.md e.1), signed by the ARK
 *   with RSASSA-PSS / SHA-384 / salt 48 and naming the ARK as issuer. They list revoked ASK/ASVK
 *   serials (a CRL's entries are certificates its issuer signed).
 * Real counterpart: AMD's KDS CRLs.
 * Differs: TEST-ONLY ARK key; thisUpdate is a sim-clock tick (default SIM_EPOCH) and nextUpdate one
 *   year later; the CRL extensions are AKI (the ARK's key identifier) and cRLNumber (1), the
 *   RFC 5280 conforming-issuer set — the exact extension set of AMD's own CRLs is not checked
 *   against a real one (none in shared/testdata).
 * Invariants: the CRL verifies under the ARK; every revoked serial appears once; an empty list
 *   omits revokedCertificates (RFC 5280 §5.1.2.6).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier, CertificateList, CRLNumber, Extension, KeyIdentifier, RevokedCertificate,
  SubjectPublicKeyInfo,
  TBSCertList, Version, id_ce_authorityKeyIdentifier, id_ce_cRLNumber,
} from '@peculiar/asn1-x509';
import { OctetString } from '@peculiar/asn1-schema';
import { assert } from '../../sim/kernel/assert.js';
import { VirtualClock } from '../../sim/kernel/clock.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { Rng } from '../../sim/kernel/rng.js';
import { amdTestKey } from './amd-test-keys.js';
import type { KdsKeyKind } from './kds.js';
import type { Product } from './product.js';
import { rsaPssSign } from './rsa-pss.js';
import {
  amdName, amdPssAlgorithm, commonNameOf, keyIdentifierOf, pssSaltFor, serialNumberBytes,
  simDatePlusYears, x509Time,
} from './x509-profile.js';

export type RevokedEntry = Readonly<{ serial: bigint; revokedAtTicks?: number }>;

export type CrlOptions = Readonly<{
  /** The issuer's forked stream (PSS salt). */
  rng: Rng;
  product: Product;
  /** Which KDS CRL this is (both are ARK-signed; the label only changes the salt stream). */
  keyKind: KdsKeyKind;
  revoked?: readonly RevokedEntry[];
  /** thisUpdate as a sim-clock tick; default 0 (SIM_EPOCH). nextUpdate is one year later. */
  issuedAtTicks?: number;
  crlNumber?: number;
}>;

/** An ARK-signed DER CRL listing `revoked`. */
export function buildCrl(options: CrlOptions): Uint8Array {
  const { rng, product, keyKind } = options;
  const revoked = options.revoked ?? [];
  const serials = new Set(revoked.map((entry) => entry.serial));
  if (serials.size !== revoked.length) {
    throw new SimError('SNP_BAD_FIELD', { field: 'revoked' }, 'CRL: a serial is listed twice');
  }
  for (const serial of serials) {
    if (serial < 0n) {
      throw new SimError('SNP_BAD_FIELD', { field: 'revoked', serial: serial.toString() },
        'CRL: serials are non-negative');
    }
  }
  const ark = amdTestKey(product, 'ark');
  const issued = options.issuedAtTicks ?? 0;
  const arkKeyId = keyIdentifierOf(AsnConvert.parse(ark.spkiDer, SubjectPublicKeyInfo));
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: amdPssAlgorithm(),
    issuer: amdName(commonNameOf('ark', product)),
    thisUpdate: x509Time(simDatePlusYears(issued, 0)),
    nextUpdate: x509Time(simDatePlusYears(issued, 1)),
    crlExtensions: [
      new Extension({
        extnID: id_ce_authorityKeyIdentifier,
        extnValue: new OctetString(AsnConvert.serialize(
          new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(arkKeyId) }))),
      }),
      new Extension({
        extnID: id_ce_cRLNumber,
        extnValue: new OctetString(AsnConvert.serialize(new CRLNumber(options.crlNumber ?? 1))),
      }),
    ],
  });
  if (revoked.length > 0) {
    tbs.revokedCertificates = revoked.map((entry) => new RevokedCertificate({
      userCertificate: serialNumberBytes(entry.serial),
      revocationDate: x509Time(VirtualClock.toDate(entry.revokedAtTicks ?? issued)),
    }));
  }
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = rsaPssSign({
    privateKey: ark.privateKey, message: tbsDer,
    salt: pssSaltFor(rng, `crl-${keyKind}-${product}`, tbsDer),
  });
  const crl = new CertificateList({
    tbsCertList: tbs, signatureAlgorithm: amdPssAlgorithm(),
    signature: signature.slice().buffer as ArrayBuffer,
  });
  const der = new Uint8Array(AsnConvert.serialize(crl));
  assert(der.length > tbsDer.length, 'CRL wraps its TBS');
  assert((tbs.revokedCertificates?.length ?? 0) === revoked.length,
    'every revoked serial is listed');
  return der;
}
