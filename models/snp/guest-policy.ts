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

/** The reserved-bit problems of a raw policy (empty when valid). */
export function guestPolicyViolations(raw: bigint): string[] {
  return bitViolations(GUEST_POLICY, raw);
}
