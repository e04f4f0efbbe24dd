/**
 * Goal: the key broker releases a key only to a fresh token that satisfies the key's release
 *   policy (DESIGN invariant I7), wrapped so that only the container that made the runtime data
 *   can open it; each canonical attack of issue 9 that reaches the broker is refused with the
 *   failure naming the claim or check, and a refusal leaves the broker's state as it was.
 * Method: the Azure flow from attestation-fixture.ts (token service + broker pinned to its JWKS,
 *   one key under a policy for HOST_DATA A, MEASUREMENT A, is-debuggable false). Released keys are
 *   opened here with node:crypto directly (OAEP-SHA-256 then AES key wrap with padding), not with
 *   the broker's code; forged tokens are assembled here by hand and signed with node:crypto.
 */
import {
  constants, createDecipheriv, privateDecrypt, sign, type KeyObject,
} from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  codes, flow, KEY_MATERIAL, KEY_NAME, MEASUREMENT_B, POLICY_A_HOST_DATA, POLICY_B_HOST_DATA,
  releasePolicyFor, runtimeDataOf, tokenOf, type Flow,
} from './attestation-fixture.js';
import { rsaKeyFromStream } from '../../models/verifier/jwt-keys.js';
import {
  createKeyBroker, importKey, releaseKey, trustAuthority, unwrapRelease, type KeyBrokerState,
} from '../../models/verifier/key-broker.js';
import { parseReleasePolicy } from '../../models/verifier/release-policy.js';
import { attestSevSnpVm, tokenServiceJwks } from '../../models/verifier/token-service.js';
import { decodeState, encodeState, fingerprint } from '../../sim/kernel/codec.js';
import { errorCode } from '../../sim/kernel/errors.js';
import { Rng } from '../../sim/kernel/rng.js';

const EPOCH_SECONDS = 1_767_225_600;
const DEBUG_POLICY = 0x30000n | (1n << 19n);

function tokenFor(f: Flow, ticks = 1000): string {
  const result = tokenOf(f, ticks);
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.failures));
  return result.token;
}

/** Opens a release with node:crypto alone: OAEP(KEK) || RFC 5649 wrap, as the sidecar does. */
function openRelease(release: Record<string, unknown>, privateKey: KeyObject): Buffer {
  const response = release['response'] as { key: { key: { key_hsm: string } } };
  const keyHsm = JSON.parse(Buffer.from(response.key.key.key_hsm, 'base64url').toString('utf8')) as
    { ciphertext: string; header: { enc: string } };
  assert.is(keyHsm.header.enc, 'RSA_AES_KEY_WRAP_256');
  const ciphertext = Buffer.from(keyHsm.ciphertext, 'base64url');
  const kek = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING,
    oaepHash: 'sha256' }, ciphertext.subarray(0, 256));
  const decipher = createDecipheriv('id-aes256-wrap-pad', kek, Buffer.from('a65959a6', 'hex'));
  return Buffer.concat([decipher.update(ciphertext.subarray(256)), decipher.final()]);
}

function refusal(state: KeyBrokerState, target: unknown, ticks = 2000,
  extra: Record<string, unknown> = {}) {
  const before = fingerprint(state);
  const result = releaseKey(state, KEY_NAME, { target, ...extra }, ticks);
  assert.not.ok(result.ok, 'the broker refuses');
  assert.ok(result.state === state, 'a refusal returns the same state');
  assert.is(fingerprint(result.state), before);
  return result.ok ? [] : result.failures;
}

/** A JWT assembled by hand and RS256-signed with `key` (the attacker's or anyone's). */
function forge(header: object, claims: object, key: KeyObject): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.` +
    Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as
    Record<string, unknown>;
}

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as
    Record<string, unknown>;
}

test('verifier/key-broker: a fresh token that meets the policy releases the key, wrapped to the ' +
  'container', () => {
  const f = flow();
  const result = releaseKey(f.broker, KEY_NAME, { target: tokenFor(f) }, 2000);
  assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.failures));
  assert.is(openRelease(result.release, f.container.privateKey).toString('hex'), KEY_MATERIAL);
  const viaModel = unwrapRelease(result.release, f.container.privateKey);
  assert.is(Buffer.from(viaModel ?? []).toString('hex'), KEY_MATERIAL);
  assert.is(JSON.stringify(result.release).includes(KEY_MATERIAL), false,
    'the payload does not carry the key in the clear');
  assert.ok(result.state !== f.broker, 'the nonce is consumed');
});

test('verifier/key-broker: the same state and request give the same release bytes', () => {
  const f = flow();
  const token = tokenFor(f);
  const a = releaseKey(f.broker, KEY_NAME, { target: token }, 2000);
  const b = releaseKey(f.broker, KEY_NAME, { target: token }, 2000);
  assert.ok(a.ok && b.ok);
  assert.equal(a.release, b.release);
  assert.is(fingerprint(a.state), fingerprint(b.state));
});

test('verifier/key-broker: a token for another HOST_DATA is refused at ' +
  'x-ms-sevsnpvm-hostdata', () => {
  const f = flow({ hostData: POLICY_B_HOST_DATA });
  const failures = refusal(f.broker, tokenFor(f));
  assert.equal(codes(failures), ['VERIFY_RELEASE_POLICY']);
  assert.is(failures[0]?.detail['claim'], 'x-ms-sevsnpvm-hostdata');
  assert.is(failures[0]?.detail['expected'], POLICY_A_HOST_DATA);
  assert.is(failures[0]?.detail['actual'], POLICY_B_HOST_DATA);
});

test('verifier/key-broker: a token for another MEASUREMENT is refused at ' +
  'x-ms-sevsnpvm-launchmeasurement', () => {
  const f = flow({ measurement: MEASUREMENT_B });
  const failures = refusal(f.broker, tokenFor(f));
  assert.equal(codes(failures), ['VERIFY_RELEASE_POLICY']);
  assert.is(failures[0]?.detail['claim'], 'x-ms-sevsnpvm-launchmeasurement');
  assert.is(failures[0]?.detail['actual'], MEASUREMENT_B);
});

test('verifier/key-broker: a DEBUG guest asking for the key is refused at ' +
  'x-ms-sevsnpvm-is-debuggable', () => {
  const f = flow({ policy: DEBUG_POLICY });
  const failures = refusal(f.broker, tokenFor(f));
  assert.equal(codes(failures), ['VERIFY_RELEASE_POLICY']);
  assert.is(failures[0]?.detail['claim'], 'x-ms-sevsnpvm-is-debuggable');
  assert.is(failures[0]?.detail['expected'], false);
  assert.is(failures[0]?.detail['actual'], true);
});

test('verifier/key-broker: a replayed token (its nonce already used) is refused with ' +
  'VERIFY_NONCE', () => {
  const f = flow();
  const token = tokenFor(f);
  const first = releaseKey(f.broker, KEY_NAME, { target: token }, 2000);
  assert.ok(first.ok);
  const failures = refusal(first.state, token, 3000);
  assert.equal(codes(failures), ['VERIFY_NONCE']);
  assert.is(failures[0]?.detail['status'], 'used');
});

test('verifier/key-broker: a report replayed with an old nonce gets a fresh token but no ' +
  'key', () => {
  const f = flow();
  const first = releaseKey(f.broker, KEY_NAME, { target: tokenFor(f) }, 2000);
  assert.ok(first.ok);
  const replayed = tokenOf(f, 50_000);   // the same report and runtime data, asked again later
  assert.ok(replayed.ok, 'the token service has no memory: MAA issues a new token');
  const failures = refusal(first.state, replayed.token, 60_000);
  assert.equal(codes(failures), ['VERIFY_NONCE']);
  assert.is(failures[0]?.detail['claim'], 'x-ms-runtime.nonce');
});

test('verifier/key-broker: a nonce the broker never issued, or none at all, is refused', () => {
  const made = flow({ nonce: 'ab'.repeat(32) });
  const unknown = refusal(made.broker, tokenFor(made));
  assert.equal(codes(unknown), ['VERIFY_NONCE']);
  assert.is(unknown[0]?.detail['status'], 'unknown');
  const none = flow({ nonce: 'none' });
  assert.equal(codes(refusal(none.broker, tokenFor(none))), ['VERIFY_NONCE']);
});

test('verifier/key-broker: a token outside nbf..exp is refused with VERIFY_TOKEN_TIME', () => {
  const f = flow();
  const token = tokenFor(f, 10_000);
  const exp = EPOCH_SECONDS + 10 + 8 * 3600;
  assert.is(claimsOf(token)['exp'], exp);
  assert.equal(codes(refusal(f.broker, token, (exp - EPOCH_SECONDS) * 1000)),
    ['VERIFY_TOKEN_TIME']);
  assert.equal(codes(refusal(f.broker, token, 9_000)), ['VERIFY_TOKEN_TIME']);
  assert.ok(releaseKey(f.broker, KEY_NAME, { target: token },
    (exp - EPOCH_SECONDS) * 1000 - 1000).ok, 'one second before exp it is still valid');
});

test('verifier/key-broker: Azure\'s token-window rule honours a replay, but only the container ' +
  'can open it', () => {
  const f = flow({ freshness: 'token-window', nonce: 'none' });
  const token = tokenFor(f);
  const first = releaseKey(f.broker, KEY_NAME, { target: token }, 2000);
  assert.ok(first.ok);
  const replay = releaseKey(first.state, KEY_NAME, { target: token }, 3000);
  assert.ok(replay.ok, 'AKV checks only the validity window');
  assert.is(openRelease(replay.release, f.container.privateKey).toString('hex'), KEY_MATERIAL);
  const attacker = rsaKeyFromStream(Rng.fromSeed(666).fork('attacker').state());
  assert.throws(() => openRelease(replay.release, attacker.privateKey),
    'another private key cannot open the wrapped KEK');
  const late = releaseKey(first.state, KEY_NAME, { target: token }, 9 * 3600 * 1000);
  assert.equal(late.ok ? [] : codes(late.failures), ['VERIFY_TOKEN_TIME']);
});

test('verifier/key-broker: a token signed by another key under the service\'s kid and jku is ' +
  'refused', () => {
  const f = flow();
  const token = tokenFor(f);
  const attacker = rsaKeyFromStream(Rng.fromSeed(666).fork('attacker').state());
  const forged = forge(headerOf(token), claimsOf(token), attacker.privateKey);
  assert.equal(codes(refusal(f.broker, forged)), ['VERIFY_TOKEN_SIGNATURE']);
  const kidless = forge({ ...headerOf(token), kid: 'attacker' }, claimsOf(token),
    attacker.privateKey);
  assert.equal(codes(refusal(f.broker, kidless)), ['VERIFY_TOKEN_SIGNATURE']);
});

test('verifier/key-broker: a genuine token with one claim changed fails its signature', () => {
  const f = flow({ hostData: POLICY_B_HOST_DATA });
  const token = tokenFor(f);
  const [header, , signature] = token.split('.');
  const claims = { ...claimsOf(token), 'x-ms-sevsnpvm-hostdata': POLICY_A_HOST_DATA };
  const edited = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.` +
    signature;
  assert.equal(codes(refusal(f.broker, edited)), ['VERIFY_TOKEN_SIGNATURE']);
});

test('verifier/key-broker: alg none, HS256 and malformed tokens are VERIFY_BAD_TOKEN', () => {
  const f = flow();
  const claims = claimsOf(tokenFor(f));
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const none = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
  const hs256 = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}.c2ln`;
  for (const target of [none, hs256, 'a.b', 'not a token', 42, null, `${encode([1])}.e30.AA`]) {
    assert.equal(codes(refusal(f.broker, target)), ['VERIFY_BAD_TOKEN'], String(target));
  }
});

test('verifier/key-broker: a token from an issuer outside the policy, or whose JWKS is not ' +
  'pinned, is refused', () => {
  const f = flow();
  const other = createKeyBroker({ rng: Rng.fromSeed(1) });
  const policy = { version: '1.0.0', anyOf: [{ authority: 'https://other.attest.test',
    allOf: [{ claim: 'x-ms-attestation-type', equals: 'sevsnpvm' }] }] };
  const stranger = trustAuthority(importKey(other, { name: KEY_NAME,
    material: new Uint8Array(32).fill(1), releasePolicy: policy }), f.service.issuer,
  tokenServiceJwks(f.service));
  assert.equal(codes(refusal(stranger, tokenFor(f))), ['VERIFY_TOKEN_ISSUER']);
  const unpinned = importKey(createKeyBroker({ rng: Rng.fromSeed(1) }), { name: KEY_NAME,
    material: new Uint8Array(32).fill(1), releasePolicy: releasePolicyFor(f.service.issuer) });
  const failures = refusal(unpinned, tokenFor(f));
  assert.equal(codes(failures), ['VERIFY_TOKEN_ISSUER']);
  assert.match(failures[0]?.message ?? '', /no pinned JWKS/);
});

test('verifier/key-broker: runtime data without a usable RSA key gets nothing ' +
  '(VERIFY_RUNTIME_DATA)', () => {
  const weak = rsaKeyFromStream(Rng.fromSeed(5).fork('weak').state(), 1024);
  const small = flow({ runtimeData: (nonce) => runtimeDataOf(weak, nonce) });
  const failures = refusal(small.broker, tokenFor(small));
  assert.equal(codes(failures), ['VERIFY_RUNTIME_DATA'], 'RSA-1024 is below the minimum');
  const keyless = flow({ runtimeData: (nonce) => Buffer.from(JSON.stringify({ nonce })) });
  assert.equal(codes(refusal(keyless.broker, tokenFor(keyless))), ['VERIFY_RUNTIME_DATA']);
});

test('verifier/key-broker: an unknown key, a non-exportable key and an unknown enc are ' +
  'VERIFY_KEY_RELEASE', () => {
  const f = flow();
  const token = tokenFor(f);
  const missing = releaseKey(f.broker, 'no-such-key', { target: token }, 2000);
  assert.equal(missing.ok ? [] : codes(missing.failures), ['VERIFY_KEY_RELEASE']);
  const locked = importKey(f.broker, { name: 'locked', material: new Uint8Array(32),
    releasePolicy: releasePolicyFor(f.service.issuer), exportable: false });
  const notExportable = releaseKey(locked, 'locked', { target: token }, 2000);
  assert.equal(notExportable.ok ? [] : codes(notExportable.failures), ['VERIFY_KEY_RELEASE']);
  assert.equal(codes(refusal(f.broker, token, 2000, { enc: 'RSA1_5' })), ['VERIFY_KEY_RELEASE']);
});

test('verifier/key-broker: anyOf within an authority needs only one condition', () => {
  const f = flow({ hostData: POLICY_B_HOST_DATA });
  const lenient = importKey(f.broker, { name: KEY_NAME, material: Buffer.from(KEY_MATERIAL, 'hex'),
    releasePolicy: { version: '1.0.0', anyOf: [{ authority: f.service.issuer, anyOf: [
      { claim: 'x-ms-sevsnpvm-hostdata', equals: POLICY_A_HOST_DATA },
      { claim: 'x-ms-sevsnpvm-hostdata', equals: POLICY_B_HOST_DATA },
    ] }] } });
  assert.ok(releaseKey(lenient, KEY_NAME, { target: tokenFor(f) }, 2000).ok);
});

test('verifier/key-broker: broker and token-service states round-trip through the codec and act ' +
  'the same', () => {
  const f = flow();
  const broker = decodeState(encodeState(f.broker)) as KeyBrokerState;
  const service = decodeState(encodeState(f.service)) as typeof f.service;
  assert.is(fingerprint(broker), fingerprint(f.broker));
  assert.is(fingerprint(service), fingerprint(f.service));
  const token = attestSevSnpVm(service, f.body, 1000);
  assert.ok(token.ok);
  assert.is(token.token, tokenFor(f));
  const a = releaseKey(broker, KEY_NAME, { target: token.token }, 2000);
  const b = releaseKey(f.broker, KEY_NAME, { target: token.token }, 2000);
  assert.ok(a.ok && b.ok);
  assert.equal(a.release, b.release);
});

test('verifier/release-policy: documents without the AKV shape are ' +
  'VERIFY_BAD_RELEASE_POLICY', () => {
  const authority = 'https://a.test';
  const bad: unknown[] = [
    null, [], {}, { version: '1.0.0' }, { version: 1, anyOf: [] },
    { version: '1.0.0', anyOf: [] },
    { version: '1.0.0', anyOf: [{ allOf: [{ claim: 'c', equals: 'v' }] }] },
    { version: '1.0.0', anyOf: [{ authority, allOf: [] }] },
    { version: '1.0.0', anyOf: [{ authority, allOf: [{ claim: 'c' }] }] },
    { version: '1.0.0', anyOf: [{ authority, allOf: [{ claim: 'c', equals: null }] }] },
    { version: '1.0.0', anyOf: [{ authority, allOf: [{ claim: 'c', greater: 3 }] }] },
    { version: '1.0.0', anyOf: [{ authority, allOf: [{ claim: 'c', equals: 1 }],
      anyOf: [{ claim: 'c', equals: 1 }] }] },
  ];
  for (const document of bad) {
    assert.is(errorCode(() => parseReleasePolicy(document)), 'VERIFY_BAD_RELEASE_POLICY',
      JSON.stringify(document));
  }
  assert.is(parseReleasePolicy(releasePolicyFor(authority)).anyOf[0]?.conditions.length, 4);
});

test.run();
