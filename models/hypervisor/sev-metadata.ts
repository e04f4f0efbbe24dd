/**
 * Models: the OVMF SEV metadata ("ASEV" header and section descriptors; edk2
 * OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm; spec/snp.md d.1) that tells the VMM which guest
 * memory ranges to pre-validate for SEV-SNP and how to measure them.
 * Real counterpart: what QEMU's sev_snp_launch_update_data walks before LAUNCH_FINISH.
 * Differs: nothing we know of. Invariants: signature "ASEV", version 1; each section is 12 bytes
 * {u32 gpa, u32 size, u32 type}; an image without the metadata entry has no sections.
 */
import { assert } from '../../sim/kernel/assert.js';
import { decodeLayout, defineLayout } from '../../sim/kernel/layout.js';
import { OVMF_TABLE_GUID, badOvmf, tableU32, type OvmfFooterTable } from './ovmf-footer-table.js';

export const SEV_METADATA_HEADER = defineLayout({ name: 'SEV_METADATA_HEADER', sizeBytes: 16 }, [
  { name: 'signature', offsetBytes: 0,  sizeBytes: 4, kind: 'bytes' },   // "ASEV"
  { name: 'size',      offsetBytes: 4,  sizeBytes: 4, kind: 'u32le' },
  { name: 'version',   offsetBytes: 8,  sizeBytes: 4, kind: 'u32le' },
  { name: 'num_items', offsetBytes: 12, sizeBytes: 4, kind: 'u32le' },
] as const);

export const SEV_METADATA_SECTION = defineLayout({ name: 'SEV_METADATA_SECTION', sizeBytes: 12 }, [
  { name: 'gpa',          offsetBytes: 0, sizeBytes: 4, kind: 'u32le' },
  { name: 'size',         offsetBytes: 4, sizeBytes: 4, kind: 'u32le' },
  { name: 'section_type', offsetBytes: 8, sizeBytes: 4, kind: 'u32le' },
] as const);

/** Section types (OvmfSevMetadata.asm). */
export const SEV_SECTION_TYPE = Object.freeze({
  SNP_SEC_MEM: 1, SNP_SECRETS: 2, CPUID: 3, SVSM_CAA: 4, SNP_KERNEL_HASHES: 0x10,
} as const);

export type SevMetadataSection = Readonly<{ gpa: number; size: number; section_type: number }>;

const ASEV = [0x41, 0x53, 0x45, 0x56];

/** The metadata sections of an image, in table order. */
export function parseSevMetadata(image: Uint8Array, table: OvmfFooterTable): SevMetadataSection[] {
  const offsetFromEnd = tableU32(table, OVMF_TABLE_GUID.sev_metadata);
  if (offsetFromEnd === undefined) return [];
  const start = image.length - offsetFromEnd;
  if (start < 0 || start + SEV_METADATA_HEADER.sizeBytes > image.length) {
    throw badOvmf('SEV metadata header lies outside the image', { offsetFromEnd });
  }
  const header = decodeLayout(SEV_METADATA_HEADER,
    image.subarray(start, start + SEV_METADATA_HEADER.sizeBytes)).value;
  if (!ASEV.every((byte, i) => header.signature[i] === byte)) {
    throw badOvmf('Wrong SEV metadata signature');
  }
  if (header.version !== 1) {
    throw badOvmf('Wrong SEV metadata version', { version: header.version });
  }
  const itemsAt = start + SEV_METADATA_HEADER.sizeBytes;
  const needed = header.num_items * SEV_METADATA_SECTION.sizeBytes;
  if (header.num_items > 1024 || itemsAt + needed > image.length || needed > header.size) {
    throw badOvmf('SEV metadata items lie outside the image', { num_items: header.num_items });
  }
  const out: SevMetadataSection[] = [];
  for (let i = 0; i < header.num_items; i++) {
    const at = itemsAt + i * SEV_METADATA_SECTION.sizeBytes;
    out.push(Object.freeze(decodeLayout(SEV_METADATA_SECTION,
      image.subarray(at, at + SEV_METADATA_SECTION.sizeBytes)).value));
  }
  assert(out.length === header.num_items);
  return out;
}
