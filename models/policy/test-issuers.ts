/**
 * Models: a fragment signing authority in the shape of Microsoft's supply-chain PKI (root CA →
 * intermediate CA → code-signing leaf with a fragment-signing EKU), whose issuer identity is a
 * did:x509 pinned to the root's SHA-256 fingerprint.
 * Real counterpart: "Microsoft Supply Chain RSA Root CA 2022" → "Microsoft SCD Products RSA CA"
 * →
 * the ContainerPlat signer (see the x5chain of shared/testdata/snp/reports/milan-v2-aci).
 * Differs: test keys only, ECDSA P-384 (or P-256) instead of RSA 3072, derived from a seed;
 * certificates are minimal (subject, basic constraints, key usage, EKU, key identifiers) and valid
 * for ten years from the simulated epoch.
 * Invariants: the same seed and options give byte-identical certificates and signatures (RFC 6979
 * deterministic ECDSA, no clock, no randomness outside the seeded Rng); each certificate verifies
 * under its issuer; the DID resolves against the chain.
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { X509Certificate } from 'node:crypto';
import { AsnConvert, AsnObjectIdentifierConverter, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, AuthorityKeyIdentifier,
    BasicConstraints,
  Certificate, ExtendedKeyUsage, Extension, Extensions, KeyIdentifier, KeyUsage, KeyUsageFlags,
    Name,
  RelativeDistinguishedName, SubjectKeyIdentifier, SubjectPublicKeyInfo, TBSCertificate, Validity,
    Version,
  id_ce_authorityKeyIdentifier, id_ce_basicConstraints, id_ce_extKeyUsage, id_ce_keyUsage,
  id_ce_subjectKeyIdentifier, id_kp_codeSigning,
} from '@peculiar/asn1-x509';
import { assert } from '../../sim/kernel/assert.js';
import { VirtualClock } from '../../sim/kernel/clock.js';
import { Rng, canonicalSeed, type Seed } from '../../sim/kernel/rng.js';
import { coseAlgorithmByName, type CoseAlgorithm } from './cose-sign1.js';
import {
  certificateFingerprint, formatDidX509, resolveDidX509, SUBJECT_LABEL_OIDS
} from './did-x509.js';

/** The EKU of ACI infrastructure fragments (the issuer every confcom policy imports). */
export const ACI_FRAGMENT_EKU = '1.3.6.1.4.1.311.76.59.1.3';

const TEN_YEARS_MS = 3_652 * 24 * 3_600 * 1_000;

/** Curve table: OIDs from RFC 5480 section 2.1.1.1 and RFC 5758 section 3.2. */
const CURVES = {
  'P-384': { ecdsa: p384, curveOid: '1.3.132.0.34', signatureOid: '1.2.840.10045.4.3.3',
    cose: 'ES384' },
  'P-256': { ecdsa: p256, curveOid: '1.2.840.10045.3.1.7', signatureOid: '1.2.840.10045.4.3.2',
    cose: 'ES256' },
} as const;
const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';

export type TestIssuerCurve = keyof typeof CURVES;

export type TestIssuerOptions = Readonly<{
  seed: Seed;
  curve?: TestIssuerCurve;
  /** The fragment-signing EKU on the leaf (besides code signing). */
  ekuOid?: string;
  /** Common name of the leaf (the `::subject:CN:` predicate). */
  subjectCommonName?: string;
  /** Root → intermediate → leaf (true, like Microsoft's) or root → leaf. */
  intermediate?: boolean;
}>;

export type TestIssuer = Readonly<{
  seed: string;
  curve: TestIssuerCurve;
  algorithm: CoseAlgorithm;
  /** DER certificates, leaf first, root last (the x5chain order). */
  chain: readonly Uint8Array[];
  leafSecretKey: Uint8Array;
  ekuOid: string;
  subjectCommonName: string;
  /** base64url SHA-256 of the root certificate. */
  rootFingerprint: string;
  /** did:x509:0:sha256:<root>::eku:<ekuOid> */
  did: string;
  /** did:x509:0:sha256:<root>::subject:CN:<subjectCommonName> */
  didSubject: string;
}>;

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

function distinguishedName(commonName: string): Name {
  const attribute = (oid: string, value: string) =>
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type: oid,
      value: new AttributeValue({ utf8String: value }) })]);
  return new Name([attribute(SUBJECT_LABEL_OIDS['O']!, 'parma-sim test issuer'),
    attribute(SUBJECT_LABEL_OIDS['CN']!, commonName)]);
}

type KeyPair = Readonly<{ secretKey: Uint8Array; publicKey: Uint8Array; keyId: Uint8Array }>;

function deriveKeyPair(curve: TestIssuerCurve, rng: Rng): KeyPair {
  const ecdsa = CURVES[curve].ecdsa;
  const secretKey = ecdsa.utils.randomSecretKey(rng.bytes(ecdsa.lengths.seed ?? 72));
  const publicKey = ecdsa.getPublicKey(secretKey, false);
  assert(publicKey.length === ecdsa.lengths.publicKeyUncompressed, 'uncompressed point');
  assert(publicKey[0] === 0x04);
  return { secretKey, publicKey, keyId: sha256(publicKey).subarray(0, 20) };
}

function positiveSerial(rng: Rng): ArrayBuffer {
  const serial = rng.bytes(16);
  serial[0] = (serial[0]! & 0x3f) | 0x40; // positive, minimal DER, 16 bytes (RFC 5280 4.1.2.2)
  assert(serial[0]! >= 0x40 && serial[0]! < 0x80);
  return toArrayBuffer(serial);
}

type CertificateSpec = Readonly<{
  curve: TestIssuerCurve;
  subject: string;
  issuer: string;
  subjectKey: KeyPair;
  issuerKey: KeyPair;
  serial: ArrayBuffer;
  isCa: boolean;
  ekus?: readonly string[];
}>;

function extension(oid: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID: oid, critical,
    extnValue: new OctetString(AsnConvert.serialize(value)) });
}

function buildCertificate(spec: CertificateSpec): Uint8Array {
  const table = CURVES[spec.curve];
  const signatureAlgorithm = new AlgorithmIdentifier({ algorithm: table.signatureOid });
  const extensions = [
    extension(id_ce_basicConstraints, true, new BasicConstraints(spec.isCa ? { cA: true } : {})),
    extension(id_ce_keyUsage, true, new KeyUsage(spec.isCa
      ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign : KeyUsageFlags.digitalSignature)),
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(spec.subjectKey.keyId)),
    extension(id_ce_authorityKeyIdentifier, false,
      new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(spec.issuerKey.keyId) })),
  ];
  if (spec.ekus !== undefined) {
    extensions.push(extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([...spec.ekus])));
  }
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: spec.serial,
    signature: signatureAlgorithm,
    issuer: distinguishedName(spec.issuer),
    validity: new Validity({ notBefore: VirtualClock.toDate(0),
      notAfter: VirtualClock.toDate(TEN_YEARS_MS) }),
    subject: distinguishedName(spec.subject),
    subjectPublicKeyInfo: new SubjectPublicKeyInfo({
      algorithm: new AlgorithmIdentifier({
        algorithm: ID_EC_PUBLIC_KEY,
        parameters: AsnObjectIdentifierConverter.toASN(table.curveOid).toBER(),
      }),
      subjectPublicKey: toArrayBuffer(spec.subjectKey.publicKey),
    }),
    extensions: new Extensions(extensions),
  });
  const tbs = new Uint8Array(AsnConvert.serialize(tbsCertificate));
  const signature = table.ecdsa.sign(tbs, spec.issuerKey.secretKey, { format: 'der' });
  const der = new Uint8Array(AsnConvert.serialize(new Certificate({
    tbsCertificate, signatureAlgorithm, signatureValue: toArrayBuffer(signature),
  })));
  assert(der.length > tbs.length + signature.length, 'certificate wraps tbs and signature');
  return der;
}

/** Creates the deterministic test issuer of `options.seed`. */
export function createTestIssuer(options: TestIssuerOptions): TestIssuer {
  const curve = options.curve ?? 'P-384';
  const ekuOid = options.ekuOid ?? ACI_FRAGMENT_EKU;
  const subjectCommonName = options.subjectCommonName ?? 'parma-sim fragment signer';
  const rng = Rng.fromSeed(options.seed).fork('policy-test-issuer').fork(curve);
  const names = options.intermediate === false
    ? ['parma-sim test root CA']
    : ['parma-sim test root CA', 'parma-sim test intermediate CA'];
  const authorities = names.map((name, i) => ({ name,
    key: deriveKeyPair(curve, rng.fork(`ca${i}`)) }));
  const leafKey = deriveKeyPair(curve, rng.fork('leaf'));
  const serials = rng.fork('serials');
  const caCerts = authorities.map((authority, i) => {
    const issuer = authorities[Math.max(0, i - 1)]!;
    return buildCertificate({
      curve, subject: authority.name, issuer: issuer.name, subjectKey: authority.key,
        issuerKey: issuer.key,
      serial: positiveSerial(serials), isCa: true,
    });
  });
  const signer = authorities[authorities.length - 1]!;
  const leaf = buildCertificate({
    curve, subject: subjectCommonName, issuer: signer.name, subjectKey: leafKey,
      issuerKey: signer.key,
    serial: positiveSerial(serials), isCa: false, ekus: [id_kp_codeSigning, ekuOid],
  });
  const chain = [leaf, ...caCerts.reverse()];
  const rootFingerprint = certificateFingerprint(chain[chain.length - 1]!);
  const pinned = { fingerprintAlgorithm: 'sha256', fingerprint: rootFingerprint } as const;
  const did = formatDidX509({ ...pinned, predicates: [{ name: 'eku', oid: ekuOid }] });
  const didSubject = formatDidX509({ ...pinned, predicates: [{ name: 'subject',
    fields: [['CN', subjectCommonName]] }] });
  assert(resolveDidX509(did, chain).caIndex === chain.length - 1,
    'the eku DID resolves to the root');
  assert(resolveDidX509(didSubject, chain).caIndex === chain.length - 1,
    'the subject DID resolves');
  return {
    seed: canonicalSeed(options.seed), curve, algorithm: coseAlgorithmByName(CURVES[curve].cose),
      chain,
    leafSecretKey: leafKey.secretKey, ekuOid, subjectCommonName, rootFingerprint, did, didSubject,
  };
}

/** Signs COSE Sig_structure bytes with the issuer's leaf key: r || s, as COSE ES256/ES384 wants. */
export function signWithTestIssuer(issuer: TestIssuer, toBeSigned: Uint8Array): Uint8Array {
  const ecdsa = CURVES[issuer.curve].ecdsa;
  const signature = ecdsa.sign(toBeSigned, issuer.leafSecretKey, { format: 'compact' });
  assert(signature.length === issuer.algorithm.signatureBytes, 'COSE ECDSA signature size');
  assert(new X509Certificate(issuer.chain[0]!).publicKey.asymmetricKeyType === 'ec');
  return signature;
}
