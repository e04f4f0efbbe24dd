/**
 * Goal: did:x509 parsing refuses each malformed form with its own reason, formatting
 * percent-encodes what the spec's idchar set excludes, certificate facts (subject, EKU, SAN, CA)
 * are read as written, and resolution refuses each broken chain and each failing predicate with
 * its own reason: too short or too long, an issuer that is no CA, a bad signature, a bad
 * self-signature on the anchor, a certificate outside its validity, a predicate the leaf fails.
 * Method: DIDs written by hand from microsoft/did-x509 specification.md; chains from
 * deterministic test issuers, broken one thing at a time (a flipped signature byte, a reordered
 * or repeated certificate, an instant outside the ten-year validity that starts at the simulated
 * epoch, 2026-01-01T00:00:00Z); SANs are read from a leaf edited with @peculiar/asn1-x509.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  Certificate, Extension, GeneralName, SubjectAlternativeName, id_ce_subjectAltName,
} from '@peculiar/asn1-x509';
import {
  DID_X509_PREFIX, SUBJECT_LABEL_OIDS, certificateFingerprint, formatDidX509, parseDidX509,
  readCertificateFacts, resolveDidX509, validateCertificateChain,
} from '../../models/policy/did-x509.js';
import { ACI_FRAGMENT_EKU, createTestIssuer } from '../../models/policy/test-issuers.js';
import { failure as refusal } from '../support/failure.js';

const SUITE = 'policy/did-x509-resolve';
const FP = 'I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s';
const BASE = `did:x509:0:sha256:${FP}`;

function badIssuer(did: string, reason: string): void {
  const got = refusal(() => parseDidX509(did));
  assert.is(got.message, `POLICY_FRAGMENT_BAD_ISSUER: did:x509: ${reason}`, did);
  assert.is(got.detail['reason'], reason);
  assert.is(got.detail['issuer'], did.slice(0, 300));
}

test(`${SUITE}: the prefix and subject labels are the spec's`, () => {
  assert.is(DID_X509_PREFIX, 'did:x509:0:');
  assert.equal({ ...SUBJECT_LABEL_OIDS }, { CN: '2.5.4.3', L: '2.5.4.7', ST: '2.5.4.8',
    O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6', STREET: '2.5.4.9' });
});

test(`${SUITE}: each malformed head is refused with its own reason`, () => {
  badIssuer('did:web:contoso.com', 'issuer is not a did:x509:0 DID');
  badIssuer(`did:x509:1:sha256:${FP}::eku:1.2`, 'issuer is not a did:x509:0 DID');
  badIssuer('did:x509:0:sha256::eku:1.2', 'expected <fingerprint-alg>:<fingerprint> after the '
    + 'version');
  badIssuer(`did:x509:0:sha256:${FP}:x::eku:1.2`, 'expected <fingerprint-alg>:<fingerprint> '
    + 'after the version');
  badIssuer(`did:x509:0:md5:${FP}::eku:1.2`, 'unsupported fingerprint algorithm md5');
  badIssuer(`did:x509:0:sha256:${FP.slice(1)}::eku:1.2`,
    'fingerprint is not a base64url sha256 digest');
  badIssuer(`did:x509:0:sha256:${FP.slice(1)}+::eku:1.2`,
    'fingerprint is not a base64url sha256 digest');
  badIssuer(`did:x509:0:sha384:${FP}::eku:1.2`, 'fingerprint is not a base64url sha384 digest');
  badIssuer(`did:x509:0:sha256:+${FP.slice(1)}::eku:1.2`,
    'fingerprint is not a base64url sha256 digest');
  badIssuer(BASE, 'a did:x509 needs at least one predicate');
});

test(`${SUITE}: fingerprints of 43, 64 and 86 base64url characters fit sha256, sha384, sha512`,
    () => {
  for (const [algorithm, length] of [['sha256', 43], ['sha384', 64], ['sha512', 86]] as const) {
    const fingerprint = 'A_-9'.repeat(30).slice(0, length);
    const did = parseDidX509(`did:x509:0:${algorithm}:${fingerprint}::eku:1.2`);
    assert.is(did.fingerprintAlgorithm, algorithm);
    assert.is(did.fingerprint, fingerprint);
  }
});

test(`${SUITE}: each malformed predicate is refused with its own reason`, () => {
  badIssuer(`${BASE}::eku`, 'predicate must be <name>:<value>');
  badIssuer(`${BASE}:::1.2`, 'predicate must be <name>:<value>');
  badIssuer(`${BASE}::eku:`, 'predicate must be <name>:<value>');
  badIssuer(`${BASE}::eku:1.2.`, 'eku value is not a dotted OID');
  badIssuer(`${BASE}::eku:1..2`, 'eku value is not a dotted OID');
  badIssuer(`${BASE}::eku:a.1`, 'eku value is not a dotted OID');
  badIssuer(`${BASE}::eku:1.2a`, 'eku value is not a dotted OID');
  badIssuer(`${BASE}::subject:x2.5:a`, 'unknown subject key x2.5');
  badIssuer(`${BASE}::subject:2.5x:a`, 'unknown subject key 2.5x');
  badIssuer(`${BASE}::subject:CN:%2G`, 'predicate value has characters that must be '
    + 'percent-encoded');
  badIssuer(`${BASE}::subject:CN:%`, 'predicate value has characters that must be '
    + 'percent-encoded');
  badIssuer(`${BASE}::subject:CN:a:O`, 'subject predicate needs key:value pairs');
  badIssuer(`${BASE}::subject:XX:a`, 'unknown subject key XX');
  badIssuer(`${BASE}::subject:CN:a:CN:b`, 'subject key CN repeated');
  badIssuer(`${BASE}::subject:CN:a%20b:O:x%2`,
    'predicate value has characters that must be percent-encoded');
  badIssuer(`${BASE}::subject:CN:a b`, 'predicate value has characters that must be '
    + 'percent-encoded');
  badIssuer(`${BASE}::subject:CN:%C3%28`, 'predicate value has bad percent-encoding');
  badIssuer(`${BASE}::san:ip:1.2.3.4`, 'san predicate must be san:<email|dns|uri>:<value>');
  badIssuer(`${BASE}::san:dns:a:b`, 'san predicate must be san:<email|dns|uri>:<value>');
  badIssuer(`${BASE}::fulcio-issuer:x`, 'fulcio-issuer predicates are not supported');
  badIssuer(`${BASE}::policy:x`, 'unknown predicate policy');
  badIssuer(`${BASE}::eku:1.2::x`, 'predicate must be <name>:<value>');
});

test(`${SUITE}: a refusal quotes at most the first 300 characters of the DID`, () => {
  const long = `${BASE}::eku:${'1.'.repeat(200)}`;
  assert.is(refusal(() => parseDidX509(long)).detail['issuer'], long.slice(0, 300));
  const unpinned = `did:x509:0:sha256:${FP}::eku:${'1.'.repeat(200)}1`;
  const got = refusal(() => resolveDidX509(unpinned, issuer.chain));
  assert.is(got.code, 'POLICY_FRAGMENT_DID_MISMATCH');
  assert.is(got.detail['issuer'], unpinned.slice(0, 300));
  assert.is((got.detail['issuer'] as string).length, 300);
});

test(`${SUITE}: OID arcs may have several digits`, () => {
  assert.equal(parseDidX509(`${BASE}::eku:12.345.6789`).predicates, [{ name: 'eku',
    oid: '12.345.6789' }]);
});

test(`${SUITE}: well-formed predicates parse, in order, with values percent-decoded`, () => {
  const did = parseDidX509(`${BASE}::eku:1.3.6::subject:2.5.4.3:a%2Fb:OU:x::san:email:a%40b.c`
    + '::san:dns:example.com::san:uri:https%3A%2F%2Fx');
  assert.equal(did.predicates, [
    { name: 'eku', oid: '1.3.6' },
    { name: 'subject', fields: [['2.5.4.3', 'a/b'], ['OU', 'x']] },
    { name: 'san', sanType: 'email', value: 'a@b.c' },
    { name: 'san', sanType: 'dns', value: 'example.com' },
    { name: 'san', sanType: 'uri', value: 'https://x' },
  ]);
  assert.is(did.fingerprintAlgorithm, 'sha256');
  assert.is(did.fingerprint, FP);
});

test(`${SUITE}: formatting percent-encodes everything outside the idchar set`, () => {
  const text = formatDidX509({ fingerprintAlgorithm: 'sha256', fingerprint: FP, predicates: [
    { name: 'subject', fields: [['CN', "a b!'()*~/:"], ['O', 'x.y_z-0']] },
    { name: 'san', sanType: 'uri', value: 'https://e.x/p' },
    { name: 'eku', oid: '1.2.3' },
  ] });
  assert.is(text, `${BASE}::subject:CN:a%20b%21%27%28%29%2A%7E%2F%3A:O:x.y_z-0`
    + '::san:uri:https%3A%2F%2Fe.x%2Fp::eku:1.2.3');
});

const issuer = createTestIssuer({ seed: 'did-resolve' });
const [leaf, intermediate, root] = issuer.chain as [Uint8Array, Uint8Array, Uint8Array];

function flipLast(der: Uint8Array): Uint8Array {
  const copy = der.slice();
  copy[copy.length - 1] = copy[copy.length - 1]! ^ 0x01;
  return copy;
}

function badChain(fn: () => unknown, reason: string, index?: number): void {
  const got = refusal(fn);
  assert.is(got.message, `POLICY_FRAGMENT_BAD_CHAIN: x5chain: ${reason}`);
  assert.is(got.detail['reason'], reason);
  if (index !== undefined) assert.is(got.detail['index'], index);
}

test(`${SUITE}: certificate facts are the subject, EKUs and CA flag as issued`, () => {
  const facts = readCertificateFacts(leaf);
  assert.equal([...facts.subject], [['2.5.4.10', 'parma-sim test issuer'],
    ['2.5.4.3', 'parma-sim fragment signer']]);
  assert.equal(facts.ekus, ['1.3.6.1.5.5.7.3.3', ACI_FRAGMENT_EKU]);
  assert.equal(facts.sans, []);
  assert.is(facts.isCa, false);
  assert.is(facts.der, leaf);
  assert.is(readCertificateFacts(root).isCa, true);
  assert.equal(readCertificateFacts(root).ekus, []);
  badChain(() => readCertificateFacts(new Uint8Array([0x30, 0x00]), 4),
    'certificate does not parse', 4);
});

test(`${SUITE}: a certificate without extensions has no EKU, no SAN and is no CA`, () => {
  const certificate = AsnConvert.parse(root, Certificate);
  delete certificate.tbsCertificate.extensions;
  const facts = readCertificateFacts(new Uint8Array(AsnConvert.serialize(certificate)));
  assert.equal(facts.ekus, []);
  assert.equal(facts.sans, []);
  assert.is(facts.isCa, false);
  assert.is(facts.subject.length, 2);
});

test(`${SUITE}: SANs are read by type: rfc822Name as email, dNSName as dns, URI as uri`, () => {
  const certificate = AsnConvert.parse(leaf, Certificate);
  const sans = new SubjectAlternativeName([new GeneralName({ rfc822Name: 'ops@example.com' }),
    new GeneralName({ dNSName: 'example.com' }),
    new GeneralName({ uniformResourceIdentifier: 'https://example.com/x' }),
    new GeneralName({ iPAddress: '10.0.0.1' })]);
  certificate.tbsCertificate.extensions!.push(new Extension({ extnID: id_ce_subjectAltName,
    critical: false, extnValue: new OctetString(AsnConvert.serialize(sans)) }));
  const facts = readCertificateFacts(new Uint8Array(AsnConvert.serialize(certificate)));
  assert.equal(facts.sans, [['email', 'ops@example.com'], ['dns', 'example.com'],
    ['uri', 'https://example.com/x']]);
});

test(`${SUITE}: the fingerprint is base64url SHA-2 of the DER, per algorithm`, () => {
  // SHA-256 of the empty string, e3b0c442…b855, in base64url.
  assert.is(certificateFingerprint(new Uint8Array(0)),
    '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
  assert.is(certificateFingerprint(new Uint8Array(0), 'sha384').length, 64);
  assert.is(certificateFingerprint(new Uint8Array(0), 'sha512').length, 86);
  assert.is(certificateFingerprint(root), issuer.rootFingerprint);
});

test(`${SUITE}: a chain of one or of more than 16 certificates is refused by length`, () => {
  badChain(() => validateCertificateChain([leaf]), 'a did:x509 chain needs a leaf and at least '
    + 'one CA');
  badChain(() => validateCertificateChain([]), 'a did:x509 chain needs a leaf and at least one CA');
  const long = [leaf, intermediate, ...new Array<Uint8Array>(15).fill(root)];
  badChain(() => validateCertificateChain(long), 'chain longer than 16 certificates');
  assert.equal(refusal(() => validateCertificateChain(long)).detail['length'], 17);
  assert.equal(refusal(() => validateCertificateChain([leaf])).detail['length'], 1);
  // 16 is allowed: the root re-issues itself.
  const sixteen = [leaf, intermediate, ...new Array<Uint8Array>(14).fill(root)];
  assert.is(validateCertificateChain(sixteen).length, 16);
});

test(`${SUITE}: each broken link is refused with its reason and index`, () => {
  badChain(() => validateCertificateChain([intermediate, leaf]),
    'issuer certificate is not a CA', 1);
  badChain(() => validateCertificateChain([leaf, root]), 'certificate not issued by the next '
    + 'one', 0);
  badChain(() => validateCertificateChain([flipLast(leaf), intermediate, root]),
    'certificate signature does not verify', 0);
  badChain(() => validateCertificateChain([leaf, intermediate, flipLast(root)]),
    'self-issued anchor has a bad self-signature', 2);
  badChain(() => validateCertificateChain([leaf, new Uint8Array([1, 2]), root]),
    'certificate does not parse', 1);
  // The anchor need not be self-signed: the intermediate may end the chain.
  assert.is(validateCertificateChain([leaf, intermediate]).length, 2);
});

test(`${SUITE}: with a time, every certificate must be valid at it, bounds included`, () => {
  const epoch = Date.UTC(2026, 0, 1);
  const end = epoch + 3_652 * 24 * 3_600 * 1_000;
  assert.is(validateCertificateChain(issuer.chain, new Date(epoch)).length, 3);
  assert.is(validateCertificateChain(issuer.chain, new Date(end)).length, 3);
  badChain(() => validateCertificateChain(issuer.chain, new Date(epoch - 1_000)),
    'certificate not valid at the given time', 0);
  badChain(() => validateCertificateChain(issuer.chain, new Date(end + 1_000)),
    'certificate not valid at the given time', 0);
});

function mismatch(did: string, reason: string): void {
  const got = refusal(() => resolveDidX509(did, issuer.chain));
  assert.is(got.code, 'POLICY_FRAGMENT_DID_MISMATCH');
  assert.is(got.message, 'POLICY_FRAGMENT_DID_MISMATCH: issuer DID does not resolve against the '
    + `x5chain: ${reason}`);
  assert.is(got.detail['reason'], reason);
}

test(`${SUITE}: resolution pins the named CA, and every predicate must hold on the leaf`, () => {
  const rootDid = `did:x509:0:sha256:${issuer.rootFingerprint}`;
  const resolved = resolveDidX509(`${rootDid}::eku:${ACI_FRAGMENT_EKU}`, issuer.chain);
  assert.is(resolved.caIndex, 2);
  assert.is(resolved.did, `${rootDid}::eku:${ACI_FRAGMENT_EKU}`);
  assert.is(resolved.leaf.der, leaf);
  const interDid = `did:x509:0:sha384:${certificateFingerprint(intermediate, 'sha384')}`;
  assert.is(resolveDidX509(`${interDid}::subject:O:parma-sim%20test%20issuer`,
    issuer.chain).caIndex, 1);
  mismatch(`did:x509:0:sha256:${certificateFingerprint(leaf)}::eku:1.2`,
    'no CA certificate in the chain has the pinned fingerprint');
  mismatch(`${rootDid}::eku:1.2.3`, 'leaf has no EKU 1.2.3');
  mismatch(`${rootDid}::eku:${ACI_FRAGMENT_EKU}::eku:1.2.3`, 'leaf has no EKU 1.2.3');
  mismatch(`${rootDid}::san:dns:example.com`, 'leaf has no dns SAN example.com');
  mismatch(`${rootDid}::subject:CN:someone`, 'leaf subject CN is not "someone"');
  mismatch(`${rootDid}::subject:OU:x`, 'leaf subject OU is not "x"');
  mismatch(`${rootDid}::subject:CN:parma-sim%20fragment%20signer:O:other`,
    'leaf subject O is not "other"');
  assert.is(resolveDidX509(`${rootDid}::subject:2.5.4.3:parma-sim%20fragment%20signer`,
    issuer.chain).caIndex, 2);
});

test(`${SUITE}: a malformed DID is a bad issuer before the chain is looked at`, () => {
  const got = refusal(() => resolveDidX509('did:web:x', [leaf]));
  assert.is(got.code, 'POLICY_FRAGMENT_BAD_ISSUER');
});

test.run();
