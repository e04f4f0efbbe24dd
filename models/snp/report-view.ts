/**
 * Models: the human/JSON reading of an ATTESTATION_REPORT (ABI spec 56860 report table, with the
 * TCB_VERSION, GUEST POLICY, PLATFORM_INFO and KEY_INFO sub-structures; spec snp.md a.1-a.9).
 * Real counterpart: what `snpguest display report` or go-sev-guest's proto show. Differs: our
 * own field names (the spec's, snake_case) and canonical JSON.
 * Invariants: the product comes from CPUID for VERSION >= 3 (a hint that disagrees is
 * SNP_BAD_PRODUCT); for VERSION 2 from the hint, else Milan/Genoa (the same legacy TCB layout).
 * Every report field appears once; byte fields are lowercase hex in report byte order; signature
 * R/S are big-endian "0x…" integers as printed by every verifier. Parsing decides no policy.
 */
import { assert } from '../../sim/kernel/assert.js';
import { fromLE72, toHex } from '../../sim/kernel/bytes.js';
import { canonicalJson } from '../../sim/kernel/canonical-json.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { DecodeOptions } from '../../sim/kernel/layout.js';
import {
  decodeAttestationReport, isReportVersion, type AttestationReport,
} from './attestation-report.js';
import { decodeGuestPolicy, guestPolicyViolations } from './guest-policy.js';
import { decodeKeyInfo, signingKeyName } from './key-info.js';
import { decodePlatformInfo } from './platform-info.js';
import { PRODUCTS, productFromCpuid, type Product, type TcbLayout } from './product.js';
import { abiError, reportAbiViolations } from './report-abi.js';
import { decodeTcb, type TcbParts } from './tcb-version.js';

export type ReportProduct = Readonly<{
  /** undefined for a v2 report without a hint: Milan or Genoa, which share a layout. */
  product: Product | undefined;
  tcbLayout: TcbLayout;
  /** How the product was found. */
  source: 'cpuid' | 'hint' | 'default';
}>;

/** The product and TCB layout of a report (see the module invariants). */
export function reportProduct(report: AttestationReport, hint?: Product): ReportProduct {
  if (report.version >= 3) {
    const found = productFromCpuid(report.cpuid_fam_id, report.cpuid_mod_id);
    if (found === undefined) {
      throw new SimError('SNP_BAD_PRODUCT',
        { family: report.cpuid_fam_id, model: report.cpuid_mod_id, version: report.version },
        `report CPUID family 0x${report.cpuid_fam_id.toString(16)} ` +
        `model 0x${report.cpuid_mod_id.toString(16)} is no known product`);
    }
    if (hint !== undefined && hint !== found) {
      throw new SimError('SNP_BAD_PRODUCT', { expected: hint, actual: found },
        `report is from a ${found} (CPUID), not a ${hint}`);
    }
    return { product: found, tcbLayout: PRODUCTS[found].tcbLayout, source: 'cpuid' };
  }
  assert(report.version === 2, 'reportProduct: versions below 3 are 2');
  if (hint !== undefined) {
    return { product: hint, tcbLayout: PRODUCTS[hint].tcbLayout, source: 'hint' };
  }
  return { product: undefined, tcbLayout: 'legacy', source: 'default' };
}

type TcbView = Readonly<Record<string, number | bigint>>;

function tcbView(raw: bigint, layout: TcbLayout): TcbView {
  const parts: TcbParts = decodeTcb(raw, layout);
  const view: Record<string, number | bigint> = {
    raw, bl: parts.bl, tee: parts.tee, snp: parts.snp, ucode: parts.ucode,
  };
  if (layout === 'turin') view['fmc'] = parts.fmc;
  assert(view['raw'] === raw);
  return view;
}

function signatureInteger(le72: Uint8Array): string {
  const be = fromLE72(le72, 72);
  assert(be !== undefined, 'a 72-byte LE72 always fits 72 bytes');
  let text = toHex(be).replace(/^0+/, '');
  if (text === '') text = '0';
  return `0x${text}`;
}

export type ReportViewOptions = DecodeOptions & Readonly<{ product?: Product }>;

/**
 * The JSON-ready view of a decoded report: plain data (numbers, bigint, bytes, strings) that
 * canonicalJson renders with sorted keys, bigint as 0x-hex and bytes as hex.
 * With `strict` (default) the first ABI violation (report-abi.ts, the rules `snp verify` uses too)
 * is thrown; otherwise every violation is listed under `abi_violations`. PLATFORM_INFO's unknown
 * bits are never one.
 */
export function reportView(report: AttestationReport,
  options: ReportViewOptions = {}): Record<string, unknown> {
  const strict = options.strict ?? true;
  const where = reportProduct(report, options.product);
  const layout = where.tcbLayout;
  const violations = reportAbiViolations(report, layout);
  const first = violations[0];
  if (strict && first !== undefined) throw abiError(first);
  const policy = decodeGuestPolicy(report.policy);
  const keyInfo = decodeKeyInfo(report.key_info);
  const platformInfo = decodePlatformInfo(report.platform_info);
  const view: Record<string, unknown> = {
    product: where.product ?? 'Milan/Genoa', product_source: where.source, tcb_layout: layout,
    version: report.version,
    guest_svn: report.guest_svn,
    policy: {
      raw: report.policy, ...policy,
      reserved_violations: guestPolicyViolations(report.policy,
        isReportVersion(report.version) ? report.version : undefined),
    },
    family_id: report.family_id,
    image_id: report.image_id,
    vmpl: report.vmpl,
    signature_algo: report.signature_algo,
    current_tcb: tcbView(report.current_tcb, layout),
    platform_info: { raw: report.platform_info, ...platformInfo },
    key_info: {
      raw: report.key_info, ...keyInfo,
      signing_key_name: signingKeyName(keyInfo.signing_key) ?? `reserved(${keyInfo.signing_key})`,
    },
    report_data: report.report_data,
    measurement: report.measurement,
    host_data: report.host_data,
    id_key_digest: report.id_key_digest,
    author_key_digest: report.author_key_digest,
    report_id: report.report_id,
    report_id_ma: report.report_id_ma,
    reported_tcb: tcbView(report.reported_tcb, layout),
    chip_id: report.chip_id,
    committed_tcb: tcbView(report.committed_tcb, layout),
    current_version: `${report.current_major}.${report.current_minor}.${report.current_build}`,
    committed_version:
      `${report.committed_major}.${report.committed_minor}.${report.committed_build}`,
    launch_tcb: tcbView(report.launch_tcb, layout),
    signature: { r: signatureInteger(report.signature_r), s: signatureInteger(report.signature_s) },
  };
  if (report.version >= 3) {
    view['cpuid_fam_id'] = report.cpuid_fam_id;
    view['cpuid_mod_id'] = report.cpuid_mod_id;
    view['cpuid_step'] = report.cpuid_step;
  }
  if (report.version >= 5) {
    view['launch_mit_vector'] = report.launch_mit_vector;
    view['current_mit_vector'] = report.current_mit_vector;
  }
  if (report.reserved !== undefined) view['reserved'] = { ...report.reserved };
  if (violations.length > 0) {
    view['abi_violations'] = violations.map((v) => ({ rule: v.rule, field: v.field,
      message: v.message }));
  }
  assert(typeof view['current_version'] === 'string');
  if (strict) assert(violations.length === 0, 'a strict view has no violation');
  return view;
}

/** Bytes → canonical JSON text of the view (what `parma-sim snp show` prints). */
export function reportJson(bytes: Uint8Array, options: ReportViewOptions = {}, indent = 2): string {
  // Decoded leniently: the ABI rules (reserved ranges included) are judged once, in reportView.
  const report = decodeAttestationReport(bytes, { strict: false });
  const text = canonicalJson(reportView(report, options), indent);
  assert(text.startsWith('{'));
  return text;
}
