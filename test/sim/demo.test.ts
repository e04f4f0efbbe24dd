/**
 * Goal: `npm start` works: the demo ends with every verdict as its scenario states, exits 0, and
 * is determined by its seed: the same output and the same trace hash on two runs.
 * Method: run the compiled demo as a child process; re-hash its --trace JSONL independently.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEMO_JS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'sim', 'demo.js');

function runDemo(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [DEMO_JS, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Two demo runs in all (each runs the whole scenario catalog): one writing its trace, one not.
const TRACE_PATH = join(mkdtempSync(join(tmpdir(), 'parma-sim-demo-')), 'trace.jsonl');
const traced = runDemo('--trace', TRACE_PATH);
const plain = runDemo();

test('sim/demo: every scenario ends as stated and the demo exits 0', () => {
  const first = plain;
  assert.is(first.stderr, '');
  assert.is(first.code, 0);
  assert.match(first.stdout, /Verdicts\n/);
  assert.match(first.stdout, /\n\d+ as expected, 0 not \(seed 1\)\n/);
});

test('sim/demo: two runs print byte-identical output, trace hash included', () => {
  const a = plain.stdout;
  assert.match(a, /\ntrace: \d+ events, sha256 [0-9a-f]{64}\n$/);
  assert.is(traced.stdout, a);
});

test('sim/demo: the printed trace hash is the SHA-256 of the JSONL written by --trace', () => {
  const run = traced;
  const jsonl = readFileSync(TRACE_PATH);
  const lines = jsonl.toString('utf8').trimEnd().split('\n');
  const printed = /trace: (\d+) events, sha256 ([0-9a-f]{64})/.exec(run.stdout);
  assert.ok(printed !== null);
  assert.is(lines.length, Number(printed[1]));
  assert.is(createHash('sha256').update(jsonl).digest('hex'), printed[2]);
  for (const line of lines) assert.type(JSON.parse(line), 'object');
});

test.run();
