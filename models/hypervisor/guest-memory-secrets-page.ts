/**
 * Models: the SNP secrets page the firmware writes into a guest at launch (SNP_LAUNCH_UPDATE with
 *   PAGE_TYPE SECRETS; SEV-SNP ABI spec 56860 "Secrets Page Format", version 3 as in the Genoa
 *   firmware source; spec snp.md c.3).
 * Real counterpart: the 4 KiB page at the GPA named by OVMF's (or the IGVM file's) SEV metadata,
 *   from which the guest's sev-guest driver reads VMPCKn.
 * Differs: FMS and TSC_FACTOR are whatever the caller passes (0 by default); the VMSA tweak
 *   bitmap is zero (no VMSA register protection).
 * Invariants: one table drives encode and decode; 4096 bytes; VMPCK0..3 at 0x20, 0x40, 0x60,
 *   0x80, 32 bytes each; reserved ranges are zero.
 */
import { assert } from '../../sim/kernel/assert.js';
import { hexBytes, isHexOf, type Hex } from '../../sim/kernel/bytes.js';
import { defineLayout, encodeLayout } from '../../sim/kernel/layout.js';

export const SECRETS_PAGE = defineLayout({ name: 'SECRETS_PAGE', sizeBytes: 0x1000 }, [
  { name: 'version', offsetBytes: 0x000, sizeBytes: 4, kind: 'u32le' },
  { name: 'imi_en', offsetBytes: 0x004, sizeBytes: 4, kind: 'u32le' },
  { name: 'fms', offsetBytes: 0x008, sizeBytes: 4, kind: 'u32le' },
  { name: 'reserved_00c', offsetBytes: 0x00c, sizeBytes: 4, kind: 'mbz' },
  { name: 'gosvw', offsetBytes: 0x010, sizeBytes: 16, kind: 'bytes' },
  { name: 'vmpck0', offsetBytes: 0x020, sizeBytes: 32, kind: 'bytes' },
  { name: 'vmpck1', offsetBytes: 0x040, sizeBytes: 32, kind: 'bytes' },
  { name: 'vmpck2', offsetBytes: 0x060, sizeBytes: 32, kind: 'bytes' },
  { name: 'vmpck3', offsetBytes: 0x080, sizeBytes: 32, kind: 'bytes' },
  { name: 'os_area', offsetBytes: 0x0a0, sizeBytes: 0x60, kind: 'bytes' },
  { name: 'vmsa_tweak_bitmap', offsetBytes: 0x100, sizeBytes: 64, kind: 'bytes' },
  { name: 'reserved_140', offsetBytes: 0x140, sizeBytes: 0x20, kind: 'mbz' },
  { name: 'tsc_factor', offsetBytes: 0x160, sizeBytes: 4, kind: 'u32le' },
  { name: 'reserved_164', offsetBytes: 0x164, sizeBytes: 0x1000 - 0x164, kind: 'mbz' },
] as const);

export const SECRETS_PAGE_VERSION = 3;

/** Offset of VMPCKn in the secrets page. */
export function vmpckOffset(index: number): number {
  assert(Number.isInteger(index) && index >= 0 && index <= 3, 'VMPCK index 0..3');
  return 0x20 + 0x20 * index;
}

export type SecretsPageInput = Readonly<{
  vmpck: readonly Hex[]; fms?: number; gosvw?: Hex; tscFactor?: number;
}>;

/** The page as the firmware writes it (plaintext, before the memory controller encrypts it). */
export function encodeSecretsPage(input: SecretsPageInput): Uint8Array {
  assert(input.vmpck.length === 4, 'four VMPCKs');
  assert(input.vmpck.every((key) => isHexOf(key, 32)), 'each VMPCK is 32 bytes of hex');
  const page = encodeLayout(SECRETS_PAGE, {
    version: SECRETS_PAGE_VERSION, imi_en: 0, fms: input.fms ?? 0,
    gosvw: input.gosvw === undefined ? new Uint8Array(16) : hexBytes(input.gosvw),
    vmpck0: hexBytes(input.vmpck[0]!), vmpck1: hexBytes(input.vmpck[1]!),
    vmpck2: hexBytes(input.vmpck[2]!), vmpck3: hexBytes(input.vmpck[3]!),
    os_area: new Uint8Array(0x60), vmsa_tweak_bitmap: new Uint8Array(64),
    tsc_factor: input.tscFactor ?? 0,
  });
  assert(page.length === 0x1000);
  return page;
}
