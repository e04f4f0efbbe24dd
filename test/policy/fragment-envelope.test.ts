/**
 * Goal: fragments signed by deterministic test issuers verify, and every hostile envelope or
 * fragment text is refused with its own stable code: bad issuer, bad signature, missing issuer or
 * feed, issuer DID not matching the chain, broken chain, reserved namespace, smuggled package line.
 * Method: sign with models/policy/test-issuers, then mutate one thing per test; check the test
 * chain with the real `openssl verify` and `openssl x509` (skipped when openssl is absent); the
 * accepted and refused first lines follow hcsshim's regex `^package +<identifier>\s*$`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testWith } from '../support/requires.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { errorCode } from '../../sim/kernel/errors.js';
import {
  COSE_HEADER, decodeCoseSign1, signCoseSign1, type HeaderLabel
} from '../../models/policy/cose-sign1.js';
import {
  RESERVED_NAMESPACES, parseFragmentNamespace, signFragment, verifyFragmentEnvelope,
} from '../../models/policy/fragment-envelope.js';
import {
  ACI_FRAGMENT_EKU, createTestIssuer, signWithTestIssuer, type TestIssuer
} from '../../models/policy/test-issuers.js';

const FEED = 'contoso.azurecr.io/infra';
const REGO = 'package contoso\n\nsvn := "1"\nframework_version := "0.2.3"\n';
const alice = createTestIssuer({ seed: 'alice' });
const mallory = createTestIssuer({ seed: 'mallory' });

function envelopeWith(issuer: TestIssuer, edit: (header: Map<HeaderLabel, unknown>) => void,
    signer = issuer): Uint8Array {
  const header = new Map<HeaderLabel, unknown>([
    [COSE_HEADER.alg, issuer.algorithm.id],
    [COSE_HEADER.content_type, 'application/unknown+rego'],
    [COSE_HEADER.x5chain, [...issuer.chain]],
    [COSE_HEADER.iss, issuer.did],
    [COSE_HEADER.feed, FEED],
  ]);
  edit(header);
  return signCoseSign1({
    protectedHeader: header, payload: new TextEncoder().encode(REGO), sign: (tbs) =>
      signWithTestIssuer(signer, tbs),
  });
}

test('policy/fragment-envelope: a test-signed fragment verifies with its issuer, feed, svn and '
    + 'namespace', () => {
  const verified = verifyFragmentEnvelope(signFragment({ regoText: REGO, feed: FEED, issuer: alice,
    svn: '1' }));
  assert.is(verified.issuer, alice.did);
  assert.is(verified.feed, FEED);
  assert.is(verified.svn, '1');
  assert.is(verified.namespace, 'contoso');
  assert.is(verified.payloadText, REGO);
  assert.is(verified.algorithm, 'ES384');
});

test('policy/fragment-envelope: the base64 form (as on the bridge) verifies too', () => {
  const b64 = Buffer.from(signFragment({ regoText: REGO, feed: FEED,
    issuer: alice })).toString('base64');
  assert.is(verifyFragmentEnvelope(`${b64}\n`).namespace, 'contoso');
  assert.is(errorCode(() => verifyFragmentEnvelope(`${b64.slice(0, -2)}!!`)),
    'POLICY_BAD_FRAGMENT');
});

test('policy/fragment-envelope: the subject-CN issuer DID resolves as well as the EKU one', () => {
  const envelope = signFragment({ regoText: REGO, feed: FEED, issuer: alice,
    issuerDid: alice.didSubject });
  assert.ok(alice.didSubject.includes('::subject:CN:parma-sim%20fragment%20signer'));
  assert.is(verifyFragmentEnvelope(envelope).issuer, alice.didSubject);
});

test('policy/test-issuers: the same seed gives byte-identical chains and envelopes', () => {
  const again = createTestIssuer({ seed: 'alice' });
  assert.equal(again.chain.map((c) => Buffer.from(c).toString('hex')),
    alice.chain.map((c) => Buffer.from(c).toString('hex')));
  const a = signFragment({ regoText: REGO, feed: FEED, issuer: alice });
  const b = signFragment({ regoText: REGO, feed: FEED, issuer: again });
  assert.is(Buffer.compare(Buffer.from(a), Buffer.from(b)), 0);
  assert.is.not(mallory.rootFingerprint, alice.rootFingerprint);
});

test('policy/test-issuers: the chain is root → intermediate → leaf, valid from the simulated '
    + 'epoch', () => {
  assert.is(alice.chain.length, 3);
  const [leaf, intermediate, root] = alice.chain.map((der) => new X509Certificate(der));
  assert.ok(root!.ca && intermediate!.ca && !leaf!.ca);
  assert.ok(leaf!.verify(intermediate!.publicKey) && intermediate!.verify(root!.publicKey)
    && root!.verify(root!.publicKey));
  assert.is(new Date(root!.validFrom).toISOString(), '2026-01-01T00:00:00.000Z');
  assert.equal(leaf!.keyUsage, ['1.3.6.1.5.5.7.3.3', ACI_FRAGMENT_EKU]);
});

testWith('openssl', 'policy/test-issuers: openssl verifies the test chain and sees the fragment '
  + 'EKU', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parma-h5-'));
  try {
    const pem = (der: Uint8Array) => new X509Certificate(der).toString();
    writeFileSync(join(dir, 'leaf.pem'), pem(alice.chain[0]!));
    writeFileSync(join(dir, 'inter.pem'), pem(alice.chain[1]!));
    writeFileSync(join(dir, 'root.pem'), pem(alice.chain[2]!));
    const verify = spawnSync('openssl', ['verify', '-no_check_time',
      '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'inter.pem'),
        join(dir, 'leaf.pem')], { encoding: 'utf8' });
    assert.is(verify.status, 0, verify.stderr + verify.stdout);
    const text = spawnSync('openssl', ['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-text'],
      { encoding: 'utf8' }).stdout;
    assert.ok(text.includes(ACI_FRAGMENT_EKU), 'EKU listed by openssl');
    assert.ok(text.includes('secp384r1'), 'P-384 key');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('policy/fragment-envelope: a malformed issuer (not did:x509) is a bad issuer', () => {
  const envelope = envelopeWith(alice, (h) => h.set(COSE_HEADER.iss, 'did:web:contoso.com'));
  assert.is(errorCode(() => verifyFragmentEnvelope(envelope)), 'POLICY_FRAGMENT_BAD_ISSUER');
});

test('policy/fragment-envelope: an issuer other than the expected one is a bad issuer', () => {
  const envelope = signFragment({ regoText: REGO, feed: FEED, issuer: mallory });
  assert.is(errorCode(() => verifyFragmentEnvelope(envelope, { expectedIssuer: alice.did })),
    'POLICY_FRAGMENT_BAD_ISSUER');
  assert.is(verifyFragmentEnvelope(envelope, { expectedIssuer: mallory.did }).issuer, mallory.did);
});

test('policy/fragment-envelope: a feed other than the expected one is a bad feed', () => {
  const envelope = signFragment({ regoText: REGO, feed: 'contoso.azurecr.io/other',
    issuer: alice });
  assert.is(errorCode(() => verifyFragmentEnvelope(envelope, { expectedFeed: FEED })),
    'POLICY_FRAGMENT_BAD_FEED');
});

test('policy/fragment-envelope: a signature by another key than the x5chain leaf is a bad '
    + 'signature', () => {
  const envelope = envelopeWith(alice, () => {}, mallory);
  assert.is(errorCode(() => verifyFragmentEnvelope(envelope)), 'POLICY_FRAGMENT_BAD_SIGNATURE');
});

test('policy/fragment-envelope: a fragment text swapped after signing is a bad signature', () => {
  const envelope = signFragment({ regoText: REGO, feed: FEED, issuer: alice });
  const at = Buffer.from(envelope).indexOf(Buffer.from('package contoso'));
  const swapped = envelope.slice();
  swapped.set(new TextEncoder().encode('package contosx'), at);
  assert.is(errorCode(() => verifyFragmentEnvelope(swapped)), 'POLICY_FRAGMENT_BAD_SIGNATURE');
});

test('policy/fragment-envelope: a missing feed is refused with its own code', () => {
  const envelope = envelopeWith(alice, (h) => h.delete(COSE_HEADER.feed));
  assert.is(errorCode(() => verifyFragmentEnvelope(envelope)), 'POLICY_FRAGMENT_MISSING_FEED');
  assert.is(errorCode(() => verifyFragmentEnvelope(envelopeWith(alice, (h) =>
    h.set(COSE_HEADER.feed, '')))),
    'POLICY_FRAGMENT_MISSING_FEED');
});

test('policy/fragment-envelope: a missing issuer is refused with its own code', () => {
  const envelope = envelopeWith(alice, (h) => h.delete(COSE_HEADER.iss));
  assert.is(errorCode(() => verifyFragmentEnvelope(envelope)), 'POLICY_FRAGMENT_MISSING_ISSUER');
});

test('policy/fragment-envelope: an issuer DID of another chain does not match this chain', () => {
  const envelope = envelopeWith(alice, (h) => h.set(COSE_HEADER.iss, mallory.did));
  assert.is(errorCode(() => verifyFragmentEnvelope(envelope)), 'POLICY_FRAGMENT_DID_MISMATCH');
});

test('policy/fragment-envelope: an issuer DID with an EKU the leaf lacks does not match', () => {
  const otherEku = alice.did.replace(/::eku:.*$/, '::eku:1.3.6.1.4.1.311.76.59.1.2');
  const envelope = envelopeWith(alice, (h) => h.set(COSE_HEADER.iss, otherEku));
  assert.is(errorCode(() => verifyFragmentEnvelope(envelope)), 'POLICY_FRAGMENT_DID_MISMATCH');
});

test('policy/fragment-envelope: an x5chain whose leaf is not issued by the next certificate is a '
    + 'bad chain', () => {
  // Mallory's leaf signs, but Alice's CAs follow it: the DID would pin Alice's root.
  const envelope = envelopeWith(mallory, (h) => {
    h.set(COSE_HEADER.x5chain, [mallory.chain[0]!, alice.chain[1]!, alice.chain[2]!]);
    h.set(COSE_HEADER.iss, alice.did);
  });
  assert.is(errorCode(() => verifyFragmentEnvelope(envelope)), 'POLICY_FRAGMENT_BAD_CHAIN');
});

test('policy/fragment-envelope: an envelope without x5chain is malformed', () => {
  const envelope = envelopeWith(alice, (h) => h.delete(COSE_HEADER.x5chain));
  assert.is(errorCode(() => verifyFragmentEnvelope(envelope)), 'POLICY_BAD_FRAGMENT');
  assert.is(decodeCoseSign1(envelope).protectedHeader.has(COSE_HEADER.x5chain), false);
});

test('policy/fragment-envelope: each reserved namespace is refused, signed or not', () => {
  assert.equal([...RESERVED_NAMESPACES], ['framework', 'api', 'policy', 'metadata']);
  for (const namespace of RESERVED_NAMESPACES) {
    const envelope = signFragment({ regoText: `package ${namespace}\n\nsvn := "1"\n`, feed: FEED,
      issuer: alice });
    assert.is(errorCode(() => verifyFragmentEnvelope(envelope)),
      'POLICY_FRAGMENT_RESERVED_NAMESPACE', namespace);
  }
});

const SMUGGLED: readonly string[] = [
  'package ok\npackage framework\n',
  'package ok\n  package framework\n',
  'package ok\rpackage framework\n',
  'package framework # package ok\n',
  'package ok # comment\n',
  ' package ok\n',
  '\tpackage ok\n',
  '\ufeffpackage ok\n',
  'package\tok\n',
  'package ok.framework\n',
  'package data.framework\n',
  'package ok framework\n',
  'package\nframework\n',
  '# package ok\npackage framework\n',
  '\npackage ok\n',
  '',
  'package 9lives\n',
  'package ok\u2028package framework\n',
  'Package ok\n',
];

test('policy/fragment-envelope: smuggled or malformed package lines are refused with their own '
    + 'code', () => {
  for (const text of SMUGGLED) {
    assert.is(errorCode(() => parseFragmentNamespace(text)), 'POLICY_FRAGMENT_BAD_PACKAGE',
      JSON.stringify(text));
  }
  const envelope = signFragment({ regoText: 'package ok\npackage framework\n', feed: FEED,
    issuer: alice });
  assert.is(errorCode(() => verifyFragmentEnvelope(envelope)), 'POLICY_FRAGMENT_BAD_PACKAGE');
});

test('policy/fragment-envelope: the first lines hcsshim accepts are accepted', () => {
  assert.is(parseFragmentNamespace('package contoso\nsvn := "1"'), 'contoso');
  assert.is(parseFragmentNamespace('package   _x9 \t\r\nsvn := 1'), '_x9');
  assert.is(parseFragmentNamespace('package framework_ext\n'), 'framework_ext');
  assert.is(parseFragmentNamespace('package Framework'), 'Framework'); // Rego is case-sensitive
});

test.run();
