/**
 * Goal: the COSE_Sign1 codec refuses every malformed message with POLICY_BAD_FRAGMENT and a
 * message naming what is wrong, decodes strictly (RFC 8949 section 4.2 deterministic rules the
 * GCS's go-cose applies: no indefinite lengths, no duplicate keys, no undefined/NaN/Infinity),
 * builds the RFC 9052 Sig_structure byte for byte, and the signature check refuses a key that
 * does not suit the algorithm with POLICY_FRAGMENT_BAD_SIGNATURE.
 * Method: messages are written as CBOR bytes by hand (RFC 8949 major types) or encoded with
 * cborg from hand-built values, then decoded; RSA and RSA-PSS leaves are made by swapping a
 * node-generated public key into a test-issuer certificate. Expected bytes are hand-derived from
 * RFC 9052 section 4.4 and RFC 8949; expected texts are the codec's documented reasons.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode, Tagged } from 'cborg';
import {
  constants as cryptoConstants, generateKeyPairSync, sign as cryptoSign, type KeyObject,
} from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import {
  COSE_ALGORITHMS, COSE_HEADER, COSE_SIGN1_TAG, CWT_CLAIM, RSA_MIN_MODULUS_BITS,
  coseAlgorithmById, coseAlgorithmByName, decodeCoseSign1, encodeCoseSign1, encodeProtectedHeader,
  readCwtClaims, sigStructure, signCoseSign1, verifyCoseSign1Signature, x5chainCertificates,
  type HeaderLabel,
} from '../../models/policy/cose-sign1.js';
import { createTestIssuer, signWithTestIssuer } from '../../models/policy/test-issuers.js';
import { failure as refusal } from '../support/failure.js';

const SUITE = 'policy/cose-sign1-codec';
const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/ /g, ''),
  'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The code and message of what `fn` throws (a SimError), for exact checks. */
function assertBad(fn: () => unknown, reason: string): void {
  const got = refusal(fn);
  assert.is(got.code, 'POLICY_BAD_FRAGMENT', reason);
  assert.is(got.message, `POLICY_BAD_FRAGMENT: COSE_Sign1: ${reason}`);
  assert.is(got.detail['reason'], reason);
}

/** h'A10126' is {1: -7}: alg ES256 (RFC 9052 appendix C examples). */
const PROTECTED_ES256 = hex('a10126');
const SIG = new Uint8Array([1, 2, 3]);
const tagged = (items: unknown): Uint8Array => encode(new Tagged(COSE_SIGN1_TAG, items));

test(`${SUITE}: the header labels and claim keys are the IANA and Microsoft ones`, () => {
  assert.equal({ ...COSE_HEADER }, { alg: 1, crit: 2, content_type: 3, kid: 4, cwt_claims: 15,
    x5chain: 33, x5t: 34, iss: 'iss', feed: 'feed', signingtime: 'signingtime' });
  assert.equal({ ...CWT_CLAIM }, { iss: 1, sub: 2, svn: 'svn' });
  assert.is(COSE_SIGN1_TAG, 18);
  assert.is(RSA_MIN_MODULUS_BITS, 2048);
});

test(`${SUITE}: the algorithm table is RFC 9053 table 1 and RFC 8230 table 1`, () => {
  const rows = COSE_ALGORITHMS.map((a) => [a.id, a.name, a.kind, a.hash, a.namedCurve ?? '-',
    a.signatureBytes ?? 0]);
  assert.equal(rows, [
    [-7, 'ES256', 'ecdsa', 'sha256', 'prime256v1', 64],
    [-35, 'ES384', 'ecdsa', 'sha384', 'secp384r1', 96],
    [-36, 'ES512', 'ecdsa', 'sha512', 'secp521r1', 132],
    [-37, 'PS256', 'rsa-pss', 'sha256', '-', 0],
    [-38, 'PS384', 'rsa-pss', 'sha384', '-', 0],
    [-39, 'PS512', 'rsa-pss', 'sha512', '-', 0],
  ]);
  for (const row of COSE_ALGORITHMS) {
    assert.is(coseAlgorithmById(row.id), row);
    assert.is(coseAlgorithmByName(row.name), row);
  }
});

test(`${SUITE}: an unknown or missing alg is refused naming it`, () => {
  for (const id of [-8, 0, 1, '-7', undefined, null]) {
    const got = refusal(() => coseAlgorithmById(id));
    assert.is(got.message, 'POLICY_BAD_FRAGMENT: COSE_Sign1: unsupported or missing alg');
    assert.is(got.detail['alg'], String(id));
  }
});

test(`${SUITE}: Sig_structure is ["Signature1", protected, h'', payload] byte for byte`, () => {
  // 84 (array 4), 6a "Signature1", 43 a10126, 40 (empty bstr), 42 "hi"
  assert.is(toHex(sigStructure(PROTECTED_ES256, new TextEncoder().encode('hi'))),
    '846a5369676e61747572653143a10126404268' + '69');
  assert.is(toHex(sigStructure(new Uint8Array(0), new Uint8Array(0))),
    '846a5369676e61747572653140' + '40' + '40');
});

test(`${SUITE}: a protected header encodes as the CBOR map, and messages as tag 18`, () => {
  assert.is(toHex(encodeProtectedHeader(new Map<HeaderLabel, unknown>([[1, -7]]))), 'a10126');
  const bytes = encodeCoseSign1({ protectedBytes: PROTECTED_ES256,
    protectedHeader: new Map([[1, -7]]), unprotectedHeader: new Map(),
    payload: hex('01'), signature: hex('02') });
  // d2 (tag 18) 84 43 a10126 a0 41 01 41 02
  assert.is(toHex(bytes), 'd28443a10126a041014102');
});

test(`${SUITE}: a well-formed message decodes into its four parts`, () => {
  const message = decodeCoseSign1(hex('d28443a10126a1046131 4101 4102'));
  assert.equal(message.protectedBytes, PROTECTED_ES256);
  assert.equal([...message.protectedHeader], [[1, -7]]);
  assert.equal([...message.unprotectedHeader], [[4, '1']]);
  assert.equal(message.payload, hex('01'));
  assert.equal(message.signature, hex('02'));
  // A zero-length protected bstr stands for the empty map (RFC 9052 section 3).
  assert.is(decodeCoseSign1(hex('d28440a0 4101 4102')).protectedHeader.size, 0);
});

test(`${SUITE}: malformed message structures are refused with their reason`, () => {
  assertBad(() => decodeCoseSign1(new Uint8Array(0)), 'empty input');
  assertBad(() => decodeCoseSign1(encode([PROTECTED_ES256, new Map(), hex('01'), SIG])),
    'message is not CBOR tag 18 (COSE_Sign1_Tagged)');
  assertBad(() => decodeCoseSign1(encode(new Tagged(17, [PROTECTED_ES256, new Map(), hex('01'),
    SIG]))), 'message is not CBOR tag 18 (COSE_Sign1_Tagged)');
  assertBad(() => decodeCoseSign1(tagged([PROTECTED_ES256, new Map(), hex('01')])),
    'COSE_Sign1 must be an array of 4 items');
  assertBad(() => decodeCoseSign1(tagged([PROTECTED_ES256, new Map(), hex('01'), SIG, SIG])),
    'COSE_Sign1 must be an array of 4 items');
  assertBad(() => decodeCoseSign1(tagged(new Map([[1, 2]]))),
    'COSE_Sign1 must be an array of 4 items');
  assertBad(() => decodeCoseSign1(tagged(['a10126', new Map(), hex('01'), SIG])),
    'protected header is not a byte string');
  assertBad(() => decodeCoseSign1(tagged([PROTECTED_ES256, new Map(), null, SIG])),
    'detached payloads are not supported');
  assertBad(() => decodeCoseSign1(tagged([PROTECTED_ES256, new Map(), 'payload', SIG])),
    'payload is not a byte string');
  assertBad(() => decodeCoseSign1(tagged([PROTECTED_ES256, new Map(), hex('01'),
    new Uint8Array(0)])), 'signature is not a non-empty byte string');
  assertBad(() => decodeCoseSign1(tagged([PROTECTED_ES256, new Map(), hex('01'), 'sig'])),
    'signature is not a non-empty byte string');
});

test(`${SUITE}: header buckets must be maps with integer or text labels, and disjoint`, () => {
  assertBad(() => decodeCoseSign1(tagged([encode([1, -7]), new Map(), hex('01'), SIG])),
    'protected header is not a CBOR map');
  assertBad(() => decodeCoseSign1(tagged([PROTECTED_ES256, [], hex('01'), SIG])),
    'unprotected header is not a CBOR map');
  assertBad(() => decodeCoseSign1(tagged([PROTECTED_ES256, new Map([[1.5, 0]]), hex('01'),
    SIG])), 'unprotected header has a label that is neither an integer nor a text string');
  assertBad(() => decodeCoseSign1(tagged([PROTECTED_ES256, new Map([[hex('01'), 0]]),
    hex('01'), SIG])), 'unprotected header has a label that is neither an integer nor a text '
    + 'string');
  assertBad(() => decodeCoseSign1(tagged([encode(new Map([[true, 0]])), new Map(), hex('01'),
    SIG])), 'protected header has a label that is neither an integer nor a text string');
  const both = refusal(() => decodeCoseSign1(tagged([PROTECTED_ES256, new Map([[1, -7]]),
    hex('01'), SIG])));
  assert.is(both.message, 'POLICY_BAD_FRAGMENT: COSE_Sign1: a label appears in both header '
    + 'buckets');
  assert.is(both.detail['label'], 1);
  // Text and integer labels both pass, in both buckets.
  const ok = decodeCoseSign1(tagged([encode(new Map<HeaderLabel, unknown>([[1, -7],
    ['feed', 'f']])), new Map<HeaderLabel, unknown>([[4, 'k'], ['x', 1]]), hex('01'), SIG]));
  assert.is(ok.protectedHeader.get('feed'), 'f');
  assert.is(ok.unprotectedHeader.get('x'), 1);
});

test(`${SUITE}: decoding is strict: indefinite lengths, duplicate keys and odd values are refused`,
    () => {
  // 9f … ff: an indefinite-length array as the message body.
  assertBad(() => decodeCoseSign1(hex('d29f43a10126a041014102ff')), 'message is not valid CBOR');
  // A protected header {1: -7, 1: -7}.
  assertBad(() => decodeCoseSign1(tagged([hex('a201260126'), new Map(), hex('01'), SIG])),
    'protected header is not valid CBOR');
  // A protected header {1: undefined} (f7), {1: NaN} (f97e00), {1: Infinity} (f97c00).
  for (const value of ['f7', 'f97e00', 'f97c00']) {
    assertBad(() => decodeCoseSign1(tagged([hex(`a101${value}`), new Map(), hex('01'), SIG])),
      'protected header is not valid CBOR');
  }
  // A non-minimal integer: 18 written as 1812 in the tag (d8 12).
  assertBad(() => decodeCoseSign1(hex('d8128443a10126a041014102')), 'message is not valid CBOR');
  // Trailing bytes after the message.
  assertBad(() => decodeCoseSign1(hex('d28443a10126a04101410200')), 'message is not valid CBOR');
  const cause = refusal(() => decodeCoseSign1(hex('ff'))).detail['cause'];
  assert.type(cause, 'string');
  assert.ok(String(cause).length > 0);
});

test(`${SUITE}: any tag inside a header is kept as a tagged value (signingtime is tag 1)`, () => {
  const header = encode(new Map<HeaderLabel, unknown>([[1, -7],
    ['signingtime', new Tagged(1, 1_700_000_000)]]));
  const message = decodeCoseSign1(tagged([header, new Map(), hex('01'), SIG]));
  const signingTime = message.protectedHeader.get('signingtime');
  assert.instance(signingTime, Tagged);
  assert.is((signingTime as Tagged).tag, 1);
  assert.is((signingTime as Tagged).value, 1_700_000_000);
});

test(`${SUITE}: x5chain is one bstr or a non-empty array of non-empty bstrs`, () => {
  const cert = hex('3000');
  assert.equal(x5chainCertificates(cert), [cert]);
  assert.equal(x5chainCertificates([cert, hex('3001')]), [cert, hex('3001')]);
  const notChain = 'x5chain is neither a bstr nor a non-empty array';
  for (const value of [[], undefined, 'cert', 7, new Map()]) {
    assertBad(() => x5chainCertificates(value), notChain);
  }
  for (const value of [[cert, 'x'], [new Uint8Array(0)], [cert, new Uint8Array(0)]]) {
    assertBad(() => x5chainCertificates(value), 'x5chain item is not a non-empty bstr');
  }
});

test(`${SUITE}: CWT claims keep iss, sub and svn, each with its own type check`, () => {
  assert.is(readCwtClaims(undefined), undefined);
  assert.equal(readCwtClaims(new Map()), {});
  assert.equal(readCwtClaims(new Map<unknown, unknown>([[1, 'did:x'], [2, 'feed'], ['svn', 3],
    [4, 'ignored']])), { iss: 'did:x', sub: 'feed', svn: 3 });
  assert.equal(readCwtClaims(new Map<unknown, unknown>([['svn', '2']])), { svn: '2' });
  assert.equal(Object.keys(readCwtClaims(new Map([[2, 'f']]))!), ['sub']);
  assertBad(() => readCwtClaims({ 1: 'x' }), 'CWT claims (label 15) is not a map');
  assertBad(() => readCwtClaims(new Map([[1, 5]])), 'CWT iss is not a text string');
  assertBad(() => readCwtClaims(new Map([[2, 5]])), 'CWT sub is not a text string');
  for (const svn of [1.5, true, 2 ** 53, [1]]) {
    assertBad(() => readCwtClaims(new Map<unknown, unknown>([['svn', svn]])),
      'CWT svn is neither a text string nor an integer');
  }
});

const p256 = createTestIssuer({ seed: 'cose-codec', curve: 'P-256', intermediate: false });
const p384 = createTestIssuer({ seed: 'cose-codec' });

/** A copy of a test-issuer leaf carrying another public key (its signature no longer verifies). */
function leafWithKey(publicKey: KeyObject): Uint8Array {
  const certificate = AsnConvert.parse(p384.chain[0]!, Certificate);
  certificate.tbsCertificate.subjectPublicKeyInfo = AsnConvert.parse(
    publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
  return new Uint8Array(AsnConvert.serialize(certificate));
}

function badSignature(fn: () => unknown, reason: string,
    detail?: Readonly<Record<string, unknown>>): void {
  const got = refusal(fn);
  assert.is(got.code, 'POLICY_FRAGMENT_BAD_SIGNATURE', reason);
  assert.is(got.message, `POLICY_FRAGMENT_BAD_SIGNATURE: COSE_Sign1: ${reason}`);
  if (detail !== undefined) assert.equal(got.detail, { reason, ...detail });
}

function ecMessage(issuer = p384, payload = 'x') {
  return decodeCoseSign1(signCoseSign1({ protectedHeader: new Map([[1, issuer.algorithm.id]]),
    payload: new TextEncoder().encode(payload), sign: (tbs) => signWithTestIssuer(issuer, tbs) }));
}

test(`${SUITE}: ECDSA needs the curve RFC 9053 pairs with the algorithm, and r || s of its size`,
    () => {
  const message = ecMessage();
  verifyCoseSign1Signature(message, coseAlgorithmByName('ES384'), p384.chain[0]!);
  badSignature(() => verifyCoseSign1Signature(message, coseAlgorithmByName('ES256'),
    p384.chain[0]!), 'ES256 needs a prime256v1 key', { keyType: 'ec', curve: 'secp384r1' });
  badSignature(() => verifyCoseSign1Signature(message, coseAlgorithmByName('ES512'),
    p384.chain[0]!), 'ES512 needs a secp521r1 key');
  const small = ecMessage(p256);
  verifyCoseSign1Signature(small, coseAlgorithmByName('ES256'), p256.chain[0]!);
  badSignature(() => verifyCoseSign1Signature(small, coseAlgorithmByName('ES384'),
    p256.chain[0]!), 'ES384 needs a secp384r1 key');
  const short = { ...message, signature: message.signature.subarray(1) };
  badSignature(() => verifyCoseSign1Signature(short, coseAlgorithmByName('ES384'),
    p384.chain[0]!), 'ES384 signature must be 96 bytes', { bytes: 95 });
  const long = { ...message, signature: new Uint8Array([...message.signature, 0]) };
  badSignature(() => verifyCoseSign1Signature(long, coseAlgorithmByName('ES384'),
    p384.chain[0]!), 'ES384 signature must be 96 bytes');
  const otherPayload = { ...message, payload: new TextEncoder().encode('y') };
  badSignature(() => verifyCoseSign1Signature(otherPayload, coseAlgorithmByName('ES384'),
    p384.chain[0]!), 'signature does not verify under the x5chain leaf', { alg: 'ES384' });
});

test(`${SUITE}: an ECDSA leaf under an RSA-PSS alg, or an RSA leaf under ECDSA, is refused`,
    () => {
  const message = ecMessage();
  badSignature(() => verifyCoseSign1Signature(message, coseAlgorithmByName('PS384'),
    p384.chain[0]!), 'PS384 needs an RSA key', { keyType: 'ec' });
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  badSignature(() => verifyCoseSign1Signature(message, coseAlgorithmByName('ES384'),
    leafWithKey(publicKey)), 'ES384 needs a secp384r1 key', { keyType: 'rsa', curve: undefined });
});

function pssMessage(privateKey: KeyObject, alg: number, hash: string) {
  return decodeCoseSign1(signCoseSign1({ protectedHeader: new Map([[1, alg]]),
    payload: new TextEncoder().encode('pss'), sign: (tbs) => new Uint8Array(cryptoSign(hash, tbs,
      { key: privateKey, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
        saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST })) }));
}

test(`${SUITE}: RSA-PSS verifies under an rsa or an rsa-pss leaf of at least 2048 bits`, () => {
  for (const type of ['rsa', 'rsa-pss'] as const) {
    const { publicKey, privateKey } = type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    const leaf = leafWithKey(publicKey);
    const message = pssMessage(privateKey, -37, 'sha256');
    verifyCoseSign1Signature(message, coseAlgorithmByName('PS256'), leaf);
    badSignature(() => verifyCoseSign1Signature(message, coseAlgorithmByName('PS384'), leaf),
      'signature does not verify under the x5chain leaf');
    // A signature OpenSSL cannot even parse (longer than the modulus) is a plain bad signature.
    const long = { ...message, signature: new Uint8Array(512).fill(0xff) };
    badSignature(() => verifyCoseSign1Signature(long, coseAlgorithmByName('PS256'), leaf),
      'signature does not verify under the x5chain leaf');
  }
});

test(`${SUITE}: a signature OpenSSL refuses to check (a digest the rsa-pss key forbids) does `
    + 'not verify', () => {
  const { publicKey } = generateKeyPairSync('rsa-pss', { modulusLength: 2048,
    hashAlgorithm: 'sha512', mgf1HashAlgorithm: 'sha512' });
  const message = { ...ecMessage(), signature: new Uint8Array(256).fill(1) };
  badSignature(() => verifyCoseSign1Signature(message, coseAlgorithmByName('PS256'),
    leafWithKey(publicKey)), 'signature does not verify under the x5chain leaf');
});

test(`${SUITE}: the CBOR refusal keeps cborg's own message as its cause`, () => {
  const cause = String(refusal(() => decodeCoseSign1(hex('ff'))).detail['cause']);
  assert.ok(cause.length > 0);
  assert.not.ok(cause.startsWith('Error'), cause);
});

test(`${SUITE}: an RSA leaf below 2048 bits is refused before any verification`, () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const message = pssMessage(privateKey, -37, 'sha256');
  const got = refusal(() => verifyCoseSign1Signature(message, coseAlgorithmByName('PS256'),
    leafWithKey(publicKey)));
  assert.is(got.message, 'POLICY_FRAGMENT_BAD_SIGNATURE: COSE_Sign1: RSA key below 2048 bits');
  assert.is(got.detail['bits'], 1024);
});

test(`${SUITE}: an x5chain leaf that is not a certificate is malformed input`, () => {
  const got = refusal(() => verifyCoseSign1Signature(ecMessage(), coseAlgorithmByName('ES384'),
    hex('3003020101')));
  assert.is(got.code, 'POLICY_BAD_FRAGMENT');
  assert.is(got.message, 'POLICY_BAD_FRAGMENT: COSE_Sign1: the x5chain leaf is not an X.509 '
    + 'certificate');
  assert.is(got.detail['reason'], 'x5chain leaf does not parse');
});

test(`${SUITE}: signCoseSign1 writes the unprotected header it is given`, () => {
  const bytes = signCoseSign1({ protectedHeader: new Map([[1, -7]]),
    unprotectedHeader: new Map([[4, hex('6b6964')]]), payload: hex('01'), sign: () => hex('02') });
  assert.is(toHex(bytes), 'd28443a10126a104436b6964' + '41014102');
});

test.run();
