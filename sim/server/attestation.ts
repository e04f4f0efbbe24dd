/**
 * Models: the attestation services behind the fake backend, as calls without HTTP: a Microsoft
 *   Azure Attestation instance (`POST /attest/SevSnpVm`, `GET /certs`, the OpenID metadata), an
 *   Azure Key Vault with exportable keys under release policies (`POST /keys/{name}/release`),
 *   and the confidential sidecar's flows over them (`/attest/maa`, `/key/release`; spec
 *   attestation-services.md). The appraisal, the token and the release are the verifier models'
 *   (models/verifier token-service.ts, key-broker.ts); this file wires them to the fleet's guest.
 * Real counterpart: MAA, AKV / Managed HSM, and the SKR sidecar's `SecureKeyRelease`.
 * Differs: every key is TEST-ONLY. Any well-formed `maa_endpoint` names an instance of the one
 *   token service (issuer `https://` + the endpoint, one signing key from the seed), so a key
 *   whose policy names another authority is refused the way AKV refuses it; the vault is one
 *   host (`akv_endpoint` must name it). Time is one virtual instant (config `time`), not the wall
 *   clock. Freshness is Azure's: a token is honoured within nbf..exp (key-broker 'token-window').
 *   The sidecar makes a fresh RSA-2048 wrapping key per release; here every fake shares one TEST
 *   key from a fixed stream (RSA key generation costs 0.1-0.3 s). AAD authentication
 *   (`access_token`, `Authorization`) is not modelled. AKV's release JWS is signed with a TEST key
 *   and has no x5c chain.
 * Invariants: a token is issued only for a report the chip signed whose REPORT_DATA is
 *   SHA-256(runtime data) ‖ zeros and whose chain verifies; a key leaves only under its release
 *   policy; a refusal is SimError with the first failure's VERIFY_* code and every failure in
 *   `detail.failures`; the vault's state changes only on a granted release.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { assert } from '../kernel/assert.js';
import type { Hex } from '../kernel/bytes.js';
import type { Json } from '../kernel/canonical-json.js';
import { SimError } from '../kernel/errors.js';
import { Rng, rngStateOf } from '../kernel/rng.js';
import { rsaKeyFromStream, type RsaKeyPair } from '../../models/verifier/jwt-keys.js';
import {
  base64url, jwkThumbprint, signJwt, type JsonObject, type Jwks,
} from '../../models/verifier/jwt.js';
import {
  createKeyBroker, importKey, releaseKey, trustAuthority, unwrapRelease, type KeyBrokerState,
} from '../../models/verifier/key-broker.js';
import { parseReleasePolicy } from '../../models/verifier/release-policy.js';
import { SEVSNPVM_CLAIMS } from '../../models/verifier/token-service-claims.js';
import { sevSnpVmAttestRequest } from '../../models/verifier/token-service-evidence.js';
import {
  attestSevSnpVm, createTokenService, tokenServiceJwks, type TokenServiceConfig,
} from '../../models/verifier/token-service.js';
import { failure, type VerifyFailure } from '../../models/verifier/verdict.js';
import {
  DEFAULT_KEY_NAME, endpointHost, type ResolvedAttestation, type ResolvedVaultKey,
} from './attestation-config.js';
import { badRequest } from './request-body.js';

/** What the services need from the fleet: the guest's reports, chain and launch facts. */
export type GuestSource = Readonly<{
  /** MSG_REPORT_REQ from the guest with this REPORT_DATA (≤ 64 bytes, zero-padded). */
  report: (reportData: Uint8Array) => Uint8Array;
  /** PEM VCEK (or VLEK), signer, ARK of the guest's chip: as served (faults apply) or genuine. */
  chainPem: (served: boolean) => string;
  /** The guest's HOST_DATA and MEASUREMENT (hex). */
  launch: () => Readonly<{ hostData: Hex; measurement: Hex }>;
}>;

/** The sidecar's `/key/release` request. */
export type SidecarKeyRelease = Readonly<{
  maaEndpoint: string; akvEndpoint: string; kid: string; accessToken?: string;
}>;

/** MAA's OpenID metadata (`/.well-known/openid-configuration`), keys in the order served. */
export type OpenIdConfiguration = Readonly<{
  claims_supported: readonly string[];
  id_token_signing_alg_values_supported: readonly string[];
  issuer: string;
  jwks_uri: string;
  response_types_supported: readonly string[];
}>;

/** Streams shared by every fake: RSA key generation is too slow to pay per seed. */
const SIDECAR_KEY_STREAM = 'parma-sim/server/sidecar-wrapping-key';
const VAULT_SIGNING_STREAM = 'parma-sim/server/vault-signing-key';

/** A refusal as one SimError: the first failure's code, all of them in detail.failures. */
export function refusal(failures: readonly VerifyFailure[]): SimError {
  assert(failures.length > 0, 'a refusal names its failures');
  const listed = failures.map((f) => ({ code: f.code, message: f.message }));
  return new SimError(failures[0]!.code, { failures: listed },
    failures.map((f) => f.message).join('; '));
}

function refusedRelease(message: string, detail: Readonly<Record<string, string>>): SimError {
  return refusal([failure('VERIFY_KEY_RELEASE', message, detail)]);
}

/** The sidecar's `maa_endpoint` / `akv_endpoint`: a host name, not a URL. */
function hostOf(text: string, field: string): string {
  const host = endpointHost(text);
  if (host === undefined) {
    throw badRequest(`${field} must be a host name such as my.attest.example `
      + '(the sidecar puts https:// in front of it)');
  }
  return host;
}

/** The default release policy: the default MAA, the guest's HOST_DATA, not debuggable. */
export function defaultReleasePolicy(issuer: string, hostData: Hex): Json {
  return { version: '1.0.0', anyOf: [{ authority: issuer, allOf: [
    { claim: 'x-ms-sevsnpvm-hostdata', equals: hostData },
    { claim: 'x-ms-sevsnpvm-is-debuggable', equals: false },
  ] }] };
}

function keysOf(config: ResolvedAttestation): readonly ResolvedVaultKey[] {
  return config.keyVault.keys ?? [{ name: DEFAULT_KEY_NAME, material: undefined,
    releasePolicy: undefined, exportable: true }];
}

/** The vault as configured: keys imported, every authority their policies name pinned. */
function openVault(seed: string, config: ResolvedAttestation, guest: GuestSource,
  issuer: string, jwks: Jwks): KeyBrokerState {
  const rng = Rng.fromSeed(seed).fork('server').fork('key-vault');
  let vault = createKeyBroker({ rng, vault: `https://${config.keyVault.endpoint}`,
    freshness: 'token-window' });
  for (const key of keysOf(config)) {
    const releasePolicy = key.releasePolicy
      ?? defaultReleasePolicy(issuer, guest.launch().hostData);
    for (const rule of parseReleasePolicy(releasePolicy).anyOf) {
      vault = trustAuthority(vault, rule.authority, jwks);
    }
    vault = importKey(vault, { name: key.name, releasePolicy, exportable: key.exportable,
      material: key.material ?? rng.fork('material').fork(key.name).bytes(32) });
  }
  assert(Object.keys(vault.keys).length === keysOf(config).length, 'every key imported');
  assert(vault.freshness === 'token-window', "Azure's freshness: the token's window");
  return vault;
}

/** `name` or `name/version` → the key's name; a version must be the key's. */
function keyNameOf(vault: KeyBrokerState, kid: string, version: string | undefined): string {
  const [name, ...rest] = kid.split('/');
  const wanted = version ?? (rest.length === 1 ? rest[0] : undefined);
  if (rest.length > 1 || name === undefined || name.length === 0) {
    throw refusedRelease(`kid '${kid.slice(0, 64)}' is not a key name or name/version`,
      { kid: kid.slice(0, 64) });
  }
  const key = Object.hasOwn(vault.keys, name) ? vault.keys[name] : undefined;
  if (wanted !== undefined && key !== undefined && wanted !== key.version) {
    throw refusedRelease(`key ${name} has no version ${wanted.slice(0, 40)}`, { name });
  }
  assert(name.length > 0 && !name.includes('/'), 'a key name is one path segment');
  return name;
}

/** The sidecar's runtime data: its wrapping key's public half as a JWK set. */
function sidecarRuntimeData(key: RsaKeyPair): Uint8Array {
  const jwk = { ...key.publicJwk, kid: jwkThumbprint(key.publicJwk), key_ops: ['encrypt'] };
  return new TextEncoder().encode(JSON.stringify({ keys: [jwk] }));
}

/** MAA's OpenID metadata; `jwks_uri` on `origin` (where `/certs` is served) if known. */
function openIdConfiguration(issuer: string, origin: string | undefined): OpenIdConfiguration {
  const metadata: OpenIdConfiguration = {
    claims_supported: ['iat', 'exp', 'nbf', 'iss', 'jti', 'nonce', 'x-ms-attestation-type',
      'x-ms-compliance-status', 'x-ms-policy-hash', 'x-ms-runtime', 'x-ms-ver',
      ...SEVSNPVM_CLAIMS.map(([name]) => name)],
    id_token_signing_alg_values_supported: ['RS256'],
    issuer, jwks_uri: `${origin ?? issuer}/certs`,
    response_types_supported: ['token', 'none'],
  };
  assert(metadata.jwks_uri.endsWith('/certs'));
  return metadata;
}

/** The token service: every MAA instance the fake answers for, and the sidecar's `Attest`. */
function tokenServiceOf(seed: string, config: ResolvedAttestation, guest: GuestSource) {
  const serviceRng = Rng.fromSeed(seed).fork('server').fork('token-service');
  const instance = (endpoint: string): TokenServiceConfig => createTokenService({
    rng: serviceRng, issuer: `https://${endpoint}`,
    endorsedMeasurements: config.tokenService.endorsedMeasurements
      ?? [guest.launch().measurement],
    tokenLifetimeSeconds: config.tokenService.lifetimeSeconds,
    ...(config.tokenService.policyText === undefined
      ? {} : { policyText: config.tokenService.policyText }),
  });
  /** MAA's answer to a request body at `endpoint`, or the refusal. */
  const appraise = (endpoint: string, body: unknown): string => {
    const result = attestSevSnpVm(instance(endpoint), body, config.timeTicks);
    if (!result.ok) throw refusal(result.failures);
    assert(result.claims['iss'] === `https://${endpoint}`);
    return result.token;
  };
  return Object.freeze({
    issuer: instance(config.tokenService.endpoint).issuer,
    jwks: (): Jwks => tokenServiceJwks(instance(config.tokenService.endpoint)),
    appraise,
    /** The sidecar's `Attest`: a report over SHA-256(runtime data), the THIM chain, MAA. */
    attestMaa: (maaEndpoint: string, runtimeData: Uint8Array, served: boolean): string => {
      const endpoint = hostOf(maaEndpoint, 'maa_endpoint');
      const report = guest.report(sha256(runtimeData));
      return appraise(endpoint, sevSnpVmAttestRequest({ report, runtimeData,
        vcekCertChainPem: guest.chainPem(served) }));
    },
  });
}

/** The vault, opened on first use; a granted release is the only thing that moves it. */
function vaultOf(open: () => KeyBrokerState, nowTicks: number) {
  let vault: KeyBrokerState | undefined;
  const opened = (): KeyBrokerState => (vault ??= open());
  return Object.freeze({
    keyName: (kid: string, version: string | undefined): string =>
      keyNameOf(opened(), kid, version),
    /** AKV's release of `name` for a request body {target, enc?}. */
    release: (name: string, body: unknown): JsonObject => {
      const before = opened();
      const result = releaseKey(before, name, body, nowTicks);
      if (!result.ok) {
        assert(result.state === before, 'a refusal leaves the vault as it was');
        throw refusal(result.failures);
      }
      vault = result.state;
      return result.release;
    },
  });
}

export type AttestationServices = ReturnType<typeof createAttestationServices>;

/** The token service, the vault and the sidecar's flows over them, for one fake backend. */
export function createAttestationServices(seed: string, config: ResolvedAttestation,
  guest: GuestSource) {
  const maa = tokenServiceOf(seed, config, guest);
  const vault = vaultOf(() => openVault(seed, config, guest, maa.issuer, maa.jwks()),
    config.timeTicks);
  const services = Object.freeze({
    issuer: maa.issuer,
    maaEndpoint: config.tokenService.endpoint,
    akvEndpoint: config.keyVault.endpoint,
    keyNames: (): readonly string[] => keysOf(config).map((key) => key.name),
    jwks: maa.jwks,
    openIdConfiguration: (origin: string | undefined) => openIdConfiguration(maa.issuer, origin),
    /** MAA `POST /attest/SevSnpVm` at the default instance. */
    attestSevSnpVm: (body: unknown): string => maa.appraise(config.tokenService.endpoint, body),
    attestMaa: maa.attestMaa,
    /** The sidecar's `SecureKeyRelease`: attest with its wrapping key, release, unwrap → JWK. */
    sidecarKeyRelease: (request: SidecarKeyRelease, served: boolean): JsonObject => {
      const vaultHost = hostOf(request.akvEndpoint, 'akv_endpoint');
      if (vaultHost !== config.keyVault.endpoint) {
        throw refusedRelease(`no key vault ${vaultHost} here (this fake serves `
          + `${config.keyVault.endpoint})`, { akvEndpoint: vaultHost });
      }
      const name = vault.keyName(request.kid, undefined);
      const wrapping = rsaKeyFromStream(rngStateOf(SIDECAR_KEY_STREAM));
      const token = maa.attestMaa(request.maaEndpoint, sidecarRuntimeData(wrapping), served);
      const material = unwrapRelease(vault.release(name, { target: token }),
        wrapping.privateKey);
      assert(material !== undefined, 'the vault wraps for the key in the runtime data');
      return { k: base64url(material), kty: 'oct' };
    },
    /** AKV `POST /keys/{name}[/{version}]/release`: `{value}`, the payload as a signed JWS. */
    vaultRelease: (name: string, version: string | undefined, body: unknown): string => {
      const payload = vault.release(vault.keyName(name, version), body);
      const key = rsaKeyFromStream(rngStateOf(VAULT_SIGNING_STREAM));
      return signJwt({ alg: 'RS256', kid: jwkThumbprint(key.publicJwk) }, payload, key);
    },
  });
  assert(services.issuer === `https://${services.maaEndpoint}`);
  return services;
}
