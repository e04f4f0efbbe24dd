/**
 * Models: the SNP ID_BLOCK and ID_AUTH_INFO structures given to SNP_LAUNCH_FINISH (SEV-SNP Firmware
 * ABI spec 56860, "ID_BLOCK" and "ID_AUTH_INFO" tables; AMD Genoa firmware source sev_mcmd.h).
 * Real counterpart: the guest owner's signed statement of the expected launch digest and policy.
 * Differs: nothing in the layouts. Invariants: ID_BLOCK is 0x60 bytes, VERSION 1; ID_AUTH_INFO is
 * 0x1000 bytes with every reserved range zero; ID_BLOCK_SIG signs the 0x60 ID_BLOCK bytes and
 * ID_KEY_SIG signs the 0x404-byte ID_KEY structure, both ECDSA P-384 / SHA-384 (algo 1).
 */
import {
  decodeLayout, defineLayout, encodeLayout, type Decoded, type DecodeOptions,
} from '../../../sim/kernel/layout.js';
import { assert } from '../../../sim/kernel/assert.js';

export const ID_BLOCK = defineLayout({ name: 'ID_BLOCK', sizeBytes: 0x60 }, [
  { name: 'ld',        offsetBytes: 0x00, sizeBytes: 48, kind: 'bytes' },
  { name: 'family_id', offsetBytes: 0x30, sizeBytes: 16, kind: 'bytes' },
  { name: 'image_id',  offsetBytes: 0x40, sizeBytes: 16, kind: 'bytes' },
  { name: 'version',   offsetBytes: 0x50, sizeBytes: 4,  kind: 'u32le' },
  { name: 'guest_svn', offsetBytes: 0x54, sizeBytes: 4,  kind: 'u32le' },
  { name: 'policy',    offsetBytes: 0x58, sizeBytes: 8,  kind: 'u64le' },
] as const);

export const ID_AUTH_INFO = defineLayout({ name: 'ID_AUTH_INFO', sizeBytes: 0x1000 }, [
  { name: 'id_key_algo',   offsetBytes: 0x000, sizeBytes: 4,     kind: 'u32le' },
  { name: 'auth_key_algo', offsetBytes: 0x004, sizeBytes: 4,     kind: 'u32le' },
  { name: 'reserved_008',  offsetBytes: 0x008, sizeBytes: 0x38,  kind: 'mbz' },
  { name: 'id_block_sig',  offsetBytes: 0x040, sizeBytes: 0x200, kind: 'bytes' },
  { name: 'id_key',        offsetBytes: 0x240, sizeBytes: 0x404, kind: 'bytes' },
  { name: 'reserved_644',  offsetBytes: 0x644, sizeBytes: 0x3c,  kind: 'mbz' },
  { name: 'id_key_sig',    offsetBytes: 0x680, sizeBytes: 0x200, kind: 'bytes' },
  { name: 'author_key',    offsetBytes: 0x880, sizeBytes: 0x404, kind: 'bytes' },
  { name: 'reserved_c84',  offsetBytes: 0xc84, sizeBytes: 0x37c, kind: 'mbz' },
] as const);

export type IdBlock = Decoded<typeof ID_BLOCK.fields>;
export type IdAuthInfo = Decoded<typeof ID_AUTH_INFO.fields>;

/** ID_BLOCK.VERSION the firmware accepts. */
export const ID_BLOCK_VERSION = 1;
/** ID_KEY_ALGO / AUTH_KEY_ALGO: 1 = ECDSA P-384 with SHA-384 (same numbering as SIGNATURE_ALGO). */
export const ID_KEY_ALGO_ECDSA_P384_SHA384 = 1;

export function encodeIdBlock(block: IdBlock): Uint8Array {
  const out = encodeLayout(ID_BLOCK, block);
  assert(out.length === 0x60);
  return out;
}

export function decodeIdBlock(bytes: Uint8Array, options: DecodeOptions = {}): IdBlock {
  const { value } = decodeLayout(ID_BLOCK, bytes, options);
  assert(value.ld.length === 48);
  return value;
}

export function encodeIdAuthInfo(info: IdAuthInfo): Uint8Array {
  const out = encodeLayout(ID_AUTH_INFO, info);
  assert(out.length === 0x1000);
  return out;
}

export function decodeIdAuthInfo(bytes: Uint8Array, options: DecodeOptions = {}): IdAuthInfo {
  const { value } = decodeLayout(ID_AUTH_INFO, bytes, options);
  assert(value.id_key.length === 0x404);
  return value;
}
