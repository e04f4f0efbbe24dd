/**
 * Models: the rules an ATTESTATION_REPORT must obey beyond its byte layout (SEV-SNP ABI spec 56860,
 *   report table and its sub-structures; spec snp.md a.1-a.7): every reserved range, fields still
 *   reserved in an older VERSION, GUEST POLICY bits, the reserved bytes of the four TCB_VERSION
 *   fields (per TCB layout), KEY_INFO reserved bits and SIGNING_KEY values, VMPL 0..3 and
 *   SIGNATURE_ALGO 1.
 * Real counterpart: the strict parse of go-sev-guest (`abi.ReportToProto`) together with the field
 *   checks a verifier makes before it trusts a signature (spec snp.md e.4 step 1).
 * Differs: PLATFORM_INFO bits nobody names are tolerated (the real Turin report sets bit 6; spec
 *   snp.md a.6); an unsigned report (SIGNING_KEY 7) is no ABI violation here (the verifier refuses
 *   it for its own reason).
 * Invariants: REPORT_ABI_RULES is the one place these rules live. `snp show` (report-view.ts)
 *   throws a rule's SNP code and `snp verify` (models/verifier) lists its VERIFY code, so the two
 *   never disagree about a report. Each rule reads its sub-structure's own table (GUEST_POLICY,
 *   TCB_BYTES, KEY_INFO, the report layout). A report from our firmware has no violation.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError, type VERIFY_ERROR_CODES } from '../../sim/kernel/errors.js';
import { fieldOf } from '../../sim/kernel/layout.js';
import {
  ATTESTATION_REPORT, REPORT_FIELD_SINCE, SIGNED_BYTES, isReportVersion, type AttestationReport,
} from './attestation-report.js';
import { guestPolicyViolations } from './guest-policy.js';
import { keyInfoViolations, signingKeyName } from './key-info.js';
import { PRODUCTS, productFromCpuid, type Product, type TcbLayout } from './product.js';
import { tcbViolations } from './tcb-version.js';

type VerifyCode = (typeof VERIFY_ERROR_CODES)[number];

/** One broken rule, with the code each face reports it under. */
export type AbiViolation = Readonly<{
  rule: string;
  field: string;
  message: string;
  /** False only for bytes outside the signed span (after the signature). */
  signed: boolean;
  snpCode: 'SNP_MBZ_NONZERO' | 'SNP_BAD_FIELD';
  verifyCode: VerifyCode;
  detail: Readonly<Record<string, unknown>>;
}>;

type Finding = Readonly<{
  field: string; message: string; signed?: boolean; detail?: Readonly<Record<string, unknown>>;
}>;

export type AbiRule = Readonly<{
  name: string;
  snpCode: AbiViolation['snpCode'];
  verifyCode: VerifyCode;
  check: (report: AttestationReport, layout: TcbLayout) => readonly Finding[];
}>;

const hex = (offset: number): string => `0x${offset.toString(16)}`;

/** Non-zero `mbz` ranges of the layout, as kept by a non-strict decode. */
function reservedRanges(report: AttestationReport): Finding[] {
  return Object.keys(report.reserved ?? {}).sort().map((name) => {
    const field = fieldOf(ATTESTATION_REPORT, name);
    const signed = field.offsetBytes < SIGNED_BYTES;
    return {
      field: name, signed, detail: { offset: hex(field.offsetBytes), bytes: field.sizeBytes },
      message: `reserved ${name} (${hex(field.offsetBytes)}..` +
        `${hex(field.offsetBytes + field.sizeBytes)}` +
        `${signed ? '' : ': unsigned bytes after the signature'}) is not zero`,
    };
  });
}

/** Fields this VERSION does not define yet (CPUID in v2, MIT vectors before v5) but not zero. */
function versionReserved(report: AttestationReport): Finding[] {
  const values = report as unknown as Readonly<Record<string, number | bigint>>;
  return Object.entries(REPORT_FIELD_SINCE)
    .filter(([name, since]) => report.version < since && BigInt(values[name] ?? 0) !== 0n)
    .map(([name, since]) => ({
      field: name, detail: { version: report.version, since },
      message: `${name} is reserved in VERSION ${report.version} (defined from ${since}) ` +
        'but not zero',
    }));
}

function policyBits(report: AttestationReport): Finding[] {
  const version = isReportVersion(report.version) ? report.version : undefined;
  return guestPolicyViolations(report.policy, version).map((bits) => ({
    field: 'policy', detail: { bits, policy: `0x${report.policy.toString(16)}` },
    message: bits === 'reserved_17'
      ? `guest POLICY 0x${report.policy.toString(16)}: bit 17 must be one`
      : `guest POLICY 0x${report.policy.toString(16)}: reserved ${bits} is set`,
  }));
}

const TCB_FIELDS = ['current_tcb', 'reported_tcb', 'committed_tcb', 'launch_tcb'] as const;

function tcbReserved(report: AttestationReport, layout: TcbLayout): Finding[] {
  return TCB_FIELDS.flatMap((name) => tcbViolations(report[name], layout).map((byte) => ({
    field: name, detail: { layout, byte, raw: `0x${report[name].toString(16)}` },
    message: `${name}: reserved byte ${byte} is not zero (${layout} TCB layout)`,
  })));
}

function keyInfoReserved(report: AttestationReport): Finding[] {
  return keyInfoViolations(report.key_info).map((bits) => ({
    field: 'key_info', detail: { bits, key_info: report.key_info },
    message: `KEY_INFO 0x${report.key_info.toString(16)}: reserved bits 31:5 are not zero`,
  }));
}

function signingKey(report: AttestationReport): Finding[] {
  const value = (report.key_info >>> 2) & 7;
  if (signingKeyName(value) !== undefined) return [];
  return [{
    field: 'key_info', detail: { signing_key: value },
    message: `KEY_INFO.SIGNING_KEY ${value} is reserved (0 VCEK, 1 VLEK, 7 none)`,
  }];
}

/** VMPL 0..3: the four privilege levels (spec snp.md a.10; MSG_REPORT_REQ rejects others). */
export const MAX_VMPL = 3;

function vmplRange(report: AttestationReport): Finding[] {
  if (report.vmpl <= MAX_VMPL) return [];
  return [{
    field: 'vmpl', detail: { vmpl: report.vmpl },
    message: `VMPL ${report.vmpl} is no privilege level (0..${MAX_VMPL})`,
  }];
}

/** SIGNATURE_ALGO values (spec snp.md a.3): 1 = ECDSA P-384 with SHA-384; 0 is invalid. */
export const SIGNATURE_ALGO_ECDSA_P384_SHA384 = 1;

function signatureAlgo(report: AttestationReport): Finding[] {
  if (report.signature_algo === SIGNATURE_ALGO_ECDSA_P384_SHA384) return [];
  return [{
    field: 'signature_algo', detail: { signature_algo: report.signature_algo },
    message: `SIGNATURE_ALGO ${report.signature_algo} is not 1 (ECDSA P-384 SHA-384); ` +
      '0 is invalid, not "legacy"',
  }];
}

/** Every rule, in report order of the fields it reads. */
export const REPORT_ABI_RULES: readonly AbiRule[] = Object.freeze([
  { name: 'reserved_range', snpCode: 'SNP_MBZ_NONZERO', verifyCode: 'VERIFY_RESERVED',
    check: reservedRanges },
  { name: 'version_reserved', snpCode: 'SNP_MBZ_NONZERO', verifyCode: 'VERIFY_RESERVED',
    check: versionReserved },
  { name: 'policy_bits', snpCode: 'SNP_MBZ_NONZERO', verifyCode: 'VERIFY_RESERVED',
    check: policyBits },
  { name: 'vmpl_range', snpCode: 'SNP_BAD_FIELD', verifyCode: 'VERIFY_BAD_FIELD',
    check: vmplRange },
  { name: 'signature_algo', snpCode: 'SNP_BAD_FIELD', verifyCode: 'VERIFY_SIGNATURE_ALGO',
    check: signatureAlgo },
  { name: 'tcb_reserved', snpCode: 'SNP_MBZ_NONZERO', verifyCode: 'VERIFY_RESERVED',
    check: tcbReserved },
  { name: 'key_info_reserved', snpCode: 'SNP_MBZ_NONZERO', verifyCode: 'VERIFY_RESERVED',
    check: keyInfoReserved },
  { name: 'signing_key', snpCode: 'SNP_BAD_FIELD', verifyCode: 'VERIFY_SIGNING_KEY',
    check: signingKey },
] as const);

/**
 * The TCB layout of a report: from CPUID for VERSION >= 3 (when it names a product), otherwise
 * from `hint`, otherwise Milan/Genoa's (VERSION 2 is only ever Milan or Genoa; spec snp.md a.7).
 */
export function reportTcbLayout(report: AttestationReport, hint?: Product): TcbLayout {
  const fromCpuid = report.version >= 3
    ? productFromCpuid(report.cpuid_fam_id, report.cpuid_mod_id) : undefined;
  const product = fromCpuid ?? hint;
  const layout = product === undefined ? 'legacy' : PRODUCTS[product].tcbLayout;
  assert(layout === 'legacy' || layout === 'turin');
  return layout;
}

/** Every ABI rule `report` breaks (empty for a valid report), in REPORT_ABI_RULES order. */
export function reportAbiViolations(report: AttestationReport,
  layout: TcbLayout = reportTcbLayout(report)): AbiViolation[] {
  const out: AbiViolation[] = [];
  for (const rule of REPORT_ABI_RULES) {
    for (const finding of rule.check(report, layout)) {
      out.push(Object.freeze({
        rule: rule.name, field: finding.field, message: finding.message,
        signed: finding.signed ?? true, snpCode: rule.snpCode, verifyCode: rule.verifyCode,
        detail: Object.freeze({ ...finding.detail }),
      }));
    }
  }
  assert(out.every((v) => v.message.length > 0), 'every violation says why');
  assert(out.filter((v) => !v.signed).every((v) => v.rule === 'reserved_range'),
    'only a reserved range lies outside the signed span');
  return out;
}

/** The SimError `snp show` raises for a violation. */
export function abiError(violation: AbiViolation): SimError {
  return new SimError(violation.snpCode,
    { structure: 'ATTESTATION_REPORT', rule: violation.rule, field: violation.field,
      ...violation.detail },
    `ATTESTATION_REPORT: ${violation.message}`);
}
