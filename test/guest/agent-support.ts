/**
 * Goal: a small, hand-written world for the guest-agent tests: in-memory disks behind an AgentIo
 * (layer images with host patches, scratch disks of sealed blocks), generated layer images and a
 * generated policy whose layers are those images' root hashes, and the host's benign request
 * sequence for a pause container and an application container.
 * Method: images come from layer-image.ts buildLayerImage over file trees written here; the
 * policy is a SecurityPolicy written as native JSON bytes, its SHA-256 the guest's HOST_DATA;
 * every bridge message is built with the bridge-protocol builders, so the agent decodes what a
 * host would send. Expected values in the tests come from these inputs, never from the agent.
 */
import { createHash } from 'node:crypto';
import { toHex, type Hex } from '../../sim/kernel/bytes.js';
import { rngStateOf } from '../../sim/kernel/rng.js';
import {
  bridgeMessage, modifySettingsMessage, type RawBridgeMessage,
} from '../../models/guest/bridge-protocol.js';
import type { ScratchDisk } from '../../models/guest/encrypted-scratch.js';
import { buildLayerImage, type LayerFileTree, type LayerImage }
  from '../../models/guest/layer-image.js';
import {
  bootGuest, stepAgent, DEFAULT_AGENT_OPTIONS, type AgentEnv, type AgentIo, type AgentOptions,
  type AgentStep, type DiskWrite,
} from '../../models/guest/agent.js';
import {
  UVM_CONTAINER_ID, createGuestState, type AgentFault, type GuestState,
} from '../../models/guest/guest-state.js';
import type { PolicyContainer, SecurityPolicy } from '../../models/policy/policy-model.js';
import { ENFORCEMENT_POINT_NAMES } from '../../models/policy/enforcement-points.js';

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

export const UNPRIVILEGED_CAPS = [
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_MKNOD', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP',
  'CAP_SETUID', 'CAP_SYS_CHROOT',
];
export const CAPS = Object.freeze({ bounding: UNPRIVILEGED_CAPS, effective: UNPRIVILEGED_CAPS,
  permitted: UNPRIVILEGED_CAPS, inheritable: [], ambient: [] });

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n'
  + 'nobody:x:65534:65534:nobody:/:/sbin/nologin\n';
const GROUP = 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n';

/** The pause image: one layer. */
export const PAUSE_TREE: LayerFileTree = {
  '/pause': { kind: 'file', content: text('#!pause\n'), mode: 0o755 },
  '/etc/passwd': { kind: 'file', content: text('root:x:0:0:root:/:/pause\n') },
  '/etc/group': { kind: 'file', content: text('root:x:0:\n') },
};
/** The application image: a base layer and an app layer that overrides /etc/passwd. */
export const APP_BASE_TREE: LayerFileTree = {
  '/bin/sh': { kind: 'file', content: new Uint8Array(5000).fill(0x5a), mode: 0o755 },
  '/etc/passwd': { kind: 'file', content: text('root:x:0:0:root:/root:/bin/sh\n') },
  '/etc/group': { kind: 'file', content: text(GROUP) },
};
export const APP_TOP_TREE: LayerFileTree = {
  '/app/server': { kind: 'file', content: text('#!server\n'), mode: 0o755 },
  '/etc/passwd': { kind: 'file', content: text(PASSWD) },
  '/home/app': { kind: 'dir', uid: 1000, gid: 1000 },
};

export type Images = Readonly<{ pause: LayerImage; appBase: LayerImage; appTop: LayerImage }>;

let cachedImages: Images | undefined;
export function images(): Images {
  cachedImages ??= { pause: buildLayerImage(PAUSE_TREE), appBase: buildLayerImage(APP_BASE_TREE),
    appTop: buildLayerImage(APP_TOP_TREE) };
  return cachedImages;
}

export const SANDBOX_ID = 'ab'.repeat(32);
export const APP_ID = 'cd'.repeat(32);

function policyContainer(overrides: Partial<PolicyContainer>): PolicyContainer {
  return {
    id: 'example.azurecr.io/x', name: 'x', command: ['/pause'], env_rules: [], layers: [],
    mounts: [], exec_processes: [], signals: [], working_dir: '/', allow_elevated: false,
    allow_stdio_access: true, no_new_privileges: false,
    user: { user_idname: { pattern: '', strategy: 'any' },
      group_idnames: [{ pattern: '', strategy: 'any' }], umask: '0022' },
    capabilities: CAPS, seccomp_profile_sha256: '', ...overrides,
  };
}

/** A generated policy for the images: a pause container and an application container. */
export function generatedPolicy(flags: Partial<SecurityPolicy['flags']> = {},
  appOverrides: Partial<PolicyContainer> = {}): SecurityPolicy {
  const img = images();
  const rules: Record<string, { kind: 'framework' }> = {};
  for (const name of ENFORCEMENT_POINT_NAMES) rules[name] = { kind: 'framework' };
  return {
    format: 'native-json', api_version: '0.12.0', framework_version: '0.5.0',
    containers: [
      policyContainer({ name: 'pause', layers: [img.pause.rootHash] }),
      policyContainer({ name: 'app', command: ['/app/server', '--port', '80'],
        layers: [img.appBase.rootHash, img.appTop.rootHash],
        env_rules: [{ pattern: 'PATH=/usr/bin', strategy: 'string', required: true },
          { pattern: 'MODE=.*', strategy: 're2', required: false }],
        exec_processes: [{ command: ['/bin/sh', '-c', 'echo ok'], signals: [] }],
        signals: [15], working_dir: '/app',
        user: { user_idname: { pattern: 'app', strategy: 'name' },
          group_idnames: [{ pattern: 'app', strategy: 'name' }], umask: '0022' },
        ...appOverrides }),
    ],
    external_processes: [{ command: ['/bin/ls'], env_rules: [], working_dir: '/',
      allow_stdio_access: false }],
    fragments: [], rules, allow_all: false, package_name: 'policy', svn: null, notes: [],
    reason_errors: true,
    flags: { allow_properties_access: true, allow_dump_stacks: false,
      allow_runtime_logging: false, allow_environment_variable_dropping: false,
      allow_unencrypted_scratch: false, allow_capability_dropping: false,
      allow_host_network: false, ...flags },
  };
}

export function policyBytes(policy: SecurityPolicy): Uint8Array {
  return text(JSON.stringify(policy));
}

export const sha256Hex = (bytes: Uint8Array): Hex =>
  createHash('sha256').update(bytes).digest('hex');

// ---------------------------------------------------------------------------------------------
// The in-memory world

export type Disk =
  | { kind: 'layer'; image: Uint8Array; rootHash: Hex; patches: Map<number, Uint8Array>;
    generation: number }
  | { kind: 'scratch'; disk: ScratchDisk };

/** Disks by LUN, a content store, a fault: the little world the tests drive the agent in. */
export class TestWorld {
  readonly disks = new Map<number, Disk>();
  readonly store = new Map<Hex, Uint8Array>();
  readonly withheld = new Set<number>();
  fault: AgentFault | null = null;
  options: AgentOptions = DEFAULT_AGENT_OPTIONS;
  private readonly patched = new Map<number, Uint8Array>();

  attachLayer(lun: number, image: LayerImage): void {
    this.disks.set(lun, { kind: 'layer', image: image.image, rootHash: image.rootHash,
      patches: new Map(), generation: 0 });
    this.patched.delete(lun);
  }

  attachScratch(lun: number, blockCount: number): void {
    this.disks.set(lun, { kind: 'scratch', disk: { blockCount, sealed: {} } });
  }

  /** The host overwrites block `block` (4096 bytes) of a layer disk with `bytes`. */
  tamperLayer(lun: number, block: number, bytes: Uint8Array): void {
    const disk = this.disks.get(lun);
    if (disk?.kind !== 'layer') throw new Error(`no layer disk at ${lun}`);
    disk.patches.set(block, bytes);
    disk.generation++;
    this.patched.delete(lun);
  }

  /** The host overwrites a sealed scratch block. */
  tamperScratch(lun: number, index: number, block: Hex): void {
    const disk = this.disks.get(lun);
    if (disk?.kind !== 'scratch') throw new Error(`no scratch disk at ${lun}`);
    disk.disk = { ...disk.disk, sealed: { ...disk.disk.sealed, [String(index)]: block } };
  }

  apply(writes: readonly DiskWrite[]): void {
    for (const w of writes) {
      const disk = this.disks.get(w.lun);
      if (disk?.kind !== 'scratch') throw new Error(`write to a non-scratch lun ${w.lun}`);
      disk.disk = { ...disk.disk, sealed: { ...disk.disk.sealed, [String(w.index)]: w.block } };
    }
  }

  readonly io: AgentIo = {
    deviceBytes: (lun) => {
      const disk = this.disks.get(lun);
      if (disk === undefined || this.withheld.has(lun)) return { io_error: `nothing at ${lun}` };
      if (disk.kind === 'scratch') return { io_error: 'a scratch disk' };
      let bytes = this.patched.get(lun);
      if (bytes === undefined) {
        bytes = disk.image.slice();
        for (const [block, patch] of disk.patches) bytes.set(patch, block * 4096);
        this.patched.set(lun, bytes);
      }
      return bytes;
    },
    deviceId: (lun) => {
      const disk = this.disks.get(lun);
      if (disk === undefined || this.withheld.has(lun)) return { io_error: `nothing at ${lun}` };
      if (disk.kind === 'scratch') return `scratch:${lun}`;
      // The image is content-addressed by its root hash; patches make a per-LUN generation.
      return disk.generation === 0 ? disk.rootHash : `${disk.rootHash}:${lun}:${disk.generation}`;
    },
    scratchDisk: (lun) => {
      const disk = this.disks.get(lun);
      if (disk === undefined || this.withheld.has(lun)) return { io_error: `nothing at ${lun}` };
      if (disk.kind !== 'scratch') return { io_error: 'not a scratch disk' };
      return disk.disk;
    },
    load: (digest) => this.store.get(digest),
    declaredRoot: () => null,
  };

  env(): AgentEnv {
    return { options: this.options, fault: this.fault };
  }

  /** One step: the agent's answer, with writes and blobs applied to this world. */
  step(state: GuestState, request: unknown): AgentStep {
    const step = stepAgent(state, request, this.io, this.env());
    this.apply(step.writes);
    for (const blob of step.blobs) this.store.set(blob.digest, blob.bytes);
    if (step.faultUsed) this.fault = null;
    return step;
  }
}

export const MEASUREMENT = 'ee'.repeat(48);

/** A booted guest whose HOST_DATA is SHA-256 of `bytes`. */
export function bootedGuest(bytes: Uint8Array, name = 'agent-test'): GuestState {
  return bootGuest(createGuestState(rngStateOf(`parma-sim/guest-test/${name}`)),
    { host_data: sha256Hex(bytes), measurement: MEASUREMENT });
}

// ---------------------------------------------------------------------------------------------
// Bridge messages the host sends

let nextId = 1;
const id = (): number => nextId++;

export function negotiate(): RawBridgeMessage {
  return bridgeMessage('NegotiateProtocol', id(), { ContainerId: UVM_CONTAINER_ID,
    ActivityId: '', MinimumVersion: 4, MaximumVersion: 4 });
}

export function setPolicy(bytes: Uint8Array): RawBridgeMessage {
  return modifySettingsMessage(id(), UVM_CONTAINER_ID, 'SecurityPolicy', 'Add', {
    EnforcerType: 'rego', EncodedSecurityPolicy: Buffer.from(bytes).toString('base64') });
}

export function scsiLayer(lun: number, target: string, requestType = 'Add',
  extra: Record<string, unknown> = {}): RawBridgeMessage {
  return modifySettingsMessage(id(), UVM_CONTAINER_ID, 'MappedVirtualDisk', requestType, {
    MountPath: target, Lun: lun, Controller: 0, ReadOnly: true, Options: ['ro'], ...extra });
}

export function scsiScratch(lun: number, target: string, requestType = 'Add',
  extra: Record<string, unknown> = {}): RawBridgeMessage {
  return modifySettingsMessage(id(), UVM_CONTAINER_ID, 'MappedVirtualDisk', requestType, {
    MountPath: target, Lun: lun, Controller: 0, ReadOnly: false, Encrypted: true,
    EnsureFilesystem: true, Filesystem: 'ext4', ...extra });
}

export const scratchPathOf = (containerId: string): string =>
  `/run/gcs/c/${SANDBOX_ID}/scratch/${containerId}`;
export const rootfsOf = (containerId: string): string => `/run/gcs/c/${containerId}/rootfs`;

export function combinedLayers(containerId: string, layerPaths: readonly string[],
  requestType = 'Add', extra: Record<string, unknown> = {}): RawBridgeMessage {
  return modifySettingsMessage(id(), UVM_CONTAINER_ID, 'CombinedLayers', requestType, {
    ContainerID: containerId, ContainerRootPath: rootfsOf(containerId),
    Layers: layerPaths.map((Path) => ({ Path })), ScratchPath: scratchPathOf(containerId),
    ...extra });
}

export type SpecOverrides = Readonly<{
  process?: Record<string, unknown>; spec?: Record<string, unknown>;
  settings?: Record<string, unknown>;
}>;

/** The OCI spec a CRI shim would build for the pause or app container of generatedPolicy(). */
export function ociSpec(containerId: string, o: SpecOverrides = {}): Record<string, unknown> {
  const app = containerId !== SANDBOX_ID;
  return {
    ociVersion: '1.1.0',
    process: { terminal: false, user: app ? { uid: 1000, gid: 1000 } : { uid: 0, gid: 0 },
      args: app ? ['/app/server', '--port', '80'] : ['/pause'],
      env: app ? ['PATH=/usr/bin', 'MODE=fast'] : [], cwd: app ? '/app' : '/',
      capabilities: CAPS, noNewPrivileges: false, ...o.process },
    root: { path: rootfsOf(containerId), readonly: false },
    hostname: 'group-1',
    mounts: [],
    annotations: app ? { 'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.sandbox-id': SANDBOX_ID }
      : { 'io.kubernetes.cri.container-type': 'sandbox' },
    linux: { devices: [] },
    ...o.spec,
  };
}

export function create(containerId: string, o: SpecOverrides = {}): RawBridgeMessage {
  const config = { SchemaVersion: { Major: 2, Minor: 1 },
    OciBundlePath: `/run/gcs/c/${containerId}`,
    OciSpecification: ociSpec(containerId, o), ScratchDirPath: scratchPathOf(containerId),
    ...o.settings };
  return bridgeMessage('Create', id(), { ContainerId: containerId, ActivityId: '',
    ContainerConfig: JSON.stringify(config) });
}

export function startInit(containerId: string): RawBridgeMessage {
  return bridgeMessage('ExecuteProcess', id(), { ContainerId: containerId, ActivityId: '',
    Settings: { ProcessParameters: JSON.stringify({ CreateStdOutPipe: true }) } });
}

export function exec(containerId: string, args: readonly string[],
  processOverrides: Record<string, unknown> = {}): RawBridgeMessage {
  const process = { terminal: false, user: { uid: 1000, gid: 1000 }, args,
    env: ['PATH=/usr/bin'], cwd: '/app', capabilities: CAPS, noNewPrivileges: false,
    ...processOverrides };
  return bridgeMessage('ExecuteProcess', id(), { ContainerId: containerId, ActivityId: '',
    Settings: { ProcessParameters: JSON.stringify({ OciProcess: process }) } });
}

export function signal(containerId: string, pid: number, sig: number): RawBridgeMessage {
  return bridgeMessage('SignalProcess', id(), { ContainerId: containerId, ActivityId: '',
    ProcessId: pid, Options: { Signal: sig } });
}

export function plain(kind: 'ShutdownGraceful' | 'ShutdownForced' | 'DeleteContainerState'
  | 'DumpStacks' | 'Start', containerId: string): RawBridgeMessage {
  return bridgeMessage(kind, id(), { ContainerId: containerId, ActivityId: '' });
}

export function waitFor(containerId: string, pid: number): RawBridgeMessage {
  return bridgeMessage('WaitForProcess', id(), { ContainerId: containerId, ActivityId: '',
    ProcessId: pid, TimeoutInMs: 0xffff_ffff });
}

// ---------------------------------------------------------------------------------------------
// The benign run

export const LUN = Object.freeze({ pause: 1, appBase: 2, appTop: 3, scratch: 4 });
export const TARGET = Object.freeze({ pause: '/run/mounts/scsi/m1',
  appBase: '/run/mounts/scsi/m2', appTop: '/run/mounts/scsi/m3',
  scratch: `/run/gcs/c/${SANDBOX_ID}` });

/** A world with the three images and a scratch disk attached. */
export function benignWorld(): TestWorld {
  const world = new TestWorld();
  const img = images();
  world.attachLayer(LUN.pause, img.pause);
  world.attachLayer(LUN.appBase, img.appBase);
  world.attachLayer(LUN.appTop, img.appTop);
  world.attachScratch(LUN.scratch, 64);
  return world;
}

/** The host's benign sequence up to both containers running (pause first). */
export function benignRequests(bytes: Uint8Array): RawBridgeMessage[] {
  return [
    negotiate(), setPolicy(bytes),
    scsiScratch(LUN.scratch, TARGET.scratch),
    scsiLayer(LUN.pause, TARGET.pause),
    combinedLayers(SANDBOX_ID, [TARGET.pause]),
    create(SANDBOX_ID), startInit(SANDBOX_ID),
    scsiLayer(LUN.appBase, TARGET.appBase), scsiLayer(LUN.appTop, TARGET.appTop),
    combinedLayers(APP_ID, [TARGET.appTop, TARGET.appBase]),
    create(APP_ID), startInit(APP_ID),
  ];
}

export type Run = Readonly<{ world: TestWorld; states: GuestState[]; steps: AgentStep[] }>;

/** Runs `requests` from `state`; every step must succeed unless `allowRefusals`. */
export function run(world: TestWorld, state: GuestState, requests: readonly unknown[],
  allowRefusals = false): Run {
  const states = [state];
  const steps: AgentStep[] = [];
  for (const request of requests) {
    const step = world.step(states[states.length - 1]!, request);
    if (!allowRefusals && step.refusal !== null) {
      throw new Error(`step ${steps.length} refused: ${JSON.stringify(step.refusal)}`);
    }
    steps.push(step);
    states.push(step.state);
  }
  return { world, states, steps };
}

/** The benign run for generatedPolicy() (or `policy`), both containers running. */
export function benignRun(policy: SecurityPolicy = generatedPolicy()): Run & { bytes: Uint8Array } {
  const bytes = policyBytes(policy);
  const world = benignWorld();
  return { ...run(world, bootedGuest(bytes), benignRequests(bytes)), bytes };
}

export const last = <T>(xs: readonly T[]): T => xs[xs.length - 1]!;
export { toHex };

/** The world and state after the first `count` benign requests (all accepted). */
export function benignPrefix(count: number, policy: SecurityPolicy = generatedPolicy(),
  options?: AgentOptions): Readonly<{ world: TestWorld; state: GuestState; bytes: Uint8Array }> {
  const bytes = policyBytes(policy);
  const world = benignWorld();
  if (options !== undefined) world.options = options;
  const { states } = run(world, bootedGuest(bytes), benignRequests(bytes).slice(0, count));
  return { world, state: last(states), bytes };
}

/** Index into benignRequests() of each step. */
export const BENIGN = Object.freeze({ negotiate: 0, policy: 1, scratch: 2, pauseLayer: 3,
  pauseOverlay: 4, pauseCreate: 5, pauseStart: 6, appBase: 7, appTop: 8, appOverlay: 9,
  appCreate: 10, appStart: 11, all: 12 });
