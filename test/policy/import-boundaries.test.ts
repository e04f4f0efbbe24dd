/**
 * Goal: edge positions of the importers' text checks hold: a raw string in the middle of a line
 * keeps the columns after it, base64 is whole-text base64 (not a base64 run inside other text),
 * a legacy layer is exactly 64 hex digits, and only a request's own capabilities field counts.
 * Method: hand-made inputs whose expected outcome is counted by hand; the base64 alphabet is
 * RFC 4648's.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tokenize } from '../../models/policy/policy-syntax.js';
import { decodePolicyBytes, importSecurityPolicy } from '../../models/policy/load-policy.js';
import { InputReader } from '../../models/policy/input-shapes.js';
import { failure } from '../support/failure.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

test('policy/boundaries: a one-line raw string mid-line leaves the next columns as they are', () => {
  assert.equal(tokenize('x `ab` y', 'rego').map((t) => `${t.text}@${t.pos.line}:${t.pos.column}`),
    ['x@1:1', '`ab`@1:3', 'y@1:8', '@1:9']);
  assert.equal(tokenize('x `a\nb\nc` y', 'rego').map((t) => `${t.pos.line}:${t.pos.column}`),
    ['1:1', '1:3', '3:4', '3:5']);
});

test('policy/boundaries: base64 must be the whole text, in the RFC 4648 alphabet', () => {
  for (const text of ['!bcd', 'abc!', 'ab!d', 'a===', '=abc', '-_ab', 'ab\tc']) {
    assert.equal(decodePolicyBytes(enc(text)), { bytes: enc(text), encoding: 'raw' }, text);
  }
  assert.equal(decodePolicyBytes(enc('Zm9v')).bytes, enc('foo'));
  assert.equal(decodePolicyBytes(enc('Zm8=')).bytes, enc('fo'));
});

test('policy/boundaries: a legacy layer is exactly 64 hex digits, no more, no less', () => {
  const layer = '7d'.repeat(32);
  const legacy = (value: string): string => '{"allow_all": false, "containers": {"length": 1, '
    + '"elements": {"0": {"command": {"length": 1, "elements": {"0": "a"}}, "env_rules": '
    + '{"length": 0, "elements": {}}, "layers": {"length": 1, "elements": {"0": "'
    + `${value}"}}, "working_dir": "/"}}}}`;
  assert.equal(importSecurityPolicy(enc(legacy(layer))).containers[0]!.layers, [layer]);
  for (const value of [`${layer}0`, `x${layer}`, `${layer}x`, layer.slice(1)]) {
    const error = failure(() => importSecurityPolicy(enc(legacy(value))));
    assert.is(error.code, 'POLICY_PARSE', value);
    assert.ok(error.message.endsWith(`containers.elements.0.layers: "${value}" is not a 64-hex `
      + 'dm-verity root hash'), error.message);
  }
  const sidecar = (value: string): string => '{"allow_all": false, "containers": {"num": 1, '
    + `"c": {"command": "a", "layers": {"num": 1, "l0": "${value}"}}}}`;
  assert.equal(importSecurityPolicy(enc(sidecar(layer))).containers[0]!.layers, [layer]);
  assert.is(failure(() => importSecurityPolicy(enc(sidecar(`${layer}0`)))).code, 'POLICY_PARSE');
  assert.is(failure(() => importSecurityPolicy(enc(sidecar(`0${layer}`)))).code, 'POLICY_PARSE');
});

test('policy/boundaries: an inherited capabilities field is absent, not the request\'s', () => {
  const reader = new InputReader('create_container',
    Object.create({ capabilities: { bounding: ['CAP_SYS_ADMIN'] } }) as object);
  assert.is(reader.capabilities(), undefined);
  assert.equal(reader.absent, ['capabilities']);
});

test.run();
