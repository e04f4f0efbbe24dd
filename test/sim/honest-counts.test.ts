/**
 * Goal: a test that needs ../shared/testdata, openssl or veritysetup is counted either way: run
 * when the requirement is met, reported as skipped when it is not, never passed without asserting.
 * Method: drive test/support/requires.ts with a recording suite in place of uvu's; scan every test
 * file for the old pattern (a test body that returns when a requirement is missing).
 */
import { test, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sourcesUnder } from '../support/import-graph.js';
import { REPO_ROOT } from '../support/paths.js';
import { register } from '../support/requires.js';

const SUITE = 'sim/honest-counts';

function recordingSuite(): { suite: Test; calls: string[] } {
  const calls: string[] = [];
  const suite = Object.assign((name: string) => { calls.push(`test ${name}`); },
    { skip: (name: string) => { calls.push(`skip ${name}`); } }) as unknown as Test;
  return { suite, calls };
}

test(`${SUITE}: a met requirement registers the test to run`, () => {
  const { suite, calls } = recordingSuite();
  register(undefined, 'x: runs', () => undefined, suite);
  assert.equal(calls, ['test x: runs']);
});

test(`${SUITE}: a missing requirement registers the test as skipped, never as a test`, () => {
  const { suite, calls } = recordingSuite();
  register('openssl', 'x: needs openssl', () => { throw new Error('must not run'); }, suite);
  assert.equal(calls, ['skip x: needs openssl']);
});

test(`${SUITE}: no test body returns early because a requirement is missing`, () => {
  const early =
    /^\s*if \(!?\s*(HAVE_[A-Z_]+|available\(|process\.env\[['"]CI['"]\])[^\n]*\breturn;/;
  const offending = sourcesUnder('test').filter((file) => file.endsWith('.test.ts'))
    .flatMap((file) => readFileSync(join(REPO_ROOT, file), 'utf8').split('\n')
      .map((line, index) => ({ line, where: `${file}:${index + 1}` }))
      .filter(({ line }) => early.test(line)))
    .map(({ where, line }) => `${where}: ${line.trim()}`);
  assert.equal(offending, []);
});

test.run();
