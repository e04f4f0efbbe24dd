/**
 * Goal: the first bad byte of policy bytes that are not UTF-8 is found where RFC 3629 puts it
 * also in runs the lead-byte table could misread (continuation bytes that cannot lead, 0xf5, a
 * lead followed by ASCII), a bad form the scan passes is reported at offset 0 with its byte as two
 * hex digits, and one leading byte-order mark (not a second) is dropped, not counted as a column.
 * Method: hand-made byte strings whose first bad byte is counted by hand from RFC 3629 section 4
 * (0x80..0xbf never lead, 0xc0/0xc1 and 0xf5..0xff never occur); the documented message
 * "<line>:<column>: not UTF-8 text (byte 0x<hh> at offset <n>); a policy is Rego or JSON text".
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importSecurityPolicy, loadSecurityPolicy } from '../../models/policy/load-policy.js';
import { failure } from '../support/failure.js';

function refusedAt(bytes: readonly number[], line: number, column: number, byte: string,
    offset: number): void {
  const error = failure(() => loadSecurityPolicy(new Uint8Array(bytes)));
  assert.is(error.message, `POLICY_PARSE: ${line}:${column}: not UTF-8 text (byte ${byte} at `
    + `offset ${offset}); a policy is Rego or JSON text`);
  assert.equal(error.detail, { line, column, offset, byte: parseInt(byte, 16) });
}

test('policy/bytes: a run of continuation bytes is bad at its first byte, whatever its length',
    () => {
  refusedAt([0x41, 0x80, 0x80, 0x80, 0x80], 1, 2, '0x80', 1);
  refusedAt([0x41, 0x0a, 0xbf, 0x80, 0x80], 2, 1, '0xbf', 2);
  refusedAt([0x41, 0xc1, 0x80, 0x80, 0x80], 1, 2, '0xc1', 1);
});

test('policy/bytes: 0xf5 and above never lead, even before three continuation bytes', () => {
  refusedAt([0x41, 0xf5, 0x80, 0x80, 0x80], 1, 2, '0xf5', 1);
  refusedAt([0x41, 0xff, 0x80, 0x80, 0x80], 1, 2, '0xff', 1);
});

test('policy/bytes: a lead byte followed by ASCII is bad at the lead', () => {
  refusedAt([0x41, 0xc3, 0x41], 1, 2, '0xc3', 1);
  refusedAt([0x41, 0xf0, 0x90, 0x41, 0x41], 1, 2, '0xf0', 1);
});

test('policy/bytes: an overlong form is reported at offset 0 with its first byte in two digits',
    () => {
  refusedAt([0x09, 0xe0, 0x80, 0x80], 1, 1, '0x09', 0);
  refusedAt([0x0a, 0xed, 0xa0, 0x80], 1, 1, '0x0a', 0);
});

test('policy/bytes: a byte-order mark is not a column of the first line', () => {
  const text = '\ufeffpackage policy 7\n';
  const error = failure(() => importSecurityPolicy(new TextEncoder().encode(text)));
  assert.is(error.message, "POLICY_PARSE: 1:16: unsupported Rego construct: unexpected '7' after "
    + 'a complete statement (operators, rule bodies and expressions are not supported)');
  const json = failure(() => importSecurityPolicy(new TextEncoder()
    .encode('\ufeff{"allow_all": 1}')));
  assert.is(json.message, 'POLICY_PARSE: 1:15: allow_all must be true or false, found number 1');
});

test('policy/bytes: only one byte-order mark is dropped; a second U+FEFF is a character', () => {
  for (const text of ['\ufeff\ufeffpackage policy\n', '\ufeff\ufeff{"allow_all": true}']) {
    const error = failure(() => importSecurityPolicy(new TextEncoder().encode(text)));
    assert.is(error.message, 'POLICY_PARSE: 1:1: unexpected character U+FEFF');
  }
});

test.run();
