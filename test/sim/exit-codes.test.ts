/**
 * Goal: every error code has its own exit code, and every exit code is one the README's table
 * promises: the table in sim/kernel/errors.ts is keyed by code, complete, and honest.
 * Method: read the README's exit-code table (the outside reference users see) and compare it
 * with EXIT_CODE_BY_ERROR over the list of codes of every area.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssertionError } from '../../sim/kernel/assert.js';
import {
  ERROR_CODES, EXIT_CODE_BY_ERROR, SimError, exitCodeFor, type SimErrorCode,
} from '../../sim/kernel/errors.js';
import { REPO_ROOT } from '../support/paths.js';

const SUITE = 'sim/exit-codes';

/** The README's `| exit | meaning |` table: exit code → meaning. */
function readmeExitTable(): Map<number, string> {
  const lines = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').split('\n');
  const start = lines.findIndex((line) => /^\|\s*exit\s*\|\s*meaning\s*\|/.test(line));
  assert.ok(start >= 0, 'README has an exit-code table');
  const table = new Map<number, string>();
  for (const line of lines.slice(start + 2)) {
    const match = /^\|\s*(\d+)\s*\|\s*(.+?)\s*\|$/.exec(line);
    if (match === null) break;
    table.set(Number(match[1]), match[2]!);
  }
  return table;
}

test(`${SUITE}: every error code of every area has a row in EXIT_CODE_BY_ERROR`, () => {
  const missing = ERROR_CODES.filter((code) => !Object.hasOwn(EXIT_CODE_BY_ERROR, code));
  assert.equal(missing, []);
  assert.ok(ERROR_CODES.length > 50, 'the list of codes is the real one');
});

test(`${SUITE}: the table has no row for a code that does not exist`, () => {
  const known = new Set<string>(ERROR_CODES);
  assert.equal(Object.keys(EXIT_CODE_BY_ERROR).filter((code) => !known.has(code)), []);
});

test(`${SUITE}: no code is listed twice (codes are never reused)`, () => {
  assert.is(new Set(ERROR_CODES).size, ERROR_CODES.length);
});

test(`${SUITE}: every exit code in the table is one the README's table promises`, () => {
  const readme = readmeExitTable();
  assert.equal([...readme.keys()].sort((a, b) => a - b), [0, 2, 10, 30, 40, 70]);
  const unpromised = Object.entries(EXIT_CODE_BY_ERROR)
    .filter(([, exit]) => !readme.has(exit)).map(([code]) => code);
  assert.equal(unpromised, []);
});

test(`${SUITE}: an error never exits 0, and a typed error never exits 70 (70 is our bug)`, () => {
  const wrong = Object.entries(EXIT_CODE_BY_ERROR)
    .filter(([, exit]) => exit === 0 || exit === 70).map(([code]) => code);
  assert.equal(wrong, []);
});

test(`${SUITE}: exitCodeFor follows the row of the code, not the area`, () => {
  // Two codes of one area (POLICY) with different meanings: malformed vs rejected.
  assert.is(exitCodeFor(new SimError('POLICY_BAD_FRAGMENT')), 30);
  assert.is(exitCodeFor(new SimError('POLICY_FRAGMENT_BAD_FEED')), 10);
  // Two codes of the SIM area: usage vs I/O vs input past a bound.
  assert.is(exitCodeFor(new SimError('SIM_USAGE')), 2);
  assert.is(exitCodeFor(new SimError('SIM_IO')), 40);
  assert.is(exitCodeFor(new SimError('SIM_LIMIT_EXCEEDED')), 30);
});

test(`${SUITE}: anything that is not a SimError exits 70, including an unknown code`, () => {
  assert.is(exitCodeFor(new AssertionError('x')), 70);
  assert.is(exitCodeFor(new TypeError('x')), 70);
  assert.is(exitCodeFor('a string'), 70);
  assert.is(exitCodeFor(new SimError('NOT_A_CODE' as SimErrorCode)), 70);
});

test.run();
