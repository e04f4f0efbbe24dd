/**
 * Models: the encrypted SNP guest-message channel (SEV-SNP ABI spec 56860 "Guest Messages",
 * spec snp.md b.1): AES-256-GCM keyed with VMPCKn, IV = MSG_SEQNO (u64 LE) then 4 zero bytes,
 * AAD = header bytes 0x30..0x5F, tag in the first 16 bytes of AUTHTAG; the guest sends seqno N and
 * the firmware answers with N+1, so each exchange advances the channel by 2.
 * Real counterpart: the guest's sev-guest driver and the PSP's message check, per VMPCK.
 * Differs: one request page and one response page are plain byte arrays; a rejected message is a
 * value (no state change) where real firmware returns an error to the hypervisor; the sender's
 * VMPL is the VMPCK index (VMPCKn belongs to VMPLn).
 * Invariants: a message opens only under its VMPCK with an untouched header and payload; the
 * firmware accepts only seqno = last + 1 for that VMPCK and never answers a rejected message;
 * AES-GCM is deterministic, so the same exchange gives the same bytes.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { concatBytes, hexBytes } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import { decodeLayout, encodeLayout } from '../../sim/kernel/layout.js';
import {
  requestDerivedKey, requestReport, signReport, type FirmwareState,
} from './firmware.js';
import type { GuestContext } from './guest-context.js';
import {
  decodeMsgKeyReq, decodeMsgReportReq, encodeMsgKeyRsp, encodeMsgReportRsp, MSG_HEADER, MSG_TYPE,
  type MsgHeader,
} from './guest-messages.js';
import { REPORT_BYTES } from './attestation-report.js';

const TAG_BYTES = 16;
const AAD_FROM = 0x30;

function iv(seqno: bigint): Uint8Array {
  const out = new Uint8Array(12);
  new DataView(out.buffer).setBigUint64(0, seqno, true);
  return out;
}

export type SealInput = Readonly<{
  vmpck: Uint8Array; vmpckIndex: number; seqno: bigint; msgType: number; payload: Uint8Array;
}>;

/** Header + AES-256-GCM ciphertext of `payload`. */
export function sealGuestMessage(input: SealInput): Uint8Array {
  assert(input.vmpck.length === 32, 'VMPCK is 32 bytes');
  assert(input.payload.length <= 4096 - MSG_HEADER.sizeBytes, 'one page in total');
  const header: MsgHeader = {
    authtag: new Uint8Array(32), msg_seqno: input.seqno, algo: 1, hdr_version: 1,
    hdr_size: MSG_HEADER.sizeBytes, msg_type: input.msgType, msg_version: 1,
    msg_size: input.payload.length, msg_vmpck: input.vmpckIndex,
  };
  const headerBytes = encodeLayout(MSG_HEADER, header);
  const cipher = createCipheriv('aes-256-gcm', input.vmpck, iv(input.seqno),
    { authTagLength: TAG_BYTES });
  cipher.setAAD(headerBytes.subarray(AAD_FROM));
  const ciphertext = concatBytes(cipher.update(input.payload), cipher.final());
  headerBytes.set(cipher.getAuthTag(), 0);
  assert(ciphertext.length === input.payload.length);
  return concatBytes(headerBytes, ciphertext);
}

export type Opened = Readonly<
  { ok: true; header: MsgHeader; payload: Uint8Array } | { ok: false; reason: string }
>;

/** Checks header shape and the tag under `vmpck`; never throws on hostile bytes. */
export function openGuestMessage(message: Uint8Array, vmpck: Uint8Array): Opened {
  assert(vmpck.length === 32, 'VMPCK is 32 bytes');
  if (message.length < MSG_HEADER.sizeBytes) {
    return { ok: false, reason: 'shorter than the header' };
  }
  let header: MsgHeader;
  try {
    header = decodeLayout(MSG_HEADER, message.subarray(0, MSG_HEADER.sizeBytes)).value;
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    return { ok: false, reason: 'reserved header bytes are not zero' };
  }
  if (header.algo !== 1 || header.hdr_version !== 1 || header.hdr_size !== MSG_HEADER.sizeBytes) {
    return { ok: false, reason: 'unsupported ALGO, HDR_VERSION or HDR_SIZE' };
  }
  if (header.msg_size !== message.length - MSG_HEADER.sizeBytes) {
    return { ok: false, reason: 'MSG_SIZE does not match' };
  }
  if (header.msg_vmpck > 3) return { ok: false, reason: 'MSG_VMPCK is not 0..3' };
  const decipher = createDecipheriv('aes-256-gcm', vmpck, iv(header.msg_seqno),
    { authTagLength: TAG_BYTES });
  decipher.setAAD(message.subarray(AAD_FROM, MSG_HEADER.sizeBytes));
  decipher.setAuthTag(message.subarray(0, TAG_BYTES));
  const ciphertext = decipher.update(message.subarray(MSG_HEADER.sizeBytes));
  let last: Uint8Array;
  try {
    last = decipher.final();
  } catch (error) {
    // node:crypto reports a failed GCM tag check only by throwing from final().
    if (!(error instanceof Error) || !/authenticate/.test(error.message)) throw error;
    return { ok: false, reason: 'AUTHTAG does not verify under this VMPCK' };
  }
  const payload = concatBytes(ciphertext, last);
  assert(payload.length === header.msg_size);
  return { ok: true, header, payload };
}

/** The firmware's per-VMPCK sequence counters: the last seqno it sent (0 before any exchange). */
export type ChannelState = Readonly<{ lastSeqno: readonly bigint[] }>;

export const NEW_CHANNEL: ChannelState = Object.freeze({
  lastSeqno: Object.freeze([0n, 0n, 0n, 0n]),
});

export type FirmwareMessageResult =
  | Readonly<{ ok: true; channel: ChannelState; response: Uint8Array }>
  | Readonly<{ ok: false; channel: ChannelState; reason: string }>;

/**
 * The firmware's side of one SNP_GUEST_REQUEST: open with the VMPCK the header names, check the
 * seqno, run MSG_REPORT_REQ or MSG_KEY_REQ, seal the response with seqno + 1.
 */
export function firmwareGuestRequest(firmware: FirmwareState, channel: ChannelState,
  context: GuestContext, message: Uint8Array): FirmwareMessageResult {
  const index = message.length > 0x3c ? message[0x3c]! : 0;
  const vmpckHex = context.vmpck[index];
  if (vmpckHex === undefined) return { ok: false, channel, reason: 'MSG_VMPCK is not 0..3' };
  const vmpck = hexBytes(vmpckHex);
  const opened = openGuestMessage(message, vmpck);
  if (!opened.ok) return { ok: false, channel, reason: opened.reason };
  const last = channel.lastSeqno[index]!;
  if (opened.header.msg_seqno !== last + 1n) {
    return {
      ok: false, channel, reason: `MSG_SEQNO ${opened.header.msg_seqno} is not ${last + 1n}`,
    };
  }
  let payload: Uint8Array;
  let msgType: number;
  try {
    if (opened.header.msg_type === MSG_TYPE.REPORT_REQ) {
      const request = decodeMsgReportReq(opened.payload);
      const answer = requestReport(firmware, { context, senderVmpl: index, request });
      payload = encodeMsgReportRsp({
        status: answer.status, report_size: 'value' in answer ? REPORT_BYTES : 0,
        report: 'value' in answer ? signReport(firmware, answer.value)
          : new Uint8Array(REPORT_BYTES),
      });
      msgType = MSG_TYPE.REPORT_RSP;
    } else if (opened.header.msg_type === MSG_TYPE.KEY_REQ) {
      const answer = requestDerivedKey(firmware, {
        context, senderVmpl: index, request: decodeMsgKeyReq(opened.payload),
      });
      payload = encodeMsgKeyRsp({
        status: answer.status,
        derived_key: 'derived_key' in answer ? answer.derived_key : new Uint8Array(32),
      });
      msgType = MSG_TYPE.KEY_RSP;
    } else {
      return { ok: false, channel, reason: `MSG_TYPE ${opened.header.msg_type} is not modelled` };
    }
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    return { ok: false, channel, reason: `malformed request payload: ${error.code}` };
  }
  const seqno = last + 2n;
  const lastSeqno = channel.lastSeqno.map((value, i) => (i === index ? seqno : value));
  const response = sealGuestMessage({ vmpck, vmpckIndex: index, seqno, msgType, payload });
  assert(lastSeqno[index] === opened.header.msg_seqno + 1n);
  return { ok: true, channel: Object.freeze({ lastSeqno: Object.freeze(lastSeqno) }), response };
}
