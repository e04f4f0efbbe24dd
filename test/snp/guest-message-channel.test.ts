/**
 * Goal: the encrypted guest-message channel (spec snp.md b.1) authenticates, orders and answers.
 * Method: a guest seals MSG_REPORT_REQ / MSG_KEY_REQ under its VMPCK; the firmware answers; we
 * tamper with bytes, keys and sequence numbers and check each is refused without a state change.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { snpStream, rootOf, guestStream } from '../support/snp.js';
import { hexBytes, toHex } from '../../sim/kernel/bytes.js';
import { decodeAttestationReport } from '../../models/snp/attestation-report.js';
import { createFirmware } from '../../models/snp/firmware.js';
import { guestContextFromFields } from '../../models/snp/guest-context-fields.js';
import {
  firmwareGuestRequest, NEW_CHANNEL, openGuestMessage, sealGuestMessage,
} from '../../models/snp/guest-message-channel.js';
import {
  decodeMsgKeyRsp, decodeMsgReportRsp, encodeMsgKeyReq, encodeMsgReportReq, MSG_TYPE,
} from '../../models/snp/guest-messages.js';
import { createPlatform } from '../../models/snp/platform.js';

const SUITE = 'snp/guest-message-channel';
const platform = createPlatform({ rng: snpStream(41), product: 'Milan' });
const firmware = createFirmware(rootOf(41), platform);
const context = guestContextFromFields({ rng: guestStream(41), launchTcb: platform.current_tcb });
const reportData = new Uint8Array(64).fill(0x42);

function reportRequest(seqno: bigint, vmpckIndex = 0, vmpl = vmpckIndex) {
  return sealGuestMessage({
    vmpck: hexBytes(context.vmpck[vmpckIndex]!), vmpckIndex, seqno, msgType: MSG_TYPE.REPORT_REQ,
    payload: encodeMsgReportReq({ report_data: reportData, vmpl, key_sel: 0 }),
  });
}

test(
  `${SUITE}: a sealed MSG_REPORT_REQ gets a MSG_REPORT_RSP with seqno + 1 carrying the report`,
  () => {
    const result = firmwareGuestRequest(firmware, NEW_CHANNEL, context, reportRequest(1n));
    assert.ok(result.ok);
    if (!result.ok) return;
    const opened = openGuestMessage(result.response, hexBytes(context.vmpck[0]!));
    assert.ok(opened.ok);
    if (!opened.ok) return;
    assert.is(opened.header.msg_seqno, 2n);
    assert.is(opened.header.msg_type, MSG_TYPE.REPORT_RSP);
    const rsp = decodeMsgReportRsp(opened.payload);
    assert.is(rsp.status, 0);
    assert.is(toHex(decodeAttestationReport(rsp.report).report_data), toHex(reportData));
    assert.equal(result.channel.lastSeqno, [2n, 0n, 0n, 0n]);
  },
);

test(`${SUITE}: the next request must use seqno 3; a replay of seqno 1 is refused`, () => {
  const first = firmwareGuestRequest(firmware, NEW_CHANNEL, context, reportRequest(1n));
  assert.ok(first.ok);
  const replay = firmwareGuestRequest(firmware, first.channel, context, reportRequest(1n));
  assert.not.ok(replay.ok);
  assert.is(replay.channel, first.channel, 'no state change');
  assert.ok(firmwareGuestRequest(firmware, first.channel, context, reportRequest(3n)).ok);
});

test(`${SUITE}: a flipped ciphertext or header byte fails authentication`, () => {
  for (const at of [0x31 - 1, 0x34, 0x70]) {
    const message = reportRequest(1n);
    message[at]! ^= 1;
    const result = firmwareGuestRequest(firmware, NEW_CHANNEL, context, message);
    assert.not.ok(result.ok, `byte 0x${at.toString(16)}`);
  }
});

test(`${SUITE}: a message sealed with another VMPCK than its header names is refused`, () => {
  const message = sealGuestMessage({
    vmpck: hexBytes(context.vmpck[1]!), vmpckIndex: 0, seqno: 1n, msgType: MSG_TYPE.REPORT_REQ,
    payload: encodeMsgReportReq({ report_data: reportData, vmpl: 0, key_sel: 0 }),
  });
  assert.not.ok(firmwareGuestRequest(firmware, NEW_CHANNEL, context, message).ok);
  assert.not.ok(openGuestMessage(message, hexBytes(context.vmpck[0]!)).ok);
});

test(
  `${SUITE}: VMPCK2 (a VMPL2 sender) asking for a VMPL0 report gets ` +
    `status INVALID_PARAM inside the response`,
  () => {
    const result = firmwareGuestRequest(firmware, NEW_CHANNEL, context, reportRequest(1n, 2, 0));
    assert.ok(result.ok);
    if (!result.ok) return;
    const opened = openGuestMessage(result.response, hexBytes(context.vmpck[2]!));
    assert.ok(opened.ok && decodeMsgReportRsp(opened.payload).status === 0x16);
  },
);

test(`${SUITE}: MSG_KEY_REQ over the channel gives the same key as the direct call, twice`, () => {
  const payload = encodeMsgKeyReq({ key_select: 0, guest_field_select: 0x8n, vmpl: 0, guest_svn: 0,
    tcb_version: 0n, launch_mit_vector: 0n });
  const seal = (seqno: bigint) => sealGuestMessage({
    vmpck: hexBytes(context.vmpck[0]!), vmpckIndex: 0, seqno, msgType: MSG_TYPE.KEY_REQ, payload,
  });
  const a = firmwareGuestRequest(firmware, NEW_CHANNEL, context, seal(1n));
  assert.ok(a.ok);
  if (!a.ok) return;
  const b = firmwareGuestRequest(firmware, a.channel, context, seal(3n));
  assert.ok(b.ok);
  if (!b.ok) return;
  const keyOf = (bytes: Uint8Array) => {
    const opened = openGuestMessage(bytes, hexBytes(context.vmpck[0]!));
    assert.ok(opened.ok);
    return opened.ok ? decodeMsgKeyRsp(opened.payload) : undefined;
  };
  assert.is(keyOf(a.response)?.status, 0);
  assert.is(toHex(keyOf(a.response)!.derived_key), toHex(keyOf(b.response)!.derived_key));
});

test.run();
