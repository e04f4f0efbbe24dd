/**
 * Goal: `npm start` works: the demo ends with every verdict as its scenario states, exits 0, and
 * prints the same bytes on two runs (same seed, same output).
 * Method: run the compiled demo twice as a child process and compare.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEMO_JS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'sim', 'demo.js');

function runDemo(): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [DEMO_JS], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('sim/demo: every scenario ends as stated and the demo exits 0', () => {
  const first = runDemo();
  assert.is(first.stderr, '');
  assert.is(first.code, 0);
  assert.match(first.stdout, /Verdicts\n/);
  assert.match(first.stdout, /\n\d+ as expected, 0 not \(seed 1\)\n$/);
});

test('sim/demo: two runs print byte-identical output', () => {
  assert.is(runDemo().stdout, runDemo().stdout);
});

test.run();
