/**
 * Models: the files a host launches a Confidential ACI utility VM from: an OVMF-shaped flash image
 * (edk2 OvmfPkg AmdSev build: the GUIDed footer table with the SEV-ES reset block, the SEV hashes
 * table location and the "ASEV" SEV metadata), a kernel, an initrd and a command line, measured
 * by the launch as QEMU does (spec/snp.md d.1-d.3).
 * Real counterpart: the UVM's OVMF.fd (or IGVM), vmlinux and initrd.img that hcsshim boots.
 * Differs: the images are small and their code bytes are a fixed pattern (nothing executes);
 * only the structures the VMM parses are real: footer table, SEV metadata, page sizes.
 * Invariants: the flash image is a whole number of 4 KiB pages and parses with
 * loadFirmwareImage (footer GUID 32 bytes before the end, entries [data][u16 size][GUID],
 * metadata "ASEV" version 1); the same call returns the same bytes.
 */
import { assert } from '../../sim/kernel/assert.js';
import { efiGuidBytes } from '../hypervisor/efi-guid.js';
import { OVMF_TABLE_GUID } from '../hypervisor/ovmf-footer-table.js';
import { SEV_SECTION_TYPE } from '../hypervisor/sev-metadata.js';

export const UVM_FLASH_BYTES = 64 * 1024;
export const UVM_KERNEL_BYTES = 64 * 1024;
export const UVM_INITRD_BYTES = 32 * 1024;
export const UVM_DEFAULT_CMDLINE = 'console=ttyS0 pci=off parma.uvm=confidential-aci';

/** Where the metadata sections put the pages the launch measures (as in the AmdSev build). */
const SECTIONS = Object.freeze([
  { gpa: 0x0080_0000, size: 0x9000, section_type: SEV_SECTION_TYPE.SNP_SEC_MEM },
  { gpa: 0x0080_9000, size: 0x1000, section_type: SEV_SECTION_TYPE.SNP_SECRETS },
  { gpa: 0x0080_a000, size: 0x1000, section_type: SEV_SECTION_TYPE.CPUID },
  { gpa: 0x0080_d000, size: 0x1000, section_type: SEV_SECTION_TYPE.SNP_KERNEL_HASHES },
]);
const HASH_TABLE_GPA = 0x0080_d000 + 0x400;
const HASH_TABLE_SIZE = 0x400;
const SEV_ES_RESET_EIP = 0xffff_f000 + 0x4;
const METADATA_OFFSET_FROM_END = 0x800;
const FOOTER_GAP_BYTES = 32;

/** `length` bytes of a fixed, label-dependent pattern (stand-in code bytes). */
function patternBytes(label: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 73 + label * 41 + (i >>> 8)) & 0xff;
  return out;
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
}

/** One footer-table entry: [data][u16 size = data + 18][GUID]. */
function tableEntry(guid: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 18);
  out.set(data, 0);
  new DataView(out.buffer).setUint16(data.length, data.length + 18, true);
  out.set(efiGuidBytes(guid), data.length + 2);
  return out;
}

function sevMetadata(): Uint8Array {
  const out = new Uint8Array(16 + 12 * SECTIONS.length);
  const view = new DataView(out.buffer);
  out.set([0x41, 0x53, 0x45, 0x56], 0);                 // "ASEV"
  view.setUint32(4, out.length, true);
  view.setUint32(8, 1, true);
  view.setUint32(12, SECTIONS.length, true);
  SECTIONS.forEach((section, i) => {
    view.setUint32(16 + 12 * i, section.gpa, true);
    view.setUint32(20 + 12 * i, section.size, true);
    view.setUint32(24 + 12 * i, section.section_type, true);
  });
  return out;
}

/** The OVMF-shaped flash image (64 KiB). */
export function uvmFlashImage(): Uint8Array {
  const image = patternBytes(1, UVM_FLASH_BYTES);
  const hashData = new Uint8Array(8);
  hashData.set(u32(HASH_TABLE_GPA), 0);
  hashData.set(u32(HASH_TABLE_SIZE), 4);
  const entries = [
    tableEntry(OVMF_TABLE_GUID.sev_metadata, u32(METADATA_OFFSET_FROM_END)),
    tableEntry(OVMF_TABLE_GUID.sev_hash_table_rv, hashData),
    tableEntry(OVMF_TABLE_GUID.sev_es_reset_block, u32(SEV_ES_RESET_EIP)),
  ];
  const tableBytes = entries.reduce((sum, entry) => sum + entry.length, 0);
  const footerAt = image.length - FOOTER_GAP_BYTES - 18;
  let at = footerAt - tableBytes;
  for (const entry of entries) {
    image.set(entry, at);
    at += entry.length;
  }
  assert(at === footerAt, 'the entries end where the footer entry starts');
  new DataView(image.buffer).setUint16(footerAt, tableBytes + 18, true);
  image.set(efiGuidBytes(OVMF_TABLE_GUID.footer), footerAt + 2);
  const metadata = sevMetadata();
  const metadataAt = image.length - METADATA_OFFSET_FROM_END;
  assert(metadataAt + metadata.length < footerAt - tableBytes, 'metadata clear of the table');
  image.set(metadata, metadataAt);
  assert(image.length % 4096 === 0);
  return image;
}

/** The kernel image the UVM boots (its SHA-256 goes into the SEV hashes table). */
export function uvmKernel(): Uint8Array {
  return patternBytes(2, UVM_KERNEL_BYTES);
}

/** The initrd holding the guest agent (its SHA-256 goes into the SEV hashes table). */
export function uvmInitrd(): Uint8Array {
  return patternBytes(3, UVM_INITRD_BYTES);
}
