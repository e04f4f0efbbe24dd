/**
 * Models: the OVMF "GUIDed footer table" at the end of an edk2 flash image (edk2
 * OvmfPkg/ResetVector/Ia16/ResetVectorVtf0.asm; spec/snp.md d.1), and the OVMF image as QEMU maps
 * it: ending at 4 GiB (or, for an SVSM image, just below the OVMF image and its variable store).
 * Real counterpart: what QEMU's pc_system_ovmf_table parsing reads. Differs: nothing we know of.
 * Invariants: the footer entry ends 32 bytes before the end of the file; each entry is
 * [data][u16 size][GUID] with size counting data + 18; entries are walked backwards; an image
 * without the footer GUID has an empty table (not an error, as in QEMU and sev-snp-measure).
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import { viewOf } from '../../sim/kernel/bytes.js';
import { efiGuidBytes, efiGuidText } from './efi-guid.js';

/** GUIDs of the footer-table entries this model reads (edk2 OvmfPkg, QEMU target/i386/sev.c). */
export const OVMF_TABLE_GUID = Object.freeze({
  footer: '96b582de-1fb2-45f7-baea-a366c55a082d',
  sev_es_reset_block: '00f771de-1a7e-4fcb-890e-68c77e2fb44e',
  sev_hash_table_rv: '7255371f-3a3b-4b04-927b-1da6efa8d454',
  sev_metadata: 'dc886566-984a-4798-a75e-5585a7bf67cc',
  sev_secret_block: '4c2eb361-7d9b-4cc3-8081-127c90d3d294',
  svsm_info: 'a789a612-0597-4c4b-a49f-cbb1fe9d1ddd',
} as const);

export const FOUR_GIB = 0x1_0000_0000;
const ENTRY_TRAILER_BYTES = 18;   // u16 size + GUID
const FOOTER_END_GAP_BYTES = 32;  // the footer entry ends 32 bytes before the end of the file
const FOOTER_GUID = efiGuidBytes(OVMF_TABLE_GUID.footer);

export function badOvmf(message: string, detail: Readonly<Record<string, unknown>> = {}): SimError {
  return new SimError('HV_BAD_OVMF', { reason: message, ...detail }, message);
}

/** Footer-table entries by GUID text → their data bytes (a copy). */
export type OvmfFooterTable = ReadonlyMap<string, Uint8Array>;

export function parseOvmfFooterTable(image: Uint8Array): OvmfFooterTable {
  const table = new Map<string, Uint8Array>();
  const footerAt = image.length - FOOTER_END_GAP_BYTES - ENTRY_TRAILER_BYTES;
  if (footerAt < 0) throw badOvmf(`firmware image too small (${image.length} bytes)`);
  const view = viewOf(image);
  const guidAt = footerAt + 2;
  const isFooter = image.subarray(guidAt, guidAt + 16).every((byte, i) => byte === FOOTER_GUID[i]);
  if (!isFooter) return table;
  const tableBytes = view.getUint16(footerAt, true) - ENTRY_TRAILER_BYTES;
  if (tableBytes < 0) return table;
  let end = footerAt;
  const start = Math.max(0, footerAt - tableBytes);
  for (let guard = 0; end - start >= ENTRY_TRAILER_BYTES; guard++) {
    assert(guard < 0x10000, 'footer table walk is bounded by its u16 size');
    const trailerAt = end - ENTRY_TRAILER_BYTES;
    const size = view.getUint16(trailerAt, true);
    if (size < ENTRY_TRAILER_BYTES) {
      throw badOvmf('Invalid entry size', { offset: trailerAt, size });
    }
    const guid = efiGuidText(image.subarray(trailerAt + 2, trailerAt + 18));
    table.set(guid, image.slice(Math.max(start, end - size), trailerAt));
    end -= size;
  }
  return table;
}

/** The u32 at the start of a table entry's data, or undefined when the entry is absent. */
export function tableU32(table: OvmfFooterTable, guid: string): number | undefined {
  const data = table.get(guid);
  if (data === undefined) return undefined;
  if (data.length < 4) throw badOvmf(`footer table entry ${guid} is shorter than 4 bytes`);
  return viewOf(data).getUint32(0, true);
}
