/**
 * Goal: the policy-syntax tests' two helpers: parse one Rego value, and assert a POLICY_PARSE
 * error by its position and message.
 */
import * as assert from 'uvu/assert';
import {
  TokenStream, parseValue, tokenize, type ValueNode,
} from '../../models/policy/policy-syntax.js';
import { failure } from '../support/failure.js';

export function rego(text: string): ValueNode {
  return parseValue(new TokenStream(tokenize(text, 'rego'), 'rego'));
}

export function parseError(run: () => unknown, line: number, column: number,
    message: string): void {
  const error = failure(run);
  assert.is(error.code, 'POLICY_PARSE');
  assert.is(error.message, `POLICY_PARSE: ${line}:${column}: ${message}`);
  assert.equal(error.detail, { line, column });
}
