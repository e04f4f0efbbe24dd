/**
 * Goal: the extended-report certificate table (GHCB 56421, spec snp.md b.4) is byte-exact and
 * the firmware answers a too-small buffer with INVALID_LEN and the page count.
 * Method: round trips; GUID bytes checked against the spec's printed GUIDs; hostile tables.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { snpStream, rootOf, guestStream } from '../support/snp.js';
import { toHex, viewOf } from '../../sim/kernel/bytes.js';
import { errorCode } from '../../sim/kernel/errors.js';
import {
  CERT_GUID, certKindOf, decodeCertTable, encodeCertTable, guidFromBytes, guidToBytes,
} from '../../models/snp/cert-table.js';
import { createFirmware, requestExtendedReport } from '../../models/snp/firmware.js';
import { guestContextFromFields } from '../../models/snp/guest-context-fields.js';
import { createPlatform } from '../../models/snp/platform.js';

const SUITE = 'snp/cert-table';
const der = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const entries = [
  { guid: CERT_GUID.vcek, data: der(1360, 0x30) },
  { guid: CERT_GUID.ask, data: der(1600, 0x31) },
  { guid: CERT_GUID.ark, data: der(1630, 0x32) },
];

test(`${SUITE}: decode(encode(entries)) = entries`, () => {
  const blob = encodeCertTable(entries);
  assert.equal(
    decodeCertTable(blob).map((e) => [e.guid, toHex(e.data)]),
    entries.map((e) => [e.guid, toHex(e.data)]),
  );
  assert.is(blob.length, 4 * 24 + 1360 + 1600 + 1630);
});

test(`${SUITE}: GUIDs are stored in RFC-4122 printed (big-endian) byte order`, () => {
  const blob = encodeCertTable(entries);
  assert.is(toHex(blob.subarray(0, 16)), '63da758de6644564adc5f4b93be8accd');
  assert.is(guidFromBytes(guidToBytes(CERT_GUID.crl)), '92f81bc3-5811-4d3d-97ff-d19f88dc67ea');
  assert.is(certKindOf('C0B406A4-A803-4952-9743-3FB6014CD0AE'), 'ark');
});

test(`${SUITE}: offsets count from the blob start and the table ends with a zero entry`, () => {
  const blob = encodeCertTable(entries);
  const view = viewOf(blob);
  assert.is(view.getUint32(16, true), 96);
  assert.is(view.getUint32(20, true), 1360);
  assert.is(view.getUint32(24 + 16, true), 96 + 1360);
  assert.ok(blob.subarray(72, 96).every((b) => b === 0));
});

test(`${SUITE}: page padding after the certificates is accepted`, () => {
  const blob = encodeCertTable(entries);
  const padded = new Uint8Array(8192);
  padded.set(blob);
  assert.is(decodeCertTable(padded).length, 3);
});

test(`${SUITE}: a table without its zero terminator is SNP_BAD_FIELD`, () => {
  const blob = encodeCertTable([{ guid: CERT_GUID.vcek, data: der(10, 1) }]);
  const noEnd = blob.slice(0, 24);
  assert.is(errorCode(() => decodeCertTable(noEnd)), 'SNP_BAD_FIELD');
});

test(`${SUITE}: an entry pointing past the end or into the table is SNP_BAD_FIELD`, () => {
  const blob = encodeCertTable(entries);
  const past = blob.slice();
  viewOf(past).setUint32(20, 1_000_000, true);
  assert.is(errorCode(() => decodeCertTable(past)), 'SNP_BAD_FIELD');
  const into = blob.slice();
  viewOf(into).setUint32(16, 8, true);
  assert.is(errorCode(() => decodeCertTable(into)), 'SNP_BAD_FIELD');
  assert.is(errorCode(() => decodeCertTable(new Uint8Array(10))), 'SNP_BAD_LENGTH');
});

const platform = createPlatform({ rng: snpStream(31), product: 'Genoa' });
const firmware = createFirmware(rootOf(31), platform);
const context = guestContextFromFields({ rng: guestStream(31), launchTcb: platform.current_tcb });
const request = { report_data: new Uint8Array(64), vmpl: 0, key_sel: 0 };

test(
  `${SUITE}: a one-page buffer for a 4.7 KiB table gets INVALID_LEN and 2 required pages`,
  () => {
    const answer = requestExtendedReport(firmware, {
      context, senderVmpl: 0, request, certs: entries, certsBufferBytes: 4096,
    });
    assert.is(answer.vmmError, 1);
    assert.is(
      'requiredPages' in answer ? answer.requiredPages : -1,
      Math.ceil((4 * 24 + 1360 + 1600 + 1630) / 4096),
    );
  },
);

test(`${SUITE}: a large enough buffer gets the report and the table`, () => {
  const answer = requestExtendedReport(firmware, {
    context, senderVmpl: 0, request, certs: entries, certsBufferBytes: 8192,
  });
  assert.is(answer.vmmError, 0);
  if (answer.vmmError !== 0) return;
  assert.is(answer.response.statusName, 'SUCCESS');
  assert.is(decodeCertTable(answer.certTable).length, 3);
});

test(`${SUITE}: a buffer length that is not whole pages is SNP_BAD_FIELD`, () => {
  assert.is(errorCode(() => requestExtendedReport(firmware, {
    context, senderVmpl: 0, request, certs: entries, certsBufferBytes: 5000,
  })), 'SNP_BAD_FIELD');
});

test.run();
