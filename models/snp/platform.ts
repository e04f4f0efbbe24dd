/**
 * Models: the AMD-SP's platform-wide SEV-SNP state (SEV-SNP Firmware ABI spec 56860:
 * SNP_PLATFORM_STATUS, SNP_CONFIG, SNP_COMMIT, SNP_DOWNLOAD_FIRMWARE_EX, SNP_VLEK_LOAD, GET_ID;
 * spec snp.md a.6-a.10).
 * Real counterpart: one EPYC socket's PSP: its chip id, the running and committed firmware, the
 * TCB it reports, the SNP_CONFIG mask bits and a loaded VLEK.
 * Differs: the chip id is drawn from the run's `snp` stream (Turin: 8 meaningful bytes, then
 * zeros) and held as hex (immutable state); firmware
 * images are a (version, TCB) pair; a VLEK is just its CSP id (the key is derived, never wrapped);
 * LAUNCH_TCB is per guest and lives in GuestContext (captured from current_tcb at LAUNCH_START,
 * see `launchTcbOf`); one socket; the mitigation vector is a plain u64 the caller may set.
 * Invariants: committed_tcb <= current_tcb and reported_tcb <= current_tcb component-wise;
 * committed version <= current version; chip_id is 64 bytes and, on Turin, bytes 8..63 are zero;
 * every transition is a pure function returning new frozen state.
 */
import { assert } from '../../sim/kernel/assert.js';
import { hexBytes, isHexOf, toHex, type Hex } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { Rng } from '../../sim/kernel/rng.js';
import { deriveVcek, deriveVlek, type EndorsementKey } from './endorsement-keys.js';
import { PRODUCTS, type Product } from './product.js';
import { decodeTcb, encodeTcb, tcbAtLeast, type TcbParts } from './tcb-version.js';

export type FirmwareVersion = Readonly<{ major: number; minor: number; build: number }>;

export type CpuidSignature = Readonly<{ family: number; model: number; stepping: number }>;

export type PlatformState = Readonly<{
  product: Product;
  cpuid: CpuidSignature;
  /** GET_ID: the chip's unique id, 64 bytes as hex, never masked here (the report masks it). */
  chip_id: Hex;
  current_version: FirmwareVersion;
  committed_version: FirmwareVersion;
  /** TCB_VERSION of the running firmware (raw u64, product layout). */
  current_tcb: bigint;
  /** Anti-rollback floor, raised by SNP_COMMIT. */
  committed_tcb: bigint;
  /** What reports carry and what the VCEK is issued for (SNP_CONFIG; = current when never set). */
  reported_tcb: bigint;
  /** True once SNP_CONFIG set reported_tcb explicitly; otherwise it follows current_tcb. */
  reported_tcb_configured: boolean;
  mask_chip_id: boolean;
  mask_chip_key: boolean;
  /** The CSP id of a loaded VLEK (e.g. "CN=cc-us-east-2.amazonaws.com"), or undefined. */
  vlek_csp_id: string | null;
  /** SMT enabled in the BIOS (PLATFORM_INFO.SMT_EN; LAUNCH_START checks POLICY.SMT against it). */
  smt: boolean;
  tsme: boolean;
  /** The platform has ECC memory (reported in PLATFORM_INFO from firmware 1.55 on). */
  ecc: boolean;
  rapl_dis: boolean;
  ciphertext_hiding: boolean;
  tio: boolean;
  /** Mitigation vector of the running firmware (report v5 CURRENT_MIT_VECTOR). */
  current_mit_vector: bigint;
  /** A PLATFORM_INFO value to report instead of the one derived from the flags (test doubles). */
  platform_info_override?: bigint;
}>;

export type CreatePlatformOptions = Readonly<{
  /** The run's `snp` stream: the chip id is drawn from its fork chip_id/<product>. */
  rng: Rng;
  product: Product;
  firmwareVersion?: FirmwareVersion;
  /** current_tcb; committed_tcb defaults to it. */
  tcb?: bigint;
  committedTcb?: bigint;
  /** SNP_CONFIG REPORTED_TCB; defaults to current_tcb. */
  reportedTcb?: bigint;
  committedVersion?: FirmwareVersion;
  maskChipId?: boolean;
  maskChipKey?: boolean;
  vlekCspId?: string;
  smt?: boolean;
  tsme?: boolean;
  ecc?: boolean;
  currentMitVector?: bigint;
  /** Overrides the CPUID signature (must stay inside the product's family/models). */
  cpuid?: CpuidSignature;
  /** Report exactly this PLATFORM_INFO (any u64) instead of deriving it. */
  platformInfo?: bigint;
  /** Use this chip id instead of the seed-derived one (64 bytes; Turin: bytes 8..63 zero). */
  chipId?: Uint8Array;
}>;

/** The CSP id a VLEK gets when a caller asks for VLEK signing without naming a provider. */
export const DEFAULT_VLEK_CSP_ID = 'CN=parma-sim.test';

/**
 * Defaults per product: what the real report of that product in shared/testdata/snp shows (Milan:
 * milan-v3-oak-oc-release; Genoa: genoa-v5-oak; Turin: turin-v5-oak): the firmware version, its
 * TCB, its mitigation vector (report v5 CURRENT_MIT_VECTOR, which LAUNCH_START copies into
 * LAUNCH_MIT_VECTOR) and whether that machine ran with TSME (PLATFORM_INFO bit 1: set in the
 * Turin report's 0x67, clear in the Milan/Genoa reports' 0x25). test/snp/report-defaults.test.ts
 * reads the real bytes and checks every default report against them.
 */
export const DEFAULT_FIRMWARE: Readonly<Record<Product, Readonly<{
  version: FirmwareVersion; tcb: TcbParts; mitVector: bigint; tsme: boolean;
}>>> = {
  Milan: {
    version: { major: 1, minor: 55, build: 29 },
    tcb: { fmc: 0, bl: 4, tee: 0, snp: 24, ucode: 219 },
    mitVector: 0n, // a v3 report has no MIT vector fields
    tsme: false,
  },
  Genoa: {
    version: { major: 1, minor: 55, build: 43 },
    tcb: { fmc: 0, bl: 10, tee: 0, snp: 25, ucode: 84 },
    mitVector: 1n,
    tsme: false,
  },
  Turin: {
    version: { major: 1, minor: 55, build: 61 },
    tcb: { fmc: 0, bl: 1, tee: 0, snp: 2, ucode: 71 },
    mitVector: 0n,
    tsme: true,
  },
};

/** AMD status values these commands return (ABI spec 56860 status table; psp-sev.h agrees). */
export const PLATFORM_STATUS = Object.freeze({
  INVALID_CONFIG: 0x03,
  INVALID_PARAM: 0x16,
  BAD_SVN: 0x1f,
} as const);

export type PlatformCommandName =
  'SNP_CONFIG' | 'SNP_COMMIT' | 'SNP_DOWNLOAD_FIRMWARE_EX' | 'SNP_VLEK_LOAD';

function refused(command: PlatformCommandName, statusName: keyof typeof PLATFORM_STATUS,
  reason: string, detail: Readonly<Record<string, unknown>> = {}): SimError {
  const status: number = PLATFORM_STATUS[statusName];
  assert(status !== 0, 'a refusal has a non-zero status');
  assert(reason.length > 0, 'a refusal says why');
  return new SimError('SNP_FIRMWARE_STATUS', { command, status, statusName, reason, ...detail },
    `${command} failed with ${statusName} (0x${status.toString(16)}): ${reason}`);
}

// ---------------------------------------------------------------------------------------------
// Firmware versions

export function formatFirmwareVersion(version: FirmwareVersion): string {
  return `${version.major}.${version.minor}.${version.build}`;
}

/** "1.55.29" → {1, 55, 29}; each part a byte (the report stores each in one byte). */
export function parseFirmwareVersion(text: string): FirmwareVersion {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  const parts = match === null ? [] : match.slice(1).map(Number);
  if (parts.length !== 3 || parts.some((p) => p > 0xff)) {
    throw new SimError('SNP_BAD_FIELD', { field: 'firmware_version', text: text.slice(0, 40) },
      `firmware version '${text.slice(0, 40)}' is not MAJOR.MINOR.BUILD with each part 0..255`);
  }
  const [major, minor, build] = parts as [number, number, number];
  return Object.freeze({ major, minor, build });
}

/** Negative, zero or positive as a is older than, equal to or newer than b. */
export function compareFirmwareVersion(a: FirmwareVersion, b: FirmwareVersion): number {
  return a.major - b.major || a.minor - b.minor || a.build - b.build;
}

function checkVersion(version: FirmwareVersion): FirmwareVersion {
  for (const part of [version.major, version.minor, version.build]) {
    if (!Number.isInteger(part) || part < 0 || part > 0xff) {
      throw new SimError('SNP_BAD_FIELD', { field: 'firmware_version', version },
        'firmware version parts must be integers 0..255');
    }
  }
  return Object.freeze({ ...version });
}

// ---------------------------------------------------------------------------------------------
// Creation

/** GET_ID for a simulated chip: 64 bytes from the `snp` stream; Turin keeps only the first 8. */
export function deriveChipId(snp: Rng, product: Product): Uint8Array {
  const chipId = snp.fork('chip_id').fork(product).bytes(64);
  const meaningful = PRODUCTS[product].hwidBytes;
  chipId.fill(0, meaningful);
  // an all-zero id reads as masked
  if (chipId.subarray(0, meaningful).every((b) => b === 0)) chipId[0] = 1;
  assert(chipId.length === 64);
  assert(chipId.subarray(meaningful).every((b) => b === 0));
  return chipId;
}

function checkChipId(chipId: Uint8Array, product: Product): Uint8Array {
  const meaningful = PRODUCTS[product].hwidBytes;
  const padded = new Uint8Array(64);
  if (chipId.length === meaningful || chipId.length === 64) padded.set(chipId);
  else {
    throw new SimError('SNP_BAD_FIELD', { field: 'chip_id', actualBytes: chipId.length },
      `chip_id must be 64 bytes${meaningful === 64 ? '' : ` or ${meaningful}`}, ` +
      `got ${chipId.length}`);
  }
  if (!padded.subarray(meaningful).every((b) => b === 0)) {
    throw new SimError('SNP_BAD_FIELD', { field: 'chip_id', product },
      `a ${product} chip id has ${meaningful} meaningful bytes; ` +
      `bytes ${meaningful}..63 must be zero`);
  }
  assert(padded.length === 64);
  return padded;
}

function checkTcb(raw: bigint, product: Product, what: string): bigint {
  if (typeof raw !== 'bigint' || raw < 0n || raw >= 1n << 64n) {
    throw new SimError('SNP_BAD_FIELD', { field: what }, `${what}: TCB_VERSION must be a u64`);
  }
  decodeTcb(raw, PRODUCTS[product].tcbLayout, { strict: true }); // reserved bytes must be zero
  return raw;
}

function cpuidFor(product: Product, cpuid: CpuidSignature | undefined): CpuidSignature {
  const info = PRODUCTS[product];
  if (cpuid === undefined) return info.defaultCpuid;
  const modelOk = info.models.some(([lo, hi]) => cpuid.model >= lo && cpuid.model <= hi);
  if (cpuid.family !== info.family || !modelOk || cpuid.stepping < 0 || cpuid.stepping > 0xff) {
    throw new SimError('SNP_BAD_PRODUCT', { product, cpuid },
      `CPUID family 0x${cpuid.family.toString(16)} model 0x${cpuid.model.toString(16)} ` +
      `is not a ${product}`);
  }
  return Object.freeze({ ...cpuid });
}

/** A fresh platform: default firmware and TCB of its product unless given. */
export function createPlatform(options: CreatePlatformOptions): PlatformState {
  const { product } = options;
  const info = PRODUCTS[product];
  assert(info !== undefined, 'createPlatform: product from parseProduct');
  const defaults = DEFAULT_FIRMWARE[product];
  const layout = info.tcbLayout;
  const currentTcb = checkTcb(options.tcb ?? encodeTcb(defaults.tcb, layout), product,
    'current_tcb');
  const committedTcb = checkTcb(options.committedTcb ?? currentTcb, product, 'committed_tcb');
  const current = checkVersion(options.firmwareVersion ?? defaults.version);
  const committed = checkVersion(options.committedVersion ?? current);
  if (!tcbAtLeast(decodeTcb(currentTcb, layout), decodeTcb(committedTcb, layout), layout)) {
    throw new SimError('SNP_BAD_FIELD', { field: 'committed_tcb' },
      'committed_tcb is above current_tcb');
  }
  if (compareFirmwareVersion(committed, current) > 0) {
    throw new SimError('SNP_BAD_FIELD', { field: 'committed_version' },
      'committed firmware is newer than current');
  }
  if (options.vlekCspId !== undefined) checkCspId(options.vlekCspId);
  let platform: PlatformState = Object.freeze({
    product,
    cpuid: cpuidFor(product, options.cpuid),
    chip_id: toHex(options.chipId === undefined
      ? deriveChipId(options.rng, product)
      : checkChipId(options.chipId, product)),
    current_version: current,
    committed_version: committed,
    current_tcb: currentTcb,
    committed_tcb: committedTcb,
    reported_tcb: currentTcb,
    reported_tcb_configured: false,
    mask_chip_id: options.maskChipId ?? false,
    mask_chip_key: options.maskChipKey ?? false,
    vlek_csp_id: options.vlekCspId ?? null,
    smt: options.smt ?? true,
    tsme: options.tsme ?? defaults.tsme,
    ecc: options.ecc ?? true,
    rapl_dis: false,
    ciphertext_hiding: false,
    tio: false,
    current_mit_vector: options.currentMitVector ?? defaults.mitVector,
    ...(options.platformInfo === undefined
      ? {}
      : { platform_info_override: checkU64(options.platformInfo, 'platform_info') }),
  });
  if (options.reportedTcb !== undefined) {
    platform = snpConfig(platform, { reportedTcb: options.reportedTcb });
  }
  assertPlatform(platform);
  return platform;
}

function checkU64(value: bigint, what: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value >= 1n << 64n) {
    throw new SimError('SNP_BAD_FIELD', { field: what }, `${what} must be a u64`);
  }
  return value;
}

function checkCspId(cspId: string): string {
  if (cspId.length === 0 || cspId.length > 255) {
    throw new SimError('SNP_BAD_FIELD', { field: 'csp_id' },
      'VLEK csp id must be 1..255 characters');
  }
  return cspId;
}

/** The platform invariants (our own state: assertions, not input checks). */
export function assertPlatform(platform: PlatformState): PlatformState {
  const layout = PRODUCTS[platform.product].tcbLayout;
  const current = decodeTcb(platform.current_tcb, layout);
  assert(isHexOf(platform.chip_id, 64), 'platform: chip id is 64 bytes of hex');
  assert(/^0*$/.test(platform.chip_id.slice(2 * PRODUCTS[platform.product].hwidBytes)),
    'platform: chip id bytes past the HWID are zero');
  assert(tcbAtLeast(current, decodeTcb(platform.committed_tcb, layout), layout),
    'platform: committed <= current');
  assert(tcbAtLeast(current, decodeTcb(platform.reported_tcb, layout), layout),
    'platform: reported <= current');
  assert(compareFirmwareVersion(platform.committed_version, platform.current_version) <= 0);
  if (!platform.reported_tcb_configured) assert(platform.reported_tcb === platform.current_tcb);
  return platform;
}

// ---------------------------------------------------------------------------------------------
// Commands (pure: state in, new state out; refusals are SimError SNP_FIRMWARE_STATUS)

export type SnpConfigInput =
  Readonly<{ reportedTcb?: bigint; maskChipId?: boolean; maskChipKey?: boolean }>;

/**
 * SNP_CONFIG: set REPORTED_TCB and the MASK_CHIP_ID / MASK_CHIP_KEY switches.
 * [model choice] A REPORTED_TCB above CURRENT_TCB in any component is refused with INVALID_CONFIG:
 * a host may advertise an older TCB (Azure does), never a newer one.
 */
export function snpConfig(platform: PlatformState, input: SnpConfigInput): PlatformState {
  const layout = PRODUCTS[platform.product].tcbLayout;
  let reported = platform.reported_tcb;
  let configured = platform.reported_tcb_configured;
  if (input.reportedTcb !== undefined) {
    reported = checkTcb(input.reportedTcb, platform.product, 'reported_tcb');
    if (!tcbAtLeast(decodeTcb(platform.current_tcb, layout), decodeTcb(reported, layout), layout)) {
      throw refused('SNP_CONFIG', 'INVALID_CONFIG', 'REPORTED_TCB is above CURRENT_TCB',
        { reported_tcb: reported, current_tcb: platform.current_tcb });
    }
    configured = true;
  }
  const next: PlatformState = Object.freeze({
    ...platform,
    reported_tcb: reported,
    reported_tcb_configured: configured,
    mask_chip_id: input.maskChipId ?? platform.mask_chip_id,
    mask_chip_key: input.maskChipKey ?? platform.mask_chip_key,
  });
  return assertPlatform(next);
}

export type FirmwareImage = Readonly<{ version: FirmwareVersion; tcb: bigint; mitVector?: bigint }>;

/**
 * SNP_DOWNLOAD_FIRMWARE_EX: run another firmware image. An update raises CURRENT_TCB (so the VCEK,
 * derived from the reported TCB, changes); installing an image whose TCB is below COMMITTED_TCB in
 * any component is a rollback and is refused with BAD_SVN, state unchanged. A rollback to an image
 * still >= the committed floor is allowed, as on real parts before SNP_COMMIT.
 * REPORTED_TCB follows the new current TCB unless SNP_CONFIG pinned it; a pinned value above the
 * new current TCB is lowered to it.
 */
export function downloadFirmware(platform: PlatformState, image: FirmwareImage): PlatformState {
  const layout = PRODUCTS[platform.product].tcbLayout;
  const tcb = checkTcb(image.tcb, platform.product, 'firmware tcb');
  const version = checkVersion(image.version);
  const parts = decodeTcb(tcb, layout);
  if (!tcbAtLeast(parts, decodeTcb(platform.committed_tcb, layout), layout)) {
    throw refused('SNP_DOWNLOAD_FIRMWARE_EX', 'BAD_SVN',
      'image TCB is below COMMITTED_TCB (anti-rollback)',
      { image_tcb: tcb, committed_tcb: platform.committed_tcb });
  }
  if (compareFirmwareVersion(version, platform.committed_version) < 0) {
    throw refused('SNP_DOWNLOAD_FIRMWARE_EX', 'BAD_SVN',
      'image is older than the committed firmware', {
        version: formatFirmwareVersion(version),
        committed: formatFirmwareVersion(platform.committed_version),
      });
  }
  const keepReported = platform.reported_tcb_configured
    && tcbAtLeast(parts, decodeTcb(platform.reported_tcb, layout), layout);
  const next: PlatformState = Object.freeze({
    ...platform,
    current_version: version,
    current_tcb: tcb,
    reported_tcb: keepReported ? platform.reported_tcb : tcb,
    reported_tcb_configured: keepReported,
    current_mit_vector: image.mitVector ?? platform.current_mit_vector,
  });
  assert(next.current_tcb === tcb);
  return assertPlatform(next);
}

/** SNP_COMMIT: the running firmware becomes the anti-rollback floor. */
export function commitFirmware(platform: PlatformState): PlatformState {
  const next: PlatformState = Object.freeze({
    ...platform, committed_tcb: platform.current_tcb, committed_version: platform.current_version,
  });
  assert(next.committed_tcb === next.current_tcb);
  return assertPlatform(next);
}

/** SNP_VLEK_LOAD: install (or replace) the VLEK of cloud provider `cspId`. */
export function loadVlek(platform: PlatformState, cspId: string): PlatformState {
  const next: PlatformState = Object.freeze({ ...platform, vlek_csp_id: checkCspId(cspId) });
  assert(next.vlek_csp_id === cspId);
  return assertPlatform(next);
}

// ---------------------------------------------------------------------------------------------
// Derived views

/** LAUNCH_START captures CURRENT_TCB as the guest's LAUNCH_TCB. */
export function launchTcbOf(platform: PlatformState): bigint {
  return platform.current_tcb;
}

/** The TCB layout of this platform's product. */
export function tcbLayoutOf(platform: PlatformState): 'legacy' | 'turin' {
  return PRODUCTS[platform.product].tcbLayout;
}

/** The chip id a report carries: zeros when MASK_CHIP_ID is set. Fresh bytes. */
export function reportedChipId(platform: PlatformState): Uint8Array {
  return platform.mask_chip_id ? new Uint8Array(64) : hexBytes(platform.chip_id);
}

/** The chip's VCEK for its REPORTED_TCB (what KDS would issue for this report). */
export function platformVcek(platform: PlatformState, root: Hex): EndorsementKey {
  const key = deriveVcek({
    root, product: platform.product, chipId: hexBytes(platform.chip_id),
    tcb: platform.reported_tcb,
  });
  assert(key.kind === 'vcek' && key.tcb === platform.reported_tcb);
  return key;
}

/** The loaded VLEK at REPORTED_TCB; SNP_BAD_FIELD when none is loaded. */
export function platformVlek(platform: PlatformState, root: Hex): EndorsementKey {
  if (platform.vlek_csp_id === null) {
    throw new SimError('SNP_BAD_FIELD', { field: 'vlek' }, 'no VLEK is loaded on this platform');
  }
  const key = deriveVlek({
    root, product: platform.product, cspId: platform.vlek_csp_id, tcb: platform.reported_tcb,
  });
  assert(key.kind === 'vlek' && key.tcb === platform.reported_tcb);
  return key;
}
