/**
 * Goal: every envelope check the GCS makes before Rego refuses with its own code and message:
 * strict base64, text-typed issuer and feed headers, issuer and feed from the CWT claims (RFC 9597)
 * agreeing with the string headers, an empty value counting as absent, the content type's type,
 * the validity instant, and the package line (blank, malformed, repeated, reserved); a byte-order
 * mark or invalid UTF-8 in the payload is refused. The signed statement carries exactly what the
 * header said.
 * Method: envelopes signed by a deterministic test issuer with one header edited per test (the
 * signature stays valid, so only the checked field differs); expected codes and texts are those
 * spec (e) and the module header document; package lines follow hcsshim's
 * `^package +<identifier>\s*$`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  COSE_HEADER, CWT_CLAIM, decodeCoseSign1, signCoseSign1, type HeaderLabel,
} from '../../models/policy/cose-sign1.js';
import {
  FRAGMENT_CONTENT_TYPE, FRAGMENT_FIRST_LINE, decodeFragmentBase64, parseFragmentNamespace,
  signFragment, verifyFragmentEnvelope, verifySignedStatement,
} from '../../models/policy/fragment-envelope.js';
import { createTestIssuer, signWithTestIssuer } from '../../models/policy/test-issuers.js';
import { failure as refusal } from '../support/failure.js';

const SUITE = 'policy/fragment-envelope-headers';
const FEED = 'contoso.azurecr.io/infra';
const REGO = 'package contoso\n\nsvn := "1"\n';
const issuer = createTestIssuer({ seed: 'envelope-headers' });

function signedWith(edit: (header: Map<HeaderLabel, unknown>) => void,
    payload: Uint8Array | string = REGO): Uint8Array {
  const header = new Map<HeaderLabel, unknown>([
    [COSE_HEADER.alg, issuer.algorithm.id],
    [COSE_HEADER.content_type, FRAGMENT_CONTENT_TYPE],
    [COSE_HEADER.x5chain, [...issuer.chain]],
    [COSE_HEADER.iss, issuer.did],
    [COSE_HEADER.feed, FEED],
  ]);
  edit(header);
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return signCoseSign1({ protectedHeader: header, payload: bytes,
    sign: (tbs) => signWithTestIssuer(issuer, tbs) });
}

const cwt = (claims: readonly (readonly [unknown, unknown])[]): Map<unknown, unknown> =>
  new Map(claims);

test(`${SUITE}: the content type and first-line grammar are hcsshim's`, () => {
  assert.is(FRAGMENT_CONTENT_TYPE, 'application/unknown+rego');
  assert.ok(FRAGMENT_FIRST_LINE.test('package a_1'));
  assert.not.ok(FRAGMENT_FIRST_LINE.test('package 1a'));
});

test(`${SUITE}: base64 must be strict standard base64; surrounding whitespace is ignored`, () => {
  assert.equal(decodeFragmentBase64('AAEC'), new Uint8Array([0, 1, 2]));
  assert.equal(decodeFragmentBase64(' \nAAE=\t'), new Uint8Array([0, 1]));
  assert.equal(decodeFragmentBase64('AA=='), new Uint8Array([0]));
  assert.equal(decodeFragmentBase64('+/+/'), new Uint8Array([0xfb, 0xff, 0xbf]));
  for (const text of ['', '   ', 'AAE', 'AAECA', 'AA-_', 'AA\nEC', 'A===', '=AAA', 'AA=A',
    'AAEC====']) {
    const got = refusal(() => decodeFragmentBase64(text));
    assert.is(got.code, 'POLICY_BAD_FRAGMENT', JSON.stringify(text));
    assert.is(got.message, 'POLICY_BAD_FRAGMENT: fragment: not standard base64');
    assert.is(got.detail['reason'], 'not standard base64');
  }
});

test(`${SUITE}: the statement carries the header's issuer, feed, algorithm, chain and CA index`,
    () => {
  const statement = verifySignedStatement(signedWith(() => {}));
  assert.is(statement.issuer, issuer.did);
  assert.is(statement.feed, FEED);
  assert.is(statement.algorithm, 'ES384');
  assert.is(statement.contentType, FRAGMENT_CONTENT_TYPE);
  assert.equal(statement.chain, issuer.chain);
  assert.is(statement.caIndex, 2);
  assert.is(new TextDecoder().decode(statement.payload), REGO);
  assert.not.ok('svn' in statement, 'no svn without a CWT svn claim');
});

test(`${SUITE}: the issuer and feed may come from the CWT claims alone`, () => {
  const statement = verifySignedStatement(signedWith((h) => {
    h.delete(COSE_HEADER.iss);
    h.delete(COSE_HEADER.feed);
    h.set(COSE_HEADER.cwt_claims, cwt([[CWT_CLAIM.iss, issuer.did], [CWT_CLAIM.sub, FEED],
      [CWT_CLAIM.svn, 7]]));
  }));
  assert.is(statement.issuer, issuer.did);
  assert.is(statement.feed, FEED);
  assert.is(statement.svn, 7);
});

test(`${SUITE}: a header and its CWT claim that differ are a bad issuer or a bad feed`, () => {
  const issuerClash = refusal(() => verifySignedStatement(signedWith((h) =>
    h.set(COSE_HEADER.cwt_claims, cwt([[CWT_CLAIM.iss, 'did:x509:other']])))));
  assert.is(issuerClash.code, 'POLICY_FRAGMENT_BAD_ISSUER');
  assert.is(issuerClash.message, 'POLICY_FRAGMENT_BAD_ISSUER: fragment: the issuer header and '
    + 'its CWT claim differ');
  assert.equal(issuerClash.detail, { reason: 'issuer header and CWT claim differ',
    header: issuer.did, cwt: 'did:x509:other' });
  const feedClash = refusal(() => verifySignedStatement(signedWith((h) =>
    h.set(COSE_HEADER.cwt_claims, cwt([[CWT_CLAIM.sub, 'other/feed']])))));
  assert.is(feedClash.code, 'POLICY_FRAGMENT_BAD_FEED');
  assert.is(feedClash.message, 'POLICY_FRAGMENT_BAD_FEED: fragment: the feed header and its CWT '
    + 'claim differ');
  // Agreeing forms are fine.
  const both = verifySignedStatement(signedWith((h) => h.set(COSE_HEADER.cwt_claims,
    cwt([[CWT_CLAIM.iss, issuer.did], [CWT_CLAIM.sub, FEED]]))));
  assert.is(both.feed, FEED);
});

test(`${SUITE}: an empty issuer or feed counts as missing`, () => {
  const noIssuer = refusal(() => verifySignedStatement(signedWith((h) =>
    h.set(COSE_HEADER.iss, ''))));
  assert.is(noIssuer.code, 'POLICY_FRAGMENT_MISSING_ISSUER');
  assert.is(noIssuer.message, 'POLICY_FRAGMENT_MISSING_ISSUER: fragment: no issuer in the '
    + 'protected header');
  const noFeed = refusal(() => verifySignedStatement(signedWith((h) =>
    h.set(COSE_HEADER.feed, ''))));
  assert.is(noFeed.code, 'POLICY_FRAGMENT_MISSING_FEED');
  assert.is(noFeed.message, 'POLICY_FRAGMENT_MISSING_FEED: fragment: no feed in the protected '
    + 'header');
  assert.equal(noFeed.detail, { issuer: issuer.did });
  // The CWT form alone, empty, is missing too.
  const emptyCwt = refusal(() => verifySignedStatement(signedWith((h) => {
    h.delete(COSE_HEADER.feed);
    h.set(COSE_HEADER.cwt_claims, cwt([[CWT_CLAIM.sub, '']]));
  })));
  assert.is(emptyCwt.code, 'POLICY_FRAGMENT_MISSING_FEED');
});

test(`${SUITE}: an issuer or feed header that is not text is malformed`, () => {
  for (const label of [COSE_HEADER.iss, COSE_HEADER.feed]) {
    const got = refusal(() => verifySignedStatement(signedWith((h) => h.set(label, 42))));
    assert.is(got.code, 'POLICY_BAD_FRAGMENT');
    assert.is(got.message, `POLICY_BAD_FRAGMENT: fragment: protected header ${label} is not a `
      + 'text string');
  }
});

test(`${SUITE}: an envelope without x5chain is malformed, named as such`, () => {
  const got = refusal(() => verifySignedStatement(signedWith((h) =>
    h.delete(COSE_HEADER.x5chain))));
  assert.is(got.message, 'POLICY_BAD_FRAGMENT: fragment: x5chain missing from the protected '
    + 'header');
});

test(`${SUITE}: the content type may be text, an integer, or absent; nothing else`, () => {
  assert.is(verifySignedStatement(signedWith((h) => h.set(COSE_HEADER.content_type, 42)))
    .contentType, 42);
  const absent = verifySignedStatement(signedWith((h) => h.delete(COSE_HEADER.content_type)));
  assert.not.ok('contentType' in absent);
  for (const value of [true, new Uint8Array([1]), ['text']]) {
    const got = refusal(() => verifySignedStatement(signedWith((h) =>
      h.set(COSE_HEADER.content_type, value))));
    assert.is(got.message, 'POLICY_BAD_FRAGMENT: fragment: content type is neither a text string '
      + 'nor an integer');
  }
});

test(`${SUITE}: expected issuer and feed are compared exactly, with their own messages`, () => {
  const bytes = signedWith(() => {});
  assert.is(verifySignedStatement(bytes, { expectedIssuer: issuer.did, expectedFeed: FEED }).feed,
    FEED);
  const wrongIssuer = refusal(() => verifySignedStatement(bytes, { expectedIssuer: 'did:x' }));
  assert.is(wrongIssuer.message, 'POLICY_FRAGMENT_BAD_ISSUER: fragment: invalid fragment issuer');
  assert.equal(wrongIssuer.detail, { issuer: issuer.did, expected: 'did:x' });
  const wrongFeed = refusal(() => verifySignedStatement(bytes, { expectedFeed: 'f' }));
  assert.is(wrongFeed.message, 'POLICY_FRAGMENT_BAD_FEED: fragment: invalid fragment feed');
  assert.equal(wrongFeed.detail, { feed: FEED, expected: 'f' });
});

test(`${SUITE}: with an instant, the chain must be valid then`, () => {
  const bytes = signedWith(() => {});
  assert.is(verifySignedStatement(bytes, { at: new Date(Date.UTC(2030, 0, 1)) }).caIndex, 2);
  assert.is(refusal(() => verifySignedStatement(bytes, { at: new Date(Date.UTC(2040, 0, 1)) }))
    .code, 'POLICY_FRAGMENT_BAD_CHAIN');
});

function badPackage(text: string, message: string): void {
  const got = refusal(() => parseFragmentNamespace(text));
  assert.is(got.code, 'POLICY_FRAGMENT_BAD_PACKAGE', JSON.stringify(text));
  assert.is(got.message, `POLICY_FRAGMENT_BAD_PACKAGE: fragment: ${message}`);
}

test(`${SUITE}: the package line: blank, malformed, repeated and reserved each have a message`,
    () => {
  badPackage('', 'Rego is empty or starts with a blank line');
  badPackage('\npackage x', 'Rego is empty or starts with a blank line');
  badPackage('package x.y\n', 'valid package definition required on first line, got '
    + '"package x.y"');
  badPackage(' package x', 'valid package definition required on first line, got " package x"');
  badPackage(`package ${'a'.repeat(250)} #`, 'valid package definition required on first line, '
    + `got "package ${'a'.repeat(192)}"`);
  badPackage('package x\nrule := 1\npackage y', 'a second package statement on line 3');
  badPackage('package x\n\t package y', 'a second package statement on line 2');
  badPackage('package x\npackage', 'a second package statement on line 2');
  const reserved = refusal(() => parseFragmentNamespace('package metadata\n'));
  assert.is(reserved.code, 'POLICY_FRAGMENT_RESERVED_NAMESPACE');
  assert.is(reserved.message, 'POLICY_FRAGMENT_RESERVED_NAMESPACE: fragment: namespace '
    + '"metadata" is reserved and cannot be used for fragments');
});

test(`${SUITE}: the package refusals name the offending line in their detail`, () => {
  assert.equal(refusal(() => parseFragmentNamespace('\nx')).detail, { firstLine: '' });
  const long = `package ${'b'.repeat(300)}!`;
  assert.equal(refusal(() => parseFragmentNamespace(long)).detail,
    { firstLine: long.slice(0, 200) });
  assert.equal(refusal(() => parseFragmentNamespace('package x\n\n\npackage y')).detail,
    { line: 4 });
  assert.equal(refusal(() => parseFragmentNamespace('package api')).detail, { namespace: 'api' });
});

test(`${SUITE}: accepted package lines give the identifier; later non-package lines are fine`,
    () => {
  assert.is(parseFragmentNamespace('package x'), 'x');
  assert.is(parseFragmentNamespace('package   _a9 \t\r\npackages := 1\n# package y'), '_a9');
  assert.is(parseFragmentNamespace('package frameworks\nx := "package y"\n'), 'frameworks');
  assert.is(parseFragmentNamespace('package x\npackage_name := 1'), 'x');
});

test(`${SUITE}: a payload with a byte-order mark or invalid UTF-8 is refused`, () => {
  const bom = signFragment({ regoText: `\uFEFF${REGO}`, feed: FEED, issuer });
  assert.is(refusal(() => verifyFragmentEnvelope(bom)).code, 'POLICY_FRAGMENT_BAD_PACKAGE');
  const invalid = signedWith(() => {}, new Uint8Array([0x70, 0xff, 0x0a]));
  const got = refusal(() => verifyFragmentEnvelope(invalid));
  assert.is(got.message, 'POLICY_BAD_FRAGMENT: fragment: payload is not UTF-8');
});

test(`${SUITE}: signFragment writes the content type, issuer DID and svn it is given`, () => {
  const bytes = signFragment({ regoText: REGO, feed: FEED, issuer, svn: '3',
    issuerDid: issuer.didSubject, contentType: 'text/plain' });
  const header = decodeCoseSign1(bytes).protectedHeader;
  assert.is(header.get(COSE_HEADER.content_type), 'text/plain');
  assert.is(header.get(COSE_HEADER.iss), issuer.didSubject);
  assert.equal(header.get(COSE_HEADER.cwt_claims), new Map([['svn', '3']]));
  assert.is(header.get(COSE_HEADER.alg), -35);
  const verified = verifyFragmentEnvelope(bytes);
  assert.is(verified.svn, '3');
  assert.is(verified.issuer, issuer.didSubject);
  const plain = decodeCoseSign1(signFragment({ regoText: REGO, feed: FEED, issuer }))
    .protectedHeader;
  assert.is(plain.get(COSE_HEADER.content_type), 'application/unknown+rego');
  assert.is(plain.get(COSE_HEADER.iss), issuer.did);
  assert.not.ok(plain.has(COSE_HEADER.cwt_claims));
});

test.run();
