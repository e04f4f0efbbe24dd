/**
 * Goal: the SVN predicates give framework.rego's answers on the edges the case table of
 * fragment-svn.test.ts does not reach: equality across spellings (number, decimal string,
 * exponent, semver with build metadata), semver order on both sides, values that are neither a
 * number nor a semver, and the header texts.
 * Method: expected answers worked out by hand from svn_ok / svn_mismatch (spec (c)): to_number
 * when both sides are JSON numbers, semver.compare when both are semver, a number against a
 * semver is a mismatch; anything else is never ok.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  SVN_REASON, svnAtLeast, svnEqual, svnTypesDiffer,
} from '../../models/policy/fragment-svn.js';

const SUITE = 'policy/fragment-svn-edges';

test(`${SUITE}: the header reason texts are the spec's`, () => {
  assert.is(SVN_REASON.headerMismatch, 'svn in header does not match svn in fragment');
  assert.is(SVN_REASON.missing, 'missing fragment svn');
});

test(`${SUITE}: svnEqual: numbers by value, semvers by precedence, anything else by text`, () => {
  assert.ok(svnEqual(10, '1e1'));
  assert.ok(svnEqual('2.0', 2));
  assert.not.ok(svnEqual('2', '3'));
  assert.ok(svnEqual('1.0.0', '1.0.0+build'));
  assert.not.ok(svnEqual('1.0.0', '1.0.1'));
  assert.not.ok(svnEqual('1.0.0-rc.1', '1.0.0'));
  assert.not.ok(svnEqual('1.0.0', 1), 'a semver and a number are never equal');
  assert.not.ok(svnEqual(1, '1.0.0'));
  assert.ok(svnEqual('abc', 'abc'));
  assert.not.ok(svnEqual('abc', 'abd'));
});

test(`${SUITE}: svnAtLeast: semver against semver, number against number, both ways`, () => {
  assert.ok(svnAtLeast('2.0.0', '1.9.9'));
  assert.ok(svnAtLeast('1.0.0', '1.0.0+b'));
  assert.not.ok(svnAtLeast('1.9.9', '2.0.0'));
  assert.ok(svnAtLeast('1.5', '1'));
  assert.ok(svnAtLeast(0, 0));
  assert.ok(svnAtLeast('1e1', 9));
  assert.not.ok(svnAtLeast('-1', 0));
  assert.not.ok(svnAtLeast(1, 2));
  assert.not.ok(svnAtLeast('abc', 'abc'), 'neither a number nor a semver is never ok');
  assert.not.ok(svnAtLeast('1.0.0', 1));
  assert.not.ok(svnAtLeast(5, '1.0.0'));
});

test(`${SUITE}: svnTypesDiffer only for a number against a semver, in either order`, () => {
  assert.ok(svnTypesDiffer(1, '1.0.0'));
  assert.ok(svnTypesDiffer('1.0.0', '1'));
  assert.ok(svnTypesDiffer('1.0.0', 0));
  assert.not.ok(svnTypesDiffer('1', '2'));
  assert.not.ok(svnTypesDiffer('1.0.0', '2.0.0'));
  assert.not.ok(svnTypesDiffer('abc', '1.0.0'));
  assert.not.ok(svnTypesDiffer('1.0.0', 'abc'));
  assert.not.ok(svnTypesDiffer('abc', 1));
  assert.not.ok(svnTypesDiffer(1, 'abc'));
});

test.run();
