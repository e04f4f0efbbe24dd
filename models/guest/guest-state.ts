/**
 * Models: the state of the Linux guest agent (hcsshim GCS, internal/guest/runtime/hcsv2 `Host`):
 * its UVM lifecycle, the installed security policy and the enforcer's metadata, the devices it
 * mounted (dm-verity layers, dm-crypt scratch), the overlays, containers, processes and plan9
 * shares, as plain data. Spec (c), (d), (e); the world design note (GuestState).
 * Real counterpart: `Host` (containers, externalProcesses, securityOptions, hostMounts, uvmError)
 * plus what the kernel knows (device-mapper tables, mounts).
 * Differs: everything the agent did is recorded here for the invariant checkers (issue 11): a
 * device's verity table as the guest built it from the device, whether scratch is encrypted as
 * the guest set it up, the layers a container's rootfs resolved to at create, each process's
 * argv, env after dropping, user and capabilities. Bytes are hex; no class instances; no
 * `undefined` values. Scratch keys live under `secrets`: guest-private, never shown to the host.
 * Invariants: every record is frozen and copied only when a step touches it (structural sharing);
 * processes are keyed by their pid in decimal; `nextPid` is above every pid used; the RNG stream
 * is the guest's own fork (`rng`), advanced only when the guest draws (scratch keys).
 */
import { assert } from '../../sim/kernel/assert.js';
import type { Hex } from '../../sim/kernel/bytes.js';
import type { RngState } from '../../sim/kernel/rng.js';
import { emptyMetadata, type PolicyMetadata } from '../policy/metadata.js';
import type { CapabilitySets } from '../policy/policy-model.js';
import type { VerityTable } from './dm-verity.js';
import { initialUvmState } from './uvm-lifecycle.js';

/** The ContainerId the host uses for requests aimed at the UVM itself (hcsv2 UVMContainerID). */
export const UVM_CONTAINER_ID = '00000000-0000-0000-0000-000000000000';
/** The first pid the agent hands out (the UVM's own processes sit below it). */
export const FIRST_PID = 100;

type Rec<T> = Readonly<Record<string, T>>;

// ---------------------------------------------------------------------------------------------
// The UVM

export type UvmPhase = 'booting' | 'awaiting_policy' | 'serving' | 'poisoned' | 'stopped';

export type UvmContext = Readonly<{
  /** Set by NegotiateProtocol; null before. */
  protocolVersion: number | null;
  /** Why the UVM was marked inconsistent (hcsv2 uvmConsistencyError), or null. */
  poisonCause: string | null;
}>;

/** The UVM lifecycle machine's persisted `{value, context}` (uvm-lifecycle.ts). */
export type UvmState = Readonly<{ value: UvmPhase; context: UvmContext }>;

/** The guest's own attestation report fields, fetched at boot through the guest channel. */
export type OwnReport = Readonly<{ host_data: Hex; measurement: Hex }>;

/** The installed SecurityPolicy: its bytes are in the content store under `digest`. */
export type InstalledPolicy = Readonly<{ digest: Hex; enforcerType: string }>;

// ---------------------------------------------------------------------------------------------
// Devices

/** A read-only SCSI layer mounted through dm-verity at `target` (/run/mounts/scsi/mN). */
export type RoDeviceMount = Readonly<{
  kind: 'ro_verity';
  target: string;
  controller: number;
  lun: number;
  /** The table the guest built from the device itself: every read is verified against it. */
  table: VerityTable;
  /**
   * The root hash the device presents and the policy was asked about: `table.root_digest`, or
   * for a pristine stand-in of a registry layer the root hash it is declared to stand for
   * (AgentIo.declaredRoot).
   */
  rootHash: Hex;
  /** An unmount failed half-way: the device may be partly torn down (the UVM is poisoned). */
  broken: boolean;
}>;

/** A file the agent wrote to a scratch device: whole blocks from `firstBlock`. */
export type ScratchFile = Readonly<{ firstBlock: number; blocks: number; sizeBytes: number }>;

/** A read-write SCSI disk mounted at `target` (/run/gcs/c/<id>), dm-crypt when encrypted. */
export type RwDeviceMount = Readonly<{
  kind: 'rw_scratch';
  target: string;
  controller: number;
  lun: number;
  /** What the guest set up (dm-crypt or not): never the host's claim. */
  encrypted: boolean;
  filesystem: string;
  blockCount: number;
  /** Block index (decimal) → version of its last write (encrypted-scratch.ts ScratchLedger). */
  versions: Rec<number>;
  /** Files the agent wrote, by path relative to `target`. */
  files: Rec<ScratchFile>;
  nextBlock: number;
  broken: boolean;
}>;

export type DeviceMount = RoDeviceMount | RwDeviceMount;

/** One overlay layer: the mount path the host named and the root hash of the device there. */
export type OverlayLayer = Readonly<{ path: string; rootHash: Hex }>;

export type OverlayScratch = Readonly<{
  path: string;
  /** The target of the RW device the scratch directory lies on, or null if it lies on none. */
  device: string | null;
  /** Whether that device is encrypted, as the guest recorded it (false when on no device). */
  encrypted: boolean;
}>;

/** A container rootfs overlay (CombinedLayers), keyed in GuestState by the container ID. */
export type OverlayMount = Readonly<{
  containerId: string;
  target: string;
  /** Top layer first, as the host listed them (overlayfs lowerdir order). */
  layers: readonly OverlayLayer[];
  scratch: OverlayScratch | null;
  broken: boolean;
}>;

/**
 * A directory the GCS made as a workload container's mount source: under the sandbox's
 * sandboxMounts directory (`sandbox://`), or under its hugepages directory (`hugepages://`,
 * with hugetlbfs mounted on it once it is made).
 */
export type MountSourceDir = Readonly<{
  sandboxId: string;
  kind: 'dir' | 'hugetlbfs';
  /** The hugetlbfs pagesize= option, or null for a plain directory. */
  pageSize: string | null;
}>;

export type Plan9Mount = Readonly<{
  target: string; shareName: string; port: number; readOnly: boolean; broken: boolean;
}>;

// ---------------------------------------------------------------------------------------------
// Containers and processes

export type ContainerPhase = 'overlay_mounted' | 'created' | 'running' | 'exited' | 'deleted';

/** A user as the process runs it: numeric ids from the OCI spec, the name from /etc/passwd. */
export type ResolvedUser = Readonly<{ uid: number; gid: number; name: string }>;
export type ResolvedGroup = Readonly<{ id: number; name: string }>;

export type ContainerMountSpec = Readonly<{
  destination: string; source: string; type: string; options: readonly string[];
}>;

/** The OCI config a container was created with, after the policy's env and caps dropping. */
export type ContainerConfig = Readonly<{
  args: readonly string[];
  env: readonly string[];
  cwd: string;
  /** The user and groups the init process runs as (uid and gid as runc is given them). */
  user: ResolvedUser;
  groups: readonly ResolvedGroup[];
  umask: string;
  /** The OCI username the host sent ("" for none): an exec without one runs as `user`. */
  username: string;
  capabilities: CapabilitySets | null;
  noNewPrivileges: boolean;
  privileged: boolean;
  mounts: readonly ContainerMountSpec[];
  /** Device nodes in the spec as created (the agent adds /dev/sev-guest). */
  devices: readonly string[];
  seccompProfileSHA256: string;
  hostname: string;
  terminal: boolean;
}>;

export type ContainerContext = Readonly<{
  sandboxId: string | null;
  isSandbox: boolean;
  /** Where the container's rootfs is (OCI Root.Path). */
  rootfs: string | null;
  /** Root hashes of the overlay at `rootfs` when the container was created, top first. */
  layers: readonly Hex[] | null;
  scratchDir: string | null;
  config: ContainerConfig | null;
  initPid: number | null;
  stdio: boolean;
  exitCode: number | null;
}>;

/** The container lifecycle machine's persisted `{value, context}` (container-lifecycle.ts). */
export type ContainerRecord = Readonly<{ value: ContainerPhase; context: ContainerContext }>;

export type ProcessKind = 'init' | 'exec' | 'external';

export type ProcessRecord = Readonly<{
  pid: number;
  /** null for an external process (run in the UVM, outside any container). */
  containerId: string | null;
  kind: ProcessKind;
  argv: readonly string[];
  /** The environment after the policy's dropping. */
  env: readonly string[];
  cwd: string;
  user: ResolvedUser;
  groups: readonly ResolvedGroup[];
  capabilities: CapabilitySets | null;
  noNewPrivileges: boolean;
  stdio: boolean;
  terminal: boolean;
  status: 'running' | 'exited';
  exitCode: number | null;
}>;

/**
 * A Create whose policy check passed but whose act (runc create over the rootfs, config.json)
 * has not run yet: only with `sequential_requests` off (the concurrent pre-2e97c9bb3 agent).
 */
export type PendingCreate = Readonly<{
  containerId: string;
  /** What the act records (layers are taken from the overlay mounted when it runs). */
  fields: Readonly<{
    sandboxId: string; isSandbox: boolean; rootfs: string; layers: readonly Hex[] | null;
    scratchDir: string; config: ContainerConfig; stdio: boolean;
  }>;
  configText: string;
}>;

/** A fault the host injected (host action fail_next): the next real mount or unmount fails. */
export type AgentFault = 'mount' | 'unmount';

/**
 * A policy fragment the guest loaded (InjectFragment allowed by load_fragment): who signed it for
 * which feed, its namespace and SVN, and its Rego text by content-store digest (the step returns
 * the text as a blob), so an independent checker can read what it added.
 */
export type LoadedFragment = Readonly<{
  issuer: string; feed: string; namespace: string; svn: string | null; text: Hex;
}>;

export type GuestSecrets = Readonly<{
  /** RW device target → its dm-crypt key (hex), drawn from the guest's own stream. */
  scratchKeys: Rec<Hex>;
}>;

export type GuestState = Readonly<{
  uvm: UvmState;
  ownReport: OwnReport | null;
  policy: InstalledPolicy | null;
  /** The policy engine's metadata (models/policy); empty until a policy is installed. */
  metadata: PolicyMetadata;
  /** By mount target. */
  devices: Rec<DeviceMount>;
  /** By container ID. */
  overlays: Rec<OverlayMount>;
  containers: Rec<ContainerRecord>;
  /** By pid in decimal. */
  processes: Rec<ProcessRecord>;
  /** By mount target. */
  plan9: Rec<Plan9Mount>;
  /** Mount-source directories the GCS made for workload containers, by absolute path. */
  mountSources: Rec<MountSourceDir>;
  nextPid: number;
  /** The guest's own RNG stream position (it draws scratch keys). */
  rng: RngState;
  secrets: GuestSecrets;
  /** A Create checked but not yet acted on (concurrent agent only); null otherwise. */
  pendingCreate: PendingCreate | null;
  /** Fragments loaded, by the digest of their Rego text. */
  fragments: Rec<LoadedFragment>;
}>;

/**
 * A freshly launched guest: booting, no report, no policy (every request denied until one is
 * installed). `rng` is the guest's forked stream (the world forks it from the run's seed).
 */
export function createGuestState(rng: RngState): GuestState {
  const state: GuestState = Object.freeze({
    uvm: initialUvmState(),
    ownReport: null, policy: null, metadata: emptyMetadata(),
    devices: Object.freeze({}), overlays: Object.freeze({}), containers: Object.freeze({}),
    processes: Object.freeze({}), plan9: Object.freeze({}), mountSources: Object.freeze({}),
    nextPid: FIRST_PID, rng,
    secrets: Object.freeze({ scratchKeys: Object.freeze({}) }), pendingCreate: null,
    fragments: Object.freeze({}),
  });
  assert(state.uvm.value === 'booting', 'a guest starts booting');
  assert(Object.keys(state.processes).length === 0, 'no processes before boot');
  return state;
}

/** Own-property lookup (host-chosen keys such as `__proto__` are ordinary keys). */
export function lookupRecord<T>(record: Rec<T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * `record` with `key` set to `value` (a new frozen object; the input is unchanged). A computed
 * key in an object literal defines an own property, so `__proto__` is an ordinary key here.
 */
export function withRecord<T>(record: Rec<T>, key: string, value: T): Rec<T> {
  const next: Record<string, T> = { ...record, [key]: value };
  assert(Object.hasOwn(next, key), 'the key is an own property');
  return Object.freeze(next);
}

/** `record` without `key` (a new frozen object). */
export function withoutRecord<T>(record: Rec<T>, key: string): Rec<T> {
  assert(Object.hasOwn(record, key), 'removing a present key');
  const next: Record<string, T> = { ...record };
  delete next[key];
  return Object.freeze(next);
}
