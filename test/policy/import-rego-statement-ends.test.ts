/**
 * Goal: a Rego statement ends only at a new line, a ';' or the end of the text: any other
 * punctuation after a complete statement is refused where it stands; `name = value` is read like
 * `name := value`; a text that starts with a name and ':' is not taken for an include file.
 * Method: short hand-written Rego texts; positions and messages written out by hand (counted in
 * the one-line texts below).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importSecurityPolicy } from '../../models/policy/load-policy.js';
import type { SecurityPolicy } from '../../models/policy/policy-model.js';
import { failure } from '../support/failure.js';

const load = (text: string): SecurityPolicy =>
  importSecurityPolicy(new TextEncoder().encode(text));

const AFTER = 'after a complete statement (operators, rule bodies and expressions are not '
  + 'supported)';

test('policy/rego-ends: punctuation other than ; after a statement is refused where it stands',
    () => {
  for (const [punct, column] of [[')', 41], [',', 41], [']', 41], ['.', 41]] as const) {
    const error = failure(() => load(`package policy; api_version := "0.10.0" ${punct} x := 1`));
    assert.is(error.message, `POLICY_PARSE: 1:${column}: unsupported Rego construct: unexpected `
      + `'${punct}' ${AFTER}`);
    assert.equal([error.detail['line'], error.detail['column']], [1, column]);
  }
  const afterPackage = failure(() => load('package policy )'));
  assert.is(afterPackage.message, `POLICY_PARSE: 1:16: unsupported Rego construct: unexpected `
    + `')' ${AFTER}`);
});

test('policy/rego-ends: ; ends a statement and name = value binds like :=', () => {
  const policy = load('package policy; api_version = "0.10.0"; allow_dump_stacks := true;');
  assert.is(policy.api_version, '0.10.0');
  assert.is(policy.flags.allow_dump_stacks, true);
});

test('policy/rego-ends: a name followed by : is a text without a package, not an include file',
    () => {
  const error = failure(() => load('containers: []'));
  assert.is(error.message, "POLICY_PARSE: 1:1: a Rego policy must start with 'package <name>', "
    + "found 'containers'");
  assert.is(error.code, 'POLICY_PARSE');
});

test.run();
