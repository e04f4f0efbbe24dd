/**
 * Goal: one way for the token-service and key-broker tests to build the Azure flow from a seed:
 *   a container's fresh RSA key and runtime data (with a broker nonce), a genuine report whose
 *   REPORT_DATA is SHA-256 of that runtime data, its THIM-style chain, a token service and a key
 *   broker that pins the service's JWKS and holds one key under a release policy.
 * Method: the SNP issuer models (generateReport, buildCertificateSet) make the evidence, as the
 *   firmware and KDS would; the verifier models under test only consume it. Values the tests
 *   compare against are written here as literals or computed with node:crypto, never taken
 *   from the code under test.
 */
import { createHash } from 'node:crypto';
import { buildCertificateSet, type CertificateSet } from '../../models/snp/certificates.js';
import type { Product } from '../../models/snp/product.js';
import {
  generateReport, type GenerateReportOptions, type GeneratedReport,
} from '../../models/snp/report-generator.js';
import { rsaKeyFromStream, type RsaKeyPair } from '../../models/verifier/jwt-keys.js';
import {
  createKeyBroker, importKey, issueNonce, trustAuthority, type Freshness, type KeyBrokerState,
} from '../../models/verifier/key-broker.js';
import {
  attestSevSnpVm, createTokenService, tokenServiceJwks, type TokenResult, type TokenServiceConfig,
} from '../../models/verifier/token-service.js';
import {
  certificatesPem, sevSnpVmAttestRequest,
} from '../../models/verifier/token-service-evidence.js';
import { Rng } from '../../sim/kernel/rng.js';

/** SHA-256 of the security policy the key's release policy names (any 32 bytes will do). */
export const POLICY_A_HOST_DATA = 'aa'.repeat(32);
export const POLICY_B_HOST_DATA = 'bb'.repeat(32);
export const MEASUREMENT_A = '11'.repeat(48);
export const MEASUREMENT_B = '22'.repeat(48);
export const KEY_MATERIAL = '5e'.repeat(32);
export const KEY_NAME = 'container-key';

export type FlowOptions = Readonly<{
  seed?: number;
  product?: Product;
  hostData?: string;
  measurement?: string;
  /** Guest POLICY (u64); default QEMU's 0x30000 (SMT, bit 17). */
  policy?: bigint;
  /** Runtime data nonce: a fresh one from the broker (default), none, or this literal. */
  nonce?: 'fresh' | 'none' | string;
  freshness?: Freshness;
  /** Replace the runtime data after the report was made (REPORT_DATA no longer binds it). */
  swapRuntimeData?: Uint8Array;
  /** Other runtime data, bound by the report (default: the container's key and the nonce). */
  runtimeData?: (nonce: string | null) => Uint8Array;
  report?: Partial<GenerateReportOptions>;
}>;

export type Flow = Readonly<{
  rng: Rng;
  container: RsaKeyPair;
  runtimeData: Uint8Array;
  generated: GeneratedReport;
  set: CertificateSet;
  chainPem: string;
  service: TokenServiceConfig;
  broker: KeyBrokerState;
  nonce: string | null;
  body: ReturnType<typeof sevSnpVmAttestRequest>;
}>;

export function releasePolicyFor(issuer: string, hostData = POLICY_A_HOST_DATA,
  measurement = MEASUREMENT_A) {
  return {
    version: '1.0.0',
    anyOf: [{ authority: issuer, allOf: [
      { claim: 'x-ms-attestation-type', equals: 'sevsnpvm' },
      { claim: 'x-ms-sevsnpvm-hostdata', equals: hostData },
      { claim: 'x-ms-sevsnpvm-launchmeasurement', equals: measurement },
      { claim: 'x-ms-sevsnpvm-is-debuggable', equals: false },
    ] }],
  };
}

export function runtimeDataOf(container: RsaKeyPair, nonce: string | null): Uint8Array {
  const jwk = { ...container.publicJwk, key_ops: ['encrypt'], kid: 'ContainerWrappingKey' };
  const document = nonce === null ? { keys: [jwk] } : { keys: [jwk], nonce };
  return new Uint8Array(Buffer.from(JSON.stringify(document), 'utf8'));
}

export function reportDataFor(runtimeData: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  out.set(createHash('sha256').update(runtimeData).digest());
  return out;
}

/** A container on `seed` running the Azure flow up to (not including) the token request. */
export function flow(options: FlowOptions = {}): Flow {
  const seed = options.seed ?? 41;
  const product = options.product ?? 'Genoa';
  const rng = Rng.fromSeed(seed).fork('attestation-test');
  const service = createTokenService({ rng, endorsedMeasurements: [MEASUREMENT_A] });
  let broker = createKeyBroker({ rng, freshness: options.freshness ?? 'broker-nonce' });
  broker = trustAuthority(broker, service.issuer, tokenServiceJwks(service));
  broker = importKey(broker, { name: KEY_NAME, material: Buffer.from(KEY_MATERIAL, 'hex'),
    releasePolicy: releasePolicyFor(service.issuer) });
  let nonce: string | null = null;
  if (options.nonce === undefined || options.nonce === 'fresh') {
    const issued = issueNonce(broker);
    broker = issued.state;
    nonce = issued.nonce;
  } else if (options.nonce !== 'none') {
    nonce = options.nonce;
  }
  const container = rsaKeyFromStream(rng.fork('container').state());
  const runtimeData = options.runtimeData?.(nonce) ?? runtimeDataOf(container, nonce);
  const generated = generateReport({
    seed, product, signingKey: 'vcek', report_data: reportDataFor(runtimeData),
    host_data: Buffer.from(options.hostData ?? POLICY_A_HOST_DATA, 'hex'),
    measurement: Buffer.from(options.measurement ?? MEASUREMENT_A, 'hex'),
    ...(options.policy === undefined ? {} : { policy: options.policy }), ...options.report,
  });
  const set = buildCertificateSet({ seed, product, signingKey: 'vcek',
    platform: generated.platform });
  const chainPem = certificatesPem([set.endorsementCert, set.ask, set.ark]);
  const body = sevSnpVmAttestRequest({ report: generated.report, vcekCertChainPem: chainPem,
    runtimeData: options.swapRuntimeData ?? runtimeData });
  return { rng, container, runtimeData, generated, set, chainPem, service, broker, nonce, body };
}

/** The token for a flow at virtual time `ticks` (default 1 s after the epoch). */
export function tokenOf(f: Flow, ticks = 1000): TokenResult {
  return attestSevSnpVm(f.service, f.body, ticks);
}

export const codes = (failures: readonly { code: string }[]): string[] =>
  failures.map((failure) => failure.code);

/** The claim each report field must produce, read at the ABI offsets (Milan/Genoa TCB layout). */
export function claimsFromReportBytes(report: Uint8Array): Record<string, unknown> {
  const bytes = Buffer.from(report);
  const hex = (offset: number, size: number) => bytes.subarray(offset, offset + size)
    .toString('hex');
  const policy = bytes.readBigUInt64LE(0x008);
  const bit = (n: bigint) => ((policy >> n) & 1n) === 1n;
  const tcb = 0x180;   // REPORTED_TCB: byte 0 BL, 1 TEE, 6 SNP, 7 microcode
  return {
    'x-ms-sevsnpvm-authorkeydigest': hex(0x110, 48),
    'x-ms-sevsnpvm-bootloader-svn': bytes[tcb],
    'x-ms-sevsnpvm-familyId': hex(0x010, 16),
    'x-ms-sevsnpvm-guestsvn': bytes.readUInt32LE(0x004),
    'x-ms-sevsnpvm-hostdata': hex(0x0c0, 32),
    'x-ms-sevsnpvm-idkeydigest': hex(0x0e0, 48),
    'x-ms-sevsnpvm-imageId': hex(0x020, 16),
    'x-ms-sevsnpvm-is-debuggable': bit(19n),
    'x-ms-sevsnpvm-launchmeasurement': hex(0x090, 48),
    'x-ms-sevsnpvm-microcode-svn': bytes[tcb + 7],
    'x-ms-sevsnpvm-migration-allowed': bit(18n),
    'x-ms-sevsnpvm-reportdata': hex(0x050, 64),
    'x-ms-sevsnpvm-reportid': hex(0x140, 32),
    'x-ms-sevsnpvm-smt-allowed': bit(16n),
    'x-ms-sevsnpvm-snpfw-svn': bytes[tcb + 6],
    'x-ms-sevsnpvm-tee-svn': bytes[tcb + 1],
    'x-ms-sevsnpvm-vmpl': bytes.readUInt32LE(0x030),
  };
}
