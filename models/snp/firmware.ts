/**
 * Models: the AMD-SP answering guest messages (SEV-SNP ABI spec 56860: MSG_REPORT_REQ/RSP,
 * MSG_KEY_REQ/RSP; GHCB spec 56421: the extended guest request; spec snp.md a.4, a.10, b.2-b.4).
 * Real counterpart: the PSP firmware handling SNP_GUEST_REQUEST for a launched guest, plus the
 * hypervisor's half of SNP_GET_EXT_REPORT (the certificate blob).
 * Differs: messages arrive decrypted (the AES-GCM envelope is outside this file); the derived-key
 * KDF is HKDF-SHA384 over a seed-derived test root (the chip's real KDF is secret, b.3); report
 * VERSION follows the table `reportVersionFor` (read off real reports); an unsigned report
 * (SIGNING_KEY 7) keeps SIGNATURE_ALGO 1 [uncertain]; VMRK roots exist only with a migration agent.
 * A report request returns the report as a value (the unsigned bytes as hex and the key that
 * will sign it): signing (~1 ms) happens once, at the boundary where bytes leave the model
 * (`signReport`), memoised by content, so a world can request reports on every step.
 * Invariants: a request that fails a check returns a non-zero status and no report/key; every
 * report field comes from PlatformState + GuestContext + the request; the signed span never
 * covers the signature; the same (root, platform, context, request) gives the same bytes.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha384 } from '@noble/hashes/sha2.js';
import { assert } from '../../sim/kernel/assert.js';
import {
  concatBytes, hexBytes, isAllZero, isHexOf, toHex, type Hex,
} from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import { memo } from '../../sim/kernel/memo.js';
import {
  decodeAttestationReport, encodeAttestationReport, REPORT_BYTES, type AttestationReport,
  type ReportVersion,
} from './attestation-report.js';
import {
  certPagesNeeded, CERT_PAGE_BYTES, encodeCertTable, type CertTableEntry,
} from './cert-table.js';
import type { EndorsementKey } from './endorsement-keys.js';
import { assertGuestContext, type GuestContext } from './guest-context.js';
import { GUEST_FIELD_SELECT_MASK } from './guest-messages.js';
import { encodeKeyInfo, SIGNING_KEY, type SigningKeyName } from './key-info.js';
import { platformInfoOf } from './platform-info.js';
import {
  compareFirmwareVersion, platformVcek, platformVlek, reportedChipId, tcbLayoutOf,
  type PlatformState,
} from './platform.js';
import { signAttestationReport } from './report-signature.js';
import { decodeTcb, tcbAtLeast } from './tcb-version.js';

/** Guest-message statuses (b.2): 0 ok, INVALID_PARAM, INVALID_KEY. */
export const GUEST_MSG_STATUS = Object.freeze({
  SUCCESS: 0x00, INVALID_PARAM: 0x16, INVALID_KEY: 0x27,
} as const);
export type GuestMsgStatusName = keyof typeof GUEST_MSG_STATUS;

/**
 * The firmware: platform state plus the test root its chip secrets derive from
 * (`endorsementRootOf`). Plain data, cheap to create: keys are derived (through the kernel memo)
 * only when something is signed or a derived key is asked for.
 */
export type FirmwareState = Readonly<{ root: Hex; platform: PlatformState }>;

export function createFirmware(root: Hex, platform: PlatformState): FirmwareState {
  const state: FirmwareState = Object.freeze({ root, platform });
  assert(isHexOf(state.root, 32), 'the endorsement root is 32 bytes of hex');
  assert(isHexOf(state.platform.chip_id, 64));
  return state;
}

// ---------------------------------------------------------------------------------------------
// Report VERSION per emulated firmware (spec snp.md a.10, observed in shared/testdata/snp):
//
// | product | firmware            | VERSION | evidence                                   |
// |---------|---------------------|---------|--------------------------------------------|
// | Milan   | < 1.55              | 2       | Milan 1.49.3, 1.52.4 reports               |
// | Milan   | >= 1.55             | 3       | Milan 1.55.29 reports                      |
// | Genoa   | < 1.55              | 2       | by analogy with Milan (no real report)     |
// | Genoa   | 1.55.0 .. 1.55.42   | 3       | Genoa 1.55.40 (spec a.10)                  |
// | Genoa   | >= 1.55.43          | 5       | Genoa 1.55.43 report                       |
// | Turin   | any                 | 5       | Turin 1.55.61 report (v2 is never Turin)   |

export function reportVersionFor(
  platform: Pick<PlatformState, 'product' | 'current_version'>,
): ReportVersion {
  const v = platform.current_version;
  const below = (minor: number, build: number): boolean =>
    compareFirmwareVersion(v, { major: 1, minor, build }) < 0;
  switch (platform.product) {
    case 'Milan': return below(55, 0) ? 2 : 3;
    case 'Genoa': return below(55, 0) ? 2 : below(55, 43) ? 3 : 5;
    case 'Turin': return 5;
  }
}

// ---------------------------------------------------------------------------------------------
// MSG_REPORT_REQ

export type ReportRequest = Readonly<{
  report_data: Uint8Array;
  vmpl: number;
  /** The whole u32 at 0x44: bits 1:0 KEY_SEL, bits 31:2 MBZ. */
  key_sel: number;
}>;

export type ReportRequestInput = Readonly<{
  context: GuestContext;
  /** VMPL of the VMPCK the message came with (0..3). */
  senderVmpl: number;
  request: ReportRequest;
  /** Force a report VERSION (test doubles); default: `reportVersionFor`. */
  version?: ReportVersion;
}>;

export type GuestMsgResponse<T> =
  | Readonly<{ status: 0; statusName: 'SUCCESS' } & T>
  | Readonly<{
    status: number; statusName: Exclude<GuestMsgStatusName, 'SUCCESS'>; reason: string;
  }>;

/** An answered MSG_REPORT_REQ before signing: the unsigned report bytes and the key to use. */
export type ReportValue = Readonly<{
  /** The 0x4A0 report bytes with a zero signature field, as hex. */
  unsigned: Hex;
  version: ReportVersion;
  signingKey: SigningKeyName;
}>;

export type ReportResponse = GuestMsgResponse<{ value: ReportValue }>;

function fail(statusName: Exclude<GuestMsgStatusName, 'SUCCESS'>, reason: string) {
  const status: number = GUEST_MSG_STATUS[statusName];
  assert(status !== 0, 'a failure has a non-zero status');
  assert(reason.length > 0);
  return Object.freeze({ status, statusName, reason });
}

type KeyChoice = Readonly<{ ok: true; key: SigningKeyName } | { ok: false; reason: string }>;

/** a.4 KEY_SEL rules (b.3 uses the same for derived keys). */
export function chooseSigningKey(platform: PlatformState, context: GuestContext,
  keySel: number): KeyChoice {
  assert(Number.isInteger(keySel) && keySel >= 0 && keySel <= 3, 'KEY_SEL is two bits');
  const vcekUsable = !platform.mask_chip_key && !context.vcek_disabled;
  const vlekLoaded = platform.vlek_csp_id !== null;
  switch (keySel) {
    case 0: return { ok: true, key: vlekLoaded ? 'vlek' : vcekUsable ? 'vcek' : 'none' };
    case 1: return vcekUsable ? { ok: true, key: 'vcek' }
      : {
        ok: false,
        reason: platform.mask_chip_key
          ? 'VCEK requested but MASK_CHIP_KEY is set'
          : 'VCEK requested but the guest was launched with VCEK_DIS',
      };
    case 2: return vlekLoaded ? { ok: true, key: 'vlek' }
      : { ok: false, reason: 'VLEK requested but none is loaded' };
    default: return { ok: false, reason: 'KEY_SEL 3 is reserved' };
  }
}

function checkVmpl(requested: number, senderVmpl: number): string | undefined {
  assert(Number.isInteger(senderVmpl) && senderVmpl >= 0 && senderVmpl <= 3, 'sender VMPL is 0..3');
  if (!Number.isInteger(requested) || requested < 0 || requested > 3) {
    return `VMPL ${requested} is not 0..3`;
  }
  if (requested < senderVmpl) {
    return `VMPL ${requested} is more privileged than the sender's VMPL ${senderVmpl}`;
  }
  return undefined;
}

/** Every report field from platform + context + request (spec snp.md a.10), unsigned. */
export function buildReport(platform: PlatformState, context: GuestContext, request: ReportRequest,
  version: ReportVersion, signingKey: SigningKeyName): AttestationReport {
  assert(request.report_data.length === 64, 'report_data is 64 bytes');
  if (platform.product === 'Turin' && version === 2) {
    throw new SimError('SNP_BAD_FIELD', { field: 'version', product: 'Turin' },
      'report VERSION 2 has no CPUID fields and cannot carry a Turin TCB layout');
  }
  const v3 = version >= 3;
  const v5 = version >= 5;
  const report: AttestationReport = {
    version, guest_svn: context.guest_svn, policy: context.policy,
    family_id: hexBytes(context.family_id), image_id: hexBytes(context.image_id),
    vmpl: request.vmpl, signature_algo: 1,
    current_tcb: platform.current_tcb, platform_info: platformInfoOf(platform),
    key_info: encodeKeyInfo({
      author_key_en: context.author_key_en, mask_chip_key: platform.mask_chip_key,
      signing_key: SIGNING_KEY[signingKey],
    }),
    report_data: request.report_data.slice(), measurement: hexBytes(context.measurement),
    host_data: hexBytes(context.host_data), id_key_digest: hexBytes(context.id_key_digest),
    author_key_digest: hexBytes(context.author_key_digest),
    report_id: hexBytes(context.report_id), report_id_ma: hexBytes(context.report_id_ma),
    reported_tcb: platform.reported_tcb,
    cpuid_fam_id: v3 ? platform.cpuid.family : 0, cpuid_mod_id: v3 ? platform.cpuid.model : 0,
    cpuid_step: v3 ? platform.cpuid.stepping : 0,
    chip_id: reportedChipId(platform), committed_tcb: platform.committed_tcb,
    current_build: platform.current_version.build, current_minor: platform.current_version.minor,
    current_major: platform.current_version.major,
    committed_build: platform.committed_version.build,
    committed_minor: platform.committed_version.minor,
    committed_major: platform.committed_version.major,
    launch_tcb: context.launch_tcb,
    launch_mit_vector: v5 ? context.launch_mit_vector : 0n,
    current_mit_vector: v5 ? platform.current_mit_vector : 0n,
    signature_r: new Uint8Array(72), signature_s: new Uint8Array(72),
  };
  assert(report.chip_id.length === 64);
  if (platform.mask_chip_id) assert(isAllZero(report.chip_id));
  return report;
}

/** The endorsement key a report is signed with, or undefined for SIGNING_KEY none. */
export function signingKeyOf(firmware: FirmwareState,
  key: SigningKeyName): EndorsementKey | undefined {
  if (key === 'none') return undefined;
  const derived = key === 'vcek'
    ? platformVcek(firmware.platform, firmware.root)
    : platformVlek(firmware.platform, firmware.root);
  assert(derived.kind === key);
  assert(derived.tcb === firmware.platform.reported_tcb,
    'endorsement keys are versioned by REPORTED_TCB');
  return derived;
}

/** MSG_REPORT_REQ → MSG_REPORT_RSP: the status and, on success, the report as a value. */
export function requestReport(firmware: FirmwareState, input: ReportRequestInput): ReportResponse {
  const { platform } = firmware;
  const { request, context } = input;
  assertGuestContext(context);
  if (request.report_data.length !== 64) {
    return fail('INVALID_PARAM', 'REPORT_DATA is not 64 bytes');
  }
  if (!Number.isInteger(request.key_sel) || request.key_sel < 0 || request.key_sel > 0xffff_ffff) {
    return fail('INVALID_PARAM', 'KEY_SEL word is not a u32');
  }
  if ((request.key_sel & ~0x3) !== 0) {
    return fail('INVALID_PARAM', 'reserved bits 31:2 of the KEY_SEL word are set');
  }
  const vmplProblem = checkVmpl(request.vmpl, input.senderVmpl);
  if (vmplProblem !== undefined) return fail('INVALID_PARAM', vmplProblem);
  const choice = chooseSigningKey(platform, context, request.key_sel & 0x3);
  if (!choice.ok) return fail('INVALID_KEY', choice.reason);
  const version = input.version ?? reportVersionFor(platform);
  const unsigned = encodeAttestationReport(
    buildReport(platform, context, request, version, choice.key));
  assert(unsigned.length === REPORT_BYTES);
  const value: ReportValue = Object.freeze({
    unsigned: toHex(unsigned), version, signingKey: choice.key,
  });
  return Object.freeze({ status: 0, statusName: 'SUCCESS', value });
}

/**
 * The report bytes a guest receives: the value signed with the key it names (SIGNING_KEY none
 * stays unsigned). Memoised by content; every call returns fresh bytes.
 */
export function signReport(firmware: FirmwareState, value: ReportValue): Uint8Array {
  const { platform } = firmware;
  const identity = value.signingKey === 'vlek' ? platform.vlek_csp_id ?? '' : platform.chip_id;
  const memoKey = `${value.signingKey}/${firmware.root}/${platform.product}/${identity}/`
    + `${platform.reported_tcb.toString(16)}/${value.unsigned}`;
  const signed = memo('snp/signed-report', memoKey, () => {
    const unsigned = hexBytes(value.unsigned);
    const key = signingKeyOf(firmware, value.signingKey);
    const report = key === undefined ? unsigned : signAttestationReport(unsigned, key);
    assert(decodeAttestationReport(report).version === value.version,
      'a firmware report decodes strictly');
    return toHex(report);
  });
  const bytes = hexBytes(signed);
  assert(bytes.length === REPORT_BYTES);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Extended report (GHCB SNP Extended Guest Request; b.2 exitinfo2, b.4 table)

export type ExtReportInput = ReportRequestInput & Readonly<{
  /** The certificates the host installed (SNP_SET_EXT_CONFIG / KVM), in table order. */
  certs: readonly CertTableEntry[];
  /** Size of the guest's certificate buffer in bytes (a multiple of 4 KiB). */
  certsBufferBytes: number;
}>;

/** VMM errors in the high half of exitinfo2 (b.2). */
export const VMM_ERROR = Object.freeze({ NONE: 0, INVALID_LEN: 1, BUSY: 2 } as const);

export type ExtReportResponse =
  | Readonly<{ vmmError: 0; response: ReportResponse; certTable: Uint8Array }>
  | Readonly<{ vmmError: 1; requiredPages: number }>;

/**
 * The extended report: the report plus the host's certificate table. A buffer too small for the
 * table gets VMM error INVALID_LEN and the required page count, and no report (the guest retries).
 */
export function requestExtendedReport(firmware: FirmwareState,
  input: ExtReportInput): ExtReportResponse {
  if (!Number.isInteger(input.certsBufferBytes) || input.certsBufferBytes < 0
    || input.certsBufferBytes % CERT_PAGE_BYTES !== 0) {
    throw new SimError('SNP_BAD_FIELD', { field: 'certs_len', value: input.certsBufferBytes },
      'certificate buffer length must be a non-negative multiple of 4096');
  }
  const table = input.certs.length === 0 ? new Uint8Array(0) : encodeCertTable(input.certs);
  if (table.length > input.certsBufferBytes) {
    const requiredPages = certPagesNeeded(table);
    assert(requiredPages * CERT_PAGE_BYTES > input.certsBufferBytes);
    return Object.freeze({ vmmError: VMM_ERROR.INVALID_LEN, requiredPages });
  }
  const response = requestReport(firmware, input);
  assert(table.length <= input.certsBufferBytes);
  return Object.freeze({ vmmError: VMM_ERROR.NONE, response, certTable: table });
}

// ---------------------------------------------------------------------------------------------
// MSG_KEY_REQ (b.3)

export type KeyRequest = Readonly<{
  /**
   * The u32 at 0x00: bit 0 ROOT_KEY_SELECT (0 VCEK/VLEK root, 1 VMRK), bits 2:1 KEY_SEL, rest
   * MBZ.
   */
  key_select: number;
  guest_field_select: bigint;
  vmpl: number;
  guest_svn: number;
  tcb_version: bigint;
  launch_mit_vector: bigint;
}>;

export type KeyRequestInput = Readonly<{
  context: GuestContext; senderVmpl: number; request: KeyRequest;
}>;

export type KeyResponse = GuestMsgResponse<{ derived_key: Uint8Array }>;

const encoder = new TextEncoder();

function u32le(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

function u64le(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
}

/** The test root key (48 bytes) a derived key comes from. */
function rootKey(firmware: FirmwareState, context: GuestContext,
  root: 'vcek' | 'vlek' | 'vmrk'): Uint8Array {
  const { platform } = firmware;
  const identity = root === 'vcek' ? hexBytes(platform.chip_id)
    : root === 'vlek' ? encoder.encode(platform.vlek_csp_id ?? '')
      : hexBytes(context.report_id_ma);
  assert(identity.length > 0, 'a root has an identity');
  const info = concatBytes(encoder.encode(`${root}/${platform.product}/`), identity);
  return hkdf(sha384, hexBytes(firmware.root), encoder.encode('parma-sim derived-key root'), info,
    48);
}

/**
 * The KDF mix (b.3): always VMPL, HOST_DATA and the ID-key digest (the author-key digest when an
 * author key signed the ID key) and GUEST_FIELD_SELECT itself; each other field only when its
 * GUEST_FIELD_SELECT bit is set, else zeros of its size. Fixed layout, so no field can alias
 * another.
 */
export function keyMix(context: GuestContext, request: KeyRequest): Uint8Array {
  const gfs = request.guest_field_select;
  const pick = (bit: number, bytes: Uint8Array): Uint8Array =>
    ((gfs >> BigInt(bit)) & 1n) === 1n ? bytes : new Uint8Array(bytes.length);
  const mix = concatBytes(
    u32le(request.vmpl), u64le(gfs), hexBytes(context.host_data),
    hexBytes(context.author_key_en ? context.author_key_digest : context.id_key_digest),
    pick(0, u64le(context.policy)), pick(1, hexBytes(context.image_id)),
    pick(2, hexBytes(context.family_id)), pick(3, hexBytes(context.measurement)),
    pick(4, u32le(request.guest_svn)),
    pick(5, u64le(request.tcb_version)),
    pick(6, u64le(request.launch_mit_vector)),
  );
  assert(mix.length === 4 + 8 + 32 + 48 + 8 + 16 + 16 + 48 + 4 + 8 + 8, 'fixed mix layout');
  return mix;
}

function keyRequestProblem(firmware: FirmwareState, input: KeyRequestInput):
  Readonly<{ status: 'INVALID_PARAM' | 'INVALID_KEY'; reason: string }> | undefined {
  const { platform } = firmware;
  const { request, context } = input;
  const layout = tcbLayoutOf(platform);
  if (!Number.isInteger(request.key_select) || request.key_select < 0 ||
    (request.key_select & ~0x7) !== 0) {
    return { status: 'INVALID_PARAM', reason: 'reserved bits 31:3 of the key select word are set' };
  }
  if ((request.guest_field_select & ~GUEST_FIELD_SELECT_MASK) !== 0n) {
    return { status: 'INVALID_PARAM', reason: 'reserved GUEST_FIELD_SELECT bits 63:7 are set' };
  }
  const vmplProblem = checkVmpl(request.vmpl, input.senderVmpl);
  if (vmplProblem !== undefined) return { status: 'INVALID_PARAM', reason: vmplProblem };
  if (request.guest_svn > context.guest_svn) {
    return {
      status: 'INVALID_PARAM',
      reason: `GUEST_SVN ${request.guest_svn} is above the launch GUEST_SVN ${context.guest_svn}`,
    };
  }
  let tcb;
  try {
    tcb = decodeTcb(request.tcb_version, layout, { strict: true });
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    return { status: 'INVALID_PARAM', reason: 'TCB_VERSION has non-zero reserved bytes' };
  }
  if (!tcbAtLeast(decodeTcb(platform.committed_tcb, layout), tcb, layout)) {
    return { status: 'INVALID_PARAM', reason: 'TCB_VERSION is above COMMITTED_TCB' };
  }
  if ((request.key_select & 1) === 0 && platform.mask_chip_key &&
    platform.vlek_csp_id === null) {
    return {
      status: 'INVALID_KEY', reason: 'ROOT_KEY_SELECT 0 (chip key) while MASK_CHIP_KEY is set',
    };
  }
  return undefined;
}

/** MSG_KEY_REQ → MSG_KEY_RSP: checks (b.3), then HKDF-SHA384(root, mix) → 32 bytes. */
export function requestDerivedKey(firmware: FirmwareState, input: KeyRequestInput): KeyResponse {
  assertGuestContext(input.context);
  const problem = keyRequestProblem(firmware, input);
  if (problem !== undefined) return fail(problem.status, problem.reason);
  const { request, context } = input;
  let root: 'vcek' | 'vlek' | 'vmrk';
  if ((request.key_select & 1) === 1) {
    if (/^(ff)*$/.test(context.report_id_ma)) {
      return fail('INVALID_PARAM', 'VMRK requested but the guest has no migration agent');
    }
    root = 'vmrk';
  } else {
    const choice = chooseSigningKey(firmware.platform, context, (request.key_select >> 1) & 0x3);
    if (!choice.ok) return fail('INVALID_KEY', choice.reason);
    if (choice.key === 'none') {
      return fail('INVALID_KEY', 'no usable root key (MASK_CHIP_KEY and no VLEK)');
    }
    root = choice.key;
  }
  const mix = keyMix(context, request);
  const derived_key = hkdf(sha384, rootKey(firmware, context, root),
    encoder.encode('parma-sim MSG_KEY_REQ'), mix, 32);
  assert(derived_key.length === 32);
  return Object.freeze({ status: 0, statusName: 'SUCCESS', derived_key });
}
