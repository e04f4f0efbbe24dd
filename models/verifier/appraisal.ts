/**
 * Models: a relying party's field policy over a verified SEV-SNP report (spec snp.md e.4 step 6;
 *   go-sev-guest `validate/`): expected MEASUREMENT / HOST_DATA / REPORT_DATA, forbidden and
 *   required guest-POLICY bits (DEBUG is forbidden unless allowed), a component-wise minimum
 *   REPORTED_TCB, a maximum VMPL, and VCEK vs VLEK.
 * Real counterpart: go-sev-guest validate.Options, Trustee's SNP verifier, MAA policy.
 * Differs: only the checks listed here. Never decides anything about signatures or certificates.
 * Invariants: each violated rule gives exactly one failure with its own code; a required bit is
 *   checked for being SET and a forbidden bit for being CLEAR (the MEM_AES_256_XTS direction bug).
 */
import { assert } from '../../sim/kernel/assert.js';
import { bytesEqual, toHex } from '../../sim/kernel/bytes.js';
import type { AttestationReport } from '../snp/attestation-report.js';
import { decodeGuestPolicy, GUEST_POLICY } from '../snp/guest-policy.js';
import { PRODUCTS, type Product } from '../snp/product.js';
import { decodeTcb, tcbShortfall, type TcbParts } from '../snp/tcb-version.js';
import { failure, type VerifyFailure } from './verdict.js';

export const POLICY_FLAG_NAMES: readonly string[] = GUEST_POLICY.bits
  .filter((b) => b.kind === 'flag').map((b) => b.name);
export type PolicyFlag = 'smt' | 'migrate_ma' | 'debug' | 'single_socket' | 'cxl_allow'
  | 'mem_aes_256_xts' | 'rapl_dis' | 'ciphertext_hiding_dram' | 'page_swap_disable';

export type AppraisalOptions = Readonly<{
  measurement?: Uint8Array;
  hostData?: Uint8Array;
  reportData?: Uint8Array;
  /** DEBUG is forbidden unless this is true. */
  allowDebug?: boolean;
  /** Policy flags that must be clear (in addition to DEBUG). */
  forbiddenPolicyBits?: readonly PolicyFlag[];
  /** Policy flags that must be set (e.g. mem_aes_256_xts). */
  requiredPolicyBits?: readonly PolicyFlag[];
  /** Component-wise minimum of REPORTED_TCB (fmc counts on Turin only). */
  minTcb?: TcbParts;
  maxVmpl?: number;
  /** Which endorsement key must have signed: default either. */
  signingKey?: 'vcek' | 'vlek' | 'any';
}>;

function expectBytes(code: 'VERIFY_MEASUREMENT' | 'VERIFY_HOST_DATA' | 'VERIFY_REPORT_DATA',
  field: string, actual: Uint8Array, expected: Uint8Array | undefined): VerifyFailure[] {
  if (expected === undefined || bytesEqual(actual, expected)) return [];
  return [failure(code, `${field} is ${toHex(actual)}, expected ${toHex(expected)}`,
    { field, actual: toHex(actual), expected: toHex(expected) })];
}

/** Field policy over a report whose signature and chain were already checked. */
export function appraiseReport(report: AttestationReport, product: Product,
  signedBy: 'vcek' | 'vlek', options: AppraisalOptions = {}): VerifyFailure[] {

  const failures: VerifyFailure[] = [
    ...expectBytes('VERIFY_MEASUREMENT', 'measurement', report.measurement, options.measurement),
    ...expectBytes('VERIFY_HOST_DATA', 'host_data', report.host_data, options.hostData),
    ...expectBytes('VERIFY_REPORT_DATA', 'report_data', report.report_data, options.reportData),
  ];
  const policy = decodeGuestPolicy(report.policy) as Readonly<Record<string, unknown>>;
  const forbidden = new Set<string>(options.forbiddenPolicyBits ?? []);
  if (!(options.allowDebug ?? false)) forbidden.add('debug');
  for (const name of [...forbidden].sort()) {
    assert(POLICY_FLAG_NAMES.includes(name), `forbidden bit ${name} is a policy flag`);
    if (policy[name] === true) {
      failures.push(failure('VERIFY_POLICY',
        `guest policy ${name.toUpperCase()} is set but forbidden`,
        { bit: name, policy: `0x${report.policy.toString(16)}`, rule: 'forbidden' }));
    }
  }
  for (const name of [...(options.requiredPolicyBits ?? [])].sort()) {
    assert(POLICY_FLAG_NAMES.includes(name), `required bit ${name} is a policy flag`);
    if (policy[name] !== true) {
      failures.push(failure('VERIFY_POLICY',
        `guest policy ${name.toUpperCase()} is required but clear`,
        { bit: name, policy: `0x${report.policy.toString(16)}`, rule: 'required' }));
    }
  }
  if (options.minTcb !== undefined) {
    const layout = PRODUCTS[product].tcbLayout;
    const reported = decodeTcb(report.reported_tcb, layout);
    const below = tcbShortfall(reported, options.minTcb, layout);
    if (below.length > 0) {
      failures.push(failure('VERIFY_TCB_TOO_LOW',
        `reported_tcb below the minimum in ${below.join(', ')}`,
        { components: below, reported, minimum: options.minTcb }));
    }
  }
  if (options.maxVmpl !== undefined && report.vmpl > options.maxVmpl) {
    failures.push(failure('VERIFY_VMPL',
      `vmpl ${report.vmpl} is above the maximum ${options.maxVmpl}`,
      { vmpl: report.vmpl, maxVmpl: options.maxVmpl }));
  }
  const wanted = options.signingKey ?? 'any';
  if (wanted !== 'any' && wanted !== signedBy) {
    failures.push(failure('VERIFY_SIGNING_KEY',
      `report is signed by a ${signedBy.toUpperCase()}, ` +
      `policy requires a ${wanted.toUpperCase()}`,
      { signedBy, required: wanted }));
  }
  assert(failures.every((f) => f.code.startsWith('VERIFY_')));
  return failures;
}
