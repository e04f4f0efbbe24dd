/**
 * Goal: `parma-sim world run|replay` keep the house exit codes: a benign run that succeeds exits
 * 0 and writes a replayable trace; replaying it prints its fingerprint and exits 0; a changed
 * trace exits 10; a missing policy file exits 40; a bad flag exits 2.
 * Method: the compiled CLI in a child process; the generated workload's policy and images reach
 * it through a trace header (the run itself needs only a policy file).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deployBenign, traceJsonl } from '../../sim/world.js';
import { spawnCli } from '../support/cli.js';
import { generatedWorld, generatedWorldInputs } from './world-support.js';

const dir = mkdtempSync(join(tmpdir(), 'parma-world-'));

test('world cli: replay of a good trace prints its fingerprint and exits 0; a changed one exits ' +
  '10', () => {
  const world = generatedWorld(1);
  const run = deployBenign(world);
  const path = join(dir, 'good.jsonl');
  writeFileSync(path, traceJsonl(world, run.events, run.world));
  const good = spawnCli(['world', 'replay', path]);
  assert.is(good.code, 0, good.stderr);
  assert.match(good.stdout, /^[0-9a-f]{64}\n$/);
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, readFileSync(path, 'utf8').replace('"lun":1', '"lun":7'));
  assert.is(spawnCli(['world', 'replay', bad]).code, 10);
});

test('world cli: run with a missing policy file exits 40, an unknown flag 2', () => {
  assert.is(spawnCli(['world', 'run', '--policy', join(dir, 'nope.rego')]).code, 40);
  assert.is(spawnCli(['world', 'run', '--policy', 'x', '--bogus']).code, 2);
});

test('world cli: run writes a trace that replays to the fingerprint it printed', () => {
  const policy = join(dir, 'policy.rego');
  writeFileSync(policy, generatedWorldInputs().policy);
  const trace = join(dir, 'run.jsonl');
  const run = spawnCli(['world', 'run', '--policy', policy, '--trace', trace]);
  const printed = /fingerprint ([0-9a-f]{64})/.exec(run.stdout)?.[1];
  assert.ok(printed !== undefined, run.stderr);
  const replayed = spawnCli(['world', 'replay', trace]);
  assert.is(replayed.stdout.trim(), printed);
  assert.is(replayed.code, 0);
});

test.run();
