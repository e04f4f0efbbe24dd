/**
 * Models: EFI GUIDs as they sit in firmware images (UEFI spec, EFI_GUID: the first three fields
 * little-endian, the last eight bytes as written), the byte order of the OVMF footer table and of
 * the SEV hashes table. Real counterpart: edk2 EFI_GUID. Differs: nothing.
 * Invariants: 16 bytes; text form is lower-case 8-4-4-4-12 hex; text → bytes → text
 * round-trips.
 */
import { assert } from '../../sim/kernel/assert.js';
import { toHex } from '../../sim/kernel/bytes.js';

const GUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A GUID in text form (our own constants only) → its 16 EFI-order bytes. */
export function efiGuidBytes(text: string): Uint8Array {
  assert(GUID_TEXT.test(text), `efiGuidBytes: ${text}`);
  const hex = text.replace(/-/g, '');
  const be = new Uint8Array(16);
  for (let i = 0; i < 16; i++) be[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  const out = be.slice();
  out.set(be.slice(0, 4).reverse(), 0);
  out.set(be.slice(4, 6).reverse(), 4);
  out.set(be.slice(6, 8).reverse(), 6);
  assert(efiGuidText(out) === text, 'efiGuidBytes: round trip');
  return out;
}

/** 16 EFI-order bytes → text form. */
export function efiGuidText(bytes: Uint8Array): string {
  assert(bytes.length === 16, 'efiGuidText: 16 bytes');
  const be = bytes.slice();
  be.set(bytes.slice(0, 4).reverse(), 0);
  be.set(bytes.slice(4, 6).reverse(), 4);
  be.set(bytes.slice(6, 8).reverse(), 6);
  const hex = toHex(be);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-` +
    `${hex.slice(16, 20)}-${hex.slice(20)}`;
}
