/**
 * Goal: the random campaign catches a deliberately broken engine — each mutant of
 * properties/mutants.ts (mount_overlay ignoring layer order, mount_device allowing any hash,
 * create_container allowing any environment) — through the independent invariant, and the shrunk
 * counterexample replays as a scenario: run as a file, it fails on the mutant and passes on the
 * real engine (the scenario, not the test, is what shows the bug).
 * Method: properties/campaign.ts on a small pool with the mutant injected through the world's
 * engine seam; the scenario is written inside the repository (so `parma-sim` resolves to this
 * package) and run with node.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCampaign, type Counterexample } from '../../properties/campaign.js';
import { mutantEngine, type MutantName } from '../../properties/mutants.js';
import { REPO_ROOT } from '../support/paths.js';

function caught(name: MutantName): Counterexample {
  const r = runCampaign({ seed: 31, runs: 600, policies: 8,
    engine: { name, engine: mutantEngine(name) } });
  assert.ok(r.counterexample !== null, `the campaign catches ${name}`);
  return r.counterexample;
}

function runScenario(text: string): Readonly<{ status: number | null; output: string }> {
  const dir = join(REPO_ROOT, `.scenario-test-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const file = join(dir, 'counterexample.mjs');
    writeFileSync(file, text);
    const run = spawnSync(process.execPath, [file], { cwd: REPO_ROOT, encoding: 'utf8' });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('properties/mutants: mount_overlay ignoring layer order is caught (I1, an overlay) and the '
  + 'counterexample replays as a scenario that fails on it and passes on the real engine', () => {
  const c = caught('mount_overlay_ignores_order');
  assert.is(c.failure.id, 'I1');
  assert.ok(c.failure.verdict.kind === 'violated'
    && c.failure.verdict.object.startsWith('overlay '), JSON.stringify(c.failure));
  assert.ok(c.trail.length > 0 && c.path.length > 0, 'a shrunk trail and its path');
  const mutated = runScenario(c.scenario);
  assert.is(mutated.status, 1, mutated.output);
  assert.match(mutated.output, /I1 violated: overlay/);
  const real = runScenario(c.scenario.replace(/, engine: mutantEngine\("[a-z_]+"\)/, ''));
  assert.is(real.status, 0, real.output);
  assert.match(real.output, /the invariant holds after all \d+ steps/);
});

test('properties/mutants: mount_device allowing any hash is caught (I1, a device)', () => {
  const c = caught('mount_device_any_hash');
  assert.is(c.failure.id, 'I1');
  assert.ok(c.failure.verdict.kind === 'violated'
    && c.failure.verdict.object.startsWith('device '), JSON.stringify(c.failure));
});

test('properties/mutants: create_container allowing any environment is caught (I2, a container)',
  () => {
    const c = caught('create_container_ignores_env');
    assert.is(c.failure.id, 'I2');
    assert.ok(c.failure.verdict.kind === 'violated'
      && c.failure.verdict.object.startsWith('container '), JSON.stringify(c.failure));
  });

test.run();
