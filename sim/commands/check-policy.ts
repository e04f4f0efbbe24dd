/**
 * Models: nothing real. `parma-sim check --policy FILE`: a policy author's check. It prints the
 * C1 verdict (is the benign deployment of the policy's containers allowed; if not, the step and
 * the rule that denied it), the attack surface (sim/check/policy-check.ts: each power a hostile
 * host gets, with a request sequence that shows it), then a bounded exhaustive exploration and a
 * random campaign of hostile requests from the deployed group, with the invariant
 * (properties/invariants.ts) checked at every step.
 * Method: the exploration's alphabet comes from the policy: its exec processes, a shell in each
 * container, GetProperties, DumpStacks, SIGKILL / shutdown / delete of each container, removing
 * overlays and unmounting layers; the campaign draws walks over the same letters from a seeded
 * stream. `--format json` gives the same as data.
 * Exit codes: 0 when C1 holds and no invariant fails; 10 otherwise; 30 a malformed policy.
 */
import { createHash } from 'node:crypto';
import { EXIT_OK, EXIT_REJECTED } from '../kernel/errors.js';
import { Rng } from '../kernel/rng.js';
import {
  UVM_CONTAINER_ID, gcsMessage, mappedVirtualDisk, modifySettings, rootfsPath, type HostAction,
} from '../index.js';
import { explore, type ExploreAction, type ExploreReport, type StateCheck } from '../explore.js';
import { step, describeAction, type World } from '../world.js';
import {
  checkPolicySurface, type PolicySurface, type SequenceStep,
} from '../check/policy-check.js';
import { explorerChecks } from './check-invariants.js';
import { readInput } from './files.js';
import type { CliIo } from './types.js';

export type PolicyCheckOptions = Readonly<{ policy: string; format: string; depth?: number;
  runs?: number; seed?: number }>;

type Body = Readonly<Record<string, unknown>>;

/** The exploration's letters for a deployed policy (see the header). */
export function policyLetters(surface: PolicySurface): ExploreAction[] {
  const letters: ExploreAction[] = [];
  const fixed = (name: string, action: HostAction): void => {
    letters.push({ name, build: () => action });
  };
  for (const f of surface.findings) {
    if ((f.kind === 'exec' || f.kind === 'shell') && f.sequence !== null) {
      fixed(f.sequence[f.sequence.length - 1]!.note, f.sequence[f.sequence.length - 1]!.action);
    }
  }
  for (const [name, id] of Object.entries(surface.containerIds)) {
    const shell = { args: ['/bin/sh'], cwd: '/', env: [], user: { uid: 0, gid: 0 },
      terminal: false };
    fixed(`exec /bin/sh in ${name}`, { kind: 'bridge', message: gcsMessage('ExecuteProcess', id,
      { Settings: { ProcessParameters: JSON.stringify({ OciProcess: shell }) } }) });
    letters.push({ name: `SIGKILL ${name}'s init`, build: (world) => {
      const init = Object.values(world.state.guest?.processes ?? {}).find((p) =>
        p.containerId === id && p.kind === 'init' && p.status === 'running');
      return init === undefined ? null : { kind: 'bridge', message: gcsMessage('SignalProcess',
        id, { ProcessId: init.pid, Options: { Signal: 9 } }) };
    } });
    fixed(`shut ${name} down`, { kind: 'bridge', message: gcsMessage('ShutdownGraceful', id) });
    fixed(`remove the overlay of ${name}`, { kind: 'bridge', message: modifySettings(
      'CombinedLayers', 'Remove', { ContainerID: id, ContainerRootPath: rootfsPath(id) }) });
    fixed(`delete the state of ${name}`, { kind: 'bridge', message: gcsMessage(
      'DeleteContainerState', id) });
  }
  fixed('DumpStacks', { kind: 'bridge', message: gcsMessage('DumpStacks', UVM_CONTAINER_ID) });
  for (const row of surface.deployment) {
    if (!row.note.startsWith('mount layer') || row.action.kind !== 'bridge') continue;
    const settings = ((row.action.message.message as Body)['Request'] as Body)['Settings'] as Body;
    fixed(`unmount ${String(settings['MountPath'])}`, { kind: 'bridge', message: mappedVirtualDisk(
      { mountPath: String(settings['MountPath']), lun: Number(settings['Lun']), readOnly: true,
        options: ['ro'] }, 'Remove') });
  }
  return letters;
}

export type CampaignSummary = Readonly<{ runs: number; steps: number; seed: number;
  violation: Readonly<{ invariant: string; reason: string; names: readonly string[] }> | null }>;

/** Random walks over the letters from the deployed world, the invariant after every step. */
export function policyCampaign(deployed: World, letters: readonly ExploreAction[],
  checks: readonly StateCheck[], runs: number, seed: number, length = 12): CampaignSummary {
  const rng = Rng.fromSeed(seed).fork('policy-campaign');
  let steps = 0;
  for (let run = 0; run < runs; run++) {
    let world = deployed;
    const names: string[] = [];
    for (let i = 0; i < length; i++) {
      const letter = letters[rng.int(0, letters.length - 1)]!;
      const action = letter.build(world);
      if (action === null) continue;
      const after = step(world, action).world;
      names.push(letter.name);
      steps++;
      for (const check of checks) {
        const verdict = check.check(after, world);
        if (verdict.status !== 'holds') {
          return { runs: run + 1, steps, seed, violation: { invariant: check.id,
            reason: verdict.reason, names } };
        }
      }
      world = after;
    }
  }
  return { runs, steps, seed, violation: null };
}

function sequenceText(sequence: readonly SequenceStep[] | null): string[] {
  if (sequence === null) return ['      (no request sequence)'];
  return sequence.map((s, i) => `      ${String(i + 1).padStart(2)}. ${s.note} — ${
    describeAction(s.action)}`);
}

function render(io: CliIo, file: string, digest: string, surface: PolicySurface,
  report: ExploreReport, campaign: CampaignSummary): void {
  const c1 = surface.c1;
  const lines = [`policy ${file} (sha256 ${digest})`,
    `C1 (benign deployment allowed): ${c1.allowed ? 'yes' : 'NO'} (${c1.steps} steps)`];
  const first = c1.refused[0];
  if (first !== undefined) {
    lines.push(`  first refused step: ${first.note}: ${first.stoppedBy ?? ''}${first.rule === null
      ? '' : ` ${first.rule}`}: ${first.reason}`);
    if (c1.refused.length > 1) {
      lines.push(`  (${c1.refused.length - 1} later steps refused after it; --format json lists `
        + 'them)');
    }
  }
  for (const n of c1.notDeployed) lines.push(`  not deployable: ${n.name}: ${n.reason}`);
  lines.push(`attack surface: ${surface.findings.length} findings`);
  for (const f of surface.findings) {
    lines.push(`  [${f.kind}]${f.beyondBenign ? '' : ' (the benign deployment does it too)'} `
      + `${f.summary}`, `    shortest sequence found (${f.sequence?.length ?? 0} requests):`,
    ...sequenceText(f.sequence));
  }
  lines.push(`exploration from the deployed group: depth ${report.depthReached}, ${report.states} `
    + `states, ${report.transitions} transitions, violations: ${report.violation === null ? 0
      : `1 (${report.violation.invariant}: ${report.violation.reason}; after ${
        report.violation.names.join(' → ')})`}`,
  `campaign: ${campaign.runs} random walks, ${campaign.steps} steps, seed ${campaign.seed}, `
    + `violations: ${campaign.violation === null ? 0 : `1 (${campaign.violation.invariant}: ${
      campaign.violation.reason}; after ${campaign.violation.names.join(' → ')})`}`);
  io.stdout(`${lines.join('\n')}\n`);
}

/** `parma-sim check --policy FILE` (see the header). */
export async function policyCheckCommand(o: PolicyCheckOptions, io: CliIo): Promise<number> {
  const bytes = readInput(o.policy, 'policy');
  const digest = createHash('sha256').update(bytes).digest('hex');
  const surface = checkPolicySurface(bytes, { seed: o.seed ?? 1 });
  const letters = policyLetters(surface);
  const checks = explorerChecks();
  const report = explore({ initial: surface.deployed, actions: letters, invariants: checks,
    depth: o.depth ?? 2 });
  const campaign = policyCampaign(surface.deployed, letters, checks, o.runs ?? 20, o.seed ?? 1);
  if (o.format === 'json') {
    io.stdout(`${JSON.stringify({ format: 'parma-sim-check/1', kind: 'policy', policy: o.policy,
      sha256: digest, c1: surface.c1, surface: surface.findings,
      exploration: { ...report, violation: report.violation },
      campaign }, null, 2)}\n`);
  } else {
    render(io, o.policy, digest, surface, report, campaign);
  }
  const ok = surface.c1.allowed && report.violation === null && campaign.violation === null;
  return ok ? EXIT_OK : EXIT_REJECTED;
}
