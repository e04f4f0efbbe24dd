/**
 * Models: the extended-report certificate table (GHCB spec 56421, SNP Extended Guest Request;
 * spec snp.md b.4): 24-byte entries GUID[16] | OFFSET u32 | LENGTH u32, ended by an all-zero
 * entry, followed by the DER certificates; offsets count from the start of the blob.
 * Real counterpart: the blob a hypervisor returns with SNP_GET_EXT_REPORT. Differs: nothing;
 * GUIDs are stored in RFC-4122 big-endian ("as printed") order, as go-sev-guest and virtee write
 * them [uncertain that every host agrees, snp.md b.4].
 * Invariants: every entry's bytes lie inside the blob and after the table; the terminator exists;
 * decode(encode(x)) = x; the number of entries is bounded by the blob size.
 */
import { assert } from '../../sim/kernel/assert.js';
import { isAllZero, toHex, viewOf } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import { defineLayout, fieldOf } from '../../sim/kernel/layout.js';

export const CERT_TABLE_ENTRY = defineLayout({ name: 'CERT_TABLE_ENTRY', sizeBytes: 24 }, [
  { name: 'guid',   offsetBytes: 0,  sizeBytes: 16, kind: 'bytes' },
  { name: 'offset', offsetBytes: 16, sizeBytes: 4,  kind: 'u32le' },
  { name: 'length', offsetBytes: 20, sizeBytes: 4,  kind: 'u32le' },
] as const);
const ENTRY_BYTES = CERT_TABLE_ENTRY.sizeBytes;
const OFFSET_AT = fieldOf(CERT_TABLE_ENTRY, 'offset').offsetBytes;
const LENGTH_AT = fieldOf(CERT_TABLE_ENTRY, 'length').offsetBytes;

/** b.4 GUIDs, as printed. */
export const CERT_GUID = Object.freeze({
  vcek: '63da758d-e664-4564-adc5-f4b93be8accd',
  vlek: 'a8074bc2-a25a-483e-aae6-39c045a0b8a1',
  ask: '4ab7b379-bbac-4fe4-a02f-05aef327c782',
  ark: 'c0b406a4-a803-4952-9743-3fb6014cd0ae',
  crl: '92f81bc3-5811-4d3d-97ff-d19f88dc67ea',
  extra_platform_info: 'ecae0c0f-9502-43b1-afa2-0ae2e0d565b6',
} as const);
export type CertKind = keyof typeof CERT_GUID;

export type CertTableEntry = Readonly<{ guid: string; data: Uint8Array }>;

/** The page size the guest's certificate buffer is counted in. */
export const CERT_PAGE_BYTES = 4096;

export function guidToBytes(guid: string): Uint8Array {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(guid)) {
    throw new SimError('SNP_BAD_FIELD', { field: 'guid', guid: guid.slice(0, 40) },
      `'${guid.slice(0, 40)}' is not a GUID`);
  }
  const hex = guid.replace(/-/g, '').toLowerCase();
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function guidFromBytes(bytes: Uint8Array): string {
  assert(bytes.length === 16, 'a GUID is 16 bytes');
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-` +
    `${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function certKindOf(guid: string): CertKind | undefined {
  return (Object.keys(CERT_GUID) as CertKind[])
    .find((kind) => CERT_GUID[kind] === guid.toLowerCase());
}

/** Entries → blob: table (with terminator), then each certificate in order. */
export function encodeCertTable(entries: readonly CertTableEntry[]): Uint8Array {
  const tableBytes = (entries.length + 1) * ENTRY_BYTES;
  let total = tableBytes;
  for (const entry of entries) total += entry.data.length;
  const out = new Uint8Array(total);
  const view = viewOf(out);
  let next = tableBytes;
  entries.forEach((entry, index) => {
    const at = index * ENTRY_BYTES;
    assert(entry.data.length > 0, 'a certificate entry is not empty');
    out.set(guidToBytes(entry.guid), at);
    view.setUint32(at + OFFSET_AT, next, true);
    view.setUint32(at + LENGTH_AT, entry.data.length, true);
    out.set(entry.data, next);
    next += entry.data.length;
  });
  assert(next === total);
  assert(isAllZero(out.subarray(entries.length * ENTRY_BYTES, tableBytes)), 'terminator is zero');
  return out;
}

function bad(reason: string, detail: Readonly<Record<string, unknown>>): SimError {
  return new SimError('SNP_BAD_FIELD', { structure: 'CERT_TABLE', ...detail },
    `certificate table: ${reason}`);
}

/**
 * Blob → entries. Hostile input: a missing terminator, an entry pointing into the table or past
 * the end, or a zero-length entry is SNP_BAD_FIELD; a blob shorter than one entry SNP_BAD_LENGTH.
 * Trailing bytes after the last certificate (page padding) are allowed.
 */
export function decodeCertTable(blob: Uint8Array): CertTableEntry[] {
  if (blob.length < ENTRY_BYTES) {
    throw new SimError('SNP_BAD_LENGTH', { structure: 'CERT_TABLE', actualBytes: blob.length },
      `certificate table: ${blob.length} bytes is shorter than one entry`);
  }
  const view = viewOf(blob);
  const maxEntries = Math.floor(blob.length / ENTRY_BYTES);
  const raw: { guid: Uint8Array; offset: number; length: number }[] = [];
  let terminated = false;
  for (let index = 0; index < maxEntries; index++) {
    const at = index * ENTRY_BYTES;
    if (isAllZero(blob.subarray(at, at + ENTRY_BYTES))) { terminated = true; break; }
    raw.push({ guid: blob.slice(at, at + 16), offset: view.getUint32(at + OFFSET_AT, true),
      length: view.getUint32(at + LENGTH_AT, true) });
  }
  if (!terminated) throw bad('no all-zero terminator entry', { entries: raw.length });
  const tableEnd = (raw.length + 1) * ENTRY_BYTES;
  const entries = raw.map((entry, index) => {
    if (entry.length === 0) throw bad(`entry ${index} has length 0`, { index });
    if (entry.offset < tableEnd || entry.offset + entry.length > blob.length) {
      throw bad(
        `entry ${index} [${entry.offset}, +${entry.length}) is outside the certificate area`,
        { index, offset: entry.offset, length: entry.length, blobBytes: blob.length });
    }
    return Object.freeze({
      guid: guidFromBytes(entry.guid), data: blob.slice(entry.offset, entry.offset + entry.length),
    });
  });
  assert(entries.length === raw.length);
  return entries;
}

/** Pages a guest buffer needs for `blob` (the "buffer too small" answer's count). */
export function certPagesNeeded(blob: Uint8Array): number {
  const pages = Math.ceil(blob.length / CERT_PAGE_BYTES);
  assert(pages * CERT_PAGE_BYTES >= blob.length);
  return pages;
}
