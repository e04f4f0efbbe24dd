/**
 * Models: SNP_GUEST_REQUEST messages (SEV-SNP ABI spec 56860 "Guest Messages"; spec snp.md
 * b.1-b.3):
 * the encrypted message header, MSG_REPORT_REQ/RSP and MSG_KEY_REQ/RSP payloads, as layout tables.
 * Real counterpart: the request/response pages the guest's /dev/sev-guest driver exchanges with
 * the AMD-SP through the hypervisor.
 * Differs: MSG_KEY_REQ is read in both sizes: 0x20 bytes (Linux uapi) and 0x28 bytes (newer spec,
 * with LAUNCH_MIT_VECTOR); a 0x20-byte request has launch_mit_vector 0.
 * Invariants: each table is sorted, gap-free and ends at its size; reserved ranges are mbz and a
 * decoder rejects them when non-zero (the firmware answers INVALID_PARAM, see firmware.ts).
 */
import { assert } from '../../sim/kernel/assert.js';
import { concatBytes } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import { type Decoded, decodeLayout, defineLayout, encodeLayout } from '../../sim/kernel/layout.js';
import { REPORT_BYTES } from './attestation-report.js';

/** b.1: the header in front of every encrypted guest message. */
export const MSG_HEADER = defineLayout({ name: 'MSG_HEADER', sizeBytes: 0x60 }, [
  { name: 'authtag',     offsetBytes: 0x00, sizeBytes: 32, kind: 'bytes' },
  { name: 'msg_seqno',   offsetBytes: 0x20, sizeBytes: 8,  kind: 'u64le' },
  { name: 'reserved_28', offsetBytes: 0x28, sizeBytes: 8,  kind: 'mbz' },
  { name: 'algo',        offsetBytes: 0x30, sizeBytes: 1,  kind: 'u8' },
  { name: 'hdr_version', offsetBytes: 0x31, sizeBytes: 1,  kind: 'u8' },
  { name: 'hdr_size',    offsetBytes: 0x32, sizeBytes: 2,  kind: 'u16le' },
  { name: 'msg_type',    offsetBytes: 0x34, sizeBytes: 1,  kind: 'u8' },
  { name: 'msg_version', offsetBytes: 0x35, sizeBytes: 1,  kind: 'u8' },
  { name: 'msg_size',    offsetBytes: 0x36, sizeBytes: 2,  kind: 'u16le' },
  { name: 'reserved_38', offsetBytes: 0x38, sizeBytes: 4,  kind: 'mbz' },
  { name: 'msg_vmpck',   offsetBytes: 0x3c, sizeBytes: 1,  kind: 'u8' },
  { name: 'reserved_3d', offsetBytes: 0x3d, sizeBytes: 35, kind: 'mbz' },
] as const);

/** b.1 MSG_TYPE values. */
export const MSG_TYPE = Object.freeze({
  CPUID_REQ: 1, CPUID_RSP: 2, KEY_REQ: 3, KEY_RSP: 4, REPORT_REQ: 5, REPORT_RSP: 6,
  EXPORT_REQ: 7, EXPORT_RSP: 8, IMPORT_REQ: 9, IMPORT_RSP: 10, ABSORB_REQ: 11, ABSORB_RSP: 12,
  VMRK_REQ: 13, VMRK_RSP: 14, ABSORB_NOMA_REQ: 15, ABSORB_NOMA_RSP: 16, TSC_INFO_REQ: 17,
  TSC_INFO_RSP: 18,
} as const);

/** b.2 MSG_REPORT_REQ: key_sel is bits 1:0 of the u32 at 0x44; bits 31:2 are MBZ. */
export const MSG_REPORT_REQ = defineLayout({ name: 'MSG_REPORT_REQ', sizeBytes: 0x60 }, [
  { name: 'report_data', offsetBytes: 0x00, sizeBytes: 64, kind: 'bytes' },
  { name: 'vmpl',        offsetBytes: 0x40, sizeBytes: 4,  kind: 'u32le' },
  { name: 'key_sel',     offsetBytes: 0x44, sizeBytes: 4,  kind: 'u32le' },
  { name: 'reserved_48', offsetBytes: 0x48, sizeBytes: 24, kind: 'mbz' },
] as const);

/** b.2 MSG_REPORT_RSP: status, size, then the report. */
export const MSG_REPORT_RSP = defineLayout({
  name: 'MSG_REPORT_RSP', sizeBytes: 0x20 + REPORT_BYTES,
}, [
  { name: 'status',      offsetBytes: 0x00, sizeBytes: 4,  kind: 'u32le' },
  { name: 'report_size', offsetBytes: 0x04, sizeBytes: 4,  kind: 'u32le' },
  { name: 'reserved_08', offsetBytes: 0x08, sizeBytes: 24, kind: 'mbz' },
  { name: 'report',      offsetBytes: 0x20, sizeBytes: REPORT_BYTES, kind: 'bytes' },
] as const);

/**
 * b.3 MSG_KEY_REQ (newer 0x28-byte form). The u32 at 0x00: bit 0 ROOT_KEY_SELECT, bits 2:1
 * KEY_SEL.
 */
export const MSG_KEY_REQ = defineLayout({ name: 'MSG_KEY_REQ', sizeBytes: 0x28 }, [
  { name: 'key_select',         offsetBytes: 0x00, sizeBytes: 4, kind: 'u32le' },
  { name: 'reserved_04',        offsetBytes: 0x04, sizeBytes: 4, kind: 'mbz' },
  { name: 'guest_field_select', offsetBytes: 0x08, sizeBytes: 8, kind: 'u64le' },
  { name: 'vmpl',               offsetBytes: 0x10, sizeBytes: 4, kind: 'u32le' },
  { name: 'guest_svn',          offsetBytes: 0x14, sizeBytes: 4, kind: 'u32le' },
  { name: 'tcb_version',        offsetBytes: 0x18, sizeBytes: 8, kind: 'u64le' },
  { name: 'launch_mit_vector',  offsetBytes: 0x20, sizeBytes: 8, kind: 'u64le' },
] as const);

/** The Linux uapi `snp_derived_key_req` size: MSG_KEY_REQ without LAUNCH_MIT_VECTOR. */
export const MSG_KEY_REQ_SHORT_BYTES = 0x20;

/** b.3 MSG_KEY_RSP. */
export const MSG_KEY_RSP = defineLayout({ name: 'MSG_KEY_RSP', sizeBytes: 0x40 }, [
  { name: 'status',      offsetBytes: 0x00, sizeBytes: 4,  kind: 'u32le' },
  { name: 'reserved_04', offsetBytes: 0x04, sizeBytes: 28, kind: 'mbz' },
  { name: 'derived_key', offsetBytes: 0x20, sizeBytes: 32, kind: 'bytes' },
] as const);

export type MsgHeader = Decoded<typeof MSG_HEADER.fields>;
export type MsgReportReq = Decoded<typeof MSG_REPORT_REQ.fields>;
export type MsgReportRsp = Decoded<typeof MSG_REPORT_RSP.fields>;
export type MsgKeyReq = Decoded<typeof MSG_KEY_REQ.fields>;
export type MsgKeyRsp = Decoded<typeof MSG_KEY_RSP.fields>;

/** GUEST_FIELD_SELECT bits (b.3); bits 63:7 are MBZ. */
export const GUEST_FIELD_SELECT = Object.freeze({
  guest_policy: 0, image_id: 1, family_id: 2, measurement: 3, guest_svn: 4, tcb_version: 5,
  launch_mit_vector: 6,
} as const);
export type GuestField = keyof typeof GUEST_FIELD_SELECT;
export const GUEST_FIELD_SELECT_MASK = 0x7fn;

export function guestFieldSelect(fields: readonly GuestField[]): bigint {
  let bits = 0n;
  for (const field of fields) bits |= 1n << BigInt(GUEST_FIELD_SELECT[field]);
  assert((bits & ~GUEST_FIELD_SELECT_MASK) === 0n);
  return bits;
}

export const decodeMsgHeader = (bytes: Uint8Array): MsgHeader =>
  decodeLayout(MSG_HEADER, bytes).value;
export const encodeMsgHeader = (header: MsgHeader): Uint8Array => encodeLayout(MSG_HEADER, header);
export const decodeMsgReportReq = (bytes: Uint8Array): MsgReportReq =>
  decodeLayout(MSG_REPORT_REQ, bytes).value;
export const encodeMsgReportReq = (req: MsgReportReq): Uint8Array =>
  encodeLayout(MSG_REPORT_REQ, req);
export const decodeMsgReportRsp = (bytes: Uint8Array): MsgReportRsp =>
  decodeLayout(MSG_REPORT_RSP, bytes).value;
export const encodeMsgReportRsp = (rsp: MsgReportRsp): Uint8Array =>
  encodeLayout(MSG_REPORT_RSP, rsp);
export const decodeMsgKeyRsp = (bytes: Uint8Array): MsgKeyRsp =>
  decodeLayout(MSG_KEY_RSP, bytes).value;
export const encodeMsgKeyRsp = (rsp: MsgKeyRsp): Uint8Array => encodeLayout(MSG_KEY_RSP, rsp);

/** MSG_KEY_REQ from 0x20 (uapi) or 0x28 bytes; other lengths are SNP_BAD_LENGTH. */
export function decodeMsgKeyReq(bytes: Uint8Array): MsgKeyReq {
  if (bytes.length === MSG_KEY_REQ_SHORT_BYTES) {
    const padded = concatBytes(bytes,
      new Uint8Array(MSG_KEY_REQ.sizeBytes - MSG_KEY_REQ_SHORT_BYTES));
    const value = decodeLayout(MSG_KEY_REQ, padded).value;
    assert(value.launch_mit_vector === 0n);
    return value;
  }
  if (bytes.length !== MSG_KEY_REQ.sizeBytes) {
    throw new SimError('SNP_BAD_LENGTH', { structure: 'MSG_KEY_REQ', actualBytes: bytes.length },
      `MSG_KEY_REQ: expected 0x20 or 0x28 bytes, got ${bytes.length}`);
  }
  return decodeLayout(MSG_KEY_REQ, bytes).value;
}

export function encodeMsgKeyReq(req: MsgKeyReq): Uint8Array {
  const bytes = encodeLayout(MSG_KEY_REQ, req);
  assert(bytes.length === MSG_KEY_REQ.sizeBytes);
  return bytes;
}
