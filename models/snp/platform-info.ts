/**
 * Models: PLATFORM_INFO (u64 at report offset 0x40; ABI spec 56860; spec snp.md a.6).
 * Real counterpart: what the firmware says about the platform's configuration in each report.
 * Differs: bit 6 is named `iommu_write_safe` after tinfoil-go's Turin decoding [uncertain]: the
 * libraries call it reserved, yet the real Turin report sets it (spec snp.md g.2). Which bits a
 * firmware version reports is our reading of the real reports, documented in `platformInfoOf`.
 * Invariants: decode never rejects unknown bits (they are returned in `unknown_bits`), so a
 * verifier tolerates newer platforms; encode(decode(x)) = x for every u64.
 */
import { assert } from '../../sim/kernel/assert.js';
import { decodeBits, defineBits, encodeBits, type DecodedBits } from '../../sim/kernel/layout.js';
import { compareFirmwareVersion, type PlatformState } from './platform.js';

export const PLATFORM_INFO = defineBits({ name: 'PLATFORM_INFO', widthBits: 64 }, [
  { name: 'smt_en',                    lsb: 0, width: 1,  kind: 'flag' },
  { name: 'tsme_en',                   lsb: 1, width: 1,  kind: 'flag' },
  { name: 'ecc_en',                    lsb: 2, width: 1,  kind: 'flag' },
  { name: 'rapl_dis',                  lsb: 3, width: 1,  kind: 'flag' },
  { name: 'ciphertext_hiding_dram_en', lsb: 4, width: 1,  kind: 'flag' },
  { name: 'alias_check_complete',      lsb: 5, width: 1,  kind: 'flag' },
  { name: 'iommu_write_safe',          lsb: 6, width: 1,  kind: 'flag' },  // [uncertain] see header
  { name: 'tio_en',                    lsb: 7, width: 1,  kind: 'flag' },
  { name: 'reserved_8',                lsb: 8, width: 56, kind: 'mbz' },
] as const);

export type PlatformInfoFlags = DecodedBits<typeof PLATFORM_INFO.bits>;
export type PlatformInfo = PlatformInfoFlags & Readonly<{ unknown_bits: bigint }>;

const KNOWN_MASK = 0xffn;

export function decodePlatformInfo(raw: bigint): PlatformInfo {
  assert(raw >= 0n && raw < 1n << 64n, 'PLATFORM_INFO is a u64');
  const flags = decodeBits(PLATFORM_INFO, raw);
  const info: PlatformInfo = { ...flags, unknown_bits: raw & ~KNOWN_MASK };
  assert(encodePlatformInfo(info) === raw, 'PLATFORM_INFO round trip');
  return info;
}

export function encodePlatformInfo(info: PlatformInfo): bigint {
  assert((info.unknown_bits & KNOWN_MASK) === 0n, 'unknown_bits excludes the named bits');
  const raw = encodeBits(PLATFORM_INFO, info) | info.unknown_bits;
  assert(raw >= 0n && raw < 1n << 64n);
  return raw;
}

/**
 * What the firmware of `platform` puts in PLATFORM_INFO. Read off the real reports (snp.md a.6):
 * - firmware < 1.55 reports SMT_EN only (Milan 1.49/1.52 reports: 0x1);
 * - from 1.55 on ECC_EN is reported when the memory has ECC (0x25 on Milan/Genoa 1.55.x);
 * - ALIAS_CHECK_COMPLETE from Milan 1.55.22, Genoa 1.55.38, and on every Turin firmware;
 * - Turin sets bit 6 (0x67 on Turin 1.55.61).
 * A platform created with `platformInfo` reports exactly that value.
 */
export function platformInfoOf(platform: PlatformState): bigint {
  if (platform.platform_info_override !== undefined) return platform.platform_info_override;
  const v = platform.current_version;
  const atLeast = (minor: number, build: number): boolean =>
    compareFirmwareVersion(v, { major: 1, minor, build }) >= 0;
  const aliasFloor = { Milan: [55, 22], Genoa: [55, 38], Turin: [0, 0] }[platform.product];
  assert(aliasFloor !== undefined && aliasFloor.length === 2);
  const info: PlatformInfo = {
    smt_en: platform.smt,
    tsme_en: platform.tsme,
    ecc_en: platform.ecc && atLeast(55, 0),
    rapl_dis: platform.rapl_dis,
    ciphertext_hiding_dram_en: platform.ciphertext_hiding,
    alias_check_complete: atLeast(aliasFloor[0]!, aliasFloor[1]!),
    iommu_write_safe: platform.product === 'Turin',
    tio_en: platform.tio,
    unknown_bits: 0n,
  };
  return encodePlatformInfo(info);
}
