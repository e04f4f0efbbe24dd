/**
 * Models: the AMD SEV-SNP X.509 certificate profile (VCEK Certificate and KDS Interface spec 57230;
 *   spec snp.md e.2, e.3): ARK (self-signed root), ASK and ASVK (intermediates), VCEK and VLEK
 *   (P-384 endorsement-key leaves with AMD's private extensions under 1.3.6.1.4.1.3704.1).
 * Real counterpart: the certificates AMD's KDS serves. Structure follows the real ones field by
 *   field: X.509 v3; issuer/subject RDNs OU, C, L, ST, O, CN in that order (C a PrintableString,
 *   the rest UTF8String); RSASSA-PSS AlgorithmIdentifier with *explicit* SHA-384 / MGF1-SHA-384 /
 *   salt 48 / trailer 1 parameters; ARK extensions KU, SKI, BC, CRLDP; ASK/ASVK SKI, AKI, BC
 *   (pathlen 0), KU, CRLDP; leaf extensions in the real order (Turin puts fmcSPL first and has no
 *   spl4), hwid as raw bytes, SPLs as DER INTEGERs, csp_id on a VLEK; leaf serial 0 and no
 *   SKI/AKI/KU/BC.
 * Differs: signed with TEST-ONLY keys (models/snp/test-keys); validity dates come from the sim
 *   clock (CA certificates from SIM_EPOCH for 25 years, VCEK 7 years, VLEK 1 year from issuance);
 *   the PSS salt comes from the caller's forked stream. Quirk switches: `addKeyIdentifiers` adds
 *   SKI and AKI to the leaf (so `openssl verify -x509_strict` passes); `endorsementSerial` replaces
 *   serial 0; `explicitPssTrailer` writes trailerField in the leaf's PSS parameters as pre-2024
 *   VCEKs do (current KDS leaves omit it; CA certificates always write it).
 * Invariants: every certificate we build verifies under its issuer's key; the leaf public key is
 *   a P-384 point; SPLs are 0..255; hwid is 64 bytes (Milan/Genoa) or 8 bytes (Turin).
 * Built with @peculiar/asn1-x509 / asn1-schema / asn1-rsa: no hand-written DER encoding. The
 *   reading side that verifiers use lives apart (amd-extensions.ts, der.ts), and the CA
 *   certificates this builds are committed fixtures served by amd-test-ca.ts.
 */
import { createHash, createPublicKey } from 'node:crypto';
import {
  AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString,
} from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, AuthorityKeyIdentifier,
  BasicConstraints, Certificate, CRLDistributionPoints, DistributionPoint, DistributionPointName,
  Extension, Extensions, GeneralName,
  KeyIdentifier, KeyUsage, KeyUsageFlags, Name, RelativeDistinguishedName, SubjectKeyIdentifier,
  SubjectPublicKeyInfo, TBSCertificate, Time, Validity, Version,
  id_ce_authorityKeyIdentifier, id_ce_basicConstraints, id_ce_cRLDistributionPoints, id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { id_mgf1, id_RSASSA_PSS, id_sha384, RsaSaPssParams } from '@peculiar/asn1-rsa';
import { assert } from '../../sim/kernel/assert.js';
import { bigintToBytesBE, toHex } from '../../sim/kernel/bytes.js';
import { VirtualClock } from '../../sim/kernel/clock.js';
import { SimError } from '../../sim/kernel/errors.js';
import { Rng } from '../../sim/kernel/rng.js';
import { AMD_OID, ID_EC_PUBLIC_KEY, type AmdExtensionName } from './amd-extensions.js';
import { amdTestKey, type AmdKeyRole, type AmdTestKey } from './amd-test-keys.js';
import { kdsCrlUrl } from './kds.js';
import { PRODUCTS, type Product } from './product.js';
import { PSS_SALT_BYTES, rsaPssSign } from './rsa-pss.js';
import { decodeTcb, type TcbParts } from './tcb-version.js';

// ---------------------------------------------------------------------------------------------
// Constants (spec snp.md e.2 / e.3)

export {
  AMD_OID, decodeAmdExtensions, ID_EC_PUBLIC_KEY, ID_SECP384R1, type AmdExtensionName,
  type AmdLeafExtensions, type CertificateExtension,
} from './amd-extensions.js';

/** Leaf extension order in real certificates (verified on all 15 real VCEKs and the VLEK). */
export const LEAF_EXTENSION_ORDER:
  Readonly<Record<'legacy' | 'turin', readonly AmdExtensionName[]>> = {
  legacy: [
    'structVersion', 'productName', 'blSPL', 'teeSPL', 'spl4', 'spl5', 'spl6', 'spl7', 'snpSPL',
    'ucodeSPL', 'hwid',
  ],
  turin: [
    'structVersion', 'productName', 'fmcSPL', 'blSPL', 'teeSPL', 'snpSPL', 'spl5', 'spl6', 'spl7',
    'ucodeSPL', 'hwid',
  ],
};

/** Serial numbers of the real AMD CA certificates (spec snp.md e.3). */
export const CA_SERIALS: Readonly<Record<Product, Readonly<Record<AmdKeyRole, bigint>>>> = {
  Milan: { ark: 0x10000n, ask: 0x10001n, asvk: 0x10101n },
  Genoa: { ark: 0x20000n, ask: 0x20002n, asvk: 0x20101n },
  Turin: { ark: 0x30000n, ask: 0x30001n, asvk: 0x30101n },
};

const RDN_OIDS = {
  OU: '2.5.4.11', C: '2.5.4.6', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', CN: '2.5.4.3',
} as const;

export const CA_VALIDITY_YEARS = 25;
export const VCEK_VALIDITY_YEARS = 7;
export const VLEK_VALIDITY_YEARS = 1;

export type CertificateRole = AmdKeyRole | 'vcek' | 'vlek';

/** Common name of each role (spec snp.md e.3). */
export function commonNameOf(role: CertificateRole, product: Product): string {
  switch (role) {
    case 'ark': return `ARK-${product}`;
    case 'ask': return `SEV-${product}`;
    case 'asvk': return `SEV-VLEK-${product}`;
    case 'vcek': return 'SEV-VCEK';
    case 'vlek': return 'SEV-VLEK';
  }
}

// ---------------------------------------------------------------------------------------------
// Small ASN.1 value types (schema classes decorated by hand: no decorator syntax needed)

/** A bare DER INTEGER (the SPL and structVersion extension values). */
export class AmdInteger {
  value = 0;
  constructor(value = 0) { this.value = value; }
}
AsnProp({ type: AsnPropTypes.Integer })(AmdInteger.prototype, 'value');
AsnType({ type: AsnTypeTypes.Choice })(AmdInteger);

/** A bare DER IA5String (productName, csp_id). */
export class AmdIa5String {
  value = '';
  constructor(value = '') { this.value = value; }
}
AsnProp({ type: AsnPropTypes.IA5String })(AmdIa5String.prototype, 'value');
AsnType({ type: AsnTypeTypes.Choice })(AmdIa5String);

/**
 * RSASSA-PSS-params with every field written out (RFC 4055 §3.1). The asn1-rsa class omits
 * trailerField because it equals the DEFAULT; AMD's certificates encode it, so ours do too.
 */
export class AmdPssParams {
  hashAlgorithm = new AlgorithmIdentifier();
  maskGenAlgorithm = new AlgorithmIdentifier();
  saltLength = 0;
  trailerField = 1;
}
AsnProp({ type: AlgorithmIdentifier, context: 0 })(AmdPssParams.prototype, 'hashAlgorithm');
AsnProp({ type: AlgorithmIdentifier, context: 1 })(AmdPssParams.prototype, 'maskGenAlgorithm');
AsnProp({ type: AsnPropTypes.Integer, context: 2 })(AmdPssParams.prototype, 'saltLength');
AsnProp({ type: AsnPropTypes.Integer, context: 3 })(AmdPssParams.prototype, 'trailerField');
AsnType({ type: AsnTypeTypes.Sequence })(AmdPssParams);

function sha384Identifier(): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: id_sha384, parameters: null });
}

/**
 * The AlgorithmIdentifier of every AMD signature: RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48.
 * `explicitTrailer`: AMD's CA certificates and leaves issued before ~2024 write trailerField 1
 * out; leaves issued from 2024 on (the 2024 VLEK, 2025 VCEKs in shared/testdata) omit the DEFAULT.
 */
export function amdPssAlgorithm(explicitTrailer = true): AlgorithmIdentifier {
  const mgf1 = new AlgorithmIdentifier({
    algorithm: id_mgf1, parameters: AsnConvert.serialize(sha384Identifier()),
  });
  const params = explicitTrailer ? new AmdPssParams() : new RsaSaPssParams();
  params.hashAlgorithm = sha384Identifier();
  params.maskGenAlgorithm = mgf1;
  params.saltLength = PSS_SALT_BYTES;
  params.trailerField = 1;
  const algorithm = new AlgorithmIdentifier({
    algorithm: id_RSASSA_PSS, parameters: AsnConvert.serialize(params),
  });
  assert(algorithm.parameters !== null && algorithm.parameters !== undefined);
  return algorithm;
}

// ---------------------------------------------------------------------------------------------
// Names, times, keys

/** `OU=Engineering, C=US, L=Santa Clara, ST=CA, O=Advanced Micro Devices, CN=<cn>` (that order). */
export function amdName(commonName: string): Name {
  const rdn = (type: string, value: Partial<AttributeValue>): RelativeDistinguishedName =>
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type, value: new AttributeValue(value) }),
    ]);
  const name = new Name([
    rdn(RDN_OIDS.OU, { utf8String: 'Engineering' }),
    rdn(RDN_OIDS.C, { printableString: 'US' }),
    rdn(RDN_OIDS.L, { utf8String: 'Santa Clara' }),
    rdn(RDN_OIDS.ST, { utf8String: 'CA' }),
    rdn(RDN_OIDS.O, { utf8String: 'Advanced Micro Devices' }),
    rdn(RDN_OIDS.CN, { utf8String: commonName }),
  ]);
  assert(name.length === 6, 'AMD names have six RDNs');
  return name;
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export function x509Time(date: Date): Time {
  return date.getUTCFullYear() < 2050
    ? new Time({ utcTime: date })
    : new Time({ generalTime: date });
}

/** Validity with our own Time choice for each bound. */
export function validityOf(notBefore: Date, notAfter: Date): Validity {
  assert(notBefore.getTime() < notAfter.getTime(), 'validity: notBefore < notAfter');
  const validity = new Validity({ notBefore, notAfter });
  validity.notBefore = x509Time(notBefore);
  validity.notAfter = x509Time(notAfter);
  return validity;
}

/** The sim-clock instant `ticks` plus whole calendar years (as the real certificates count). */
export function simDatePlusYears(ticks: number, years: number): Date {
  const date = VirtualClock.toDate(ticks);
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date;
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING value (as AMD does). */
export function keyIdentifierOf(spki: SubjectPublicKeyInfo): Uint8Array {
  return new Uint8Array(createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest());
}

function parseSpki(der: Uint8Array): SubjectPublicKeyInfo {
  return AsnConvert.parse(der, SubjectPublicKeyInfo);
}

/** SubjectPublicKeyInfo of a P-384 SEC1 uncompressed point (04 || X || Y). */
export function p384Spki(publicKey: Uint8Array): SubjectPublicKeyInfo {
  if (publicKey.length !== 97 || publicKey[0] !== 0x04) {
    throw new SimError('SNP_BAD_KEY', { bytes: publicKey.length },
      'P-384 public key must be a 97-byte uncompressed point');
  }
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
  const key = createPublicKey({
    key: {
      kty: 'EC', crv: 'P-384', x: b64(publicKey.subarray(1, 49)), y: b64(publicKey.subarray(49)),
    },
    format: 'jwk',
  });
  const spki = parseSpki(new Uint8Array(key.export({ type: 'spki', format: 'der' })));
  assert(spki.algorithm.algorithm === ID_EC_PUBLIC_KEY, 'EC SPKI');
  assert(new Uint8Array(spki.subjectPublicKey).length === 97, 'uncompressed point in SPKI');
  return spki;
}

/** A non-negative serial as the content bytes of a DER INTEGER. */
export function serialNumberBytes(serial: bigint): ArrayBuffer {
  assert(serial >= 0n, 'serial is non-negative');
  let length = 1;
  while (serial >> BigInt(8 * length - 1) !== 0n) length++; // room for a 0 sign bit
  return bigintToBytesBE(serial, length).slice().buffer as ArrayBuffer;
}

function extension(extnID: string, value: ArrayBuffer | Uint8Array, critical = false): Extension {
  const bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
  return new Extension({ extnID, critical, extnValue: new OctetString(bytes) });
}

// ---------------------------------------------------------------------------------------------
// Signing

/**
 * The 48-byte PSS salt for one signature: drawn from the caller's forked stream, and bound to what
 * is signed (a child stream per label and TBS digest, so the order of signing does not matter).
 */
export function pssSaltFor(rng: Rng, label: string, tbs: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(tbs).digest('hex').slice(0, 32);
  const salt = rng.fork('amd-pss-salt').fork(label).fork(digest).bytes(PSS_SALT_BYTES);
  assert(salt.length === PSS_SALT_BYTES);
  return salt;
}

function signCertificate(tbs: TBSCertificate, signer: AmdTestKey, rng: Rng, label: string,
  explicitTrailer = true): Uint8Array {
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = rsaPssSign({
    privateKey: signer.privateKey, message: tbsDer, salt: pssSaltFor(rng, label, tbsDer),
  });
  const cert = new Certificate({
    tbsCertificate: tbs, signatureAlgorithm: amdPssAlgorithm(explicitTrailer),
    signatureValue: signature.slice().buffer as ArrayBuffer,
  });
  const der = new Uint8Array(AsnConvert.serialize(cert));
  assert(der.length > tbsDer.length + signature.length, 'certificate wraps TBS and signature');
  return der;
}

// ---------------------------------------------------------------------------------------------
// ARK / ASK / ASVK

/**
 * KeyUsage as AMD writes it: one content byte with ONE unused bit (ASK/ASVK: 03 02 01 04), where
 * minimal DER would say two (03 02 02 04). Matching it keeps our certificates byte-faithful.
 */
export function amdKeyUsage(flags: number): KeyUsage {
  const usage = new KeyUsage(flags);
  const bits = new Uint8Array(usage.value);
  assert(bits.length === 1, 'keyCertSign/cRLSign fit one byte');
  usage.unusedBits = 1;
  assert(((bits[0] ?? 0) & 0x01) === 0, 'the unused bit is zero');
  return usage;
}

/**
 * The stream of the PSS salts of the committed TEST-ONLY CA certificates (amd-test-ca.ts): a
 * constant of parma-sim, not of any run, since those certificates are the same for every seed.
 */
export function testCaStream(): Rng {
  return Rng.fromSeed('parma-sim test CA certificates').fork('x509');
}

export type CaCertificateOptions = Readonly<{ product: Product; role: AmdKeyRole; rng?: Rng }>;

/**
 * ARK (self-signed), ASK or ASVK (signed by the ARK) of `product`, DER. With the default stream
 * this rebuilds the committed fixture that amd-test-ca.ts serves (RSA-4096 signing: ~5 ms).
 */
export function buildCaCertificate(options: CaCertificateOptions): Uint8Array {
  const { product, role } = options;
  const rng = options.rng ?? testCaStream();
  const key = amdTestKey(product, role);
  const ark = amdTestKey(product, 'ark');
  const spki = parseSpki(key.spkiDer);
  const ski = new SubjectKeyIdentifier(keyIdentifierOf(spki));
  const crlUrl = kdsCrlUrl(product, role === 'asvk' ? 'vlek' : 'vcek');
  const crldp = new CRLDistributionPoints([new DistributionPoint({
    distributionPoint: new DistributionPointName({
      fullName: [new GeneralName({ uniformResourceIdentifier: crlUrl })],
    }),
  })]);
  const ser = AsnConvert.serialize;
  const extensions = role === 'ark'
    ? [
      extension(id_ce_keyUsage,
        ser(amdKeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)), true),
      extension(id_ce_subjectKeyIdentifier, ser(ski)),
      extension(id_ce_basicConstraints, ser(new BasicConstraints({ cA: true })), true),
      extension(id_ce_cRLDistributionPoints, ser(crldp)),
    ]
    : [
      extension(id_ce_subjectKeyIdentifier, ser(ski)),
      extension(id_ce_authorityKeyIdentifier, ser(new AuthorityKeyIdentifier({
        keyIdentifier: new KeyIdentifier(keyIdentifierOf(parseSpki(ark.spkiDer))),
      }))),
      extension(id_ce_basicConstraints,
        ser(new BasicConstraints({ cA: true, pathLenConstraint: 0 })), true),
      extension(id_ce_keyUsage, ser(amdKeyUsage(KeyUsageFlags.keyCertSign)), true),
      extension(id_ce_cRLDistributionPoints, ser(crldp)),
    ];
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumberBytes(CA_SERIALS[product][role]),
    signature: amdPssAlgorithm(),
    issuer: amdName(commonNameOf('ark', product)),
    validity: validityOf(simDatePlusYears(0, 0), simDatePlusYears(0, CA_VALIDITY_YEARS)),
    subject: amdName(commonNameOf(role, product)),
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(extensions),
  });
  const der = signCertificate(tbs, ark, rng, `${role}-${product}`);
  assert(extensions.length === (role === 'ark' ? 4 : 5));
  return der;
}

// ---------------------------------------------------------------------------------------------
// VCEK / VLEK

export type X509Quirks = Readonly<{
  /**
   * Add SKI and AKI to the VCEK/VLEK (real ones have neither; `openssl verify -x509_strict`
   * wants them).
   */
  addKeyIdentifiers?: boolean;
  /** Serial of the leaf (real VCEKs and VLEKs use 0). */
  endorsementSerial?: bigint;
  /**
   * Write the PSS trailerField out in the leaf, as pre-2024 VCEKs do (default: omitted, as
   * now).
   */
  explicitPssTrailer?: boolean;
}>;

export type EndorsementCertificateOptions = Readonly<{
  /** The issuer's forked stream (PSS salts). */
  rng: Rng;
  product: Product;
  kind: 'vcek' | 'vlek';
  /** The 97-byte SEC1 public key of the VCEK/VLEK. */
  publicKey: Uint8Array;
  /** The REPORTED_TCB the key is issued for (raw u64 in the product's layout). */
  tcb: bigint;
  /** CHIP_ID (64 bytes); VCEK only. The hwid extension takes the first 64 or 8 bytes. */
  chipId?: Uint8Array;
  /** VLEK only: the csp_id extension, e.g. "CN=cc-us-east-2.amazonaws.com". */
  cspId?: string;
  /** Sim-clock tick of issuance (notBefore); default 0 = SIM_EPOCH. */
  issuedAtTicks?: number;
  quirks?: X509Quirks;
}>;

function splExtensionValues(tcb: TcbParts): Readonly<Record<AmdExtensionName, number | undefined>> {
  return {
    structVersion: undefined, productName: undefined, hwid: undefined, cspId: undefined,
    blSPL: tcb.bl, teeSPL: tcb.tee, snpSPL: tcb.snp, ucodeSPL: tcb.ucode, fmcSPL: tcb.fmc,
    spl4: 0, spl5: 0, spl6: 0, spl7: 0,
  };
}

function leafExtensions(options: EndorsementCertificateOptions): Extension[] {
  const info = PRODUCTS[options.product];
  const layout = info.tcbLayout;
  const spl = splExtensionValues(decodeTcb(options.tcb, layout, { strict: true }));
  const order = LEAF_EXTENSION_ORDER[layout]
    .map((name) => (name === 'hwid' && options.kind === 'vlek' ? 'cspId' : name));
  return order.map((name): Extension => {
    const oid = AMD_OID[name];
    switch (name) {
      case 'structVersion':
        return extension(oid, AsnConvert.serialize(new AmdInteger(info.vcekStructVersion)));
      case 'productName':
        return extension(oid, AsnConvert.serialize(new AmdIa5String(
          options.kind === 'vcek' ? info.vcekProductName : info.vlekProductName)));
      case 'hwid': {
        const chipId = options.chipId;
        if (chipId === undefined || chipId.length !== 64) {
          throw new SimError('SNP_BAD_FIELD', { field: 'chip_id' },
            'a VCEK needs the 64-byte CHIP_ID');
        }
        return extension(oid, chipId.slice(0, info.hwidBytes)); // raw bytes, no DER tag
      }
      case 'cspId':
        if (options.cspId === undefined || options.cspId.length === 0) {
          throw new SimError('SNP_BAD_FIELD', { field: 'csp_id' }, 'a VLEK needs a csp id');
        }
        return extension(oid, AsnConvert.serialize(new AmdIa5String(options.cspId)));
      default: {
        const value = spl[name];
        assert(value !== undefined && value >= 0 && value <= 0xff, `SPL ${name} is a byte`);
        return extension(oid, AsnConvert.serialize(new AmdInteger(value)));
      }
    }
  });
}

/** A VCEK (signed by the ASK) or VLEK (signed by the ASVK) certificate, DER. */
export function buildEndorsementCertificate(options: EndorsementCertificateOptions): Uint8Array {
  const { rng, product, kind } = options;
  const issuerRole: AmdKeyRole = kind === 'vcek' ? 'ask' : 'asvk';
  const issuer = amdTestKey(product, issuerRole);
  const spki = p384Spki(options.publicKey);
  const extensions = leafExtensions(options);
  if (options.quirks?.addKeyIdentifiers) {
    extensions.push(extension(id_ce_subjectKeyIdentifier,
      AsnConvert.serialize(new SubjectKeyIdentifier(keyIdentifierOf(spki)))));
    extensions.push(extension(id_ce_authorityKeyIdentifier,
      AsnConvert.serialize(new AuthorityKeyIdentifier({
        keyIdentifier: new KeyIdentifier(keyIdentifierOf(parseSpki(issuer.spkiDer))),
      }))));
  }
  const issued = options.issuedAtTicks ?? 0;
  const explicitTrailer = options.quirks?.explicitPssTrailer ?? false;
  const years = kind === 'vcek' ? VCEK_VALIDITY_YEARS : VLEK_VALIDITY_YEARS;
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumberBytes(options.quirks?.endorsementSerial ?? 0n),
    signature: amdPssAlgorithm(explicitTrailer),
    issuer: amdName(commonNameOf(issuerRole, product)),
    validity: validityOf(simDatePlusYears(issued, 0), simDatePlusYears(issued, years)),
    subject: amdName(commonNameOf(kind, product)),
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(extensions),
  });
  const label = `${kind}-${product}-${toHex(options.publicKey.subarray(1, 17))}`;
  const der = signCertificate(tbs, issuer, rng, label, explicitTrailer);
  assert(extensions.length >= LEAF_EXTENSION_ORDER[PRODUCTS[product].tcbLayout].length);
  return der;
}
