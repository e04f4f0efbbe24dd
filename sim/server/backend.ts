/**
 * Models: a fleet of SEV-SNP hosts as the services around them see it: per chip the platform
 *   (CHIP_ID, firmware, TCBs, VLEK), its firmware answering one guest's MSG_REPORT_REQ /
 *   MSG_KEY_REQ, and the certificates AMD KDS, Azure THIM / ACC and the confidential sidecar hand
 *   out for it (spec snp.md e.1–e.5; spec attestation-services.md).
 * Real counterpart: kdsintf.amd.com, IMDS `/metadata/THIM/amd/certification`, the ACC cache
 *   `/SevSnpVM/certificates/…`, and the SKR sidecar's `/attest/raw` and `/attest/combined`.
 * Differs: every key and certificate is TEST-ONLY and comes from the one seed; KDS issues a VCEK
 *   for any well-formed SPLs of a chip it knows (a chip not in the configuration is 404); one
 *   guest per chip; the library methods (`report`, `certs`, …) always tell the truth, while the
 *   `wrongCertificate` fault changes only what is served over HTTP.
 * Invariants: the same seed and configuration give byte-identical artifacts; a served VCEK is
 *   issued for the TCB asked for (KDS) or REPORTED_TCB (THIM, ACC, sidecar), never CURRENT_TCB;
 *   caches are bounded and hold only values derived from the configuration.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { assert } from '../kernel/assert.js';
import { fromHex, toHex } from '../kernel/bytes.js';
import { SimError } from '../kernel/errors.js';
import { securityPolicyDigestHex } from '../../models/policy/load-policy.js';
import { extendedReportCertTable, buildCertificateSet, toPem, type CertificateSet } from
  '../../models/snp/certificates.js';
import { buildCrl } from '../../models/snp/crl.js';
import {
  createFirmware, requestDerivedKey, requestReport, type FirmwareState, type KeyRequest,
} from '../../models/snp/firmware.js';
import type { GuestContext } from '../../models/snp/guest-context.js';
import { guestContextFromFields } from '../../models/snp/guest-context-fields.js';
import { kdsVcekUrl, type KdsRequest } from '../../models/snp/kds.js';
import {
  createPlatform, platformVcek, platformVlek, type PlatformState,
} from '../../models/snp/platform.js';
import { PRODUCTS, PRODUCT_NAMES, type Product } from '../../models/snp/product.js';
import { decodeTcb, encodeTcb } from '../../models/snp/tcb-version.js';
import { buildCaCertificate, buildEndorsementCertificate } from '../../models/snp/x509-profile.js';
import { resolveFakeSnpConfig, type FakeSnpOptions, type ResolvedChip, type ResolvedConfig } from
  './config.js';

/** What a caller may know about a served chip. */
export type ChipInfo = Readonly<{
  name: string;
  product: Product;
  /** CHIP_ID (64 bytes; Turin: 8 meaningful). */
  chipId: Uint8Array;
  /** The KDS hwid: lower-case hex of the first 64 (Milan/Genoa) or 8 (Turin) bytes. */
  hwid: string;
  reportedTcb: bigint;
  /** Which key signs this chip's reports. */
  signingKey: 'vcek' | 'vlek';
  /** Path and query of this chip's VCEK at REPORTED_TCB on the KDS routes. */
  kdsVcekPath: string;
}>;

/** The certificates of one chip, as a verifier would assemble them. */
export type ChipCertificates = CertificateSet & Readonly<{
  chip: string;
  /** The KDS cert_chain PEM of the signing key's kind (ASK or ASVK, then ARK). */
  certChainPem: string;
  /** The extended-report / configfs-tsm `auxblob` certificate table. */
  certTable: Uint8Array;
}>;

export type CaCertificates = Readonly<{
  ark: Uint8Array; ask: Uint8Array; asvk: Uint8Array; vcekCrl: Uint8Array; vlekCrl: Uint8Array;
}>;

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

type ChipRuntime = Readonly<{
  info: ChipInfo;
  spec: ResolvedChip;
  platform: PlatformState;
  firmware: () => FirmwareState;
  context: () => GuestContext;
  certs: () => ChipCertificates;
}>;

/** A small insertion-ordered cache; the oldest entry goes when it is full. */
function boundedCache<V>(limit: number): (key: string, make: () => V) => V {
  const entries = new Map<string, V>();
  return (key, make) => {
    const hit = entries.get(key);
    if (hit !== undefined) return hit;
    const value = make();
    if (entries.size >= limit) entries.delete(entries.keys().next().value as string);
    entries.set(key, value);
    assert(entries.size <= limit);
    return value;
  };
}

function lazy<V>(make: () => V): () => V {
  let value: V | undefined;
  return () => (value ??= make());
}

/** HOST_DATA the way hcsshim computes it: SHA-256 of the (base64-decoded) policy bytes. */
export function hostDataOfPolicy(policy: Uint8Array): Uint8Array {
  return fromHex(securityPolicyDigestHex(policy));
}

/** THIM `tcbm`: the TCB_VERSION u64 as 16 hex digits, most significant byte first. */
export function thimTcbm(tcb: bigint): string {
  assert(tcb >= 0n && tcb < 1n << 64n);
  return tcb.toString(16).toUpperCase().padStart(16, '0');
}

/** Sidecar `endorsed_tcb`: the 8 TCB_VERSION bytes as they sit in the report, in hex. */
export function sidecarEndorsedTcb(tcb: bigint): string {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, tcb, true);
  return toHex(bytes);
}

export type FakeSnpBackend = ReturnType<typeof createFakeSnpBackend>;

/** The fake backend without any HTTP: chips, reports, keys and every served artifact. */
export function createFakeSnpBackend(options: FakeSnpOptions = {}) {
  const config: ResolvedConfig = resolveFakeSnpConfig(options, hostDataOfPolicy);
  const { seed } = config;
  const caCache = boundedCache<CaCertificates>(PRODUCT_NAMES.length);
  const vcekCache = boundedCache<Uint8Array>(1024);
  const pemCache = boundedCache<string>(256);

  const ca = (product: Product): CaCertificates => caCache(product, () => Object.freeze({
    ark: buildCaCertificate({ seed, product, role: 'ark' }),
    ask: buildCaCertificate({ seed, product, role: 'ask' }),
    asvk: buildCaCertificate({ seed, product, role: 'asvk' }),
    vcekCrl: buildCrl({ seed, product, keyKind: 'vcek' }),
    vlekCrl: buildCrl({ seed, product, keyKind: 'vlek' }),
  }));

  const runtimes: readonly ChipRuntime[] = config.chips.map((spec) => chipRuntime(spec));

  function chipRuntime(spec: ResolvedChip): ChipRuntime {
    const platform = createPlatform({ seed, ...spec.platform });
    const layout = PRODUCTS[spec.product].tcbLayout;
    const signingKey = platform.vlek_csp_id === undefined ? 'vcek' : 'vlek';
    const info: ChipInfo = Object.freeze({
      name: spec.name, product: spec.product, chipId: platform.chip_id.slice(),
      hwid: toHex(platform.chip_id.subarray(0, PRODUCTS[spec.product].hwidBytes)),
      reportedTcb: platform.reported_tcb, signingKey,
      kdsVcekPath: kdsVcekUrl({ product: spec.product, chipId: platform.chip_id,
        tcb: decodeTcb(platform.reported_tcb, layout), base: '' }),
    });
    const firmware = lazy(() => createFirmware(seed, platform));
    const context = lazy(() => guestContextFromFields({
      seed, guestName: spec.name, launchTcb: platform.current_tcb, policy: config.guest.policy,
      ...(config.guest.measurement === undefined ? {} : { measurement: config.guest.measurement }),
      ...(config.guest.hostData === undefined ? {} : { host_data: config.guest.hostData }),
    }));
    const certs = lazy((): ChipCertificates => {
      const set = buildCertificateSet({ seed, product: spec.product, platform, signingKey });
      return Object.freeze({ ...set, chip: spec.name,
        certChainPem: toPem(signingKey === 'vcek' ? set.ask : set.asvk) + toPem(set.ark),
        certTable: extendedReportCertTable(set) });
    });
    return Object.freeze({ info, spec, platform, firmware, context, certs });
  }

  function runtime(name: string | undefined): ChipRuntime {
    const wanted = name ?? config.guest.chip;
    const found = runtimes.find((r) => r.info.name === wanted);
    if (found === undefined) {
      throw new SimError('SIM_NOT_FOUND', { chip: wanted.slice(0, 64) }, `no chip '${wanted}'`);
    }
    return found;
  }

  /** The endorsement certificate (DER) of a chip at `tcb`, as served (faults included). */
  function servedEndorsementCert(chip: ChipRuntime, kind: 'vcek' | 'vlek',
    tcb: bigint): Uint8Array {
    const wrong = config.faults.wrongCertificate.includes(chip.info.name);
    const key = `${chip.info.name}/${kind}/${tcb}/${wrong}`;
    return vcekCache(key, () => {
      if (!wrong && tcb === chip.platform.reported_tcb && kind === chip.info.signingKey) {
        return chip.certs().endorsementCert;
      }
      const { product } = chip.info;
      const at = createPlatform({ seed, product, chipId: chip.info.chipId, tcb,
        ...(kind === 'vlek' ? { vlekCspId: chip.platform.vlek_csp_id! } : {}) });
      // A wrong certificate: every field right, the key from another seed (it signs nothing).
      const keySeed = wrong ? `${seed}/wrong-certificate` : seed;
      const endorsementKey = kind === 'vcek' ? platformVcek(at, keySeed)
        : platformVlek(at, keySeed);
      return buildEndorsementCertificate({ seed, product, kind, tcb,
        publicKey: endorsementKey.publicKey,
        ...(kind === 'vcek' ? { chipId: chip.info.chipId } : { cspId: at.vlek_csp_id! }) });
    });
  }

  function chipByHwid(product: Product, hwid: Uint8Array): ChipRuntime {
    const wanted = toHex(hwid);
    const found = runtimes.find((r) => r.info.product === product && r.info.hwid === wanted);
    if (found === undefined) {
      throw new SimError('SIM_NOT_FOUND', { product, hwid: wanted.slice(0, 16) },
        `no ${product} chip with this hwid`);
    }
    return found;
  }

  function report(opts: ReportOptions = {}): Uint8Array {
    const chip = runtime(opts.chip);
    const reportData = opts.reportData ?? new Uint8Array(64);
    if (reportData.length > 64) {
      throw new SimError('SNP_BAD_FIELD', { field: 'report_data', actualBytes: reportData.length },
        `report_data is at most 64 bytes, got ${reportData.length}`);
    }
    const padded = new Uint8Array(64);
    padded.set(reportData);
    const response = requestReport(chip.firmware(), {
      context: chip.context(), senderVmpl: config.guest.vmpl,
      request: { report_data: padded, vmpl: opts.vmpl ?? config.guest.vmpl, key_sel: 0 },
    });
    if (response.status !== 0 || !('report' in response)) {
      const reason = 'reason' in response ? response.reason : 'refused';
      throw new SimError('SNP_FIRMWARE_STATUS', { command: 'MSG_REPORT_REQ',
        status: response.status, statusName: response.statusName, reason },
      `MSG_REPORT_REQ failed with ${response.statusName}: ${reason}`);
    }
    assert(response.report.length === 0x4a0);
    return response.report;
  }

  function derivedKey(opts: DerivedKeyOptions = {}): Uint8Array {
    const chip = runtime(opts.chip);
    const request: KeyRequest = {
      key_select: 0, guest_field_select: opts.guestFieldSelect ?? 0n,
      vmpl: opts.vmpl ?? config.guest.vmpl, guest_svn: opts.guestSvn ?? 0,
      tcb_version: opts.tcbVersion ?? chip.platform.committed_tcb, launch_mit_vector: 0n,
    };
    const response = requestDerivedKey(chip.firmware(),
      { context: chip.context(), senderVmpl: config.guest.vmpl, request });
    if (response.status !== 0 || !('derived_key' in response)) {
      const reason = 'reason' in response ? response.reason : 'refused';
      throw new SimError('SNP_FIRMWARE_STATUS', { command: 'MSG_KEY_REQ',
        status: response.status, statusName: response.statusName, reason },
      `MSG_KEY_REQ failed with ${response.statusName}: ${reason}`);
    }
    assert(response.derived_key.length === 32);
    return response.derived_key;
  }

  /** KDS: the DER VCEK, the PEM cert_chain or the DER CRL a parsed request names. */
  function kdsArtifact(request: KdsRequest): Readonly<{ contentType: string; body: Uint8Array }> {
    const authority = ca(request.product);
    switch (request.kind) {
      case 'vcek': {
        const chip = chipByHwid(request.product, request.hwid);
        const tcb = encodeTcb(request.tcb, PRODUCTS[request.product].tcbLayout);
        return { contentType: 'application/pkix-cert',
          body: servedEndorsementCert(chip, 'vcek', tcb) };
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

  /** PEM of the served leaf at `tcb`, then its signer, then the ARK (what Azure caches hold). */
  function servedChainPem(chip: ChipRuntime, tcb: bigint): string {
    return pemCache(`${chip.info.name}/${tcb}`, () => {
      const kind = chip.info.signingKey;
      const authority = ca(chip.info.product);
      return toPem(servedEndorsementCert(chip, kind, tcb))
        + toPem(kind === 'vcek' ? authority.ask : authority.asvk) + toPem(authority.ark);
    });
  }

  function thim(chipName?: string): ThimCertification {
    const chip = runtime(chipName);
    const kind = chip.info.signingKey;
    const authority = ca(chip.info.product);
    const tcb = chip.platform.reported_tcb;
    return {
      vcekCert: toPem(servedEndorsementCert(chip, kind, tcb)),
      tcbm: thimTcbm(tcb),
      certificateChain: toPem(kind === 'vcek' ? authority.ask : authority.asvk)
        + toPem(authority.ark),
      cacheControl: config.cacheControl,
    };
  }

  /** ACC `/SevSnpVM/certificates/{chipId}/{tcbm}`: VCEK, ASK, ARK as PEM. */
  function accCertificates(chipId: Uint8Array, tcb: bigint): string {
    const chip = runtimes.find((r) => r.info.chipId.every((b, i) => b === chipId[i])
      && chipId.length === 64);
    if (chip === undefined) {
      throw new SimError('SIM_NOT_FOUND', { chipId: toHex(chipId).slice(0, 16) },
        'no chip with this chip id');
    }
    decodeTcb(tcb, PRODUCTS[chip.info.product].tcbLayout, { strict: true });
    return servedChainPem(chip, tcb);
  }

  /** Sidecar `/attest/raw`: REPORT_DATA = SHA-256(runtime data), then 32 zero bytes. */
  function attestRaw(runtimeData: Uint8Array): Readonly<{ report: string }> {
    return { report: toHex(report({ reportData: sha256(runtimeData) })) };
  }

  function attestCombined(runtimeData: Uint8Array): CombinedAttestation {
    const evidence = report({ reportData: sha256(runtimeData) });
    const chip = runtime(undefined);
    const tcb = chip.platform.reported_tcb;
    return {
      endorsed_tcb: sidecarEndorsedTcb(tcb),
      endorsements: Buffer.from(servedChainPem(chip, tcb)).toString('base64'),
      evidence: Buffer.from(evidence).toString('base64'),
      uvm_endorsements: config.guest.uvmEndorsementsBase64,
    };
  }

  return Object.freeze({
    seed, config,
    chips: (): readonly ChipInfo[] => runtimes.map((r) => r.info),
    report,
    extendedReport: (opts: ReportOptions = {}) => Object.freeze({
      report: report(opts), certTable: runtime(opts.chip).certs().certTable,
    }),
    derivedKey,
    certs: (opts: Readonly<{ chip?: string }> = {}): ChipCertificates => runtime(opts.chip).certs(),
    caCertificates: ca,
    /** The test ARK of every product (DER), to pin as the trust anchor. */
    testArks: (): Readonly<Record<Product, Uint8Array>> => Object.fromEntries(
      PRODUCT_NAMES.map((p) => [p, ca(p).ark])) as Record<Product, Uint8Array>,
    kdsArtifact, thim, accCertificates, attestRaw, attestCombined,
    sidecarStatus: (): Readonly<{ message: string }> => ({ message: 'Status OK' }),
  });
}
