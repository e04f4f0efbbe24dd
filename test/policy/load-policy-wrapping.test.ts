/**
 * Goal: policy loading (models/policy/load-policy.ts) unwraps base64 and ARM templates exactly as
 * the GCS and az confcom do, binds the digest to the decoded bytes, tells the policy kinds apart
 * from the bytes, and reports non-UTF-8 bytes at the first bad byte.
 * Method: hand-made inputs: base64 written with Node's own encoder (an independent
 * implementation), SHA-256 of "abc" from FIPS 180-2, UTF-8 boundaries from RFC 3629 (the offset
 * of the first bad byte counted by hand), ARM templates written here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decodePolicyBytes, decodeUtf8, importSecurityPolicy, loadSecurityPolicy, securityPolicyDigestHex,
} from '../../models/policy/load-policy.js';
import { failure } from '../support/failure.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const REGO = 'package policy\napi_version := "0.10.0"\nallow_dump_stacks := true\n';

test('policy/load: the digest is SHA-256 in lower-case hex (FIPS 180-2 "abc")', () => {
  assert.is(securityPolicyDigestHex(enc('abc')),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.is(securityPolicyDigestHex(new Uint8Array()),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('policy/load: raw Rego is hashed as given', () => {
  const bytes = enc(REGO);
  const loaded = loadSecurityPolicy(bytes);
  assert.is(loaded.encoding, 'raw');
  assert.is(loaded.bytes, bytes);
  assert.is(loaded.digestHex, securityPolicyDigestHex(bytes));
  assert.is(loaded.policy.flags.allow_dump_stacks, true);
});

test('policy/load: base64 text is decoded, also with line breaks, spaces around and a BOM', () => {
  for (const wrap of [(s: string) => s, (s: string) => ` \n${s}\r\n`,
    (s: string) => s.replace(/(.{16})/g, '$1\r\n'), (s: string) => `\ufeff${s}`]) {
    const decoded = decodePolicyBytes(enc(wrap(b64(REGO))));
    assert.is(decoded.encoding, 'base64');
    assert.equal(decoded.bytes, enc(REGO));
  }
  const loaded = loadSecurityPolicy(enc(b64(REGO)));
  assert.is(loaded.digestHex, securityPolicyDigestHex(enc(REGO)));
  assert.is(loaded.encoding, 'base64');
  assert.equal(decodePolicyBytes(enc(b64('ab'))).bytes, enc('ab'));   // "YWI=": one pad
  assert.equal(decodePolicyBytes(enc(b64('a'))).bytes, enc('a'));     // "YQ==": two pads
});

test('policy/load: text that is not whole base64 quads stays raw', () => {
  for (const text of ['abc', 'abcde', 'ab=c', 'a/+b=', 'abcd===', 'ab cd', 'YQ=']) {
    const decoded = decodePolicyBytes(enc(text));
    assert.is(decoded.encoding, 'raw', text);
    assert.equal(decoded.bytes, enc(text));
  }
  assert.is(decodePolicyBytes(enc('abcd')).encoding, 'base64');
  assert.is(decodePolicyBytes(enc('a+/b')).encoding, 'base64');
  assert.is(decodePolicyBytes(enc('AZaz09+/')).encoding, 'base64');
});

test('policy/load: base64 with non-zero padding bits is not canonical and is refused', () => {
  const error = failure(() => decodePolicyBytes(enc('QR==')));
  assert.is(error.message, 'POLICY_PARSE: 1:1: the input is not canonical standard base64');
  assert.equal(error.detail, { line: 1, column: 1, what: 'the input' });
});

test('policy/load: bytes that are not UTF-8 are hashed raw and refused at the first bad byte',
    () => {
  const bytes = new Uint8Array([0x61, 0x0a, 0x62, 0x63, 0xff, 0x64]);
  assert.equal(decodePolicyBytes(bytes), { bytes, encoding: 'raw' });
  const error = failure(() => loadSecurityPolicy(bytes));
  assert.is(error.message, 'POLICY_PARSE: 2:3: not UTF-8 text (byte 0xff at offset 4); a policy '
    + 'is Rego or JSON text');
  assert.equal(error.detail, { line: 2, column: 3, offset: 4, byte: 0xff });
  const low = failure(() => decodeUtf8(new Uint8Array([0x80])));
  assert.is(low.message, 'POLICY_PARSE: 1:1: not UTF-8 text (byte 0x80 at offset 0); a policy is '
    + 'Rego or JSON text');
});

test('policy/load: the first bad byte is found at every UTF-8 lead-byte boundary (RFC 3629)', () => {
  const cases: ReadonlyArray<readonly [readonly number[], number]> = [
    [[0x7f, 0x80], 1],                  // 0x7f is ASCII; 0x80 cannot lead
    [[0xc1, 0x81], 0],                  // 0xc0/0xc1 only lead overlong forms
    [[0xc2, 0xa0, 0xff], 2],            // 0xc2: 2-byte lead
    [[0xdf, 0xbf, 0xff], 2],            // 0xdf: last 2-byte lead
    [[0xe0, 0xa0, 0x80, 0xff], 3],      // 0xe0: 3-byte lead
    [[0xef, 0xbf, 0xbd, 0xff], 3],      // 0xef: last 3-byte lead
    [[0xf0, 0x90, 0x80, 0x80, 0xff], 4],  // 0xf0: 4-byte lead
    [[0xf4, 0x8f, 0xbf, 0xbf, 0xff], 4],  // 0xf4: last 4-byte lead
    [[0x41, 0xf5, 0x80], 1],            // 0xf5 never leads
    [[0x41, 0xc3], 1],                  // a 2-byte sequence cut by the end
    [[0xe2, 0x82, 0x41], 0],            // a 3-byte sequence whose third byte is ASCII
    [[0xe2, 0x41, 0x82], 0],            // whose second byte is ASCII
    [[0x41, 0xc3, 0xc3, 0xa9], 1],      // a lead where a continuation belongs
    [[0xe0, 0x80, 0x80], 0],            // overlong 3-byte form: found by the decoder; offset 0
    [[0x41, 0xed, 0xa0, 0x80], 0],      // a surrogate: likewise reported at offset 0
  ];
  for (const [bytes, offset] of cases) {
    const error = failure(() => decodeUtf8(new Uint8Array(bytes)));
    assert.is(error.detail['offset'], offset, bytes.map((b) => b.toString(16)).join(' '));
    assert.is(error.detail['byte'], bytes[offset]);
  }
  assert.is(decodeUtf8(new Uint8Array([0xc3, 0xa9, 0xe2, 0x82, 0xac])), '\u00e9\u20ac');
});

test('policy/load: the position of a bad byte counts characters, not bytes', () => {
  const error = failure(() => decodeUtf8(new Uint8Array([0x0a, 0xc3, 0xa9, 0x78, 0xfe])));
  assert.equal([error.detail['line'], error.detail['column'], error.detail['offset']], [2, 3, 4]);
});

function arm(policy: string, extra = ''): string {
  return `{\n "$schema": "https://schema.management.azure.com/",\n "resources": [{"properties": `
    + `{"confidentialComputeProperties": {"ccePolicy": ${policy}}}}]${extra}\n}`;
}

test('policy/load: an ARM template is unwrapped to the base64 in its ccePolicy', () => {
  const decoded = decodePolicyBytes(enc(arm(JSON.stringify(b64(REGO)))));
  assert.is(decoded.encoding, 'arm-template');
  assert.equal(decoded.bytes, enc(REGO));
  const spaced = b64(REGO).replace(/(.{20})/g, '$1 \\n');
  assert.equal(decodePolicyBytes(enc(arm(`"${spaced}"`))).bytes, enc(REGO));
  const loaded = loadSecurityPolicy(enc(`\ufeff${arm(JSON.stringify(b64(REGO)))}`));
  assert.is(loaded.encoding, 'arm-template');
  assert.is(loaded.digestHex, securityPolicyDigestHex(enc(REGO)));
  const schemaOnly = `{"$schema": "x", "p": [[{"ccePolicy": "${b64(REGO)}"}]]}`;
  assert.equal(decodePolicyBytes(enc(schemaOnly)).bytes, enc(REGO));
  const resourcesOnly = `{"resources": {"ccePolicy": "${b64(REGO)}"}}`;
  assert.equal(decodePolicyBytes(enc(resourcesOnly)).bytes, enc(REGO));
  const twice = arm(`"${b64(REGO)}"`, `, "copy": {"ccePolicy": "${b64(REGO)}"}`);
  assert.equal(decodePolicyBytes(enc(twice)).bytes, enc(REGO));
});

test('policy/load: JSON that is not an ARM template stays raw', () => {
  const legacy = '{"allow_all": true}';
  assert.equal(decodePolicyBytes(enc(legacy)), { bytes: enc(legacy), encoding: 'raw' });
  assert.is(loadSecurityPolicy(enc(legacy)).policy.allow_all, true);
});

test('policy/load: an unusable ccePolicy is refused with its place and reason', () => {
  const none = failure(() => decodePolicyBytes(enc('{"resources": []}')));
  assert.is(none.message, 'POLICY_PARSE: 1:1: an ARM template without a ccePolicy '
    + '(resources[].properties.confidentialComputeProperties.ccePolicy)');
  const number = failure(() => decodePolicyBytes(enc(arm('5'))));
  assert.is(number.message, 'POLICY_PARSE: 3:79: ccePolicy must be a string');
  const empty = failure(() => decodePolicyBytes(enc(arm('""'))));
  assert.is(empty.code, 'POLICY_UNSUPPORTED');
  assert.is(empty.message, 'POLICY_UNSUPPORTED: 3:79: ccePolicy is empty; generate the policy '
    + '(az confcom acipolicygen) first');
  assert.equal(empty.detail, { line: 3, column: 79, construct: 'unresolved ccePolicy' });
  const expression = `[parameters('${'p'.repeat(60)}')]`;
  const unresolved = failure(() => decodePolicyBytes(enc(arm(JSON.stringify(expression)))));
  assert.is(unresolved.message, `POLICY_UNSUPPORTED: 3:79: ccePolicy is an ARM expression `
    + `${expression.slice(0, 60)}; generate the policy (az confcom acipolicygen) first`);
  const two = failure(() => decodePolicyBytes(enc(arm('"YQ=="', ',\n "x": {"ccePolicy": '
    + '"Yg=="}'))));
  assert.is(two.message, 'POLICY_UNSUPPORTED: 4:21: the template holds 2 different ccePolicy '
    + 'values; pass one policy');
  assert.equal(two.detail, { line: 4, column: 21, construct: 'several ccePolicy values' });
  const bad = failure(() => decodePolicyBytes(enc(arm('"not base64!"'))));
  assert.is(bad.message, 'POLICY_PARSE: 1:1: ccePolicy at 3:79 is not standard base64');
  assert.equal(bad.detail, { line: 1, column: 1, what: 'ccePolicy at 3:79' });
});

test('policy/load: importing tells Rego from JSON by the first character', () => {
  assert.is(importSecurityPolicy(enc(`\ufeff  \n${REGO}`)).format, 'rego');
  assert.is(importSecurityPolicy(enc('\ufeff {"allow_all": false}')).format, 'legacy-json');
  const array = failure(() => importSecurityPolicy(enc('  [1]')));
  assert.is(array.message, 'POLICY_PARSE: 1:3: a JSON policy is an object; this JSON document is '
    + 'not a policy');
  const template = failure(() => importSecurityPolicy(enc('{"a": "@@X@@"}')));
  assert.is(template.code, 'POLICY_UNSUPPORTED');
  assert.equal([template.detail['line'], template.detail['column']], [1, 8]);
  const nested = failure(() => importSecurityPolicy(enc(' \n {"resources": []}')));
  assert.is(nested.message, 'POLICY_UNSUPPORTED: 2:2: an ARM template inside a ccePolicy is not '
    + 'a policy');
  assert.equal(nested.detail, { line: 2, column: 2, construct: 'nested template' });
  assert.is(failure(() => importSecurityPolicy(enc('{"$schema": 1}'))).code,
    'POLICY_UNSUPPORTED');
  const other = failure(() => importSecurityPolicy(enc('{"a": 1}')));
  assert.is(other.message, 'POLICY_PARSE: 1:1: a JSON document that is none of: a legacy JSON '
    + 'policy ({"allow_all", "containers"}), an ARM template with a ccePolicy, parma-sim native '
    + 'JSON (`policy show` output)');
});

test.run();
