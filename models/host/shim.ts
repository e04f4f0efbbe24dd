/**
 * Models: the host side of a benign Confidential ACI deployment: what containerd's CRI plugin and
 * the hcsshim shim send to the guest's GCS for one container group (spec/policy.md d): launch the
 * UVM, NegotiateProtocol, the SecurityPolicy, then for each container (pause first) its layers as
 * read-only SCSI disks, the sandbox's encrypted scratch, CombinedLayers, Create with the OCI spec
 * CRI builds, Start and the init process; then exec probes, and a graceful teardown (SIGTERM by
 * ShutdownGraceful, wait, overlay removal, state deletion, device removal, UVM shutdown).
 * Real counterpart: hcsshim internal/gcs (bridge client), internal/layers/lcow.go
 * (MountLCOWLayers: RO layers, scratch with EnsureFilesystem, CombineLayersLCOW), internal/uvm
 * (SCSI manager), containerd's default Linux spec; the message shapes of internal/gcs/protocol.go
 * and internal/protocol/guestresource.
 * Differs: one SCSI controller, LUNs handed out in order; every container shares the sandbox's
 * scratch disk (hcsshim's scratch sharing, ScratchPath under the sandbox's mount); no network
 * namespace, vsock stdio or VPMem; ActivityId is the nil GUID; a process id the guest returns is
 * learned from its response, so the plan is a list of steps that may read what came back. The
 * teardown's resource releases are marked: hcsshim's ReleaseResources logs a refused release
 * and goes on, so such a refusal does not stop the deployment.
 * Invariants: every message is plain JSON with Go's field names and `omitempty` behaviour
 * (zero-valued optional fields absent); IDs are 64 lowercase hex; layer paths are
 * /run/mounts/scsi/m<N>, the overlay lists them top first; a container the group cannot deploy
 * is skipped and reported, never sent with invented fields.
 */
import { assert } from '../../sim/kernel/assert.js';
import type { Hex } from '../../sim/kernel/bytes.js';
import type { Json } from '../../sim/kernel/canonical-json.js';
import type { BridgeMessage, HostAction, LaunchRequest } from './adversary.js';
import type { ContainerGroup, GroupContainer, OciMountSpec } from './container-group.js';

/** GCS message types (internal/guest/prot: ComputeSystem*V1). */
export const GCS_MESSAGE = Object.freeze({
  Create: 0x10100101, Start: 0x10100201, ShutdownGraceful: 0x10100301,
  ShutdownForced: 0x10100401, ExecuteProcess: 0x10100501, WaitForProcess: 0x10100601,
  SignalProcess: 0x10100701, ResizeConsole: 0x10100801, GetProperties: 0x10100901,
  ModifySettings: 0x10100a01, NegotiateProtocol: 0x10100b01, DumpStacks: 0x10100c01,
  DeleteContainerState: 0x10100d01,
} as const);
export type GcsMessageName = keyof typeof GCS_MESSAGE;

/** The ContainerId of messages meant for the UVM itself (hcsv2 UVMContainerID). */
export const UVM_CONTAINER_ID = '00000000-0000-0000-0000-000000000000';
const NIL_ACTIVITY = '00000000-0000-0000-0000-000000000000';
/** Blocks of the sandbox's scratch disk (4 KiB each). */
export const SCRATCH_DISK_BLOCKS = 64;
const INFINITE_WAIT_MS = 0xffff_ffff;

export const layerMountPath = (index: number): string => `/run/mounts/scsi/m${index}`;
export const containerRoot = (id: string): string => `/run/gcs/c/${id}`;
export const rootfsPath = (id: string): string => `/run/gcs/c/${id}/rootfs`;
export const scratchPath = (sandboxId: string, id: string): string =>
  `/run/gcs/c/${sandboxId}/scratch/${id}`;

/** A GCS message: the request base (ContainerId, ActivityId) and the message's own fields. */
export function gcsMessage(name: GcsMessageName, containerId: string,
  fields: Readonly<Record<string, Json>> = {}, id = 0): BridgeMessage {
  const message: Record<string, Json> = { ContainerId: containerId, ActivityId: NIL_ACTIVITY,
    ...fields };
  return Object.freeze({ type: GCS_MESSAGE[name], id, message });
}

/** The same message with the frame's sequence id set. */
export function withFrameId(message: BridgeMessage, id: number): BridgeMessage {
  assert(Number.isSafeInteger(id) && id >= 0, 'a frame id is a non-negative integer');
  return Object.freeze({ ...message, id });
}

/** Drops the fields Go's `omitempty` would drop (false, 0, "", empty arrays/objects, null). */
function omitEmpty(fields: Readonly<Record<string, Json>>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(fields)) {
    const empty = value === false || value === 0 || value === '' || value === null
      || (Array.isArray(value) && value.length === 0)
      || (typeof value === 'object' && value !== null && !Array.isArray(value)
        && Object.keys(value).length === 0);
    if (!empty) out[key] = value;
  }
  return out;
}

/** ModifySettings for the UVM (guestrequest.ModificationRequest). */
export function modifySettings(resourceType: string, requestType: 'Add' | 'Remove',
  settings: Readonly<Record<string, Json>>): BridgeMessage {
  return gcsMessage('ModifySettings', UVM_CONTAINER_ID, {
    Request: { ResourceType: resourceType, RequestType: requestType, Settings: settings },
  });
}

/** LCOWMappedVirtualDisk (resources.go), with its omitempty tags. */
export function mappedVirtualDisk(fields: Readonly<{
  mountPath: string; lun: number; readOnly: boolean; encrypted?: boolean;
  options?: readonly string[]; ensureFilesystem?: boolean; filesystem?: string;
}>, requestType: 'Add' | 'Remove' = 'Add'): BridgeMessage {
  return modifySettings('MappedVirtualDisk', requestType, omitEmpty({
    MountPath: fields.mountPath, Lun: fields.lun, Controller: 0, ReadOnly: fields.readOnly,
    Encrypted: fields.encrypted ?? false, Options: [...(fields.options ?? [])],
    EnsureFilesystem: fields.ensureFilesystem ?? false, Filesystem: fields.filesystem ?? '',
  }));
}

/** ConfidentialOptions: the policy as the host sends it (base64 of the exact policy bytes). */
export function securityPolicyMessage(policyBytes: Uint8Array): BridgeMessage {
  return modifySettings('SecurityPolicy', 'Add', {
    EnforcerType: 'rego', EncodedSecurityPolicy: Buffer.from(policyBytes).toString('base64'),
  });
}

/** containerd's default Linux mounts plus the cgroup mount CRI adds (read-only, unprivileged). */
export function defaultCriMounts(privileged: boolean): readonly OciMountSpec[] {
  const rw = privileged ? 'rw' : 'ro';
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue',
      options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev',
      rw] },
    { destination: '/run', type: 'tmpfs', source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', rw] },
  ];
}

export type ContainerIds = Readonly<{ sandbox: string; byName: Readonly<Record<string, string>> }>;

/** The OCI process of a container (init or exec), as CRI fills it for LCOW. */
function ociProcess(c: GroupContainer, args: readonly string[]): Record<string, Json> {
  const caps = c.capabilities;
  return {
    terminal: false,
    // containerd's WithUser for an LCOW spec only sets Username (the image's USER text, which
    // the host cannot resolve); uid and gid keep the default spec's 0, the GCS resolves them
    // from the container's own /etc/passwd and /etc/group (SetUserStr, GetUserInfo).
    user: { uid: 0, gid: 0, ...(c.username === '' ? {} : { username: c.username }) },
    args: [...args], env: [...c.env], cwd: c.workingDir,
    capabilities: {
      bounding: [...caps.bounding], effective: [...caps.effective],
      inheritable: [...caps.inheritable], permitted: [...caps.permitted],
      ambient: [...caps.ambient],
    },
    noNewPrivileges: c.noNewPrivileges,
  };
}

/**
 * The OCI runtime spec CRI builds (containerd defaults + image config + pod), rootfs in the UVM.
 */
export function ociSpecFor(c: GroupContainer, ids: ContainerIds): Record<string, Json> {
  const id = c.sandbox ? ids.sandbox : ids.byName[c.name]!;
  assert(id !== undefined && /^[0-9a-f]{64}$/.test(id), 'a container has a 64-hex id');
  assert(c.command !== null, 'a deployable container has a command');
  const mounts = [...defaultCriMounts(c.privileged), ...c.mounts].map((m) => ({
    destination: m.destination, type: m.type, source: m.source, options: [...m.options],
  }));
  return {
    ociVersion: '1.1.0',
    process: ociProcess(c, c.command),
    root: { path: rootfsPath(id) },
    ...(c.sandbox ? { hostname: 'parma-sim-pod' } : {}),
    mounts,
    annotations: {
      'io.kubernetes.cri.container-type': c.sandbox ? 'sandbox' : 'container',
      'io.kubernetes.cri.sandbox-id': ids.sandbox,
      ...(c.sandbox ? {} : { 'io.kubernetes.cri.container-name': c.name }),
    },
    linux: {
      cgroupsPath: `/containers/${id}`,
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/timer_list',
        '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** What the shim has learned from the guest's answers (process ids by role). */
export type ShimKnowledge = Readonly<{ pids: Readonly<Record<string, number>> }>;

/** One step of the plan: the action (possibly built from what was learned) and what to learn. */
export type ShimStep = Readonly<{
  note: string;
  action: (known: ShimKnowledge) => HostAction;
  /** Record the ProcessId of the response under this name. */
  learnPid?: string;
  /** The step reports on a container being up (for the run's summary). */
  container?: string;
  /**
   * A resource release at teardown (overlay, container state, device unmounts): hcsshim's
   * ReleaseResources logs a failed release and goes on, so a refusal does not stop the run.
   */
  release?: boolean;
}>;

export type ShimPlan = Readonly<{
  steps: readonly ShimStep[];
  /** Containers left out, with the reason. */
  notDeployed: readonly Readonly<{ name: string; reason: string }>[];
}>;

export type ShimInput = Readonly<{
  group: ContainerGroup;
  policyBytes: Uint8Array;
  launch: LaunchRequest;
  /** Identity root hash of a layer → the ContentStore digest of its image. */
  images: ReadonlyMap<Hex, Hex>;
  ids: ContainerIds;
}>;

const fixed = (action: HostAction) => (): HostAction => action;
const bridge = (message: BridgeMessage): HostAction => ({ kind: 'bridge', message });

function pidOf(known: ShimKnowledge, role: string): number {
  const pid = known.pids[role];
  // A pid the guest never returned: the host sends 0, which the guest cannot know.
  return pid ?? 0;
}

type PlanBuilder = {
  steps: ShimStep[];
  nextLun: number;
  /** Identity root hash → the mount path it is already mounted at (layers are shared). */
  mounted: Map<Hex, string>;
  diskCount: number;
};

function addStep(plan: PlanBuilder, note: string, action: HostAction,
  extra: Partial<Pick<ShimStep, 'learnPid' | 'container' | 'release'>> = {}): void {
  plan.steps.push({ note, action: fixed(action), ...extra });
}

/** Attach and mount each layer not yet mounted; returns the mount paths, base first. */
function mountLayers(plan: PlanBuilder, c: GroupContainer,
  images: ReadonlyMap<Hex, Hex>): string[] {
  const paths: string[] = [];
  for (const layer of c.layers) {
    const known = plan.mounted.get(layer);
    if (known !== undefined) {
      paths.push(known);
      continue;
    }
    const image = images.get(layer);
    assert(image !== undefined, 'every layer of a deployable container has an image');
    const lun = plan.nextLun++;
    const disk = `layer${plan.diskCount++}`;
    const path = layerMountPath(lun);
    addStep(plan, `add layer disk ${disk}`, { kind: 'add_disk', disk,
      spec: { kind: 'layer', image } });
    addStep(plan, `attach ${disk} at LUN ${lun}`, { kind: 'attach', lun, disk });
    addStep(plan, `mount layer ${layer.slice(0, 12)}… read-only at ${path}`,
      bridge(mappedVirtualDisk({ mountPath: path, lun, readOnly: true, options: ['ro'] })));
    plan.mounted.set(layer, path);
    paths.push(path);
  }
  assert(paths.length === c.layers.length, 'one path per layer');
  return paths;
}

function mountScratch(plan: PlanBuilder, sandboxId: string): number {
  const lun = plan.nextLun++;
  addStep(plan, 'add the sandbox scratch disk', { kind: 'add_disk', disk: 'scratch0',
    spec: { kind: 'scratch', blockCount: SCRATCH_DISK_BLOCKS } });
  addStep(plan, `attach scratch0 at LUN ${lun}`, { kind: 'attach', lun, disk: 'scratch0' });
  addStep(plan, `mount the encrypted scratch at ${containerRoot(sandboxId)}`,
    bridge(mappedVirtualDisk({ mountPath: containerRoot(sandboxId), lun, readOnly: false,
      encrypted: true, ensureFilesystem: true, filesystem: 'xfs' })));
  return lun;
}

function createContainer(plan: PlanBuilder, c: GroupContainer, id: string, ids: ContainerIds,
  layerPaths: readonly string[]): void {
  addStep(plan, `combine layers for ${c.name}`, bridge(modifySettings('CombinedLayers', 'Add', {
    ContainerID: id, ContainerRootPath: rootfsPath(id),
    Layers: [...layerPaths].reverse().map((path) => ({ Path: path })),
    ScratchPath: scratchPath(ids.sandbox, id),
  })));
  const config = {
    SchemaVersion: { Major: 2, Minor: 1 }, OciBundlePath: containerRoot(id),
    OciSpecification: ociSpecFor(c, ids), ScratchDirPath: scratchPath(ids.sandbox, id),
  };
  addStep(plan, `create ${c.name}`, bridge(gcsMessage('Create', id,
    { ContainerConfig: JSON.stringify(config) })));
  addStep(plan, `start ${c.name}`, bridge(gcsMessage('Start', id)));
  addStep(plan, `run the init process of ${c.name}`, bridge(gcsMessage('ExecuteProcess', id, {
    Settings: { ProcessParameters: JSON.stringify({ CreateStdOutPipe: true,
      CreateStdErrPipe: true }) },
  })), { learnPid: `init:${c.name}`, container: c.name });
}

function probeContainer(plan: PlanBuilder, c: GroupContainer, id: string): void {
  // The probes keep running in the model (a process exits when signalled or shut down), so the
  // shim does not wait for them; the container's shutdown ends them.
  c.execProbes.forEach((argv, i) => {
    addStep(plan, `exec probe ${JSON.stringify(argv)} in ${c.name}`,
      bridge(gcsMessage('ExecuteProcess', id, { Settings: { ProcessParameters: JSON.stringify({
        OciProcess: ociProcess(c, argv), CreateStdOutPipe: true, CreateStdErrPipe: true,
      }) } })), { learnPid: `exec:${c.name}:${i}` });
  });
}

function teardownContainer(plan: PlanBuilder, c: GroupContainer, id: string): void {
  addStep(plan, `shut ${c.name} down gracefully`, bridge(gcsMessage('ShutdownGraceful', id)));
  plan.steps.push({ note: `wait for ${c.name} to exit`, action: (known) =>
    bridge(gcsMessage('WaitForProcess', id, { ProcessId: pidOf(known, `init:${c.name}`),
      TimeoutInMs: INFINITE_WAIT_MS })) });
  addStep(plan, `remove the overlay of ${c.name}`, bridge(modifySettings('CombinedLayers',
    'Remove', { ContainerID: id, ContainerRootPath: rootfsPath(id) })), { release: true });
  addStep(plan, `delete the state of ${c.name}`, bridge(gcsMessage('DeleteContainerState', id)),
    { release: true });
}

/**
 * The benign deployment of `input.group`: launch, policy, every deployable container (pause
 * first), probes and signals, one container's attestation and key release, then teardown and
 * the UVM's graceful shutdown.
 */
export function planBenignDeployment(input: ShimInput): ShimPlan {
  const plan: PlanBuilder = { steps: [], nextLun: 0, mounted: new Map(), diskCount: 0 };
  const deployable = input.group.containers.filter((c) => c.notDeployable === null);
  const notDeployed = input.group.containers.filter((c) => c.notDeployable !== null)
    .map((c) => ({ name: c.name, reason: c.notDeployable! }));
  addStep(plan, 'launch the UVM', { kind: 'launch', launch: input.launch });
  addStep(plan, 'negotiate the bridge protocol', bridge(gcsMessage('NegotiateProtocol',
    UVM_CONTAINER_ID, { MinimumVersion: 4, MaximumVersion: 4 })));
  addStep(plan, 'set the security policy', bridge(securityPolicyMessage(input.policyBytes)));
  const idOf = (c: GroupContainer): string => (c.sandbox ? input.ids.sandbox
    : input.ids.byName[c.name]!);
  const ordered = [...deployable.filter((c) => c.sandbox), ...deployable.filter((c) => !c.sandbox)];
  const layerPaths = new Map<string, string[]>();
  let scratchLun: number | undefined;
  for (const c of ordered) {
    const paths = mountLayers(plan, c, input.images);
    layerPaths.set(c.name, paths);
    if (scratchLun === undefined) scratchLun = mountScratch(plan, input.ids.sandbox);
    createContainer(plan, c, idOf(c), input.ids, paths);
  }
  for (const c of ordered) probeContainer(plan, c, idOf(c));
  // Issue 9: once the containers run, the first workload container attests and gets its key
  // (the SKR sidecar's flow), before anything is torn down.
  const attester = ordered.find((c) => !c.sandbox);
  if (attester !== undefined) {
    addStep(plan, `attest ${attester.name} and release the key`,
      { kind: 'attest', container: idOf(attester), via: 'thim' });
  }
  for (const c of [...ordered].reverse()) teardownContainer(plan, c, idOf(c));
  for (const [layer, path] of plan.mounted) {
    const lun = Number(path.slice(path.lastIndexOf('m') + 1));
    addStep(plan, `unmount layer ${layer.slice(0, 12)}…`, bridge(mappedVirtualDisk(
      { mountPath: path, lun, readOnly: true, options: ['ro'] }, 'Remove')), { release: true });
  }
  if (scratchLun !== undefined) {
    addStep(plan, 'unmount the scratch', bridge(mappedVirtualDisk({
      mountPath: containerRoot(input.ids.sandbox), lun: scratchLun, readOnly: false,
      encrypted: true, ensureFilesystem: true, filesystem: 'xfs' }, 'Remove')), { release: true });
  }
  addStep(plan, 'shut the UVM down', bridge(gcsMessage('ShutdownGraceful', UVM_CONTAINER_ID)));
  assert(plan.steps.length >= 4, 'launch, negotiate, policy and shutdown at least');
  return { steps: numberFrames(plan.steps), notDeployed };
}

/** Gives the bridge frames sequence ids 1, 2, 3, … in plan order (the client's counter). */
function numberFrames(steps: readonly ShimStep[]): ShimStep[] {
  let next = 1;
  return steps.map((step) => {
    const built = step.action({ pids: {} });
    if (built.kind !== 'bridge') return step;
    const id = next++;
    return { ...step, action: (known: ShimKnowledge): HostAction => {
      const action = step.action(known);
      assert(action.kind === 'bridge', 'a bridge step stays a bridge step');
      return { kind: 'bridge', message: withFrameId(action.message, id) };
    } };
  });
}
