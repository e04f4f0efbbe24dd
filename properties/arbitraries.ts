/**
 * Goal: fast-check arbitraries a user can reuse in their own tests: execution policies valid by
 * construction, as the Rego text az confcom emits, with layer images whose root hashes the
 * policy names; worlds built from them; and their benign deployments (the world's shim).
 * Method: a policy is drawn as data (`PolicyShape`: the pause container first, one to three
 * workload containers with layers from the catalog, string / re2 / required env rules, mounts
 * with sandbox://, hugepages:// and literal sources, exec processes, signals, user rules of
 * every strategy, capability sets, the flags, external processes, a fragment reference), then
 * written as Rego (`policyText`). "Valid by construction" means the benign deployment of every
 * drawn policy is allowed (C1, test/properties/compatibility.test.ts): each workload's argv is
 * unique, every required re2 rule has a simple sample the shim can send, and user rules name
 * accounts the base layers define. `twins: true` adds what a valid policy must not contain but a
 * hostile campaign wants to reach: containers (or external processes) that differ only in stdio
 * access or capabilities.
 * Hostile host actions: properties/hostile.ts.
 */
import fc from 'fast-check';
import { assert } from '../sim/kernel/assert.js';
import type { ImageTreeSpec } from '../models/host/adversary.js';
import { createWorld, type World, type WorldOptions } from '../sim/world.js';
import type {
  CapabilitySetsData, ContainerData, EnvRuleData, ExternalProcessData, FragmentRefData,
  MountRuleData, PolicyFlag, UserRuleData,
} from './policy-data.js';
import { UNPRIVILEGED_CAPABILITIES } from './policy-semantics.js';
import {
  APP_LAYERS, BASE_LAYERS, LAYER_BINARY, LAYER_TREES, layerRoot, type LayerName,
} from './catalog.js';
import { FRAGMENT_FEED, FRAGMENT_MINIMUM_SVN, fragmentIssuerDid } from './fragments.js';

export const PAUSE_PATH_RULE = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A policy container as confcom writes it (the reader's fields plus the image id). */
export type ContainerShape = ContainerData & Readonly<{ id: string }>;

export type PolicyShape = Readonly<{
  api_version: string;
  framework_version: string;
  containers: readonly ContainerShape[];
  external_processes: readonly ExternalProcessData[];
  fragments: readonly FragmentRefData[];
  flags: Readonly<Record<PolicyFlag, boolean>>;
}>;

export type GeneratedPolicy = Readonly<{
  shape: PolicyShape;
  /** The policy as Rego text (what HOST_DATA measures). */
  text: string;
  /** The catalog layers it names, and their trees for createWorld. */
  layers: readonly LayerName[];
  images: readonly ImageTreeSpec[];
}>;

export type PolicyArbOptions = Readonly<{
  /** Add a container (and external processes) distinguishable only by stdio or by
   * capabilities (true: either, drawn). */
  twins?: boolean | 'stdio' | 'caps';
  /** Workload containers besides pause (1 … this). */
  maxContainers?: number;
}>;

// ---------------------------------------------------------------------------------------------
// Pieces

const ANY_GROUP = Object.freeze({ pattern: '', strategy: 'any' });

/** User rules of every strategy, each naming an account the base layers define. */
const userRuleArb: fc.Arbitrary<UserRuleData> = fc.constantFrom<UserRuleData>(
  { user_idname: { pattern: '', strategy: 'any' }, group_idnames: [ANY_GROUP], umask: '0022' },
  { user_idname: { pattern: 'app', strategy: 'name' }, group_idnames: [ANY_GROUP],
    umask: '0022' },
  { user_idname: { pattern: 'app', strategy: 'name' },
    group_idnames: [{ pattern: 'app', strategy: 'name' }], umask: '0022' },
  { user_idname: { pattern: '2000', strategy: 'id' }, group_idnames: [ANY_GROUP],
    umask: '0022' },
  { user_idname: { pattern: 'ro+t', strategy: 're2' }, group_idnames: [ANY_GROUP],
    umask: '0022' },
);

/** Env rules: the workload's variables as string rules, then re2 rules (some required). */
const envRulesArb: fc.Arbitrary<EnvRuleData[]> = fc.record({
  strings: fc.subarray(['PATH=/usr/local/bin:/usr/bin:/bin', 'MODE=prod', 'TERM=xterm',
    'LANG=C.UTF-8'], { minLength: 1 }),
  required: fc.boolean(),
  re2: fc.subarray([
    { pattern: 'HOSTNAME=.+', required: true },
    { pattern: '(?i)(FABRIC)_.+=.+', required: false },
    { pattern: 'T(E)?MP=.+', required: true },
    { pattern: 'LOG_LEVEL=(debug|info|warn)', required: false },
    { pattern: 'IDENTITY_HEADER=.+', required: false },
  ]),
}).map(({ strings, required, re2 }) => [
  ...strings.map((pattern, i) => ({ pattern, strategy: 'string', required: required && i === 0 })),
  ...re2.map((r) => ({ pattern: r.pattern, strategy: 're2', required: r.required })),
]);

/** Mount rules of each source kind the benign host can satisfy. */
const MOUNT_RULES: readonly MountRuleData[] = [
  { destination: '/data', options: ['rbind', 'rshared', 'rw'],
    source: 'sandbox:///tmp/atlas/emptydir/.+', type: 'bind' },
  { destination: '/etc/resolv.conf', options: ['rbind', 'rshared', 'rw'],
    source: 'sandbox:///tmp/atlas/resolvconf/.+', type: 'bind' },
  { destination: '/dev/hugepages', options: ['rbind', 'rw'], source: 'hugepages:///2Mi/.+',
    type: 'bind' },
  { destination: '/shared', options: ['rbind', 'ro'], source: '/run/shared/volume',
    type: 'bind' },
];

const SMALL_CAPS = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
const capabilitiesArb: fc.Arbitrary<CapabilitySetsData | null> = fc.constantFrom(
  null,
  { bounding: UNPRIVILEGED_CAPABILITIES, effective: UNPRIVILEGED_CAPABILITIES, inheritable: [],
    permitted: UNPRIVILEGED_CAPABILITIES, ambient: [] },
  { bounding: SMALL_CAPS, effective: SMALL_CAPS, inheritable: [], permitted: SMALL_CAPS,
    ambient: [] },
);

const layersArb: fc.Arbitrary<LayerName[]> = fc.record({
  base: fc.constantFrom(...BASE_LAYERS),
  apps: fc.shuffledSubarray([...APP_LAYERS], { minLength: 0, maxLength: 2 }),
}).map(({ base, apps }) => [base, ...apps]);

function workloadArb(index: number): fc.Arbitrary<Omit<ContainerShape, 'layers'>
  & { layerNames: LayerName[] }> {
  return fc.record({
    layerNames: layersArb,
    args: fc.subarray(['--serve', '-v']),
    env_rules: envRulesArb,
    mounts: fc.subarray([...MOUNT_RULES], { maxLength: 2 }),
    execs: fc.subarray(['health', 'shell', 'tool']),
    execSignals: fc.subarray([9, 15, 10]),
    signals: fc.subarray([9, 15, 10]),
    working_dir: fc.constantFrom('/', '/srv', '/app'),
    allow_elevated: fc.boolean(),
    allow_stdio_access: fc.boolean(),
    no_new_privileges: fc.boolean(),
    user: userRuleArb,
    capabilities: capabilitiesArb,
  }).map((w) => {
    const top = w.layerNames[w.layerNames.length - 1]!;
    const binary = LAYER_BINARY[top] ?? '/bin/sh';
    const command = [binary, ...w.args, `--instance=${index}`];
    const exec: Record<string, string[]> = { health: [binary, '--health'], shell: ['/bin/sh'],
      tool: ['/usr/bin/tool', 'check'] };
    return {
      id: `parma-sim.test/workload${index}:generated`, name: `workload${index}`,
      layerNames: w.layerNames, command, env_rules: w.env_rules, mounts: w.mounts,
      exec_processes: w.execs.map((e) => ({ command: exec[e]!, signals: w.execSignals })),
      signals: w.signals, working_dir: w.working_dir, allow_elevated: w.allow_elevated,
      allow_stdio_access: w.allow_stdio_access, no_new_privileges: w.no_new_privileges,
      user: w.user, capabilities: w.capabilities, seccomp_profile_sha256: '',
    };
  });
}

export function pauseContainer(): ContainerShape {
  return {
    id: 'mcr.microsoft.com/oss/kubernetes/pause:3.6', name: 'pause', command: ['/pause'],
    layers: [layerRoot('pause')],
    env_rules: [{ pattern: PAUSE_PATH_RULE, strategy: 'string', required: true }],
    mounts: [], exec_processes: [], signals: [], working_dir: '/', allow_elevated: false,
    allow_stdio_access: false, no_new_privileges: false,
    user: { user_idname: { pattern: '', strategy: 'any' }, group_idnames: [ANY_GROUP],
      umask: '0022' },
    capabilities: null, seccomp_profile_sha256: '',
  };
}

const flagsArb: fc.Arbitrary<Record<PolicyFlag, boolean>> = fc.record({
  allow_properties_access: fc.boolean(),
  allow_dump_stacks: fc.boolean(),
  allow_runtime_logging: fc.boolean(),
  allow_environment_variable_dropping: fc.boolean(),
  allow_unencrypted_scratch: fc.boolean(),
  allow_capability_dropping: fc.boolean(),
  allow_host_network: fc.constant(false),
});

const externalArb: fc.Arbitrary<ExternalProcessData[]> = fc.subarray([
  { command: ['/bin/ps', 'aux'], env_rules: [{ pattern: 'PATH=/usr/bin', strategy: 'string',
    required: false }], working_dir: '/', allow_stdio_access: false },
  { command: ['/usr/bin/tool', 'diagnose'], env_rules: [{ pattern: 'DEBUG=.+',
    strategy: 're2', required: true }], working_dir: '/tmp', allow_stdio_access: true },
], { maxLength: 1 });

// ---------------------------------------------------------------------------------------------
// Twins: what a hostile campaign needs the framework's "undecidable" denials for

/** The same number of capabilities with one swapped: a tie when a request holds both. */
function swapOneCapability(caps: CapabilitySetsData | null): CapabilitySetsData {
  const base = caps?.bounding ?? UNPRIVILEGED_CAPABILITIES;
  const swapped = [...base.slice(0, -1), 'CAP_SYS_PTRACE'];
  return { bounding: swapped, effective: swapped, inheritable: [], permitted: swapped,
    ambient: [] };
}

function twinsOf(shape: PolicyShape, which: 'stdio' | 'caps'): PolicyShape {
  const workload = shape.containers[1]!;
  const twin: ContainerShape = which === 'stdio'
    ? { ...workload, name: `${workload.name}-twin`,
      allow_stdio_access: !workload.allow_stdio_access }
    : { ...workload, name: `${workload.name}-twin`, capabilities: swapOneCapability(
      workload.capabilities) };
  const external = shape.external_processes.flatMap((p) => [p, { ...p,
    allow_stdio_access: !p.allow_stdio_access }]);
  // Capability twins are told apart only when dropping is on (else: exact sets).
  const flags = which === 'caps' ? { ...shape.flags, allow_capability_dropping: true }
    : shape.flags;
  return { ...shape, containers: [...shape.containers, twin], external_processes: external,
    flags };
}

// ---------------------------------------------------------------------------------------------
// The policy

/** Execution policies valid by construction (see the header), as data. */
export function policyShapeArb(options: PolicyArbOptions = {}): fc.Arbitrary<PolicyShape> {
  const max = options.maxContainers ?? 3;
  assert(max >= 1 && max <= 6, 'one to six workload containers');
  const workloads = fc.integer({ min: 1, max }).chain((n) =>
    fc.tuple(...Array.from({ length: n }, (_, i) => workloadArb(i + 1))));
  return fc.record({
    api_version: fc.constantFrom('0.10.0', '0.11.0'),
    workloads,
    external_processes: externalArb,
    fragment: fc.boolean(),
    flags: flagsArb,
    twins: fc.constantFrom<'stdio' | 'caps'>('stdio', 'caps'),
  }).map((p) => {
    const shape: PolicyShape = {
      api_version: p.api_version, framework_version: '0.2.3',
      containers: [pauseContainer(), ...p.workloads.map(({ layerNames, ...c }) => ({ ...c,
        layers: layerNames.map(layerRoot) }))],
      external_processes: p.external_processes,
      fragments: p.fragment ? [{ issuer: fragmentIssuerDid(), feed: FRAGMENT_FEED,
        minimum_svn: FRAGMENT_MINIMUM_SVN, includes: ['containers'] }] : [],
      flags: p.flags,
    };
    const twins = options.twins ?? false;
    return twins === false ? shape : twinsOf(shape, twins === true ? p.twins : twins);
  });
}

const RULES_010 = ['mount_device', 'unmount_device', 'mount_overlay', 'unmount_overlay',
  'create_container', 'exec_in_container', 'exec_external', 'shutdown_container',
  'signal_container_process', 'plan9_mount', 'plan9_unmount', 'get_properties', 'dump_stacks',
  'runtime_logging', 'load_fragment', 'scratch_mount', 'scratch_unmount'];

/** The Rego text confcom writes for `shape` (api 0.11 binds the RW device rules too). */
export function policyText(shape: PolicyShape): string {
  const rules = shape.api_version === '0.10.0' ? RULES_010
    : [...RULES_010, 'rw_mount_device', 'rw_unmount_device'];
  const lines = ['package policy', '', 'import future.keywords.every',
    'import future.keywords.in', '', `api_version := "${shape.api_version}"`,
    `framework_version := "${shape.framework_version}"`, ''];
  if (shape.fragments.length > 0) {
    lines.push(`fragments := ${JSON.stringify(shape.fragments, null, 2)}`, '');
  }
  lines.push(`containers := ${JSON.stringify(shape.containers)}`, '');
  if (shape.external_processes.length > 0) {
    lines.push(`external_processes := ${JSON.stringify(shape.external_processes)}`, '');
  }
  for (const [flag, value] of Object.entries(shape.flags)) lines.push(`${flag} := ${value}`);
  lines.push('', ...rules.map((rule) => `${rule} := data.framework.${rule}`),
    'reason := {"errors": data.framework.errors}', '');
  return lines.join('\n');
}

/** The catalog layers a shape names. */
export function layersOf(shape: PolicyShape): LayerName[] {
  const names = (Object.keys(LAYER_TREES) as LayerName[]);
  const used = new Set(shape.containers.flatMap((c) => c.layers));
  return names.filter((name) => used.has(layerRoot(name)));
}

export function generatedPolicyOf(shape: PolicyShape): GeneratedPolicy {
  const layers = layersOf(shape);
  assert(shape.containers[0]?.command?.[0] === '/pause', 'the pause container comes first');
  assert(layers.length >= 2, 'pause and at least one workload layer');
  // The sidecar layer is the fragments': the host has its image whenever a fragment may load.
  const images = [...layers, ...(shape.fragments.length > 0 ? ['sidecar' as const] : [])]
    .map((name) => LAYER_TREES[name]);
  return { shape, text: policyText(shape), layers, images };
}

/** Generated policies: shape, Rego text and the layer images it names. */
export function generatedPolicyArb(options: PolicyArbOptions = {}): fc.Arbitrary<GeneratedPolicy> {
  return policyShapeArb(options).map(generatedPolicyOf);
}

/** The options of a world that runs `policy` (its images included). */
export function worldOptionsOf(policy: GeneratedPolicy, seed: WorldOptions['seed'] = 1,
  extra: Partial<WorldOptions> = {}): WorldOptions {
  return { seed, policy: policy.text, images: policy.images, ...extra };
}

/** A fresh world for `policy` (nothing launched). */
export function worldOf(policy: GeneratedPolicy, seed: WorldOptions['seed'] = 1,
  extra: Partial<WorldOptions> = {}): World {
  return createWorld(worldOptionsOf(policy, seed, extra));
}
