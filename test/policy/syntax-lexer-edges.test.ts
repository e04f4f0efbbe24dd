/**
 * Goal: the edges of the policy lexer and value parser (models/policy/policy-syntax.ts) that the
 * main lexer suite leaves open: a number or a placeholder is recognised only where it starts,
 * `:=` needs its colon, every non-string token's value is its text (eof's is empty), and in Rego
 * a token that starts no value is refused as such, not read as a reference.
 * Method: hand-written texts; positions counted by hand in the text (noted next to each case);
 * expected messages are the documented wording.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  nodeToJson, tokenize,
} from '../../models/policy/policy-syntax.js';
import { failure } from '../support/failure.js';
import { parseError, rego } from './syntax-support.js';

const SUITE = 'policy/syntax-lexer-edges';

test(`${SUITE}: a minus followed by anything but a digit starts no number, even when a digit `
    + 'comes later', () => {
  // '[' at 1:1, '-' at 1:2, the digit at 1:4.
  parseError(() => tokenize('[- 1]', 'json'), 1, 2, "'-' does not start a number");
  parseError(() => tokenize('x = -y7', 'rego'), 1, 5, "'-' does not start a number");
});

test(`${SUITE}: a placeholder must start at the '@@': '@@ @@A@@' is a stray '@'`, () => {
  parseError(() => tokenize('@@ @@A@@', 'rego'), 1, 1, "unexpected character '@'");
  parseError(() => tokenize('[1, @x@@B@@]', 'json'), 1, 5, "unexpected character '@'");
});

test(`${SUITE}: '==' is two equals tokens in Rego: only a colon before '=' makes ':='`, () => {
  assert.equal(tokenize('a == b', 'rego').map((t) => `${t.kind}:${t.text}@${t.pos.column}`),
    ['ident:a@1', 'punct:=@3', 'punct:=@4', 'ident:b@6', 'eof:@7']);
  assert.equal(tokenize('.=', 'rego').map((t) => t.text), ['.', '=', '']);
});

test(`${SUITE}: the value of a name, number, punctuation or placeholder token is its text; `
    + "eof's is empty", () => {
  const tokens = tokenize('x := [-1.5e3, @@P@@]', 'rego');
  assert.equal(tokens.map((t) => [t.kind, t.text, t.value]), [
    ['ident', 'x', 'x'], ['punct', ':=', ':='], ['punct', '[', '['],
    ['number', '-1.5e3', '-1.5e3'], ['punct', ',', ','],
    ['placeholder', '@@P@@', '@@P@@'], ['punct', ']', ']'], ['eof', '', ''],
  ]);
  assert.equal(tokenize('', 'json').map((t) => [t.kind, t.value]), [['eof', '']]);
});

test(`${SUITE}: in Rego a punctuation, a placeholder or the end where a value belongs is refused `
    + 'as no value', () => {
  parseError(() => rego(']'), 1, 1, "expected a value, found ']'");
  parseError(() => rego('\n  )'), 2, 3, "expected a value, found ')'");
  parseError(() => rego(''), 1, 1, 'expected a value, found the end of the input');
  parseError(() => rego('[1, :]'), 1, 5, "expected a value, found ':'");
  const template = failure(() => rego('@@V@@'));
  assert.is(template.code, 'POLICY_UNSUPPORTED');
  assert.is(template.message, 'POLICY_UNSUPPORTED: 1:1: this is a template, not a policy: '
    + 'placeholder @@V@@ must be substituted before use');
});

test(`${SUITE}: booleans, numbers and strings are their own plain data`, () => {
  assert.equal(nodeToJson(rego('[true, false, 0, -2.5, "s", `r`, null]')),
    [true, false, 0, -2.5, 's', 'r', null]);
  assert.is(nodeToJson(rego('false')), false);
  assert.is(nodeToJson(rego('7')), 7);
});

test.run();
