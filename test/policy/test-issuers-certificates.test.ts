/**
 * Goal: the deterministic test issuer writes the certificates its header promises: per option
 * (curve, EKU, common name, with or without an intermediate) the right algorithm, chain length,
 * names, DIDs and extensions (basic constraints and key usage critical, CA flags, key
 * identifiers linking each certificate to its issuer, positive 16-byte serials), valid for ten
 * years from the simulated epoch, and its COSE signatures are r || s of the curve's size.
 * Method: certificates read with @peculiar/asn1-x509 and node's X509Certificate; expected values
 * from RFC 5280 (sections 4.1.2.2, 4.2.1.1-4.2.1.3, 4.2.1.9), RFC 5480 / RFC 5758 OIDs and RFC
 * 9053 (ES256: 64-byte signatures, ES384: 96), the epoch 2026-01-01T00:00:00Z and 3,652 days.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, X509Certificate, verify } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier, BasicConstraints, Certificate, KeyUsage, SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier, id_ce_basicConstraints, id_ce_extKeyUsage, id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { p256, p384 } from '@noble/curves/nist.js';
import { Rng } from '../../sim/kernel/rng.js';
import { readCertificateFacts, resolveDidX509 } from '../../models/policy/did-x509.js';
import {
  ACI_FRAGMENT_EKU, createTestIssuer, signWithTestIssuer,
} from '../../models/policy/test-issuers.js';

const SUITE = 'policy/test-issuers-certificates';
const hex = (bytes: ArrayBuffer | Uint8Array): string => Buffer.from(new Uint8Array(bytes))
  .toString('hex');

function extensionsOf(der: Uint8Array) {
  const certificate = AsnConvert.parse(der, Certificate);
  const list = certificate.tbsCertificate.extensions ?? [];
  const find = (oid: string) => list.find((e) => e.extnID === oid);
  return { certificate, find, oids: list.map((e) => e.extnID) };
}

test(`${SUITE}: the defaults are P-384 with ES384, the ACI EKU and a three-certificate chain`,
    () => {
  const issuer = createTestIssuer({ seed: 7 });
  assert.is(issuer.curve, 'P-384');
  assert.is(issuer.algorithm.name, 'ES384');
  assert.is(issuer.ekuOid, ACI_FRAGMENT_EKU);
  assert.is(ACI_FRAGMENT_EKU, '1.3.6.1.4.1.311.76.59.1.3');
  assert.is(issuer.subjectCommonName, 'parma-sim fragment signer');
  assert.is(issuer.chain.length, 3);
  assert.is(issuer.seed, createTestIssuer({ seed: 7 }).seed);
  assert.is(issuer.did, `did:x509:0:sha256:${issuer.rootFingerprint}::eku:${ACI_FRAGMENT_EKU}`);
  assert.is(issuer.didSubject, `did:x509:0:sha256:${issuer.rootFingerprint}`
    + '::subject:CN:parma-sim%20fragment%20signer');
  const names = issuer.chain.map((der) => new X509Certificate(der).subject);
  assert.equal(names, ['O=parma-sim test issuer\nCN=parma-sim fragment signer',
    'O=parma-sim test issuer\nCN=parma-sim test intermediate CA',
    'O=parma-sim test issuer\nCN=parma-sim test root CA']);
  const issuers = issuer.chain.map((der) => new X509Certificate(der).issuer);
  assert.equal(issuers, ['O=parma-sim test issuer\nCN=parma-sim test intermediate CA',
    'O=parma-sim test issuer\nCN=parma-sim test root CA',
    'O=parma-sim test issuer\nCN=parma-sim test root CA']);
});

test(`${SUITE}: P-256, a custom EKU and name, and no intermediate give what they say`, () => {
  const issuer = createTestIssuer({ seed: 'options', curve: 'P-256', ekuOid: '1.2.3.4',
    subjectCommonName: 'Signer One', intermediate: false });
  assert.is(issuer.curve, 'P-256');
  assert.is(issuer.algorithm.name, 'ES256');
  assert.is(issuer.chain.length, 2);
  const [leaf, root] = issuer.chain.map((der) => new X509Certificate(der));
  assert.is(leaf!.subject, 'O=parma-sim test issuer\nCN=Signer One');
  assert.is(leaf!.issuer, 'O=parma-sim test issuer\nCN=parma-sim test root CA');
  assert.ok(leaf!.verify(root!.publicKey));
  assert.is(leaf!.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(readCertificateFacts(issuer.chain[0]!).ekus, ['1.3.6.1.5.5.7.3.3', '1.2.3.4']);
  assert.is(issuer.did, `did:x509:0:sha256:${issuer.rootFingerprint}::eku:1.2.3.4`);
  assert.is(issuer.didSubject, `did:x509:0:sha256:${issuer.rootFingerprint}`
    + '::subject:CN:Signer%20One');
  assert.is(resolveDidX509(issuer.did, issuer.chain).caIndex, 1);
  // ECDSA with SHA-256 (RFC 5758 section 3.2) signs the P-256 certificates.
  assert.is(AsnConvert.parse(issuer.chain[0]!, Certificate).signatureAlgorithm.algorithm,
    '1.2.840.10045.4.3.2');
});

test(`${SUITE}: P-384 certificates are signed with ECDSA SHA-384 over a secp384r1 key`, () => {
  const issuer = createTestIssuer({ seed: 'p384' });
  for (const der of issuer.chain) {
    const certificate = AsnConvert.parse(der, Certificate);
    assert.is(certificate.signatureAlgorithm.algorithm, '1.2.840.10045.4.3.3');
    assert.is(certificate.tbsCertificate.signature.algorithm, '1.2.840.10045.4.3.3');
    const spki = certificate.tbsCertificate.subjectPublicKeyInfo;
    assert.is(spki.algorithm.algorithm, '1.2.840.10045.2.1');
    assert.is(new X509Certificate(der).publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
    assert.is(spki.subjectPublicKey.byteLength, 97, 'an uncompressed P-384 point');
  }
});

test(`${SUITE}: CA and leaf extensions: critical constraints and key usage, linked key ids`,
    () => {
  const issuer = createTestIssuer({ seed: 'extensions' });
  const [leaf, intermediate, root] = issuer.chain.map(extensionsOf);
  for (const [cert, isCa] of [[leaf!, false], [intermediate!, true], [root!, true]] as const) {
    const bc = cert.find(id_ce_basicConstraints)!;
    assert.is(bc.critical, true);
    assert.is(AsnConvert.parse(bc.extnValue.buffer, BasicConstraints).cA, isCa);
    const ku = cert.find(id_ce_keyUsage)!;
    assert.is(ku.critical, true);
    // digitalSignature is bit 0 (value 1); keyCertSign bit 5 (32); cRLSign bit 6 (64).
    assert.is(AsnConvert.parse(ku.extnValue.buffer, KeyUsage).toNumber(), isCa ? 96 : 1);
    assert.is(cert.find(id_ce_subjectKeyIdentifier)!.critical, false);
    assert.is(cert.find(id_ce_authorityKeyIdentifier)!.critical, false);
  }
  assert.is(leaf!.find(id_ce_extKeyUsage)!.critical, false);
  assert.is(root!.find(id_ce_extKeyUsage), undefined);
  assert.is(intermediate!.find(id_ce_extKeyUsage), undefined);
  const ski = (c: ReturnType<typeof extensionsOf>) => hex(AsnConvert.parse(
    c.find(id_ce_subjectKeyIdentifier)!.extnValue.buffer, SubjectKeyIdentifier).buffer);
  const aki = (c: ReturnType<typeof extensionsOf>) => hex(AsnConvert.parse(
    c.find(id_ce_authorityKeyIdentifier)!.extnValue.buffer, AuthorityKeyIdentifier)
    .keyIdentifier!.buffer);
  // Key identifiers: the first 20 bytes of SHA-256 of the public key point (an RFC 5280 4.2.1.2
  // style method with SHA-256 in place of SHA-1).
  for (const cert of [leaf!, intermediate!, root!]) {
    const point = new Uint8Array(cert.certificate.tbsCertificate.subjectPublicKeyInfo
      .subjectPublicKey);
    assert.is(ski(cert), createHash('sha256').update(point).digest('hex').slice(0, 40));
  }
  assert.is(aki(leaf!), ski(intermediate!));
  assert.is(aki(intermediate!), ski(root!));
  assert.is(aki(root!), ski(root!));
  assert.is(new Set([ski(leaf!), ski(intermediate!), ski(root!)]).size, 3, 'three distinct keys');
});

test(`${SUITE}: serials are positive 16-byte integers, distinct within a chain`, () => {
  const issuer = createTestIssuer({ seed: 'serials' });
  const serials = issuer.chain.map((der) => new Uint8Array(AsnConvert.parse(der, Certificate)
    .tbsCertificate.serialNumber));
  for (const serial of serials) {
    assert.is(serial.length, 16);
    assert.ok(serial[0]! >= 0x40 && serial[0]! <= 0x7f, `first byte ${serial[0]}`);
  }
  assert.is(new Set(serials.map(hex)).size, 3);
});

test(`${SUITE}: every certificate is valid for 3,652 days from 2026-01-01T00:00:00Z`, () => {
  for (const der of createTestIssuer({ seed: 'validity' }).chain) {
    const certificate = new X509Certificate(der);
    assert.is(new Date(certificate.validFrom).toISOString(), '2026-01-01T00:00:00.000Z');
    assert.is(new Date(certificate.validTo).toISOString(), '2036-01-01T00:00:00.000Z');
  }
});

test(`${SUITE}: COSE signatures are r || s of the curve's size and verify under the leaf`, () => {
  for (const curve of ['P-256', 'P-384'] as const) {
    const issuer = createTestIssuer({ seed: 'sign', curve });
    const signature = signWithTestIssuer(issuer, new Uint8Array([1, 2, 3]));
    assert.is(signature.length, curve === 'P-256' ? 64 : 96);
    const key = new X509Certificate(issuer.chain[0]!).publicKey;
    assert.ok(verify(curve === 'P-256' ? 'sha256' : 'sha384', new Uint8Array([1, 2, 3]),
      { key, dsaEncoding: 'ieee-p1363' }, signature));
  }
});

test(`${SUITE}: keys and serials come from the seed's named streams, as documented`, () => {
  // The derivation contract (models/policy/test-issuers.ts): Rng(seed) → 'policy-test-issuer' →
  // curve, then 'ca0' (root), 'ca1' (intermediate), 'leaf' for keys (the curve's seed length of
  // bytes, noble's randomSecretKey), and 'serials' for 16-byte serials in issue order.
  for (const [curve, ecdsa, seedBytes] of [['P-256', p256, 48], ['P-384', p384, 72]] as const) {
    const issuer = createTestIssuer({ seed: 'derive', curve });
    const streams = Rng.fromSeed('derive').fork('policy-test-issuer').fork(curve);
    const secret = (name: string) =>
      ecdsa.utils.randomSecretKey(streams.fork(name).bytes(seedBytes));
    assert.equal(issuer.leafSecretKey, secret('leaf'));
    const publicKeyOf = (der: Uint8Array) => hex(AsnConvert.parse(der, Certificate)
      .tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
    assert.is(publicKeyOf(issuer.chain[2]!), hex(ecdsa.getPublicKey(secret('ca0'), false)));
    assert.is(publicKeyOf(issuer.chain[1]!), hex(ecdsa.getPublicKey(secret('ca1'), false)));
    const serials = streams.fork('serials');
    for (const index of [2, 1, 0]) {
      const expected = serials.bytes(16);
      expected[0] = (expected[0]! & 0x3f) | 0x40;
      const serial = new Uint8Array(AsnConvert.parse(issuer.chain[index]!, Certificate)
        .tbsCertificate.serialNumber);
      assert.is(hex(serial), hex(expected), `serial of chain[${index}]`);
    }
  }
});

test.run();
