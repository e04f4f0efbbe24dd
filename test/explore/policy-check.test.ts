/**
 * Goal: `parma-sim check --policy` tells a policy author what a hostile host can do with their
 * policy: planted in a copy of a real confcom policy, a catch-all `.+` env rule and a shell in
 * `exec_processes` both appear in the attack surface, each with a request sequence that replays
 * from a fresh world and shows the effect in the guest's actual state (the variable in the
 * container's environment, a /bin/sh process in the container); the unplanted copy shows
 * neither. The command runs on every shared real policy and prints its C1 verdict and surface.
 * Method: confcom's command.policy.rego; its layers are re-pointed to images built here (the
 * stand-in trees the world would attach, now with computed root hashes) so the copy deploys
 * whatever the guest does with declared roots; replays go through runActions (the scenario DSL
 * will take them as they are: plain host actions).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSecurityPolicy } from '../../models/policy/load-policy.js';
import { generatedImage, standInTree } from '../../models/host/images.js';
import { groupOfPolicy } from '../../sim/world-deployment.js';
import { createWorld, imageTreeSpecOf, runActions } from '../../sim/world.js';
import type { ImageTreeSpec } from '../../models/host/adversary.js';
import { checkPolicySurface, type SurfaceFinding } from '../../sim/check/policy-check.js';
import { policyFiles } from '../../scenarios/catalog/benign.js';
import { runCli } from '../support/cli.js';
import { shared, sharedTest } from '../support/requires.js';

const commandPolicy = (): string => shared('policies', 'confcom', 'command.policy.rego');

/** The policy with every layer hash replaced by the computed root of a stand-in tree for it. */
function buildable(text: string): { text: string; images: ImageTreeSpec[] } {
  const group = groupOfPolicy(loadSecurityPolicy(new TextEncoder().encode(text)).policy);
  const layers = [...new Set(group.containers.flatMap((c) => c.layers))];
  let out = text;
  const images: ImageTreeSpec[] = [];
  for (const hash of layers) {
    const tree = standInTree(hash, group.containers);
    out = out.split(hash).join(generatedImage(tree).realRoot);
    images.push(imageTreeSpecOf(tree));
  }
  return { text: out, images };
}

function planted(text: string): string {
  const env = text.replace('"env_rules":[', '"env_rules":[{"pattern":".+","required":false,'
    + '"strategy":"re2"},');
  const shell = env.replace('"exec_processes":[]', '"exec_processes":[{"command":["/bin/sh"],'
    + '"signals":[]}]');
  assert.ok(env !== text && shell !== env, 'both plants took');
  return shell;
}

function replays(policy: string, images: readonly ImageTreeSpec[], finding: SurfaceFinding) {
  assert.ok(finding.sequence !== null, `${finding.kind} has a sequence`);
  const run = runActions(createWorld({ seed: 1, policy, images }),
    finding.sequence.map((s) => s.action));
  return run.world.state.guest!;
}

sharedTest('check --policy: a planted .+ env rule and a shell in exec_processes of a copy of a '
  + 'real confcom policy both appear, each with a sequence that replays and shows its effect',
() => {
  const original = buildable(readFileSync(commandPolicy(), 'utf8'));
  const copy = planted(original.text);
  const surface = checkPolicySurface(new TextEncoder().encode(copy), { images: original.images });
  assert.ok(surface.c1.allowed, JSON.stringify(surface.c1.refused[0]));
  const shell = surface.findings.find((f) => f.kind === 'shell');
  const env = surface.findings.find((f) => f.kind === 'env_injection'
    && f.summary.includes('PARMA_SIM_INJECTED'));
  assert.ok(shell !== undefined, surface.findings.map((f) => f.summary).join('\n'));
  assert.ok(env !== undefined, surface.findings.map((f) => f.summary).join('\n'));
  const afterShell = replays(copy, original.images, shell);
  assert.ok(Object.values(afterShell.processes).some((p) => p.kind === 'exec'
    && p.argv.length === 1 && p.argv[0] === '/bin/sh' && p.status === 'running'));
  const afterEnv = replays(copy, original.images, env);
  assert.ok(Object.values(afterEnv.containers).some((c) => c.context.config?.env.some((e) =>
    e.startsWith('PARMA_SIM_INJECTED=')) === true));
  // Shortened: fewer requests than the whole benign deployment.
  assert.ok(env.sequence!.length < surface.deployment.length, `${env.sequence!.length}`);
});

sharedTest('check --policy: the unplanted copy has no shell and no catch-all env finding', () => {
  const original = buildable(readFileSync(commandPolicy(), 'utf8'));
  const surface = checkPolicySurface(new TextEncoder().encode(original.text),
    { images: original.images });
  assert.ok(surface.c1.allowed, JSON.stringify(surface.c1.refused[0]));
  assert.is(surface.findings.filter((f) => f.kind === 'shell').length, 0);
  assert.is(surface.findings.filter((f) => f.summary.includes('PARMA_SIM_INJECTED')).length, 0);
  // The policy's own (?i)(FABRIC)_.+=.+ rule lets the host set FABRIC_ variables.
  assert.ok(surface.findings.some((f) => f.kind === 'env_injection'
    && f.summary.includes('FABRIC_')), surface.findings.map((f) => f.summary).join('\n'));
});

sharedTest('check --policy: runs on every shared real policy that loads, printing C1 and the '
  + 'attack surface (exit 0 or 10); templates and fragments are refused as malformed (exit 30)',
async () => {
  let checked = 0;
  for (const file of policyFiles(shared('policies'))) {
    const out = await runCli(['check', '--policy', file, '--depth', '1']);
    if (out.code === 30) {
      assert.match(out.stderr, /POLICY_/, file);
      continue;
    }
    assert.ok(out.code === 0 || out.code === 10, `${file}: ${out.code} ${out.stderr}`);
    assert.match(out.stdout, /^C1 \(benign deployment allowed\): (yes|NO)/m, file);
    assert.match(out.stdout, /^attack surface: \d+ findings/m, file);
    checked++;
  }
  assert.ok(checked >= 15, `${checked} policies checked`);
});

test.run();
