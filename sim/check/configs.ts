/**
 * Models: the named small configurations `parma-sim check --exhaustive --config NAME` explores: a
 * generated container group with real layer images, the host's setup up to the start of the
 * exploration, and a finite alphabet of host actions, benign and hostile.
 * Real counterpart: a Confidential ACI container group whose pause container is up, driven by a
 * host that may send any of these requests in any order (spec/policy.md d).
 * Differs: the alphabet is finite: each letter is one fixed request (or one built from the state,
 * e.g. "kill the init process of c1" names whatever pid the guest gave it); container IDs are
 * the shim's, drawn from the world's seed.
 * Invariants: letters are named in spec terms; the alphabet is closed under swapping the
 * interchangeable container IDs (each letter for c1 has its mirror for c2), which the symmetry
 * reduction relies on; the setup is the shim's own benign prefix (a test replays it).
 */
import { assert } from '../kernel/assert.js';
import { SimError } from '../kernel/errors.js';
import type { Json } from '../kernel/canonical-json.js';
import type { BridgeMessage, HostAction } from '../../models/host/adversary.js';
import type { GroupContainer } from '../../models/host/container-group.js';
import { generateWorkload, pauseLayerTree, type WorkloadFlags,
  DEFAULT_WORKLOAD_FLAGS } from '../../models/host/confcom.js';
import {
  gcsMessage, layerMountPath, mappedVirtualDisk, modifySettings, ociSpecFor, rootfsPath,
  containerRoot, scratchPath, type ContainerIds,
} from '../../models/host/shim.js';
import type { LayerFileTree } from '../../models/guest/layer-image.js';
import {
  createWorld, deployBenign, imageTreeSpecOf, runActions, type World, type WorldOptions,
} from '../world.js';
import type { ExploreAction, Symmetry } from '../explore.js';

export type ExploreConfig = Readonly<{
  name: string;
  summary: string;
  /** The world the run starts from: createWorld(options), then `setup`. */
  options: WorldOptions;
  setup: readonly HostAction[];
  actions: readonly ExploreAction[];
  symmetry: Symmetry | null;
  /** The depth the README documents for this configuration. */
  documentedDepth: number;
}>;

const utf8 = new TextEncoder();
const file = (text: string, mode = 0o644) => ({ kind: 'file' as const, content: utf8.encode(text),
  mode });

const BASE: LayerFileTree = {
  '/etc/passwd': file('root:x:0:0:root:/root:/bin/sh\n'), '/etc/group': file('root:x:0:\n'),
  '/bin/sh': file('#!parma-sim shell\n', 0o755),
};
const APP_A: LayerFileTree = { '/usr/bin/a': file('#!parma-sim a\n', 0o755) };
const APP_B: LayerFileTree = { '/usr/bin/b': file('#!parma-sim b\n', 0o755) };

const SIGKILL = 9;
const SHELL = ['/bin/sh'];
const INJECTED_ENV = 'LD_PRELOAD=/tmp/injected.so';

type Build = (world: World) => HostAction | null;
const fixed = (action: HostAction): Build => () => action;
const bridge = (message: BridgeMessage): HostAction => ({ kind: 'bridge', message });

/** The pid of the running init process of container `id`, if the guest has one. */
function initPid(world: World, id: string): number | null {
  const guest = world.state.guest;
  if (guest === null) return null;
  for (const process of Object.values(guest.processes)) {
    if (process.containerId === id && process.kind === 'init' && process.status === 'running') {
      return process.pid;
    }
  }
  return null;
}

type Layout = Readonly<{
  /** LUN of each layer disk the setup attached, by layer name (base, a, b). */
  lun: Readonly<Record<string, number>>;
  sandbox: string;
  containers: Readonly<Record<string, GroupContainer>>;
}>;

function createMessage(layout: Layout, c: GroupContainer, id: string, env: readonly string[]):
  HostAction {
  const ids: ContainerIds = { sandbox: layout.sandbox, byName: { [c.name]: id } };
  const spec = ociSpecFor({ ...c, env: [...env] }, ids);
  const config = { SchemaVersion: { Major: 2, Minor: 1 }, OciBundlePath: containerRoot(id),
    OciSpecification: spec, ScratchDirPath: scratchPath(layout.sandbox, id) };
  return bridge(gcsMessage('Create', id, { ContainerConfig: JSON.stringify(config) }));
}

function overlayMessage(layout: Layout, id: string, layers: readonly string[]): HostAction {
  return bridge(modifySettings('CombinedLayers', 'Add', {
    ContainerID: id, ContainerRootPath: rootfsPath(id),
    Layers: layers.map((name) => ({ Path: layerMountPath(layout.lun[name]!) })),
    ScratchPath: scratchPath(layout.sandbox, id),
  }));
}

function execMessage(c: GroupContainer, id: string, argv: readonly string[]): HostAction {
  const caps = c.capabilities;
  const process: Json = { terminal: false, user: { uid: c.account.uid, gid: c.account.gid },
    args: [...argv], env: [...c.env], cwd: c.workingDir,
    capabilities: { bounding: [...caps.bounding], effective: [...caps.effective],
      inheritable: [...caps.inheritable], permitted: [...caps.permitted],
      ambient: [...caps.ambient] },
    noNewPrivileges: c.noNewPrivileges };
  return bridge(gcsMessage('ExecuteProcess', id, { Settings: { ProcessParameters:
    JSON.stringify({ OciProcess: process, CreateStdOutPipe: true, CreateStdErrPipe: true }) } }));
}

/** The letters of one container ID `id` (symmetric value `k`), as container A or B. */
function containerLetters(layout: Layout, tag: string, id: string, k: number,
  names: readonly string[]): ExploreAction[] {
  const a = layout.containers['a']!;
  const letters: [string, Build][] = [
    [`overlay ${tag} as a (a, base)`, fixed(overlayMessage(layout, id, ['a', 'base']))],
    [`overlay ${tag} as a in the wrong order (base, a)`,
      fixed(overlayMessage(layout, id, ['base', 'a']))],
    [`remove the overlay of ${tag}`, fixed(bridge(modifySettings('CombinedLayers', 'Remove',
      { ContainerID: id, ContainerRootPath: rootfsPath(id) })))],
    [`create ${tag} as a`, fixed(createMessage(layout, a, id, a.env))],
    [`create ${tag} as a with ${INJECTED_ENV}`,
      fixed(createMessage(layout, a, id, [...a.env, INJECTED_ENV]))],
    [`start ${tag}`, fixed(bridge(gcsMessage('Start', id)))],
    [`run the init process of ${tag}`, fixed(bridge(gcsMessage('ExecuteProcess', id, {
      Settings: { ProcessParameters: JSON.stringify({ CreateStdOutPipe: true,
        CreateStdErrPipe: true }) } })))],
    [`exec a shell in ${tag}`, fixed(execMessage(a, id, SHELL))],
    [`SIGKILL the init process of ${tag}`, (world) => {
      const pid = initPid(world, id);
      return pid === null ? null : bridge(gcsMessage('SignalProcess', id, { ProcessId: pid,
        Options: { Signal: SIGKILL } }));
    }],
    [`shut ${tag} down`, fixed(bridge(gcsMessage('ShutdownGraceful', id)))],
    [`delete the state of ${tag}`, fixed(bridge(gcsMessage('DeleteContainerState', id)))],
  ];
  const b = layout.containers['b'];
  if (b !== undefined && names.includes('b')) {
    letters.splice(2, 0, [`overlay ${tag} as b (b, base)`,
      fixed(overlayMessage(layout, id, ['b', 'base']))]);
    letters.splice(5, 0, [`create ${tag} as b`, fixed(createMessage(layout, b, id, b.env))]);
  }
  return letters.map(([name, build]) => ({ name, build, symmetric: k }));
}

function deviceLetters(layout: Layout, names: readonly string[]): ExploreAction[] {
  const letters: ExploreAction[] = [];
  const ro = (lun: number, path: string, op: 'Add' | 'Remove'): HostAction =>
    bridge(mappedVirtualDisk({ mountPath: path, lun, readOnly: true, options: ['ro'] }, op));
  for (const name of names) {
    const lun = layout.lun[name]!;
    letters.push({ name: `mount ${name} at ${layerMountPath(lun)}`,
      build: fixed(ro(lun, layerMountPath(lun), 'Add')) });
    letters.push({ name: `unmount ${layerMountPath(lun)}`,
      build: fixed(ro(lun, layerMountPath(lun), 'Remove')) });
  }
  const a = layout.lun['a']!;
  const base = layout.lun['base']!;
  letters.push({ name: `mount a's disk at base's path ${layerMountPath(base)}`,
    build: fixed(ro(a, layerMountPath(base), 'Add')) });
  letters.push({ name: 'tamper a block of a\'s disk', build: fixed({ kind: 'tamper_block',
    disk: 'layer-a', block: 0, bytes: '00'.repeat(4096) }) });
  letters.push({ name: 'make the next mount fail', build: fixed({ kind: 'fail_next',
    what: 'mount' }) });
  if (names.includes('b')) {
    letters.push({ name: 'swap the disks of a and b', build: fixed({ kind: 'swap_disks',
      a: 'layer-a', b: 'layer-b' }) });
  }
  return letters;
}

type Shape = Readonly<{ names: readonly string[]; ids: number; flags?: WorkloadFlags }>;

/** Builds a configuration: the workload, the setup (pause up, layer disks attached), letters. */
function buildConfig(name: string, summary: string, shape: Shape, documentedDepth: number):
  ExploreConfig {
  const trees: Readonly<Record<string, LayerFileTree>> = { a: APP_A, b: APP_B };
  const workload = generateWorkload(shape.names.map((n) => ({
    name: n, layers: [BASE, trees[n]!], command: [`/usr/bin/${n}`], env: ['PATH=/usr/bin'],
    workingDir: '/',
  })), shape.flags ?? DEFAULT_WORKLOAD_FLAGS);
  const options: WorldOptions = { seed: `explore/${name}`, policy: workload.policyText,
    images: [pauseLayerTree(), BASE, APP_A, APP_B].map(imageTreeSpecOf) };
  const world = createWorld(options);
  const benign = deployBenign(world);
  const pauseUp = benign.rows.findIndex((row) => row.note === 'run the init process of pause');
  assert(pauseUp > 0 && benign.rows.slice(0, pauseUp + 1).every((r) => r.result.outcome === 'ok'),
    'the benign prefix brings the pause container up');
  const initAction = benign.rows[pauseUp]!.action;
  assert(initAction.kind === 'bridge', 'the init process is a bridge request');
  const sandbox = String((initAction.message.message as Readonly<Record<string, Json>>)[
    'ContainerId']);
  assert(/^[0-9a-f]{64}$/.test(sandbox), 'the sandbox has a 64-hex ID');
  const setup: HostAction[] = benign.actions.slice(0, pauseUp + 1) as HostAction[];
  const containers = Object.fromEntries(workload.group.containers.map((c) => [c.name, c]));
  const roots: Record<string, string> = { base: containers['a']!.layers[0]! };
  for (const n of shape.names) roots[n] = containers[n]!.layers[1]!;
  const lun: Record<string, number> = {};
  let next = 2;
  for (const layer of ['base', ...shape.names]) {
    const image = world.config.images.find((i) => i.realRoot === roots[layer]);
    assert(image !== undefined, `the ${layer} layer has an image in the store`);
    lun[layer] = next;
    setup.push({ kind: 'add_disk', disk: `layer-${layer}`, spec: { kind: 'layer',
      image: image.digest } }, { kind: 'attach', lun: next++, disk: `layer-${layer}` });
  }
  const layout: Layout = { lun, sandbox, containers };
  // 64-hex container IDs a host may choose; c1 and c2 are interchangeable.
  const ids = ['c1'.padEnd(64, 'a'), 'c2'.padEnd(64, 'b')].slice(0, shape.ids);
  const actions = [...deviceLetters(layout, ['base', ...shape.names]),
    ...ids.flatMap((id, k) => containerLetters(layout, `c${k + 1}`, id, k, shape.names))];
  return { name, summary: `${summary}, ${actions.length} letters`, options, setup, actions,
    documentedDepth,
    symmetry: shape.ids > 1 ? { name: 'container IDs', values: ids } : null };
}

const CONFIGS: Readonly<Record<string, () => ExploreConfig>> = {
  single: () => buildConfig('single',
    'one app container (layers base, a), one container ID', { names: ['a'], ids: 1 }, 30),
  pair: () => buildConfig('pair', 'two app containers sharing a base layer (3 layer images), '
    + 'two container IDs', { names: ['a', 'b'], ids: 2 }, 8),
};

export const CONFIG_NAMES: readonly string[] = Object.keys(CONFIGS);

/** The named configuration, or SIM_USAGE naming the known ones. */
export function exploreConfig(name: string): ExploreConfig {
  const make = Object.hasOwn(CONFIGS, name) ? CONFIGS[name] : undefined;
  if (make === undefined) {
    throw new SimError('SIM_USAGE', { config: name }, `unknown configuration ${JSON.stringify(
      name)} (known: ${CONFIG_NAMES.join(', ')})`);
  }
  return make();
}

/** The world a configuration's exploration starts from (its setup run; every step must pass). */
export function initialWorld(config: ExploreConfig): World {
  const run = runActions(createWorld(config.options), config.setup);
  const refused = run.results.findIndex((r) => r.outcome !== 'ok');
  assert(refused === -1, `the setup of ${config.name} passes (step ${refused} refused)`);
  return run.world;
}
