/**
 * Models: a policy author's review of an execution policy (issue 11 item 8): whether the benign
 * deployment of its containers is allowed (C1, with the denying rule if not), and its attack
 * surface: what a hostile host can make the guest do with this policy, each power shown by a
 * short request sequence that replays from a fresh world.
 * Real counterpart: a security review of a confcom-generated policy before it ships: "with this
 * policy, what can the cloud operator do inside my containers?"
 * Method: the world deploys the policy's container group as the shim would (sim/world.ts). The
 * baseline is that deployment without exec probes: the containers and their init processes.
 * Probes are the benign run with one request changed or added: each exec process the policy
 * lists, run in its container (a shell or interpreter among them is arbitrary code); each
 * container's Create with injected environment variables; the scratch mount unencrypted;
 * GetProperties and DumpStacks; each signal the policy lets the host send. A probe whose effect
 * appears in the guest's actual state (a process with that argv, a variable in the container's
 * environment, an unencrypted RW device, an allowed answer) is a finding; its sequence is then
 * shortened greedily (any request whose removal keeps the effect goes). Fragments the policy
 * accepts are listed from its text (a sequence needs the issuer's key).
 * Differs: the probes are a fixed catalogue, not a search over every request (the bounded
 * exploration and the campaign in sim/commands/check-policy.ts add breadth).
 * Invariants: every finding with a sequence was replayed from a fresh world and showed its
 * effect; `beyondBenign` is true only when the baseline's states never show it.
 */
import { assert } from '../kernel/assert.js';
import type { Json } from '../kernel/canonical-json.js';
import type { HostAction, ImageTreeSpec } from '../../models/host/adversary.js';
import type { Seed } from '../kernel/rng.js';
import { sampleOfRegex } from '../world-deployment.js';
import { gcsMessage, UVM_CONTAINER_ID } from '../../models/host/shim.js';
import { loadSecurityPolicy } from '../../models/policy/load-policy.js';
import type { SecurityPolicy } from '../../models/policy/policy-model.js';
import { createWorld, deployBenign, runActions, type BenignRun, type World } from '../world.js';
import type { GuestState } from '../world-guest.js';

export type SurfaceKind = 'shell' | 'exec' | 'env_injection' | 'unencrypted_scratch' | 'stdio'
  | 'properties' | 'dump_stacks' | 'signal' | 'fragment';

export type SequenceStep = Readonly<{ note: string; action: HostAction }>;

export type SurfaceFinding = Readonly<{
  kind: SurfaceKind;
  /** The policy container's name, or null for the UVM as a whole. */
  container: string | null;
  summary: string;
  /** Whether the benign deployment never does this (false: the host gets it anyway). */
  beyondBenign: boolean;
  /** The requests from a fresh world (createWorld with the same seed), or null (fragments). */
  sequence: readonly SequenceStep[] | null;
}>;

export type C1Verdict = Readonly<{
  allowed: boolean;
  steps: number;
  /** Each refused step: what the shim meant, who stopped it, the rule and the reason. */
  refused: readonly Readonly<{ note: string; stoppedBy: string | null; rule: string | null;
    reason: string }>[];
  notDeployed: readonly Readonly<{ name: string; reason: string }>[];
}>;

export type PolicySurface = Readonly<{
  c1: C1Verdict;
  findings: readonly SurfaceFinding[];
  /** The deployed world (containers up, no probes yet) and the sequence that built it. */
  deployed: World;
  deployment: readonly SequenceStep[];
  /** Container name → the ID the shim gave it. */
  containerIds: Readonly<Record<string, string>>;
}>;

const INJECTED_VALUE = 'parma-sim-injected';
const INJECTED_NAME = `PARMA_SIM_INJECTED=${INJECTED_VALUE}`;
const SHELLS = /^(?:sh|bash|ash|dash|zsh|ksh|busybox|python[0-9.]*|perl|node|ruby|pwsh)$/;
const SIGNAL_NAMES: Readonly<Record<number, string>> = { 1: 'SIGHUP', 2: 'SIGINT', 9: 'SIGKILL',
  10: 'SIGUSR1', 12: 'SIGUSR2', 15: 'SIGTERM', 19: 'SIGSTOP' };

/** What a probe must leave behind: a fact about the guest's state after the run. */
type Effect = (guest: GuestState, lastOk: boolean) => boolean;
type Body = Record<string, Json>;

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
const bodyOf = (action: HostAction): Body => {
  assert(action.kind === 'bridge', 'a bridge frame');
  return structuredClone(action.message.message) as Body;
};
const withBody = (action: HostAction, body: Body): HostAction => {
  assert(action.kind === 'bridge', 'a bridge frame');
  return { kind: 'bridge', message: { ...action.message, message: body } };
};

function c1Of(run: BenignRun): C1Verdict {
  const refused = run.rows.filter((row) => row.result.outcome !== 'ok').map((row) => ({
    note: row.note, stoppedBy: row.result.stoppedBy, rule: row.result.refusal?.rule ?? null,
    reason: row.result.reason }));
  return { allowed: refused.length === 0 && run.notDeployed.length === 0,
    steps: run.rows.length, refused, notDeployed: run.notDeployed };
}

/** Whether `steps`, run from a fresh world, leave the guest showing `effect`. */
function shows(start: World, steps: readonly SequenceStep[], effect: Effect): boolean {
  const run = runActions(start, steps.map((s) => s.action));
  const guest = run.world.state.guest;
  return guest !== null && effect(guest, run.results[run.results.length - 1]?.outcome === 'ok');
}

/** Greedy shortening: drop each request (last first) whose removal keeps the effect. */
function shorten(start: World, steps: readonly SequenceStep[], effect: Effect): SequenceStep[] {
  let kept = [...steps];
  assert(shows(start, kept, effect), 'a finding shows its effect before shortening');
  for (let i = kept.length - 2; i >= 1; i--) {
    const without = [...kept.slice(0, i), ...kept.slice(i + 1)];
    if (shows(start, without, effect)) kept = without;
  }
  assert(shows(start, kept, effect), 'a shortened sequence still shows the effect');
  return kept;
}

type Probe = Readonly<{ kind: SurfaceKind; container: string | null; summary: string;
  steps: readonly SequenceStep[]; effect: Effect; beyondBenign: boolean }>;

type Layout = Readonly<{
  rows: readonly SequenceStep[];
  /** Rows of the deployment (up to the first exec probe or teardown). */
  deployedEnd: number;
  ids: Readonly<Record<string, string>>;
  createRow: Readonly<Record<string, number>>;
}>;

function layoutOf(run: BenignRun): Layout {
  const rows = run.rows.map((r) => ({ note: r.note, action: r.action }));
  const deployedEnd = rows.findIndex((r) => r.note.startsWith('exec probe')
    || r.note.startsWith('shut '));
  const ids: Record<string, string> = {};
  const createRow: Record<string, number> = {};
  rows.forEach((row, i) => {
    if (!row.note.startsWith('create ') || row.action.kind !== 'bridge') return;
    const name = row.note.slice('create '.length);
    ids[name] = String((row.action.message.message as Body)['ContainerId']);
    createRow[name] = i;
  });
  return { rows, deployedEnd: deployedEnd === -1 ? rows.length : deployedEnd, ids, createRow };
}

function processWith(guest: GuestState, id: string, argv: readonly string[]): boolean {
  return Object.values(guest.processes).some((p) => p.containerId === id
    && p.argv.length === argv.length && p.argv.every((a, i) => a === argv[i]));
}

function execProbes(run: BenignRun, layout: Layout): Probe[] {
  const probes: Probe[] = [];
  const deployed = layout.rows.slice(0, layout.deployedEnd);
  for (const row of layout.rows) {
    const match = /^exec probe (\[.*\]) in (.+)$/.exec(row.note);
    if (match === null) continue;
    const argv = JSON.parse(match[1]!) as string[];
    const name = match[2]!;
    const id = layout.ids[name]!;
    const shell = SHELLS.test(basename(argv[0] ?? ''));
    probes.push({ kind: shell ? 'shell' : 'exec', container: name, beyondBenign: true,
      summary: `${shell ? 'a shell or interpreter' : 'a process'} the host can start in ${name} `
        + `at any time, any number of times: ${JSON.stringify(argv)} (exec_processes)`,
      steps: [...deployed, row], effect: (g) => processWith(g, id, argv) });
  }
  assert(probes.length <= run.rows.length, 'one probe per exec row at most');
  return probes;
}

function envProbes(policy: SecurityPolicy, layout: Layout, names: readonly string[]): Probe[] {
  const probes: Probe[] = [];
  for (const [name, index] of Object.entries(layout.createRow)) {
    const rules = policy.containers[names.indexOf(name)]?.env_rules ?? [];
    const samples = rules.filter((r) => r.strategy === 're2').map((r) => sampleOfRegex(r.pattern))
      .filter((e) => /^[^=]+=/.test(e)).map((e) => `${e}${INJECTED_VALUE}`);
    const create = layout.rows[index]!;
    const body = bodyOf(create.action);
    const config = JSON.parse(String(body['ContainerConfig'])) as { OciSpecification: {
      process: { env: string[] } } };
    const benignEnv = config.OciSpecification.process.env;
    const candidates = [INJECTED_NAME, 'LD_PRELOAD=/tmp/parma-sim-injected.so', ...samples,
      ...benignEnv.map((e) => `${e.slice(0, Math.max(0, e.indexOf('=')))}=${INJECTED_VALUE}`)]
      .filter((e) => !benignEnv.includes(e));
    const id = layout.ids[name]!;
    for (const injected of candidates) {
      const edited = structuredClone(config);
      edited.OciSpecification.process.env = [...benignEnv.filter((e) =>
        !e.startsWith(injected.slice(0, injected.indexOf('=') + 1))), injected];
      const step = { note: `create ${name} with ${injected}`, action: withBody(create.action,
        { ...body, ContainerConfig: JSON.stringify(edited) }) };
      probes.push({ kind: 'env_injection', container: name, beyondBenign: true,
        summary: `the host can set ${injected.slice(0, injected.indexOf('='))} in ${name}'s `
          + `environment (${injected}): an env rule matches it`,
        steps: [...layout.rows.slice(0, index), step], effect: (g) =>
          g.containers[id]?.context.config?.env.includes(injected) === true });
    }
  }
  assert(probes.every((p) => p.steps.length > 0), 'every probe sends something');
  return probes;
}

function scratchProbe(layout: Layout): Probe[] {
  const index = layout.rows.findIndex((r) => r.note.startsWith('mount the encrypted scratch'));
  if (index === -1) return [];
  const row = layout.rows[index]!;
  const body = bodyOf(row.action);
  const request = body['Request'] as Body;
  const settings = { ...(request['Settings'] as Body) };
  delete settings['Encrypted'];
  const step = { note: 'mount the scratch unencrypted', action: withBody(row.action,
    { ...body, Request: { ...request, Settings: settings } }) };
  return [{ kind: 'unencrypted_scratch', container: null, beyondBenign: true,
    summary: 'the host can have the guest mount its read-write scratch without dm-crypt: '
      + 'container writes reach the host in plaintext (allow_unencrypted_scratch)',
    steps: [...layout.rows.slice(0, index), step],
    effect: (g) => Object.values(g.devices).some((d) => d.kind === 'rw_scratch' && !d.encrypted) }];
}

const answered: Effect = (_guest, lastOk) => lastOk;

function flagProbes(layout: Layout): Probe[] {
  const deployed = layout.rows.slice(0, layout.deployedEnd);
  // A workload container (the first created is the sandbox), or the sandbox if it is alone.
  const first = Object.entries(layout.ids)[1] ?? Object.entries(layout.ids)[0];
  const properties = { note: 'GetProperties (process list)', action: { kind: 'bridge' as const,
    message: gcsMessage('GetProperties', first?.[1] ?? UVM_CONTAINER_ID,
      { Query: JSON.stringify({ PropertyTypes: ['ProcessList'] }) }) } };
  const stacks = { note: 'DumpStacks', action: { kind: 'bridge' as const,
    message: gcsMessage('DumpStacks', UVM_CONTAINER_ID) } };
  return [{ kind: 'properties', container: first?.[0] ?? null, beyondBenign: true,
    summary: 'the host can read container properties (process list) through GetProperties '
      + '(allow_properties_access)', steps: [...deployed, properties], effect: answered },
  { kind: 'dump_stacks', container: null, beyondBenign: true,
    summary: 'the host can have the guest agent dump its stacks (allow_dump_stacks)',
    steps: [...deployed, stacks], effect: answered }];
}

function signalProbes(start: World, policy: SecurityPolicy, layout: Layout,
  names: readonly string[]): Probe[] {
  const deployed = layout.rows.slice(0, layout.deployedEnd);
  const world = runActions(start, deployed.map((s) => s.action)).world;
  const out: Probe[] = [];
  policy.containers.forEach((c, i) => {
    const name = names[i]!;
    const id = layout.ids[name];
    const init = Object.values(world.state.guest?.processes ?? {}).find((p) =>
      p.containerId === id && p.kind === 'init');
    if (id === undefined || init === undefined) return;
    for (const signal of c.signals) {
      const label = SIGNAL_NAMES[signal] ?? `signal ${signal}`;
      const step = { note: `${label} to ${name}'s init`, action: { kind: 'bridge' as const,
        message: gcsMessage('SignalProcess', id, { ProcessId: init.pid,
          Options: { Signal: signal } }) } };
      out.push({ kind: 'signal', container: name, beyondBenign: signal !== 15,
        summary: `the host can send ${label} to ${name}'s init process (signals)`,
        steps: [...deployed, step], effect: answered });
    }
  });
  return out;
}

/** Each container's init process with its standard streams open to the host. */
function stdioProbes(layout: Layout): Probe[] {
  const out: Probe[] = [];
  for (const [name, id] of Object.entries(layout.ids)) {
    const initRow = layout.rows.findIndex((r) => r.note === `run the init process of ${name}`);
    if (initRow === -1) continue;
    out.push({ kind: 'stdio', container: name, beyondBenign: false,
      steps: layout.rows.slice(0, initRow + 1),
      effect: (g) => Object.values(g.processes).some((p) => p.containerId === id && p.stdio),
      summary: `the host reads and writes ${name}'s standard streams (allow_stdio_access; the `
        + 'benign deployment uses them too)' });
  }
  return out;
}

function fragmentFindings(policy: SecurityPolicy): SurfaceFinding[] {
  return policy.fragments.map((f) => ({ kind: 'fragment' as const, container: null,
    beyondBenign: true, sequence: null,
    summary: `fragments signed by ${f.issuer} for feed ${JSON.stringify(f.feed)} at SVN >= ${
      f.minimum_svn} may add ${f.includes.join(', ') || 'nothing'} (the host chooses which `
      + 'fragment to present; no sequence here: it needs the issuer\'s signing key)' }));
}

export type PolicyCheckInput = Readonly<{
  seed?: Seed;
  /** Generated layer images for the layers the policy names (others get stand-ins). */
  images?: readonly ImageTreeSpec[];
}>;

/** C1 and the attack surface of `policyBytes` (see the header). */
export function checkPolicySurface(policyBytes: Uint8Array,
  input: PolicyCheckInput = {}): PolicySurface {
  const loaded = loadSecurityPolicy(policyBytes);
  const start = createWorld({ seed: input.seed ?? 1, policy: policyBytes,
    ...(input.images === undefined ? {} : { images: input.images }) });
  const run = deployBenign(start);
  const layout = layoutOf(run);
  const c1 = c1Of(run);
  const names = groupNames(loaded.policy, layout);
  const probes = [...execProbes(run, layout), ...envProbes(loaded.policy, layout, names),
    ...scratchProbe(layout), ...stdioProbes(layout), ...flagProbes(layout),
    ...signalProbes(start, loaded.policy, layout, names)];
  const findings: SurfaceFinding[] = [];
  const seen = new Set<string>();
  for (const probe of probes) {
    if (!shows(start, probe.steps, probe.effect)) continue;
    const key = `${probe.kind}/${probe.container}/${probe.summary}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push({ kind: probe.kind, container: probe.container, summary: probe.summary,
      beyondBenign: probe.beyondBenign, sequence: shorten(start, probe.steps, probe.effect) });
  }
  const grouped = groupEnvFindings(findings);
  grouped.push(...fragmentFindings(loaded.policy));
  const deployment = layout.rows.slice(0, layout.deployedEnd);
  const deployed = runActions(start, deployment.map((s) => s.action)).world;
  return { c1, findings: grouped, deployed, deployment, containerIds: layout.ids };
}

/**
 * One env finding per container: "any variable" when a made-up name got in (a catch-all rule),
 * else the variables that did, each finding keeping the first variable's sequence.
 */
function groupEnvFindings(findings: readonly SurfaceFinding[]): SurfaceFinding[] {
  const out: SurfaceFinding[] = [];
  const byContainer = new Map<string | null, SurfaceFinding[]>();
  for (const f of findings) {
    if (f.kind !== 'env_injection') {
      out.push(f);
      continue;
    }
    byContainer.set(f.container, [...(byContainer.get(f.container) ?? []), f]);
  }
  for (const [container, group] of byContainer) {
    const vars = group.map((f) => /set (\S+) in/.exec(f.summary)?.[1] ?? '?');
    const any = vars.includes('PARMA_SIM_INJECTED');
    const first = group[vars.indexOf(any ? 'PARMA_SIM_INJECTED' : vars[0]!)]!;
    out.push({ ...first, summary: any
      ? `the host can set any environment variable in ${container}'s environment (a made-up `
        + `PARMA_SIM_INJECTED got in; so did ${vars.filter((v) => v !== 'PARMA_SIM_INJECTED')
          .join(', ') || 'nothing else tried'}): a catch-all env rule`
      : `the host can set ${vars.join(', ')} in ${container}'s environment to values of its `
        + 'choice: env rules with patterns match them' });
  }
  assert(out.length <= findings.length, 'grouping never adds findings');
  return out;
}

/** Policy container i → the group name the shim used (create rows name it). */
function groupNames(policy: SecurityPolicy, layout: Layout): string[] {
  const created = Object.keys(layout.createRow);
  return policy.containers.map((c, i) => created.find((n) => n === c.name)
    ?? (c.command?.[0] === '/pause' ? 'pause' : created.find((n) => n === `container${i}`) ?? ''));
}
