/**
 * Models: the checks SNP_LAUNCH_START makes on the guest POLICY against the platform (SEV-SNP
 * Firmware ABI spec 56860, SNP_LAUNCH_START; spec/snp.md a.5). The bit table itself is
 * models/snp/guest-policy.ts. Real counterpart: the firmware refusing to start a guest whose policy
 * is malformed or that the platform cannot honour.
 * Differs: only the platform properties below are consulted.
 * Status choice [uncertain]: the ABI spec names POLICY_FAILURE for a policy the platform cannot
 * honour (SMT, ABI version, RAPL, ciphertext hiding, migration agent); for a malformed policy
 * (reserved bits 63:26 set, bit 17 clear) we report INVALID_PARAM, as for other malformed fields.
 * Policy bits a firmware does not define yet (the ABI added bits 21..25 over time) are reserved to
 * it: we judge them by the report VERSION that firmware produces (`reportVersionFor`), the same
 * rule `snp show` / `snp verify` apply, so a launched guest never gets a report the verifier must
 * reject for its POLICY.
 * Invariants: every violation is listed, in check order; an empty list means LAUNCH_START accepts.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { reportVersionFor } from '../firmware.js';
import { GUEST_POLICY, decodeGuestPolicy, guestPolicyViolations } from '../guest-policy.js';
import type { PlatformState } from '../platform.js';
import type { FirmwareStatusName } from './firmware-status.js';

/** What LAUNCH_START reads about the platform (a subset of PlatformState). */
export type LaunchPlatform =
  Pick<PlatformState, 'product' | 'smt' | 'rapl_dis' | 'ciphertext_hiding' | 'current_version'>;

export type PolicyViolation = Readonly<{ statusName: FirmwareStatusName; reason: string }>;

/** Every reason LAUNCH_START refuses `policy` on `platform`, in check order (empty = accepted). */
export function launchPolicyViolations(
  policy: bigint, platform: LaunchPlatform, options: Readonly<{ maEnabled?: boolean }> = {},
): PolicyViolation[] {
  assert(policy >= 0n && policy < 1n << 64n, 'launchPolicyViolations: u64');
  assert(GUEST_POLICY.widthBits === 64);
  const out: PolicyViolation[] = [];
  for (const name of guestPolicyViolations(policy, reportVersionFor(platform))) {
    const reason = name === 'reserved_17'
      ? 'policy bit 17 must be 1'
      : `policy reserved bits set for firmware ${platform.current_version.major}.`
        + `${platform.current_version.minor}.${platform.current_version.build} (${name})`;
    out.push({ statusName: 'INVALID_PARAM', reason });
  }
  const decoded = decodeGuestPolicy(policy);
  if (!decoded.smt && platform.smt) {
    out.push({ statusName: 'POLICY_FAILURE', reason: 'policy forbids SMT but SMT is enabled' });
  }
  const firmware = platform.current_version;
  if (decoded.abi_major * 256 + decoded.abi_minor > firmware.major * 256 + firmware.minor) {
    out.push({ statusName: 'POLICY_FAILURE',
      reason: `policy needs ABI ${decoded.abi_major}.${decoded.abi_minor}, ` +
        `firmware is ${firmware.major}.${firmware.minor}` });
  }
  if (decoded.rapl_dis && !platform.rapl_dis) {
    out.push({ statusName: 'POLICY_FAILURE', reason: 'policy requires RAPL disabled' });
  }
  if (decoded.ciphertext_hiding_dram && !platform.ciphertext_hiding) {
    out.push({ statusName: 'POLICY_FAILURE', reason: 'policy requires ciphertext hiding' });
  }
  if (options.maEnabled === true && !decoded.migrate_ma) {
    out.push({
      statusName: 'POLICY_FAILURE', reason: 'migration agent requested but MIGRATE_MA is 0',
    });
  }
  if (out.length === 0) assert(guestPolicyViolations(policy).length === 0);
  return out;
}
