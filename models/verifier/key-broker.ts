/**
 * Models: Azure Key Vault / Managed HSM secure key release (`POST {vault}/keys/{name}/release`
 *   with `{target, enc?, nonce?}`; spec attestation-services.md "Secure key release"): the
 *   vault holds exportable keys, each with a release policy (release-policy.ts); a release
 *   validates the attestation token (RS256 signature under the JWKS of the policy's authority,
 *   never under keys the token names itself; issuer; nbf/exp), evaluates the policy over the
 *   token's claims, and returns the key wrapped for the RSA public key in the token's
 *   `x-ms-runtime.keys` (key-broker-wrap.ts), in the payload shape AKV signs
 *   (`{request: {api-version, enc, kid},
 *   response: {key: {key: {kid, kty, key_ops, key_hsm}, ...}}}`).
 * Real counterpart: AKV Premium / Managed HSM, as the SKR sidecar calls it.
 * Differs: keys are `oct-HSM` (raw symmetric material) only; the release payload is returned as a
 *   value, not as the JWS AKV signs around it; AAD authentication is not modelled. Freshness:
 *   AKV itself checks only the token's validity window (nbf..exp, 8 hours for MAA tokens) —
 *   a replayed report gets a fresh MAA token, and a replayed token is honoured until it expires,
 *   the release then being wrapped to the key of the VM that made the runtime data, which only
 *   that VM can unwrap. That is `freshness: 'token-window'`. The default here,
 *   `'broker-nonce'`, is stronger (as Trustee's KBS challenge): the broker issues a nonce, the
 *   container puts it into its runtime data (so SHA-256 binds it into REPORT_DATA, and MAA
 *   reflects it in x-ms-runtime), and a release needs `x-ms-runtime.nonce` to be an issued,
 *   unused nonce, which it then consumes: an old report, token or nonce is refused.
 * Invariants: a key leaves only for a token that verifies, is in its window, comes from a
 *   policy authority whose JWKS the broker pinned, satisfies the policy, carries a usable RSA
 *   key, and (broker-nonce) an issued unused nonce; every denial lists its failures with
 *   VERIFY_* codes naming the claim or check, and leaves the state unchanged (the same object).
 */
import { createHash } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { hexBytes, toHex, type Hex } from '../../sim/kernel/bytes.js';
import type { Json } from '../../sim/kernel/canonical-json.js';
import { canonicalJson } from '../../sim/kernel/canonical-json.js';
import { SimError } from '../../sim/kernel/errors.js';
import { Rng, type RngState } from '../../sim/kernel/rng.js';
import {
  base64url, decodeJwt, fromBase64url, jwkThumbprint, rsaPublicKeyOf, verifyJwtSignature,
  type JsonObject, type Jwks,
} from './jwt.js';
import {
  isKeyWrapAlgorithm, rsaAesKeyUnwrap, rsaAesKeyWrap, wrapRandomnessBytes, type KeyWrapAlgorithm,
} from './key-broker-wrap.js';
import {
  claimValue, evaluateReleasePolicy, normaliseAuthority, parseReleasePolicy,
  releasePolicyDocument, type ReleasePolicy,
} from './release-policy.js';
import { numericDate } from './token-service.js';
import { failure, type VerifyFailure } from './verdict.js';
import type { KeyObject } from 'node:crypto';

export type Freshness = 'broker-nonce' | 'token-window';

export type BrokerKey = Readonly<{
  name: string;
  /** The key version (AKV: 32 hex digits). */
  version: Hex;
  kty: 'oct-HSM';
  material: Hex;
  exportable: boolean;
  releasePolicy: ReleasePolicy;
}>;

export type KeyBrokerState = Readonly<{
  vault: string;
  keys: Readonly<Record<string, BrokerKey>>;
  /** Pinned JWKS per authority (normalised URL): the keys tokens from it must verify under. */
  authorities: Readonly<Record<string, Jwks>>;
  freshness: Freshness;
  clockSkewSeconds: number;
  nonces: Readonly<Record<Hex, 'issued' | 'used'>>;
  rng: RngState;
}>;

export const AKV_API_VERSION = '7.4';
export const DEFAULT_VAULT = 'https://parma-sim.vault.parma-sim.test';
export const DEFAULT_KEY_WRAP: KeyWrapAlgorithm = 'RSA_AES_KEY_WRAP_256';
const MAX_NONCES = 4096;
const NONCE_BYTES = 32;

export type CreateKeyBrokerOptions = Readonly<{
  rng: Rng; vault?: string; freshness?: Freshness; clockSkewSeconds?: number;
}>;

export function createKeyBroker(options: CreateKeyBrokerOptions): KeyBrokerState {
  const state: KeyBrokerState = Object.freeze({
    vault: (options.vault ?? DEFAULT_VAULT).replace(/\/+$/, ''), keys: Object.freeze({}),
    authorities: Object.freeze({}), freshness: options.freshness ?? 'broker-nonce',
    clockSkewSeconds: options.clockSkewSeconds ?? 0, nonces: Object.freeze({}),
    rng: options.rng.fork('key-broker').state(),
  });
  assert(Number.isSafeInteger(state.clockSkewSeconds) && state.clockSkewSeconds >= 0);
  return state;
}

/** Pins the JWKS of an attestation authority (what AKV fetches from the authority's jku). */
export function trustAuthority(state: KeyBrokerState, authority: string, jwks: Jwks):
  KeyBrokerState {
  assert(jwks.keys.every((key) => rsaPublicKeyOf(key) !== undefined), 'usable RSA keys');
  return Object.freeze({ ...state, authorities: Object.freeze({
    ...state.authorities, [normaliseAuthority(authority)]: jwks }) });
}

function drawBytes(state: KeyBrokerState, count: number): { bytes: Uint8Array; rng: RngState } {
  const rng = Rng.fromState(state.rng);
  const bytes = rng.bytes(count);
  return { bytes, rng: rng.state() };
}

export type ImportKeyInput = Readonly<{
  name: string; material: Uint8Array; releasePolicy: unknown; exportable?: boolean;
}>;

/** Imports an exportable key with its release policy (SimError for a malformed policy). */
export function importKey(state: KeyBrokerState, input: ImportKeyInput): KeyBrokerState {
  if (!/^[0-9A-Za-z-]{1,127}$/.test(input.name)) {
    throw new SimError('VERIFY_KEY_RELEASE', { name: input.name },
      'a key name is 1-127 letters, digits and dashes');
  }
  const releasePolicy = parseReleasePolicy(input.releasePolicy);
  const drawn = drawBytes(state, 16);
  const key: BrokerKey = Object.freeze({
    name: input.name, version: toHex(drawn.bytes), kty: 'oct-HSM',
    material: toHex(input.material), exportable: input.exportable ?? true, releasePolicy,
  });
  assert(input.material.length > 0, 'key material is not empty');
  return Object.freeze({ ...state, rng: drawn.rng,
    keys: Object.freeze({ ...state.keys, [input.name]: key }) });
}

/** A fresh challenge nonce (32 bytes, hex) for a container to put into its runtime data. */
export function issueNonce(state: KeyBrokerState): { state: KeyBrokerState; nonce: Hex } {
  if (Object.keys(state.nonces).length >= MAX_NONCES) {
    throw new SimError('SIM_LIMIT_EXCEEDED', { what: 'key broker nonces', limit: MAX_NONCES });
  }
  const drawn = drawBytes(state, NONCE_BYTES);
  const nonce = toHex(drawn.bytes);
  assert(state.nonces[nonce] === undefined, 'a 256-bit nonce does not repeat');
  return { nonce, state: Object.freeze({ ...state, rng: drawn.rng,
    nonces: Object.freeze({ ...state.nonces, [nonce]: 'issued' }) }) };
}

export type ReleaseResult =
  | Readonly<{ ok: true; state: KeyBrokerState; release: JsonObject; wrappedTo: string }>
  | Readonly<{ ok: false; state: KeyBrokerState; failures: readonly VerifyFailure[] }>;

type Validated = Readonly<{
  key: BrokerKey; enc: KeyWrapAlgorithm; claims: JsonObject;
}>;

const refuse = (state: KeyBrokerState, failures: readonly VerifyFailure[]): ReleaseResult => {
  assert(failures.length > 0, 'a refusal names its failures');
  return { ok: false, state, failures };
};

/** The request and the token itself: who may ask, and is the token genuine and current. */
function validateToken(state: KeyBrokerState, name: string, body: unknown, nowTicks: number):
  Validated | VerifyFailure {
  const key = Object.hasOwn(state.keys, name) ? state.keys[name] : undefined;
  if (key === undefined) return failure('VERIFY_KEY_RELEASE', `no key named ${name}`, { name });
  if (!key.exportable) return failure('VERIFY_KEY_RELEASE', `key ${name} is not exportable`,
    { name });
  const request = body !== null && typeof body === 'object' ? body as Record<string, unknown> : {};
  const enc = request['enc'] ?? DEFAULT_KEY_WRAP;
  if (!isKeyWrapAlgorithm(enc)) {
    return failure('VERIFY_KEY_RELEASE', `enc ${JSON.stringify(enc)} is not a wrap algorithm`,
      { enc: String(enc) });
  }
  const decoded = decodeJwt(request['target']);
  if ('code' in decoded) return decoded;
  const issuer = decoded.claims['iss'];
  const authorities = key.releasePolicy.anyOf.map((rule) => normaliseAuthority(rule.authority));
  if (typeof issuer !== 'string' || !authorities.includes(normaliseAuthority(issuer))) {
    return failure('VERIFY_TOKEN_ISSUER',
      `issuer ${JSON.stringify(issuer ?? null)} is not an authority of ${name}'s release policy`,
      { issuer: issuer ?? null, authorities });
  }
  const jwks = state.authorities[normaliseAuthority(issuer)];
  if (jwks === undefined) {
    return failure('VERIFY_TOKEN_ISSUER', `no pinned JWKS for authority ${issuer}`, { issuer });
  }
  const signature = verifyJwtSignature(decoded, jwks);
  if (signature !== null) return signature;
  const { exp, nbf } = decoded.claims;
  if (typeof exp !== 'number' || typeof nbf !== 'number') {
    return failure('VERIFY_BAD_TOKEN', 'exp and nbf are NumericDates', {});
  }
  const now = numericDate(nowTicks);
  if (now + state.clockSkewSeconds < nbf || now - state.clockSkewSeconds >= exp) {
    return failure('VERIFY_TOKEN_TIME', `the token is valid from ${nbf} until ${exp}, now ${now}`,
      { nbf, exp, now });
  }
  return { key, enc, claims: decoded.claims };
}

/** The wrapping key in x-ms-runtime.keys: the first usable RSA JWK. */
function runtimeKey(claims: JsonObject): { key: KeyObject; jwk: JsonObject } | VerifyFailure {
  const keys = claimValue(claims, 'x-ms-runtime.keys');
  const jwks = Array.isArray(keys) ? keys : [];
  for (const jwk of jwks) {
    const key = rsaPublicKeyOf(jwk);
    if (key !== undefined) return { key, jwk: jwk as JsonObject };
  }
  return failure('VERIFY_RUNTIME_DATA',
    'x-ms-runtime.keys holds no RSA public key of at least 2048 bits', {});
}

/** broker-nonce freshness: x-ms-runtime.nonce must be issued and unused. */
function nonceFailure(state: KeyBrokerState, claims: JsonObject): VerifyFailure | null {
  if (state.freshness === 'token-window') return null;
  const nonce = claimValue(claims, 'x-ms-runtime.nonce');
  const status = typeof nonce === 'string' && Object.hasOwn(state.nonces, nonce)
    ? state.nonces[nonce] : undefined;
  if (status === 'issued') return null;
  const why = nonce === undefined ? 'carries no nonce'
    : status === 'used' ? 'carries a nonce that was already used'
      : 'carries a nonce this broker never issued';
  return failure('VERIFY_NONCE', `x-ms-runtime ${why}`,
    { claim: 'x-ms-runtime.nonce', nonce: nonce ?? null, status: status ?? 'unknown' });
}

/** `POST {vault}/keys/{name}/release` with body `{target, enc?}` at virtual time `nowTicks`. */
export function releaseKey(state: KeyBrokerState, name: string, body: unknown, nowTicks: number):
  ReleaseResult {
  const validated = validateToken(state, name, body, nowTicks);
  if ('code' in validated) return refuse(state, [validated]);
  const { key, enc, claims } = validated;
  const evaluation = evaluateReleasePolicy(key.releasePolicy, String(claims['iss']), claims);
  const wrapping = runtimeKey(claims);
  const nonce = nonceFailure(state, claims);
  const failures = [...(evaluation.ok ? [] : evaluation.failures),
    ...('code' in wrapping ? [wrapping] : []), ...(nonce === null ? [] : [nonce])];
  if (failures.length > 0 || 'code' in wrapping) return refuse(state, failures);
  const drawn = drawBytes(state, wrapRandomnessBytes(enc));
  const ciphertext = rsaAesKeyWrap(enc, wrapping.key, hexBytes(key.material), {
    kek: drawn.bytes.subarray(0, 32), oaepSeed: drawn.bytes.subarray(32),
  });
  const usedNonce = claimValue(claims, 'x-ms-runtime.nonce');
  const nonces = state.freshness === 'broker-nonce' && typeof usedNonce === 'string'
    ? Object.freeze({ ...state.nonces, [usedNonce]: 'used' as const }) : state.nonces;
  const next: KeyBrokerState = Object.freeze({ ...state, rng: drawn.rng, nonces });
  const wrappedTo = jwkThumbprint({ kty: 'RSA', n: String(wrapping.jwk['n']),
    e: String(wrapping.jwk['e']) });
  return { ok: true, state: next, release: releasePayload(state, key, enc, ciphertext),
    wrappedTo };
}

function releasePayload(state: KeyBrokerState, key: BrokerKey, enc: KeyWrapAlgorithm,
  ciphertext: Uint8Array): JsonObject {
  const kid = `${state.vault}/keys/${key.name}/${key.version}`;
  const keyHsm: Json = { schema_version: '1.0', header: { kid, alg: 'dir', enc },
    ciphertext: base64url(ciphertext) };
  const policyData = base64url(canonicalJson(releasePolicyDocument(key.releasePolicy)));
  return {
    request: { 'api-version': AKV_API_VERSION, enc, kid },
    response: { key: {
      key: { kid, kty: key.kty, key_ops: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
        key_hsm: base64url(canonicalJson(keyHsm)) },
      attributes: { enabled: true, exportable: key.exportable },
      release_policy: { contentType: 'application/json; charset=utf-8', data: policyData },
    } },
  };
}

/**
 * The requester's side (what the SKR sidecar does with the payload): read `enc` and key_hsm's
 * ciphertext, unwrap with the private half of the runtime key. Undefined if the payload is not
 * one this broker makes.
 */
export function unwrapRelease(release: JsonObject, privateKey: KeyObject): Uint8Array | undefined {
  const enc = claimValue(release, 'request.enc');
  const keyHsm = fromBase64url(claimValue(release, 'response.key.key.key_hsm'));
  if (!isKeyWrapAlgorithm(enc) || keyHsm === undefined) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(keyHsm).toString('utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  const ciphertext = fromBase64url((document as Record<string, unknown> | null)?.['ciphertext']);
  if (ciphertext === undefined) return undefined;
  return rsaAesKeyUnwrap(enc, privateKey, ciphertext);
}

/** SHA-256 of a key's material, for traces that must name a key without showing it. */
export function keyMaterialDigest(key: BrokerKey): Hex {
  return createHash('sha256').update(hexBytes(key.material)).digest('hex');
}
