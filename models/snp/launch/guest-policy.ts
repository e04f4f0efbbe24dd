/**
 * Models: the SEV-SNP guest POLICY (SEV-SNP Firmware ABI spec 56860, "Guest Policy Structure")
 * and the checks SNP_LAUNCH_START makes on it.
 * Real counterpart: the u64 POLICY of LAUNCH_START, later copied into every report and checked
 * against the ID block at LAUNCH_FINISH. Differs: the platform is a plain record of the properties
 * the checks read (SMT, ABI version, RAPL, ciphertext hiding), not the real platform state.
 * Invariants: bits 63:26 are reserved and must be zero; bit 17 must be one; a decoded policy
 * re-encodes to the same u64. Parsing never decides: `launchPolicyViolations` lists every failure.
 * Status choice [uncertain]: the ABI spec names POLICY_FAILURE for a policy the platform cannot
 * honour; for malformed policies (reserved bits, bit 17 clear) the firmware source and KVM both
 * refuse before launch, and we report INVALID_PARAM there, as for every other malformed field.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { bitViolations, decodeBits, defineBits, type DecodedBits } from '../../../sim/kernel/layout.js';
import type { FirmwareStatusName } from './firmware-status.js';

export const GUEST_POLICY = defineBits({ name: 'GUEST_POLICY', widthBits: 64 }, [
  { name: 'abi_minor',          lsb: 0,  width: 8,  kind: 'uint' },
  { name: 'abi_major',          lsb: 8,  width: 8,  kind: 'uint' },
  { name: 'smt',                lsb: 16, width: 1,  kind: 'flag' },
  { name: 'reserved_mbo_17',    lsb: 17, width: 1,  kind: 'one' },
  { name: 'migrate_ma',         lsb: 18, width: 1,  kind: 'flag' },
  { name: 'debug',              lsb: 19, width: 1,  kind: 'flag' },
  { name: 'single_socket',      lsb: 20, width: 1,  kind: 'flag' },
  { name: 'cxl_allow',          lsb: 21, width: 1,  kind: 'flag' },
  { name: 'mem_aes_256_xts',    lsb: 22, width: 1,  kind: 'flag' },
  { name: 'rapl_dis',           lsb: 23, width: 1,  kind: 'flag' },
  { name: 'ciphertext_hiding',  lsb: 24, width: 1,  kind: 'flag' },
  { name: 'page_swap_disable',  lsb: 25, width: 1,  kind: 'flag' },
  { name: 'reserved_26',        lsb: 26, width: 38, kind: 'mbz' },
] as const);

export type GuestPolicy = DecodedBits<typeof GUEST_POLICY.bits>;

/** What LAUNCH_START reads about the platform. */
export type LaunchPlatform = Readonly<{
  /** PLATFORM_INFO.SMT_EN: SMT is enabled on the host. */
  smt_enabled: boolean;
  /** Firmware ABI version (e.g. 1.55). */
  api_major: number;
  api_minor: number;
  rapl_disabled: boolean;
  ciphertext_hiding_enabled: boolean;
}>;

export type PolicyViolation = Readonly<{ statusName: FirmwareStatusName; reason: string }>;

export function decodeGuestPolicy(policy: bigint): GuestPolicy {
  assert(policy >= 0n && policy < 1n << 64n, 'decodeGuestPolicy: u64');
  return decodeBits(GUEST_POLICY, policy);
}

/** Every reason LAUNCH_START refuses `policy` on `platform`, in check order (empty = accepted). */
export function launchPolicyViolations(
  policy: bigint, platform: LaunchPlatform, options: Readonly<{ maEnabled?: boolean }> = {},
): PolicyViolation[] {
  assert(policy >= 0n && policy < 1n << 64n, 'launchPolicyViolations: u64');
  const out: PolicyViolation[] = [];
  for (const name of bitViolations(GUEST_POLICY, policy)) {
    const reason = name === 'reserved_mbo_17' ? 'policy bit 17 must be 1' : 'policy reserved bits 63:26 set';
    out.push({ statusName: 'INVALID_PARAM', reason });
  }
  const decoded = decodeGuestPolicy(policy);
  if (!decoded.smt && platform.smt_enabled) {
    out.push({ statusName: 'POLICY_FAILURE', reason: 'policy forbids SMT but SMT is enabled' });
  }
  const wanted = decoded.abi_major * 256 + decoded.abi_minor;
  if (wanted > platform.api_major * 256 + platform.api_minor) {
    out.push({ statusName: 'POLICY_FAILURE',
      reason: `policy needs ABI ${decoded.abi_major}.${decoded.abi_minor}, firmware is ${platform.api_major}.${platform.api_minor}` });
  }
  if (decoded.rapl_dis && !platform.rapl_disabled) {
    out.push({ statusName: 'POLICY_FAILURE', reason: 'policy requires RAPL disabled' });
  }
  if (decoded.ciphertext_hiding && !platform.ciphertext_hiding_enabled) {
    out.push({ statusName: 'POLICY_FAILURE', reason: 'policy requires ciphertext hiding' });
  }
  if (options.maEnabled === true && !decoded.migrate_ma) {
    out.push({ statusName: 'POLICY_FAILURE', reason: 'migration agent requested but MIGRATE_MA is 0' });
  }
  if (out.length === 0) assert(bitViolations(GUEST_POLICY, policy).length === 0);
  return out;
}
