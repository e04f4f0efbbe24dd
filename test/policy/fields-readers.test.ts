/**
 * Goal: the typed readers of policy values (models/policy/policy-fields.ts) narrow or refuse
 * exactly as documented: wrong types name the field path and the place, semvers are
 * major.minor.patch of at most six digits without leading zeros, RE2 failures keep the
 * pattern's detail and gain the place, unknown keys list the known ones.
 * Method: JSON values parsed from hand-written text; expected messages written by hand.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseJsonText } from '../../models/policy/policy-syntax.js';
import {
  checkKeys, checkRe2At, compareSemver, field, parseSemver, readEnum, readIntegerArray,
  readNonNegativeInteger, readObject, readSemver, readStringArray, requireField,
} from '../../models/policy/policy-fields.js';
import { failure } from '../support/failure.js';

test('policy/fields: semvers are three numbers of up to six digits without leading zeros', () => {
  for (const [text, parts] of [['0.10.0', [0, 10, 0]], ['999999.1.20', [999999, 1, 20]],
    ['1.0.0', [1, 0, 0]]] as const) {
    assert.equal(parseSemver(text), parts, text);
  }
  for (const text of ['1.0', '1.0.0.0', '01.0.0', '1.00.0', '1.0.01', '1234567.0.0', 'v1.0.0',
    '1.0.0-rc', ' 1.0.0', '1.0.0 ', '1..0', '']) {
    assert.is(parseSemver(text), undefined, text);
  }
  const error = failure(() => readSemver(parseJsonText('\n  "1.0"'), 'api_version'));
  assert.is(error.message, 'POLICY_PARSE: 2:3: api_version: "1.0" is not a major.minor.patch '
    + 'version');
  assert.equal(error.detail, { line: 2, column: 3, field: 'api_version', value: '1.0' });
  assert.is(readSemver(parseJsonText('"0.2.3"'), 'v'), '0.2.3');
});

test('policy/fields: versions compare numerically, part by part', () => {
  assert.ok(compareSemver('0.10.0', '0.9.9') > 0);
  assert.ok(compareSemver('0.2.2', '0.2.10') < 0);
  assert.is(compareSemver('1.2.3', '1.2.3'), 0);
  assert.ok(compareSemver('1.0.0', '0.99.99') > 0);
});

test('policy/fields: integers are non-negative and exactly representable', () => {
  assert.is(readNonNegativeInteger(parseJsonText('0'), 'n'), 0);
  assert.is(readNonNegativeInteger(parseJsonText('9007199254740991'), 'n'), 2 ** 53 - 1);
  for (const text of ['-1', '1.5', '9007199254740992', '"1"', 'null']) {
    const error = failure(() => readNonNegativeInteger(parseJsonText(text), 'n'));
    assert.ok(error.message.startsWith('POLICY_PARSE: 1:1: n must be a non-negative integer, '
      + 'found '), text);
    assert.equal([error.detail['field'], error.detail['expected']],
      ['n', 'a non-negative integer']);
  }
  assert.equal(readIntegerArray(parseJsonText('[3, 0]'), 's'), [3, 0]);
  assert.is(failure(() => readIntegerArray(parseJsonText('[3, -0.5]'), 's')).message,
    'POLICY_PARSE: 1:5: s[1] must be a non-negative integer, found number -0.5');
  assert.is(failure(() => readStringArray(parseJsonText('["a", 1]'), 'l')).message,
    'POLICY_PARSE: 1:7: l[1] must be a string, found number 1');
});

test('policy/fields: a wrong type carries the field, the expectation and the found kind', () => {
  const error = failure(() => readObject(parseJsonText('[1]'), 'x.y'));
  assert.equal(error.detail, { line: 1, column: 1, field: 'x.y', expected: 'an object',
    found: 'array' });
  assert.is(error.message, 'POLICY_PARSE: 1:1: x.y must be an object, found an array');
});

test('policy/fields: fields are looked up by key; a missing one is named', () => {
  const object = readObject(parseJsonText('{"a": 1, "b": 2}'), 'o');
  assert.equal(field(object, 'b'), { kind: 'number', value: 2, text: '2',
    pos: { line: 1, column: 15 } });
  assert.is(field(object, 'c'), undefined);
  assert.is(requireField(object, 'a', 'o').pos.column, 7);
  const error = failure(() => requireField(object, 'c', 'o.p'));
  assert.is(error.message, 'POLICY_PARSE: 1:1: o.p: missing field "c"');
  assert.equal(error.detail, { line: 1, column: 1, field: 'o.p', missing: 'c' });
});

test('policy/fields: unknown keys list the known ones; unsupported keys give their reason', () => {
  const object = readObject(parseJsonText('{"a": 1, "zz": 2}'), 'o');
  checkKeys(object, 'o', ['a', 'zz']);
  const unknown = failure(() => checkKeys(object, 'o', ['a', 'b']));
  assert.is(unknown.message, 'POLICY_PARSE: 1:10: o: unknown field "zz" (known: a, b)');
  assert.equal(unknown.detail, { line: 1, column: 10, field: 'o', unknown: 'zz' });
  const why = failure(() => checkKeys(object, 'o', ['a'], { zz: 'not modelled' }));
  assert.is(why.code, 'POLICY_UNSUPPORTED');
  assert.is(why.message, 'POLICY_UNSUPPORTED: 1:10: o.zz is not supported: not modelled');
  assert.equal(why.detail, { line: 1, column: 10, construct: 'zz' });
});

test('policy/fields: enums list the allowed values in order', () => {
  assert.is(readEnum(parseJsonText('"b"'), 'k', ['a', 'b']), 'b');
  const error = failure(() => readEnum(parseJsonText('"c"'), 'k', ['a', 'b']));
  assert.is(error.message, 'POLICY_PARSE: 1:1: k: "c" is not one of "a", "b"');
  assert.equal(error.detail, { line: 1, column: 1, field: 'k', value: 'c' });
});

test('policy/fields: an RE2 failure keeps the regex detail and gains the place', () => {
  checkRe2At({ line: 1, column: 1 }, 'p', 'a|b');
  const error = failure(() => checkRe2At({ line: 4, column: 9 }, 'x.pattern', '(?=a)'));
  assert.is(error.code, 'POLICY_BAD_REGEX');
  assert.ok(error.message.startsWith('POLICY_BAD_REGEX: 4:9: x.pattern: RE2 rejects pattern '),
    error.message);
  assert.equal([error.detail['line'], error.detail['column'], error.detail['field']],
    [4, 9, 'x.pattern']);
  assert.ok(typeof error.detail['pattern'] === 'string'
    && (error.detail['pattern'] as string).includes('(?=a)'));
});

test.run();
