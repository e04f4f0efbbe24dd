/**
 * Goal: `parma-sim check --exhaustive` keeps the house exit codes and prints what it promises:
 * the documented configuration explored with zero violations (exit 0) and its figures; a broken
 * engine's counterexample printed step by step (exit 10) and written as a world trace that
 * `world replay` re-runs; a run past --max-states stops with SIM_LIMIT_EXCEEDED and the figures
 * reached (exit 2); an unknown configuration is a usage error. And the layering rule: the
 * explorer and the library pieces under sim/check/ import nothing from properties/ or
 * scenarios/ (they take the invariant as a parameter); only the CLI face sim/commands/check*.ts
 * loads properties/ (it is the top face of the tool).
 * Method: the CLI in this process; the import scan reads the sources.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../support/cli.js';
import { REPO_ROOT } from '../support/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'parma-explore-'));

test('check --exhaustive: the single configuration is explored to its fixpoint, zero violations, '
  + 'exit 0', async () => {
  const out = await runCli(['check', '--exhaustive', '--config', 'single', '--depth', '30']);
  assert.is(out.code, 0, out.stderr);
  assert.match(out.stdout, /complete: every reachable state/);
  assert.match(out.stdout, /violations: 0/);
  assert.match(out.stdout, /symmetry reduction: off/);
  assert.match(out.stdout, /\d+ states\/s, \d+ transitions\/s, \d+ bytes per stored state/);
});

test('check --exhaustive --mutant: the counterexample is printed and its trace replays',
  async () => {
  const trace = join(dir, 'cex.jsonl');
  const out = await runCli(['check', '--exhaustive', '--config', 'pair', '--depth', '4',
    '--mutant', 'mount_overlay_ignores_order', '--trace', trace]);
  assert.is(out.code, 10, out.stderr);
  assert.match(out.stdout, /symmetry reduction: on, container IDs \(2\)/);
  assert.match(out.stdout, /I1 violated after 3 actions/);
  assert.match(out.stdout, /\n +3\. overlay c1 as a in the wrong order \(base, a\)\n/);
  const lines = readFileSync(trace, 'utf8').trim().split('\n');
  assert.ok(lines.length > 20, 'setup and counterexample in the trace');
  // On the real engine (a trace records no injected engine) the replay is refused at the
  // overlay, so it no longer matches the recorded run: exit 10, fingerprint printed.
  const replayed = await runCli(['world', 'replay', trace]);
  assert.is(replayed.code, 10);
  assert.match(replayed.stdout, /^[0-9a-f]{64}\n$/);
});

test('check --exhaustive: past --max-states it stops with SIM_LIMIT_EXCEEDED and the figures '
  + '(exit 2)', async () => {
  const out = await runCli(['check', '--exhaustive', '--config', 'pair', '--max-states', '20']);
  assert.is(out.code, 2);
  assert.match(out.stderr, /SIM_LIMIT_EXCEEDED/);
  assert.match(out.stderr, /limit of 20 states: 20 states, \d+ transitions, \d+ levels complete/);
});

test('check --exhaustive: an unknown configuration or mutant is a usage error naming the known '
  + 'ones', async () => {
  const config = await runCli(['check', '--exhaustive', '--config', 'nope']);
  assert.is(config.code, 2);
  assert.match(config.stderr, /known: single, pair/);
  const mutant = await runCli(['check', '--exhaustive', '--mutant', 'nope']);
  assert.is(mutant.code, 2);
  assert.match(mutant.stderr, /mount_overlay_ignores_order/);
});

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?'([^']+)'/g;

function importsOf(path: string): string[] {
  return [...readFileSync(path, 'utf8').matchAll(IMPORT)].map((m) => m[1]!);
}

test('layering: sim/explore.ts and sim/check/* import nothing from properties/ or scenarios/; '
  + 'the CLI face sim/commands/check*.ts may', () => {
  const library = ['sim/explore.ts', ...readdirSync(join(REPO_ROOT, 'sim', 'check'))
    .filter((f) => f.endsWith('.ts')).map((f) => `sim/check/${f}`)];
  const offences = library.flatMap((file) => importsOf(join(REPO_ROOT, file))
    .filter((spec) => /(^|\/)(properties|scenarios)\//.test(spec))
    .map((spec) => `${file}: ${spec}`));
  assert.equal(offences, []);
  const face = importsOf(join(REPO_ROOT, 'sim', 'commands', 'check.ts'));
  assert.ok(face.some((spec) => spec.includes('/properties/')), 'the check would see an import');
});

test.run();
