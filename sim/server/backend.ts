/**
 * Models: the services around a fleet of SEV-SNP hosts, as calls without HTTP: the guest's
 *   firmware (MSG_REPORT_REQ, MSG_KEY_REQ, the extended report), AMD KDS (spec snp.md e.1), Azure
 *   THIM and the ACC cache (e.5), and the confidential sidecar's `/attest/raw` and
 *   `/attest/combined` (attestation-services.md), and (attestation.ts) MAA, AKV and the sidecar's
 *   `/attest/maa` and `/key/release`. Each HTTP route makes exactly one of these calls.
 * Real counterpart: the AMD-SP, kdsintf.amd.com, IMDS, global.acccache.azure.net, the SKR sidecar.
 * Differs: TEST-ONLY keys from one seed (fleet.ts); the library calls (`report`, `certs`, …)
 *   always tell the truth, while the `wrongCertificate` fault changes only what is served.
 *   [uncertain] THIM's `tcbm` hex digits are upper case (the only real sample has none).
 * Invariants: a served VCEK is issued for the TCB asked for (KDS) or for REPORTED_TCB (THIM, ACC,
 *   sidecar), never CURRENT_TCB; the sidecar's REPORT_DATA is SHA-256(runtime data) then zeros; a
 *   firmware refusal is SimError SNP_FIRMWARE_STATUS naming the AMD status.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { assert } from '../kernel/assert.js';
import { fromHex, toHex } from '../kernel/bytes.js';
import { SimError } from '../kernel/errors.js';
import { securityPolicyDigestHex } from '../../models/policy/load-policy.js';
import { toPem } from '../../models/snp/certificates.js';
import {
  requestDerivedKey, requestReport, signReport, type KeyRequest,
} from '../../models/snp/firmware.js';
import type { KdsRequest } from '../../models/snp/kds.js';
import { PRODUCTS, PRODUCT_NAMES, type Product } from '../../models/snp/product.js';
import { decodeTcb, encodeTcb } from '../../models/snp/tcb-version.js';
import { createAttestationServices, type GuestSource } from './attestation.js';
import { resolveFakeSnpConfig, type FakeSnpOptions } from './config.js';
import {
  chipById, chipByHwid, chipNamed, createFleet, type ChipCertificates, type ChipInfo, type Fleet,
} from './fleet.js';

export type { ChipCertificates, ChipInfo } from './fleet.js';

/** Azure IMDS THIM `/metadata/THIM/amd/certification` (spec snp.md e.5), key order as served. */
export type ThimCertification = Readonly<{
  vcekCert: string; tcbm: string; certificateChain: string; cacheControl: string;
}>;

/** The sidecar's `/attest/combined` answer (attestation-services.md), key order as served. */
export type CombinedAttestation = Readonly<{
  endorsed_tcb: string; endorsements: string; evidence: string; uvm_endorsements: string;
}>;

export type ReportOptions = Readonly<{
  /** Chip name (default: the guest's chip). */
  chip?: string;
  /** REPORT_DATA, at most 64 bytes, zero-padded (default zeros). */
  reportData?: Uint8Array;
  /** VMPL to ask for (default: the guest's). */
  vmpl?: number;
}>;

export type DerivedKeyOptions = Readonly<{
  chip?: string;
  /** GUEST_FIELD_SELECT bits (default 0: VMPL, HOST_DATA and the ID-key digest only). */
  guestFieldSelect?: bigint;
  vmpl?: number;
  guestSvn?: number;
  /** TCB_VERSION to mix in (default: the platform's committed TCB). */
  tcbVersion?: bigint;
}>;

/** HOST_DATA the way hcsshim computes it: SHA-256 of the (base64-decoded) policy bytes. */
export function hostDataOfPolicy(policy: Uint8Array): Uint8Array {
  return fromHex(securityPolicyDigestHex(policy));
}

/** THIM `tcbm`: the TCB_VERSION u64 as 16 hex digits, most significant byte first. */
export function thimTcbm(tcb: bigint): string {
  assert(tcb >= 0n && tcb < 1n << 64n);
  const text = tcb.toString(16).toUpperCase().padStart(16, '0');
  assert(text.length === 16);
  return text;
}

/** Sidecar `endorsed_tcb`: the 8 TCB_VERSION bytes as they sit in the report, in hex. */
export function sidecarEndorsedTcb(tcb: bigint): string {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, tcb, true);
  return toHex(bytes);
}

function firmwareRefusal(command: string, response: Readonly<{ status: number;
  statusName: string; reason?: string }>): SimError {
  const reason = response.reason ?? 'refused';
  return new SimError('SNP_FIRMWARE_STATUS', { command, status: response.status,
    statusName: response.statusName, reason },
  `${command} failed with ${response.statusName}: ${reason}`);
}

/** MSG_REPORT_REQ from the guest on a chip: the signed 0x4A0-byte report. */
function guestReport(fleet: Fleet, options: ReportOptions): Uint8Array {
  const chip = chipNamed(fleet, options.chip);
  const reportData = options.reportData ?? new Uint8Array(64);
  if (reportData.length > 64) {
    throw new SimError('SNP_BAD_FIELD', { field: 'report_data', actualBytes: reportData.length },
      `report_data is at most 64 bytes, got ${reportData.length}`);
  }
  const padded = new Uint8Array(64);
  padded.set(reportData);
  const { vmpl } = fleet.config.guest;
  const response = requestReport(chip.firmware(), { context: chip.context(), senderVmpl: vmpl,
    request: { report_data: padded, vmpl: options.vmpl ?? vmpl, key_sel: 0 } });
  if (!('value' in response)) throw firmwareRefusal('MSG_REPORT_REQ', response);
  const report = signReport(chip.firmware(), response.value);
  assert(response.status === 0);
  assert(report.length === 0x4a0);
  return report;
}

/** MSG_KEY_REQ from the guest on a chip: a 32-byte derived key. */
function guestDerivedKey(fleet: Fleet, options: DerivedKeyOptions): Uint8Array {
  const chip = chipNamed(fleet, options.chip);
  const { vmpl } = fleet.config.guest;
  const request: KeyRequest = {
    key_select: 0, guest_field_select: options.guestFieldSelect ?? 0n,
    vmpl: options.vmpl ?? vmpl, guest_svn: options.guestSvn ?? 0,
    tcb_version: options.tcbVersion ?? chip.platform.committed_tcb, launch_mit_vector: 0n,
  };
  const response = requestDerivedKey(chip.firmware(),
    { context: chip.context(), senderVmpl: vmpl, request });
  if (!('derived_key' in response)) throw firmwareRefusal('MSG_KEY_REQ', response);
  assert(response.status === 0);
  assert(response.derived_key.length === 32);
  return response.derived_key;
}

/** KDS: the DER VCEK, the PEM cert_chain or the DER CRL a parsed request names. */
function kdsArtifact(fleet: Fleet,
  request: KdsRequest): Readonly<{ contentType: string; body: Uint8Array }> {
  const authority = fleet.ca(request.product);
  switch (request.kind) {
    case 'vcek': {
      const chip = chipByHwid(fleet, request.product, request.hwid);
      const tcb = encodeTcb(request.tcb, PRODUCTS[request.product].tcbLayout);
      return { contentType: 'application/pkix-cert', body: fleet.servedLeaf(chip, 'vcek', tcb) };
    }
    case 'cert_chain': {
      const intermediate = request.keyKind === 'vcek' ? authority.ask : authority.asvk;
      return { contentType: 'application/x-pem-file',
        body: new TextEncoder().encode(toPem(intermediate) + toPem(authority.ark)) };
    }
    case 'crl':
      return { contentType: 'application/pkix-crl',
        body: request.keyKind === 'vcek' ? authority.vcekCrl : authority.vlekCrl };
  }
}

/** THIM for the guest's chip: its served leaf at REPORTED_TCB and the signer chain. */
function thim(fleet: Fleet, chipName: string | undefined): ThimCertification {
  const chip = chipNamed(fleet, chipName);
  const kind = chip.info.signingKey;
  const authority = fleet.ca(chip.info.product);
  const tcb = chip.platform.reported_tcb;
  const answer = {
    vcekCert: toPem(fleet.servedLeaf(chip, kind, tcb)),
    tcbm: thimTcbm(tcb),
    certificateChain: toPem(kind === 'vcek' ? authority.ask : authority.asvk)
      + toPem(authority.ark),
    cacheControl: fleet.config.cacheControl,
  };
  assert(answer.vcekCert.startsWith('-----BEGIN CERTIFICATE-----'));
  return answer;
}

/** ACC `/SevSnpVM/certificates/{chipId}/{tcbm}`: leaf, signer, ARK as PEM. */
function accCertificates(fleet: Fleet, chipId: Uint8Array, tcb: bigint): string {
  const chip = chipById(fleet, chipId);
  decodeTcb(tcb, PRODUCTS[chip.info.product].tcbLayout, { strict: true });
  return fleet.servedChainPem(chip, tcb);
}

function attestCombined(fleet: Fleet, runtimeData: Uint8Array): CombinedAttestation {
  const evidence = guestReport(fleet, { reportData: sha256(runtimeData) });
  const chip = chipNamed(fleet, undefined);
  const tcb = chip.platform.reported_tcb;
  const answer = {
    endorsed_tcb: sidecarEndorsedTcb(tcb),
    endorsements: Buffer.from(fleet.servedChainPem(chip, tcb)).toString('base64'),
    evidence: Buffer.from(evidence).toString('base64'),
    uvm_endorsements: fleet.config.guest.uvmEndorsementsBase64,
  };
  assert(answer.endorsed_tcb.length === 16);
  return answer;
}

/** The guest as the attestation services see it: its reports, its chip's chain, its launch. */
function guestSource(fleet: Fleet): GuestSource {
  const chip = chipNamed(fleet, undefined);
  return Object.freeze({
    report: (reportData: Uint8Array) => guestReport(fleet, { reportData }),
    chainPem: (served: boolean) => {
      if (served) return fleet.servedChainPem(chip, chip.platform.reported_tcb);
      const certs = chip.certs();
      return toPem(certs.endorsementCert) + certs.certChainPem;
    },
    launch: () => ({ hostData: chip.context().host_data,
      measurement: chip.context().measurement }),
  });
}

export type FakeSnpBackend = ReturnType<typeof createFakeSnpBackend>;

/** The fake backend without any HTTP: chips, reports, keys and every served artifact. */
export function createFakeSnpBackend(options: FakeSnpOptions = {}) {
  const config = resolveFakeSnpConfig(options, hostDataOfPolicy);
  const fleet = createFleet(config);
  const report = (opts: ReportOptions = {}): Uint8Array => guestReport(fleet, opts);
  const attestation = createAttestationServices(config.seed, config.attestation,
    guestSource(fleet));
  return Object.freeze({
    seed: config.seed,
    config,
    chips: (): readonly ChipInfo[] => fleet.chips.map((chip) => chip.info),
    report,
    extendedReport: (opts: ReportOptions = {}) => Object.freeze({
      report: report(opts), certTable: chipNamed(fleet, opts.chip).certs().certTable,
    }),
    derivedKey: (opts: DerivedKeyOptions = {}): Uint8Array => guestDerivedKey(fleet, opts),
    certs: (opts: Readonly<{ chip?: string }> = {}): ChipCertificates =>
      chipNamed(fleet, opts.chip).certs(),
    /** The test ARK of every product (DER), to pin as the trust anchor. */
    testArks: (): Readonly<Record<Product, Uint8Array>> => Object.fromEntries(
      PRODUCT_NAMES.map((p) => [p, fleet.ca(p).ark])) as Record<Product, Uint8Array>,
    kdsArtifact: (request: KdsRequest) => kdsArtifact(fleet, request),
    thim: (chip?: string): ThimCertification => thim(fleet, chip),
    accCertificates: (chipId: Uint8Array, tcb: bigint): string =>
      accCertificates(fleet, chipId, tcb),
    /** Sidecar `/attest/raw`: REPORT_DATA = SHA-256(runtime data), then 32 zero bytes. */
    attestRaw: (runtimeData: Uint8Array): Readonly<{ report: string }> =>
      ({ report: toHex(report({ reportData: sha256(runtimeData) })) }),
    attestCombined: (runtimeData: Uint8Array): CombinedAttestation =>
      attestCombined(fleet, runtimeData),
    sidecarStatus: (): Readonly<{ message: string }> => ({ message: 'Status OK' }),
    /** The token service, the key vault and the sidecar's `/attest/maa` and `/key/release`. */
    attestation,
  });
}
