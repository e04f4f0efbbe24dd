/**
 * Models: OPA's `regex.match` as the GCS runs it, with non-strict builtin errors: a pattern that
 * does not compile makes the expression undefined, so the clause that uses it fails (it is not
 * an error of the query).
 * Real counterpart: OPA regex.match (Go regexp, RE2 syntax, find semantics) without
 *   StrictBuiltinErrors, as hcsshim's interpreter configures it.
 * Differs: nothing deliberate; RE2 via re2js (match/regex.ts).
 * Invariants: never throws for any pattern text; a pattern RE2 rejects matches nothing.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { SimError } from '../../../sim/kernel/errors.js';
import { re2Match } from './regex.js';

/**
 * regex.match(anchor_pattern(pattern), value) when `anchored`, else regex.match(pattern, value);
 * false (undefined in Rego) when the pattern does not compile.
 */
export function regoRegexMatch(pattern: string, value: string, anchored: boolean): boolean {
  assert(typeof pattern === 'string');
  try {
    return re2Match(pattern, value, anchored);
  } catch (error) {
    // Only a pattern RE2 rejects (re2Match's one SimError) is an undefined expression; anything
    // else, such as a TypeError for a value that is not a string, is our bug.
    if (!(error instanceof SimError)) throw error;
    assert(error.code === 'POLICY_BAD_REGEX', 're2Match refuses only patterns');
    return false;
  }
}
