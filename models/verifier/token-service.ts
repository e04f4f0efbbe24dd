/**
 * Models: Microsoft Azure Attestation appraising SEV-SNP evidence and issuing a token
 *   (`POST /attest/SevSnpVm`, `GET /certs`; spec attestation-services.md "MAA, SEV-SNP VM path").
 *   It verifies the report and its VCEK chain (report-verifier.ts: pinned ARK, ASK, VCEK,
 *   extensions, ECDSA), checks that REPORT_DATA is SHA-256 of the runtime data followed by 32 zero
 *   bytes, and signs a JWT (RS256, the algorithm MAA uses) with the claims of MAA's SEV-SNP token:
 *   iss, iat, nbf, exp (8 hours, as MAA's tokens), jti, x-ms-ver, x-ms-attestation-type
 *   "sevsnpvm", x-ms-compliance-status, x-ms-policy-hash, x-ms-runtime and the x-ms-sevsnpvm-*
 *   set; the header carries jku = issuer + "/certs" and kid = the key's RFC 7638 thumbprint.
 * Real counterpart: an MAA instance (e.g. sharedeus2.eus2.attest.azure.net) with its default
 *   attestation policy, as the SKR sidecar uses it.
 * Differs: TEST signing key (RSA-2048 derived from the service's seeded stream), so tokens are
 *   valid only for relying parties that pin this JWKS; MAA's policy language is not evaluated
 *   (the policy text only feeds x-ms-policy-hash; the default permits every verified report,
 *   DEBUG guests included — relying parties decide with is-debuggable); the UVM endorsement
 *   (COSE_Sign1 reference info) is replaced by a configured list of endorsed launch
 *   measurements, and x-ms-compliance-status "azure-compliant-uvm" is issued only when the
 *   report's MEASUREMENT is on that list and DEBUG is clear (otherwise the claim is absent);
 *   the request nonce is echoed as `nonce`, as MAA does, and binds nothing; time is the virtual
 *   clock (tick 0 = 2026-01-01T00:00:00Z).
 * Invariants: a token is issued only for evidence that verifies under the pinned roots and whose
 *   REPORT_DATA binds the runtime data; every refusal lists its failures with VERIFY_* codes;
 *   the same config, evidence and time give the same token bytes.
 */
import { createHash } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { toHex, type Hex } from '../../sim/kernel/bytes.js';
import type { Json } from '../../sim/kernel/canonical-json.js';
import { canonicalJson } from '../../sim/kernel/canonical-json.js';
import { SIM_EPOCH_UNIX_MS, VirtualClock } from '../../sim/kernel/clock.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { Rng, RngState } from '../../sim/kernel/rng.js';
import { decodeAttestationReport } from '../snp/attestation-report.js';
import { decodeKeyInfo } from '../snp/key-info.js';
import type { Product } from '../snp/product.js';
import { rsaKeyFromStream, type RsaKeyPair } from './jwt-keys.js';
import { base64url, signingJwk, signJwt, type JsonObject, type Jwks } from './jwt.js';
import {
  verifyAttestationReport, type EvidenceCertificates,
} from './report-verifier.js';
import { sevSnpVmClaims } from './token-service-claims.js';
import { decodeAttestRequest, type SevSnpEvidence } from './token-service-evidence.js';
import { amdTrustAnchors, parmaSimTestAnchors, type TrustAnchor } from './trust-anchors.js';
import { failure, type VerifyFailure } from './verdict.js';

export type TrustName = 'parma-sim-test' | 'amd';

export type TokenServiceConfig = Readonly<{
  /** The token issuer (`iss`) and base URL of the instance. */
  issuer: string;
  /** The stream the RS256 signing key derives from. */
  signingKeyStream: RngState;
  trust: TrustName;
  /** The product for VERSION 2 reports (which do not name it); null: from the report. */
  product: Product | null;
  /** Launch measurements (48-byte hex) the UVM endorsement vouches for. */
  endorsedMeasurements: readonly Hex[];
  /** The attestation policy text: x-ms-policy-hash is computed from it. */
  policyText: string;
  tokenLifetimeSeconds: number;
}>;

/** MAA's lifetime for SEV-SNP tokens (exp - iat in its sample token). */
export const MAA_TOKEN_LIFETIME_SECONDS = 8 * 60 * 60;
export const DEFAULT_TOKEN_ISSUER = 'https://sharedparmasim.sim.attest.parma-sim.test';
/** An MAA policy that authorises every verified report (MAA policy language v1.0). */
export const PERMISSIVE_ATTESTATION_POLICY =
  'version= 1.0;\nauthorizationrules\n{\n    => permit();\n};\n';

export type CreateTokenServiceOptions = Readonly<{
  rng: Rng;
  issuer?: string;
  trust?: TrustName;
  product?: Product;
  endorsedMeasurements?: readonly Hex[];
  policyText?: string;
  tokenLifetimeSeconds?: number;
}>;

export function createTokenService(options: CreateTokenServiceOptions): TokenServiceConfig {
  const config: TokenServiceConfig = Object.freeze({
    issuer: (options.issuer ?? DEFAULT_TOKEN_ISSUER).replace(/\/+$/, ''),
    signingKeyStream: options.rng.fork('token-signing-key').state(),
    trust: options.trust ?? 'parma-sim-test', product: options.product ?? null,
    endorsedMeasurements: Object.freeze([...(options.endorsedMeasurements ?? [])]),
    policyText: options.policyText ?? PERMISSIVE_ATTESTATION_POLICY,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? MAA_TOKEN_LIFETIME_SECONDS,
  });
  assert(Number.isSafeInteger(config.tokenLifetimeSeconds) && config.tokenLifetimeSeconds > 0);
  assert(config.endorsedMeasurements.every((m) => /^[0-9a-f]{96}$/.test(m)),
    'endorsed measurements are 48 bytes of hex');
  return config;
}

export function tokenSigningKey(config: TokenServiceConfig): RsaKeyPair {
  return rsaKeyFromStream(config.signingKeyStream);
}

/** `GET /certs`: the JWKS a relying party pins to validate this service's tokens. */
export function tokenServiceJwks(config: TokenServiceConfig): Jwks {
  return Object.freeze({ keys: Object.freeze([signingJwk(tokenSigningKey(config))]) });
}

/** x-ms-policy-hash: BASE64URL(SHA256(UTF8(BASE64URL(UTF8(policy text))))) (MAA claim sets). */
export function attestationPolicyHash(policyText: string): string {
  return base64url(createHash('sha256').update(base64url(policyText), 'utf8').digest());
}

/** Seconds since the Unix epoch of a virtual-clock tick (NumericDate, RFC 7519 2). */
export function numericDate(ticks: number): number {
  assert(Number.isSafeInteger(ticks) && ticks >= 0, 'a tick is a non-negative integer');
  return Math.floor((SIM_EPOCH_UNIX_MS + ticks) / 1000);
}

export type TokenResult =
  | Readonly<{ ok: true; token: string; claims: JsonObject }>
  | Readonly<{ ok: false; failures: readonly VerifyFailure[] }>;

function anchorsOf(trust: TrustName): readonly TrustAnchor[] {
  return trust === 'amd' ? amdTrustAnchors() : parmaSimTestAnchors();
}

/** Chain order (leaf, intermediate, ARK) → named certificates, the leaf by KEY_INFO. */
function namedCertificates(evidence: SevSnpEvidence, signingKey: number): EvidenceCertificates {
  const [leaf, intermediate, ark] = evidence.chain;
  const vlek = signingKey === 1;
  return {
    ...(vlek ? { vlek: leaf } : { vcek: leaf }),
    ...(intermediate === undefined ? {} : vlek ? { asvk: intermediate } : { ask: intermediate }),
    ...(ark === undefined ? {} : { ark }),
  };
}

/** REPORT_DATA = SHA-256(runtime data) || 32 zero bytes, or the failure saying otherwise. */
function bindingFailure(reportData: Uint8Array, runtimeData: Uint8Array): VerifyFailure | null {
  const expected = new Uint8Array(64);
  expected.set(createHash('sha256').update(runtimeData).digest());
  if (toHex(reportData) === toHex(expected)) return null;
  return failure('VERIFY_REPORT_DATA',
    'REPORT_DATA is not SHA-256 of the runtime data followed by 32 zero bytes',
    { field: 'report_data', actual: toHex(reportData), expected: toHex(expected) });
}

/** Verifies the evidence; the decoded report and its product, or the failures. */
function appraise(config: TokenServiceConfig, evidence: SevSnpEvidence, nowTicks: number):
  { report: ReturnType<typeof decodeAttestationReport>; product: Product } | VerifyFailure[] {
  let report;
  try {
    report = decodeAttestationReport(evidence.report, { strict: false });
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    return [failure('VERIFY_BAD_EVIDENCE', `report.SnpReport: ${error.message}`,
      { field: 'report.SnpReport', cause: error.code })];
  }
  const certs = namedCertificates(evidence, decodeKeyInfo(report.key_info).signing_key);
  let verdict;
  try {
    verdict = verifyAttestationReport(evidence.report, certs, {
      trustAnchors: anchorsOf(config.trust), at: VirtualClock.toDate(nowTicks),
      ...(config.product === null ? {} : { product: config.product }),
      appraisal: { allowDebug: true },
    });
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    return [failure('VERIFY_BAD_EVIDENCE', `report.VcekCertChain: ${error.message}`,
      { field: 'report.VcekCertChain', cause: error.code })];
  }
  const binding = bindingFailure(report.report_data, evidence.runtimeData);
  const failures = [...verdict.failures, ...(binding === null ? [] : [binding])];
  if (failures.length > 0 || verdict.claims === undefined) return failures;
  return { report, product: verdict.claims.product };
}

/** `POST /attest/SevSnpVm` at virtual time `nowTicks`: a signed token or the failures. */
export function attestSevSnpVm(config: TokenServiceConfig, body: unknown, nowTicks: number):
  TokenResult {
  const evidence = decodeAttestRequest(body);
  if ('code' in evidence) return { ok: false, failures: [evidence] };
  const appraised = appraise(config, evidence, nowTicks);
  if (Array.isArray(appraised)) {
    assert(appraised.length > 0, 'a refusal names its failures');
    return { ok: false, failures: appraised };
  }
  const { report, product } = appraised;
  const sevsnp = sevSnpVmClaims(report, product);
  const measurement = toHex(report.measurement);
  const compliant = config.endorsedMeasurements.includes(measurement) &&
    sevsnp['x-ms-sevsnpvm-is-debuggable'] === false;
  const iat = numericDate(nowTicks);
  const claims: Record<string, Json> = {
    exp: iat + config.tokenLifetimeSeconds, iat, iss: config.issuer, nbf: iat,
    ...(evidence.nonce === null ? {} : { nonce: evidence.nonce }),
    'x-ms-attestation-type': 'sevsnpvm',
    ...(compliant ? { 'x-ms-compliance-status': 'azure-compliant-uvm' } : {}),
    'x-ms-policy-hash': attestationPolicyHash(config.policyText),
    'x-ms-runtime': evidence.runtime,
    ...sevsnp,
    'x-ms-ver': '1.0',
  };
  claims['jti'] = createHash('sha256').update(canonicalJson(claims)).digest('hex');
  const key = tokenSigningKey(config);
  const header = { alg: 'RS256', jku: `${config.issuer}/certs`,
    kid: signingJwk(key).kid ?? '', typ: 'JWT' };
  const token = signJwt(header, claims, key);
  assert(claims['x-ms-sevsnpvm-hostdata'] === toHex(report.host_data));
  return { ok: true, token, claims: Object.freeze(claims) };
}
