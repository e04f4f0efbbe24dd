/**
 * Goal: the policy model's one semver implementation behaves as OPA's `semver.is_valid`,
 * `semver.compare` and `to_number` do, on the edges framework.rego reaches: validity (SemVer 2.0.0
 * sections 2, 9, 10), precedence (section 11, every sub-rule), and the JSON number grammar.
 * Method: expected values are written by hand from the SemVer 2.0.0 text and RFC 8259 section 6
 * (the JSON number grammar OPA's to_number parses), never computed by the code under test. Each
 * precedence pair is checked both ways, so a comparison that ignores its sign fails.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareSemver, isSemver, toNumber } from '../../models/policy/match/semver.js';

const SUITE = 'policy/match-semver';

test(`${SUITE}: versions of SemVer 2.0.0 sections 2, 9 and 10 are valid`, () => {
  for (const version of ['0.0.0', '1.2.3', '10.20.30', '1.0.0-alpha', '1.0.0-alpha.1',
    '1.0.0-0.3.7', '1.0.0-x.7.z.92', '1.0.0-x-y-z.--', '1.0.0-alpha+001',
    '1.0.0+20130313144700', '1.0.0-beta+exp.sha.5114f85', '1.0.0+21AF26D3----117B344092BD',
    '1.0.0-0a', '1.0.0-a0']) {
    assert.ok(isSemver(version), version);
  }
});

test(`${SUITE}: leading zeros, missing parts, empty identifiers and non-strings are invalid`,
    () => {
  for (const version of ['01.2.3', '1.02.3', '1.2.03', '1.2', '1', '1.2.3.4', 'v1.2.3', ' 1.2.3',
    '1.2.3 ', '1.2.3-', '1.2.3-01', '1.2.3-a..b', '1.2.3+', '1.2.3+a..b', '1.2.3-a_b', '',
    'x1.2.3', '1.2.3x', 'a.b.c', '1.2.3-+b']) {
    assert.not.ok(isSemver(version), version);
  }
  for (const value of [1, null, undefined, ['1.2.3'], { version: '1.2.3' }, true]) {
    assert.not.ok(isSemver(value), String(value));
  }
});

/** Section 11.4 example, lowest first, plus core-version and numeric-identifier pairs. */
const ASCENDING: readonly (readonly [string, string])[] = [
  ['1.0.0-alpha', '1.0.0-alpha.1'], // 11.4.4: fewer fields rank lower
  ['1.0.0-alpha.1', '1.0.0-alpha.beta'], // 11.4.3: numeric ranks below alphanumeric
  ['1.0.0-alpha.beta', '1.0.0-beta'], // 11.4.2: ASCII order
  ['1.0.0-beta', '1.0.0-beta.2'],
  ['1.0.0-beta.2', '1.0.0-beta.11'], // 11.4.1: numerically, not as text
  ['1.0.0-beta.11', '1.0.0-rc.1'],
  ['1.0.0-rc.1', '1.0.0'], // 11.3: a pre-release ranks below its release
  ['1.0.0', '2.0.0'], ['2.0.0', '2.1.0'], ['2.1.0', '2.1.1'], // 11.2
  ['1.9.0', '1.10.0'], ['1.0.9', '1.0.10'], ['9.0.0', '10.0.0'],
  ['1.2.3', '1.2.4-alpha'], ['1.0.0-2', '1.0.0-10'], ['1.0.0-9', '1.0.0-a'],
  ['1.0.0-Z', '1.0.0-a'], // ASCII: upper case sorts before lower case
  ['1.0.0-a.b.c', '1.0.0-a.b.d'], ['1.0.0-a.1.b', '1.0.0-a.2.a'],
  ['1.0.0-18446744073709551615', '1.0.0-18446744073709551616'], // past 2^64, still numeric
  ['1.0.0-1.a', '1.0.0-1.b'], ['1.0.0-1.1', '1.0.0-1.2'], ['1.0.0-a.a', '1.0.0-a.b'],
  ['1.0.0-1', '1.0.0-1.0'], ['1.0.0-a', '1.0.0-a.a'], ['1.1.0', '1.1.1-rc'],
  ['1.0.0-a1', '1.0.0-a2'], ['1.0.0-1a', '1.0.0-1b'], ['1.0.0-2', '1.0.0-x1'],
  ['1.0.0-2', '1.0.0-1x'],
];

test(`${SUITE}: compare orders SemVer 2.0.0 section 11 pairs, in both directions`, () => {
  for (const [low, high] of ASCENDING) {
    assert.is(compareSemver(low, high), -1, `${low} < ${high}`);
    assert.is(compareSemver(high, low), 1, `${high} > ${low}`);
  }
});

test(`${SUITE}: equal precedence is 0, and build metadata does not count`, () => {
  for (const [a, b] of [['1.2.3', '1.2.3'], ['1.0.0-rc.1', '1.0.0-rc.1'], ['1.0.0+a', '1.0.0+b'],
    ['1.0.0-x.1+b1', '1.0.0-x.1'], ['0.0.0', '0.0.0+0']]) {
    assert.is(compareSemver(a!, b!), 0, `${a} = ${b}`);
  }
});

test(`${SUITE}: compare is undefined when either side is not a version`, () => {
  assert.is(compareSemver('1.2', '1.2.0'), undefined);
  assert.is(compareSemver('1.2.0', '1.2'), undefined);
  assert.is(compareSemver('01.0.0', '1.0.0'), undefined);
  assert.is(compareSemver('', ''), undefined);
});

test(`${SUITE}: to_number reads finite numbers and JSON number strings only`, () => {
  const accepted: readonly (readonly [unknown, number])[] = [
    [0, 0], [7, 7], [-3.5, -3.5], ['0', 0], ['42', 42], ['-1', -1], ['1.5', 1.5], ['1e3', 1000],
    ['1E-2', 0.01], ['2e+1', 20], ['-0.25', -0.25], ['1e10', 1e10], ['12.75', 12.75],
  ];
  for (const [value, expected] of accepted) assert.is(toNumber(value), expected, String(value));
  for (const value of [Infinity, -Infinity, NaN, '', ' 1', '1 ', '+1', '01', '1.', '.5', '0x10',
    '1e', '1e+', 'Infinity', 'NaN', '1_000', '1.2.3', '1e999', null, undefined, true, [1],
    { n: 1 }]) {
    assert.is(toNumber(value), undefined, String(value));
  }
});

test.run();
