/**
 * Models: the SEV hashes table QEMU writes into guest memory for measured direct kernel boot
 * (QEMU target/i386/sev.c, "SevHashTable"; edk2 OvmfPkg BlobVerifierLibSevHashes; spec/snp.md d.3).
 * Real counterpart: the table OVMF checks the kernel, initrd and command line against.
 * Differs: nothing. Invariants: header GUID + u16 length 168, then cmdline, initrd, kernel entries
 * {GUID, u16 50, SHA-256}; padded with zeros to 176 bytes; GUIDs in EFI byte order; the command
 * line hash covers its UTF-8 bytes plus one NUL; a missing initrd hashes as empty.
 */
import { hash } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { defineLayout, encodeLayout } from '../../sim/kernel/layout.js';
import { efiGuidBytes } from './efi-guid.js';
import { badOvmf } from './ovmf-footer-table.js';

export const SEV_HASH_TABLE_GUID = Object.freeze({
  header: '9438d606-4f22-4cc9-b479-a793d411fd21',
  cmdline: '97d02dd8-bd20-4c94-aa78-e7714d36ab2a',
  initrd: '44baf731-3a2f-4bd7-9af1-41e29169781d',
  kernel: '4de79437-abd2-427f-b835-d5b172d2045b',
} as const);

const ENTRY_BYTES = 16 + 2 + 32;

export const SEV_HASH_TABLE = defineLayout({ name: 'SEV_HASH_TABLE', sizeBytes: 176 }, [
  { name: 'guid',           offsetBytes: 0,   sizeBytes: 16, kind: 'bytes' },
  { name: 'length',         offsetBytes: 16,  sizeBytes: 2,  kind: 'u16le' },
  { name: 'cmdline_guid',   offsetBytes: 18,  sizeBytes: 16, kind: 'bytes' },
  { name: 'cmdline_length', offsetBytes: 34,  sizeBytes: 2,  kind: 'u16le' },
  { name: 'cmdline_hash',   offsetBytes: 36,  sizeBytes: 32, kind: 'bytes' },
  { name: 'initrd_guid',    offsetBytes: 68,  sizeBytes: 16, kind: 'bytes' },
  { name: 'initrd_length',  offsetBytes: 84,  sizeBytes: 2,  kind: 'u16le' },
  { name: 'initrd_hash',    offsetBytes: 86,  sizeBytes: 32, kind: 'bytes' },
  { name: 'kernel_guid',    offsetBytes: 118, sizeBytes: 16, kind: 'bytes' },
  { name: 'kernel_length',  offsetBytes: 134, sizeBytes: 2,  kind: 'u16le' },
  { name: 'kernel_hash',    offsetBytes: 136, sizeBytes: 32, kind: 'bytes' },
  { name: 'padding',        offsetBytes: 168, sizeBytes: 8,  kind: 'mbz' }, // to a 16-byte multiple
] as const);

/** Length recorded in the header: the table without its padding. */
export const SEV_HASH_TABLE_LENGTH = 16 + 2 + 3 * ENTRY_BYTES;
assert(SEV_HASH_TABLE_LENGTH === 168 &&
  SEV_HASH_TABLE.sizeBytes === ((SEV_HASH_TABLE_LENGTH + 15) & ~15));

/** The three SHA-256 digests the table carries. */
export type SevHashes = Readonly<{
  kernel_sha256: Uint8Array; initrd_sha256: Uint8Array; cmdline_sha256: Uint8Array;
}>;

function sha256(bytes: Uint8Array): Uint8Array {
  return hash('sha256', bytes, 'buffer');
}

/** The command-line entry: SHA-256 of the UTF-8 command line plus one NUL (just NUL when empty). */
export function cmdlineSha256(append: string | undefined): Uint8Array {
  const cmdline = new TextEncoder().encode(`${append ?? ''}\0`);
  assert(cmdline[cmdline.length - 1] === 0);
  const digest = sha256(cmdline);
  assert(digest.length === 32);
  return digest;
}

/** Hashes direct-boot inputs as QEMU does (initrd absent = empty; cmdline + NUL, or just NUL). */
export function sevHashesOf(
  inputs: Readonly<{ kernel: Uint8Array; initrd?: Uint8Array; append?: string }>,
): SevHashes {
  const out = {
    kernel_sha256: sha256(inputs.kernel),
    initrd_sha256: sha256(inputs.initrd ?? new Uint8Array(0)),
    cmdline_sha256: cmdlineSha256(inputs.append),
  };
  assert(out.kernel_sha256.length === 32 && out.initrd_sha256.length === 32);
  return out;
}

export function encodeSevHashTable(hashes: SevHashes): Uint8Array {
  assert(hashes.kernel_sha256.length === 32 && hashes.initrd_sha256.length === 32,
    'SevHashes: SHA-256');
  assert(hashes.cmdline_sha256.length === 32, 'SevHashes: cmdline SHA-256');
  const out = encodeLayout(SEV_HASH_TABLE, {
    guid: efiGuidBytes(SEV_HASH_TABLE_GUID.header), length: SEV_HASH_TABLE_LENGTH,
    cmdline_guid: efiGuidBytes(SEV_HASH_TABLE_GUID.cmdline), cmdline_length: ENTRY_BYTES,
    cmdline_hash: hashes.cmdline_sha256,
    initrd_guid: efiGuidBytes(SEV_HASH_TABLE_GUID.initrd), initrd_length: ENTRY_BYTES,
    initrd_hash: hashes.initrd_sha256,
    kernel_guid: efiGuidBytes(SEV_HASH_TABLE_GUID.kernel), kernel_length: ENTRY_BYTES,
    kernel_hash: hashes.kernel_sha256,
  });
  assert(out.length === 176);
  return out;
}

/** A 4 KiB page holding the table at `offsetInPage` (the low 12 bits of the table's GPA). */
export function sevHashTablePage(hashes: SevHashes, offsetInPage: number): Uint8Array {
  assert(Number.isInteger(offsetInPage) && offsetInPage >= 0 && offsetInPage < 0x1000,
    'offset in page');
  if (offsetInPage + SEV_HASH_TABLE.sizeBytes > 0x1000) {
    throw badOvmf('SEV hashes table does not fit in its page', { offsetInPage });
  }
  const page = new Uint8Array(0x1000);
  page.set(encodeSevHashTable(hashes), offsetInPage);
  return page;
}
