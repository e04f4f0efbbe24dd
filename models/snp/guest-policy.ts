/**
 * Models: the SEV-SNP guest POLICY (u64; ABI spec 56860 "Guest Policy Structure"; spec snp.md a.5).
 * Real counterpart: the policy the hypervisor passes to LAUNCH_START, copied into every report.
 * Differs: nothing; LAUNCH_START's checks against it belong to the launch model, not this codec.
 * Invariants: bit 17 is reserved and must be one; bits 63:26 must be zero; encode(decode(x)) = x
 * for every valid x.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import {
  bitViolations, decodeBits, defineBits, encodeBits, type DecodedBits,
} from '../../sim/kernel/layout.js';
import type { ReportVersion } from './attestation-report.js';

export const GUEST_POLICY = defineBits({ name: 'GUEST_POLICY', widthBits: 64 }, [
  { name: 'abi_minor',              lsb: 0,  width: 8,  kind: 'uint' },
  { name: 'abi_major',              lsb: 8,  width: 8,  kind: 'uint' },
  { name: 'smt',                    lsb: 16, width: 1,  kind: 'flag' },
  { name: 'reserved_17',            lsb: 17, width: 1,  kind: 'one' },  // older firmware: "VMPL"
  { name: 'migrate_ma',             lsb: 18, width: 1,  kind: 'flag' },
  { name: 'debug',                  lsb: 19, width: 1,  kind: 'flag' },
  { name: 'single_socket',          lsb: 20, width: 1,  kind: 'flag' },
  { name: 'cxl_allow',              lsb: 21, width: 1,  kind: 'flag' },
  { name: 'mem_aes_256_xts',        lsb: 22, width: 1,  kind: 'flag' },
  { name: 'rapl_dis',               lsb: 23, width: 1,  kind: 'flag' },
  { name: 'ciphertext_hiding_dram', lsb: 24, width: 1,  kind: 'flag' },
  { name: 'page_swap_disable',      lsb: 25, width: 1,  kind: 'flag' },
  { name: 'reserved_26',            lsb: 26, width: 38, kind: 'mbz' },
] as const);

export type GuestPolicy = DecodedBits<typeof GUEST_POLICY.bits>;

/** The QEMU/KVM default (SMT allowed, bit 17) and the ACI/Azure value (ABI 0.31 as well). */
export const GUEST_POLICY_QEMU_DEFAULT = 0x30000n;
export const GUEST_POLICY_ACI = 0x3001fn;

/**
 * Decodes a guest policy. With `strict`, a set reserved bit or a clear bit 17 is
 * SNP_MBZ_NONZERO.
 */
export function decodeGuestPolicy(raw: bigint,
  options: Readonly<{ strict?: boolean }> = {}): GuestPolicy {
  assert(raw >= 0n && raw < 1n << 64n, 'guest policy is a u64');
  const violations = bitViolations(GUEST_POLICY, raw);
  if ((options.strict ?? false) && violations.length > 0) {
    throw new SimError('SNP_MBZ_NONZERO', { structure: 'GUEST_POLICY', bits: violations, raw },
      `GUEST_POLICY 0x${raw.toString(16)}: reserved bits wrong (${violations.join(', ')})`);
  }
  const decoded = decodeBits(GUEST_POLICY, raw);
  assert(decoded.abi_major <= 0xff && decoded.abi_minor <= 0xff);
  return decoded;
}

/** Encodes a guest policy; bit 17 is always set, reserved bits always clear. */
export function encodeGuestPolicy(policy: GuestPolicy): bigint {
  const raw = encodeBits(GUEST_POLICY, policy);
  assert(bitViolations(GUEST_POLICY, raw).length === 0, 'encoded guest policy is valid');
  assert((raw & (1n << 17n)) !== 0n);
  return raw;
}

/**
 * The report VERSION from which a policy bit is defined; in an older report the bit is reserved.
 * Bits 21..24 are reserved in AMD's 2023 Genoa firmware source, which writes VERSION 2 reports
 * (its policy mask stops at SINGLE_SOCKET, bit 20), and they are named by the ABI revision that
 * brought VERSION 3; PAGE_SWAP_DISABLE is "v5 era" (spec snp.md a.5) [uncertain: no v4 report
 * was ever seen to tell whether ABI 1.57 firmware wrote v4 with it].
 * Bits not listed here are defined in every VERSION.
 */
export const GUEST_POLICY_BIT_SINCE: Readonly<Record<string, ReportVersion>> = {
  cxl_allow: 3, mem_aes_256_xts: 3, rapl_dis: 3, ciphertext_hiding_dram: 3, page_swap_disable: 5,
};

/**
 * The reserved-bit problems of a raw policy (empty when valid): set reserved bits, a clear bit 17
 * and, when `reportVersion` is given, bits not yet defined in that report VERSION.
 */
export function guestPolicyViolations(raw: bigint, reportVersion?: ReportVersion): string[] {
  assert(raw >= 0n && raw < 1n << 64n, 'guest policy is a u64');
  const out = bitViolations(GUEST_POLICY, raw);
  if (reportVersion === undefined) return out;
  for (const spec of GUEST_POLICY.bits) {
    const since = GUEST_POLICY_BIT_SINCE[spec.name];
    if (since === undefined || reportVersion >= since) continue;
    assert(spec.kind === 'flag', 'only flags are version-dependent');
    if ((raw >> BigInt(spec.lsb)) & 1n) out.push(`${spec.name}(defined from VERSION ${since})`);
  }
  return out;
}
