/**
 * Goal: the benign workflows a secure system must still allow (DESIGN C1, "security that denies
 * everything is not security"): every shared real policy deployed unchanged (lift-and-shift),
 * the generated group end to end, a sidecar that attests for the group, exec probes and signals,
 * a graceful shutdown, and benign platform drift (variables the platform injects while the
 * policy allows dropping).
 * Method: the shim's benign plan runs to its end in a world enforcing the policy; a workflow is
 * allowed when every step succeeded and what it promised is in the guest's recorded state (the
 * key released to the sidecar, every container deleted and the UVM stopped, the injected
 * variables dropped). Shared policies are found under ../shared/testdata/policies at catalog
 * build time: every file that loads as a policy (templates with @@ placeholders and fragments
 * do not), so a new file there becomes a new scenario.
 * Invariants: benign scenarios declare no defence; a refused step is a failure of the system
 * (or of the world), reported as the block it is.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import { loadSecurityPolicy } from '../../models/policy/load-policy.js';
import { allowed, blocked, defineScenario, type Outcome, type Scenario } from '../dsl.js';
import type { ScenarioContext } from '../context.js';
import { editCreate, editProcess } from '../host-actions.js';
import {
  STANDARD_CONTAINERS, TREES, file, standardWorkload, type WorkloadSpec,
} from '../workloads.js';

const C1 = 'DESIGN.md C1 (lift-and-shift)';

function deployAll(ctx: ScenarioContext, workload: WorkloadSpec, detail: string): Outcome {
  const w = ctx.world({ workload });
  w.runRest();
  return w.outcome(detail);
}

function sidecar(ctx: ScenarioContext): Outcome {
  const skr = { name: 'skr', layers: [{ ...TREES.side, '/bin/skr': file('#!skr\n', 0o755) }],
    command: ['/bin/skr', '--port', '8080'], env: ['PATH=/bin'], workingDir: '/',
    execProbes: [['/bin/skr', '--status']] };
  const w = ctx.world({ workload: { kind: 'generated', id: 'sidecar',
    containers: [skr, STANDARD_CONTAINERS[0]!] } });
  w.runRest();
  const outcome = w.outcome('');
  if (outcome.kind !== 'allowed') return outcome;
  const released = w.world.state.attestation.released[w.ids['skr']!];
  return released === undefined ? blocked('key_broker', 'no key was released to the sidecar')
    : allowed('the sidecar attested for the group and holds the key; the app ran beside it');
}

function probes(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const probe = w.runTo('exec probe ["/usr/bin/web","--health"] in web');
  for (let round = 1; round <= 3; round++) {
    w.act(editProcess(probe, () => undefined), `liveness probe, round ${round}`);
  }
  w.runRest();
  const probes = Object.values(w.world.state.guest!.processes).filter((p) =>
    p.kind === 'exec' && p.argv[1] === '--health');
  return w.outcome(`web's health probe ran ${probes.length} times; the group shut down`);
}

function shutdown(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  w.runRest();
  const outcome = w.outcome('');
  if (outcome.kind !== 'allowed') return outcome;
  const guest = w.world.state.guest!;
  const states = Object.values(guest.containers).map((c) => c.value);
  assert(states.length === 3, 'three containers were created');
  if (!states.every((s) => s === 'deleted') || guest.uvm.value !== 'stopped') {
    return blocked('state', `after shutdown: containers ${states.join(', ')}, UVM `
      + `${guest.uvm.value}`);
  }
  return allowed('SIGTERM, wait, overlays removed, state deleted, devices unmounted, UVM off');
}

const INJECTED = ['KUBERNETES_SERVICE_HOST=10.0.0.1', 'Fabric_NodeName=_node_3'];

function drift(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const create = w.runTo('create web');
  w.act(editCreate(create, (c) => { c.OciSpecification.process.env.push(...INJECTED); }),
    'create web with the platform\'s variables');
  w.skip();
  w.runRest();
  const outcome = w.outcome('');
  if (outcome.kind !== 'allowed') return outcome;
  const web = w.world.state.guest!.containers[w.ids['web']!]!;
  const kept = INJECTED.filter((v) => (web.context.config?.env ?? []).includes(v));
  return allowed(`web ran; the policy dropped ${INJECTED.length - kept.length} of the `
    + `${INJECTED.length} injected variables`);
}

function workflow(name: string, summary: string, tags: readonly string[],
  body: (ctx: ScenarioContext) => Outcome): Scenario {
  return defineScenario({ name, group: 'benign', kind: 'benign', tags, body,
    threat: { summary, references: [C1, 'issue 10 §4 benign workflows'] },
    expected: { kind: 'allowed' } });
}

export const BENIGN_SCENARIOS: readonly Scenario[] = [
  workflow('standard-group', 'the generated web + sidecar group, deployed, probed, attested '
    + 'and shut down', ['lift-and-shift'], (ctx) => deployAll(ctx, standardWorkload(),
    'the whole plan ran: 2 containers, probes, key release, teardown')),
  workflow('sidecar-pattern', 'an SKR-style sidecar attests and holds the key for an app '
    + 'container in the same group', ['sidecar', 'attestation'], sidecar),
  workflow('exec-probes', 'liveness probes exec\'d repeatedly while the group runs',
    ['exec'], probes),
  workflow('graceful-shutdown', 'the group and the UVM shut down gracefully', ['shutdown'],
    shutdown),
  workflow('platform-env-drift', 'the platform injects its own variables while the policy '
    + 'allows dropping', ['env'], drift),
];

function slug(path: string): string {
  const stem = path.replace(/\.(rego|json|base64)$/, '').replace(/\.policy\b/g, '')
    .replace(/_policy\b/g, '');
  return stem.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Every policy-looking file under `dir` (.rego, .json, .base64), sorted, recursively. */
export function policyFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...policyFiles(path));
    else if (/\.(rego|json|base64)$/.test(name)) out.push(path);
  }
  return out;
}

/** Bytes that load as a complete policy (not a template, a fragment or a command list). */
function loadsAsPolicy(bytes: Uint8Array): boolean {
  try {
    const loaded = loadSecurityPolicy(bytes);
    return loaded.policy.package_name === 'policy';
  } catch (error) {
    if (error instanceof SimError) return false;
    throw error;
  }
}

/** One lift-and-shift scenario per shared policy under `policiesDir`. */
export function sharedPolicyScenarios(policiesDir: string): Scenario[] {
  const out: Scenario[] = [];
  for (const path of policyFiles(policiesDir)) {
    const bytes = new Uint8Array(readFileSync(path));
    if (!loadsAsPolicy(bytes)) continue;
    const name = relative(policiesDir, path);
    const parts = name.split(/[\\/]/);
    const stem = slug(parts[parts.length - 1]!);
    const taken = new Set(out.map((s) => s.name));
    const short = `shared-${stem === 'policy' ? slug(parts[parts.length - 2] ?? stem) : stem}`;
    out.push(defineScenario({
      name: taken.has(short) ? `shared-${slug(name)}` : short, group: 'benign', kind: 'benign',
      tags: ['lift-and-shift', 'shared-policy'],
      threat: { summary: `the shared policy ${name}, deployed unchanged`,
        references: [C1, `../shared/testdata/policies/${name}`] },
      expected: { kind: 'allowed' },
      body: (ctx) => deployAll(ctx, { kind: 'policy', id: name, policy: bytes },
        `${name}: every deployable container ran, probed, attested and shut down`),
    }));
  }
  assert(new Set(out.map((s) => s.name)).size === out.length, 'distinct shared-policy names');
  return out;
}
