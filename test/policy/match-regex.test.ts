/**
 * Goal: framework.rego's `anchor_pattern` and OPA's `regex.match` are modelled exactly: anchors
 * are added only where missing (by concatenation, so `a|b` keeps its alternation outside them),
 * unanchored matching is find (substring) semantics, answers do not depend on what was asked
 * before, and a pattern RE2 refuses is POLICY_BAD_REGEX for importers but a plain non-match for
 * the rules (OPA's non-strict builtin errors).
 * Method: expected strings and verdicts written by hand from the framework.rego definition
 * (`anchor_pattern(p) := concat("", ["^", p, "$"])` with the prefix/suffix tests) and Go RE2
 * semantics (find, no backreferences or lookaround).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode, SimError } from '../../sim/kernel/errors.js';
import {
  anchorPattern, checkRe2, compileRe2, re2Match,
} from '../../models/policy/match/regex.js';
import { regoRegexMatch } from '../../models/policy/match/rego-regex.js';

const SUITE = 'policy/match-regex';

test(`${SUITE}: anchor_pattern adds ^ and $ only where they are missing`, () => {
  assert.is(anchorPattern('abc'), '^abc$');
  assert.is(anchorPattern('^abc'), '^abc$');
  assert.is(anchorPattern('abc$'), '^abc$');
  assert.is(anchorPattern('^abc$'), '^abc$');
  assert.is(anchorPattern(''), '^$');
  assert.is(anchorPattern('a|b'), '^a|b$');
});

test(`${SUITE}: anchored matching needs the whole value; unanchored finds a substring`, () => {
  assert.ok(re2Match('PATH=.+', 'PATH=/usr/bin'));
  assert.not.ok(re2Match('PATH=.+', 'XPATH=/usr/bin'), 'anchored at the start');
  assert.not.ok(re2Match('PATH=/usr', 'PATH=/usr/bin'), 'anchored at the end');
  assert.ok(re2Match('PATH=/usr', 'XPATH=/usr/bin', false), 'find semantics without anchors');
  assert.not.ok(re2Match('PATH=/opt', 'PATH=/usr/bin', false));
  // The default is anchored.
  assert.not.ok(re2Match('b', 'abc'));
  assert.ok(re2Match('b', 'abc', false));
});

test(`${SUITE}: the alternation of a|b escapes the concatenated anchors, as in the framework`,
    () => {
  // ^a|b$ matches anything starting with a or ending with b.
  assert.ok(re2Match('a|b', 'axx'));
  assert.ok(re2Match('a|b', 'xxb'));
  assert.not.ok(re2Match('a|b', 'xbx'));
});

test(`${SUITE}: an answer does not depend on the questions asked before it`, () => {
  // The same value under both anchorings, and the same pattern on many values, in both orders.
  assert.not.ok(re2Match('b+', 'abbbc', true));
  assert.ok(re2Match('b+', 'abbbc', false));
  assert.not.ok(re2Match('b+', 'abbbc', true));
  assert.ok(re2Match('c+', 'xcx', false));
  assert.not.ok(re2Match('c+', 'xcx', true));
  for (let i = 0; i < 10_050; i++) re2Match('[0-9]+', `v${i}`, true);   // past the answer table
  assert.ok(re2Match('[0-9]+', '123'));
  assert.not.ok(re2Match('[0-9]+', 'v1'));
  assert.not.ok(re2Match('[0-9]+', 'v10049'));
});

test(`${SUITE}: a pattern RE2 refuses is POLICY_BAD_REGEX naming the pattern`, () => {
  for (const pattern of ['(a)\\1', '(?=a)b', '(?!a)b', '(?<=a)b', '(', 'a{2,1}', '[z-a]']) {
    assert.is(errorCode(() => checkRe2(pattern)), 'POLICY_BAD_REGEX', pattern);
    assert.is(errorCode(() => re2Match(pattern, 'a', false)), 'POLICY_BAD_REGEX', pattern);
  }
  try {
    compileRe2('(a)\\1');
    assert.unreachable('a backreference compiles');
  } catch (error) {
    assert.instance(error, SimError);
    const simError = error as SimError;
    assert.is(simError.code, 'POLICY_BAD_REGEX');
    assert.equal(simError.detail['pattern'], '(a)\\1');
    const cause = String(simError.detail['error']);
    assert.ok(cause.length > 0);
    assert.is(simError.message, `POLICY_BAD_REGEX: RE2 rejects pattern "(a)\\\\1": ${cause}`);
  }
});

test(`${SUITE}: checkRe2 accepts what RE2 compiles once anchored`, () => {
  for (const pattern of ['', '.*', '^x$', 'a|b', '[[:alpha:]]+', '\\d{1,3}', '(?i)abc']) {
    assert.is(errorCode(() => checkRe2(pattern)), undefined, pattern);
  }
});

test(`${SUITE}: a rule's regex.match on a refused pattern is undefined (no match), never a throw`,
    () => {
  for (const anchored of [true, false]) {
    assert.is(regoRegexMatch('(a)\\1', 'aa', anchored), false);
    assert.is(regoRegexMatch('(?=a)a', 'a', anchored), false);
  }
  assert.is(regoRegexMatch('a+', 'aaa', true), true);
  assert.is(regoRegexMatch('a+', 'baaab', true), false);
  assert.is(regoRegexMatch('a+', 'baaab', false), true);
});

test(`${SUITE}: a caller's bug (a pattern or value that is not a string) is not a refused regex`,
    () => {
  assert.throws(() => compileRe2(7 as unknown as string),
    (error: unknown) => error instanceof TypeError);
  assert.throws(() => regoRegexMatch('a', 7 as unknown as string, true),
    (error: unknown) => error instanceof TypeError);
  assert.throws(() => regoRegexMatch('a', undefined as unknown as string, false),
    (error: unknown) => error instanceof TypeError);
});

test.run();
