/**
 * Goal: did:x509 `san` and `subject` predicates resolved against a valid chain whose leaf has
 * subject alternative names and repeats a subject attribute (models/policy/did-x509.ts): a SAN
 * predicate holds only when one SAN has both its type and its value; a subject predicate on an
 * attribute the leaf repeats is refused (the spec allows one value per key), one on a single
 * attribute holds; and a certificate OpenSSL cannot read is refused with OpenSSL's cause.
 * Method: the project's test issuer makes leaves with neither, so this test signs its own
 * two-certificate chain with @peculiar/asn1-x509 and @noble/curves (P-256, keys from fixed
 * bytes): a self-signed CA and a leaf with a DNS, an email and a URI SAN and the subject
 * O=parma-sim, OU=a, OU=b, CN=leaf. DIDs are written by hand, percent-encoded as the spec's
 * idchar set demands (microsoft/did-x509 specification.md); expected reasons are the
 * documented wording.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { X509Certificate } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { AsnConvert, AsnObjectIdentifierConverter, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, BasicConstraints, Certificate,
  Extension, Extensions, GeneralName, KeyUsage, KeyUsageFlags, Name, RelativeDistinguishedName,
  SubjectAlternativeName, SubjectPublicKeyInfo, TBSCertificate, Validity, Version,
  id_ce_basicConstraints, id_ce_keyUsage, id_ce_subjectAltName,
} from '@peculiar/asn1-x509';
import {
  certificateFingerprint, readCertificateFacts, resolveDidX509, validateCertificateChain,
} from '../../models/policy/did-x509.js';
import { failure } from '../support/failure.js';

const SUITE = 'policy/did-x509-san-subject';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';   // RFC 5758 3.2
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';    // RFC 5480 2.1.1
const P256 = '1.2.840.10045.3.1.7';
const CN = '2.5.4.3';
const O = '2.5.4.10';
const OU = '2.5.4.11';

const buffer = (bytes: Uint8Array): ArrayBuffer => new Uint8Array(bytes).buffer;

function name(attributes: readonly (readonly [string, string])[]): Name {
  return new Name(attributes.map(([type, value]) => new RelativeDistinguishedName([
    new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) })])));
}

function extension(oid: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID: oid, critical,
    extnValue: new OctetString(AsnConvert.serialize(value)) });
}

type Spec = Readonly<{ subject: Name; issuer: Name; publicKey: Uint8Array;
  signer: Uint8Array; serial: number; extensions: Extension[] }>;

function certificate(spec: Spec): Uint8Array {
  const algorithm = new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 });
  const tbsCertificate = new TBSCertificate({
    version: Version.v3, serialNumber: new Uint8Array([spec.serial]).buffer, signature: algorithm,
    issuer: spec.issuer, subject: spec.subject,
    validity: new Validity({ notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2036-01-01T00:00:00Z') }),
    subjectPublicKeyInfo: new SubjectPublicKeyInfo({
      algorithm: new AlgorithmIdentifier({ algorithm: EC_PUBLIC_KEY,
        parameters: AsnObjectIdentifierConverter.toASN(P256).toBER() }),
      subjectPublicKey: buffer(spec.publicKey) }),
    extensions: new Extensions(spec.extensions),
  });
  const tbs = new Uint8Array(AsnConvert.serialize(tbsCertificate));
  const signature = p256.sign(tbs, spec.signer, { format: 'der' });
  return new Uint8Array(AsnConvert.serialize(new Certificate({ tbsCertificate,
    signatureAlgorithm: algorithm, signatureValue: buffer(signature) })));
}

const caKey = sha256(new TextEncoder().encode('did-x509-san-subject CA'));
const leafKey = sha256(new TextEncoder().encode('did-x509-san-subject leaf'));
const caName = name([[O, 'parma-sim'], [CN, 'san test CA']]);
const ca = certificate({ subject: caName, issuer: caName, serial: 1, signer: caKey,
  publicKey: p256.getPublicKey(caKey, false), extensions: [
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true })),
    extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign)),
  ] });
const leaf = certificate({ issuer: caName, serial: 2, signer: caKey,
  subject: name([[O, 'parma-sim'], [OU, 'a'], [OU, 'b'], [CN, 'leaf']]),
  publicKey: p256.getPublicKey(leafKey, false), extensions: [
    extension(id_ce_subjectAltName, false, new SubjectAlternativeName([
      new GeneralName({ dNSName: 'fragments.example.com' }),
      new GeneralName({ rfc822Name: 'signer@example.com' }),
      new GeneralName({ uniformResourceIdentifier: 'https://example.com/signer' }),
    ])),
  ] });
const chain = [leaf, ca];
const BASE = `did:x509:0:sha256:${certificateFingerprint(ca)}`;

function mismatch(did: string, reason: string): void {
  const error = failure(() => resolveDidX509(did, chain));
  assert.is(error.code, 'POLICY_FRAGMENT_DID_MISMATCH', did);
  assert.is(error.message, 'POLICY_FRAGMENT_DID_MISMATCH: issuer DID does not resolve against '
    + `the x5chain: ${reason}`);
  assert.is(error.detail['reason'], reason);
}

test(`${SUITE}: the hand-signed chain is valid and its leaf has the SANs and subject written`,
    () => {
  const facts = validateCertificateChain(chain);
  assert.equal(facts[0]!.sans, [['dns', 'fragments.example.com'],
    ['email', 'signer@example.com'], ['uri', 'https://example.com/signer']]);
  assert.equal([...facts[0]!.subject], [[O, 'parma-sim'], [OU, 'a'], [OU, 'b'], [CN, 'leaf']]);
  assert.equal(facts[1]!.isCa, true);
  assert.ok(new X509Certificate(leaf).verify(new X509Certificate(ca).publicKey));
});

test(`${SUITE}: a SAN predicate holds for each SAN the leaf has, with its type and value`, () => {
  for (const predicate of ['san:dns:fragments.example.com', 'san:email:signer%40example.com',
    'san:uri:https%3A%2F%2Fexample.com%2Fsigner']) {
    const resolved = resolveDidX509(`${BASE}::${predicate}`, chain);
    assert.is(resolved.caIndex, 1, predicate);
    assert.is(resolved.leaf.der, leaf);
  }
});

test(`${SUITE}: a SAN predicate with another value, or a SAN's value under another type, is `
    + 'refused', () => {
  mismatch(`${BASE}::san:dns:other.example.com`, 'leaf has no dns SAN other.example.com');
  mismatch(`${BASE}::san:email:fragments.example.com`,
    'leaf has no email SAN fragments.example.com');
  mismatch(`${BASE}::san:uri:signer%40example.com`, 'leaf has no uri SAN signer@example.com');
});

test(`${SUITE}: a subject predicate on an attribute the leaf repeats is refused, whatever value `
    + 'it names', () => {
  for (const value of ['a', 'b', 'c']) {
    mismatch(`${BASE}::subject:OU:${value}`,
      'leaf subject repeats OU, which did:x509 does not support');
  }
  mismatch(`${BASE}::subject:CN:leaf:OU:a`,
    'leaf subject repeats OU, which did:x509 does not support');
});

test(`${SUITE}: a subject predicate on attributes the leaf has once holds`, () => {
  assert.is(resolveDidX509(`${BASE}::subject:CN:leaf:O:parma-sim`, chain).caIndex, 1);
  mismatch(`${BASE}::subject:CN:other`, 'leaf subject CN is not "other"');
});

test(`${SUITE}: a certificate OpenSSL cannot read is refused with OpenSSL's cause`, () => {
  const garbage = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]);
  let openssl = '';
  try {
    new X509Certificate(garbage);
  } catch (error) {
    openssl = (error as Error).message;
  }
  assert.ok(openssl.length > 0, 'OpenSSL refuses the bytes');
  const error = failure(() => validateCertificateChain([garbage, ca]));
  assert.is(error.code, 'POLICY_FRAGMENT_BAD_CHAIN');
  assert.is(error.message, 'POLICY_FRAGMENT_BAD_CHAIN: x5chain: certificate does not parse');
  assert.equal(error.detail, { reason: 'certificate does not parse', index: 0, cause: openssl });
  const asn1 = failure(() => readCertificateFacts(garbage));
  assert.is.not(asn1.detail['cause'], openssl, 'the two parsers word their refusals apart');
});

test.run();
