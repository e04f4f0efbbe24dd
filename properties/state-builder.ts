/**
 * Goal: the inductive step's states — arbitrary guest states that satisfy the invariant, built
 * directly rather than reached: any subset of the policy's containers, each at any phase
 * (overlay mounted, created, running with any of its exec processes, exited by a signal or a
 * shutdown with or without its overlay, deleted), layer devices shared or mounted twice, scratch
 * encrypted or (where the policy allows) not, external processes running, with the engine's
 * metadata written to agree with all of it.
 * Method: start from a world whose guest has booted and installed the policy (three real steps),
 * take the benign plan's layout (which layer at which LUN and target, the scratch disk, the
 * container IDs the host will use), and write GuestState, the metadata and the host's disks and
 * attachments as the GCS and the host would hold them. Host actions drawn against the same
 * layout then land on the built containers. The builder is test code: it reads the engine's
 * policy objects for `matches` (the metadata holds them) and never the invariant's.
 */
import fc from 'fast-check';
import { assert } from '../sim/kernel/assert.js';
import { toHex, type Hex } from '../sim/kernel/bytes.js';
import type {
  ContainerConfig, ContainerRecord, DeviceMount, GuestState, OverlayMount, ProcessRecord,
} from '../models/guest/guest-state.js';
import { layerVerityTable } from '../models/guest/layer-image.js';
import type { PolicyMetadata } from '../models/policy/metadata.js';
import { loadSecurityPolicy } from '../models/policy/load-policy.js';
import type { PolicyContainer } from '../models/policy/policy-model.js';
import { defaultCriMounts, GCS_MESSAGE } from '../models/host/shim.js';
import type { HostStorage } from '../models/host/storage.js';
import type { HostAction } from '../models/host/adversary.js';
import { sampleOfRegex } from '../sim/world-deployment.js';
import { syncGuestSecrets } from '../sim/world-attestation-steps.js';
import { step, type World } from '../sim/world.js';
import type { ContainerShape, GeneratedPolicy } from './arbitraries.js';
import type { HostileContext } from './hostile.js';
import { ACCOUNTS } from './catalog.js';
import { allowedCapabilities } from './policy-semantics.js';

export type Phase = 'overlay_mounted' | 'created' | 'running' | 'exited' | 'deleted';

export type ContainerPlan = Readonly<{
  /** Index of the policy container (= of the host's container ID, in plan order). */
  entry: number;
  phase: Phase;
  /** exited: the overlay is still mounted. */
  overlayKept: boolean;
  /** exited / deleted: by shutdown_container (metadata.matches removed) or by a signal. */
  shutdown: boolean;
  /** Exec processes (indices into the entry's exec_processes) it started. */
  execs: readonly number[];
}>;

export type StatePlan = Readonly<{
  containers: readonly ContainerPlan[];
  /** Policy containers whose layers are mounted, with no overlay yet. */
  layersOnly: readonly number[];
  scratchEncrypted: boolean;
  /** The same layer hash mounted at a second target (an extra device no overlay uses). */
  duplicateLayer: boolean;
  externals: readonly number[];
  scratchKey: Hex;
}>;

type Layout = Readonly<{
  layers: ReadonlyMap<Hex, Readonly<{ lun: number; target: string; disk: string; image: Hex }>>;
  scratch: Readonly<{ lun: number; target: string; disk: string }>;
  /** The world after launch, negotiate and SecurityPolicy, and the host's prelude. */
  base: World;
}>;

type J = Record<string, unknown>;

/** The benign plan's layout, and the world with the policy installed. */
export function layoutOf(world: World, ctx: HostileContext,
  prelude: readonly HostAction[]): Layout {
  const images = new Map(world.config.images.map((i) => [i.digest, i.realRoot]));
  const diskImage = new Map<string, Hex>();
  const attached = new Map<number, string>();
  const layers = new Map<Hex, { lun: number; target: string; disk: string; image: Hex }>();
  let scratch: { lun: number; target: string; disk: string } | null = null;
  let base = world;
  for (const action of prelude) base = step(base, action).world;
  ctx.benign.forEach((action, index) => {
    if (index < 3) base = step(base, action).world;   // launch, NegotiateProtocol, policy
    if (action.kind === 'add_disk' && action.spec.kind === 'layer') {
      diskImage.set(action.disk, action.spec.image);
    }
    if (action.kind === 'attach') attached.set(action.lun, action.disk);
    if (action.kind !== 'bridge' || action.message.type !== GCS_MESSAGE.ModifySettings) return;
    const request = (action.message.message as J)['Request'] as J;
    const s = request['Settings'] as J;
    if (request['ResourceType'] !== 'MappedVirtualDisk' || request['RequestType'] !== 'Add') return;
    const lun = Number(s['Lun'] ?? 0);   // Go's omitempty drops LUN 0
    const disk = attached.get(lun)!;
    if (s['ReadOnly'] === true) {
      const image = diskImage.get(disk)!;
      layers.set(images.get(image)!, { lun, target: String(s['MountPath']), disk, image });
    } else {
      scratch = { lun, target: String(s['MountPath']), disk };
    }
  });
  assert(scratch !== null, 'the benign plan mounts a scratch disk');
  assert(base.state.guest?.policy !== null, 'the base world has the policy installed');
  return { layers, scratch, base };
}

/** Plans of states for a policy with `count` containers. */
export function statePlanArb(policy: GeneratedPolicy): fc.Arbitrary<StatePlan> {
  const containers = policy.shape.containers;
  const plan = (entry: number): fc.Arbitrary<ContainerPlan> => fc.record({
    entry: fc.constant(entry),
    phase: fc.constantFrom<Phase>('overlay_mounted', 'created', 'running', 'running', 'exited',
      'deleted'),
    overlayKept: fc.boolean(), shutdown: fc.boolean(),
    execs: fc.subarray(containers[entry]!.exec_processes.map((_, i) => i)),
  });
  return fc.record({
    containers: fc.subarray(containers.map((_, i) => i)).chain((entries) =>
      fc.tuple(...entries.map(plan))),
    layersOnly: fc.subarray(containers.map((_, i) => i)),
    scratchEncrypted: policy.shape.flags.allow_unencrypted_scratch ? fc.boolean()
      : fc.constant(true),
    duplicateLayer: fc.boolean(),
    externals: fc.subarray(policy.shape.external_processes.map((_, i) => i)),
    scratchKey: fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex),
  });
}

// ---------------------------------------------------------------------------------------------
// Building

function userOf(entry: ContainerShape): ContainerConfig['user'] {
  const rule = entry.user.user_idname;
  const byName = Object.entries(ACCOUNTS) as [string, number][];
  const found = rule.strategy === 'name' ? byName.find(([n]) => n === rule.pattern)
    : rule.strategy === 'id' ? byName.find(([, id]) => String(id) === rule.pattern) : undefined;
  const [name, id] = found ?? ['root', 0];
  return { uid: id, gid: id, name };
}

function envOf(entry: ContainerShape | { env_rules: ContainerShape['env_rules'] }): string[] {
  return entry.env_rules.flatMap((r) => (r.strategy === 'string' ? [r.pattern]
    : r.required ? [sampleOfRegex(r.pattern)] : []));
}

/** The path the shim sends for a source pattern (world-deployment's sample, as the shim does). */
const sample = (pattern: string): string => sampleOfRegex(pattern).replace(/x$/, 'volume');

function configOf(entry: ContainerShape, sandboxRoot: string): ContainerConfig {
  const user = userOf(entry);
  const mounts = [...defaultCriMounts(false), ...entry.mounts.map((m) => ({
    destination: m.destination, type: m.type, options: [...m.options],
    source: m.source.startsWith('sandbox://') ? `${sandboxRoot}/sandboxMounts${sample(m.source
      .slice('sandbox://'.length))}` : m.source.startsWith('hugepages://')
      ? `${sandboxRoot}/hugepages${sample(m.source.slice('hugepages://'.length))}` : m.source,
  }))];
  return Object.freeze({
    args: [...entry.command!], env: envOf(entry), cwd: entry.working_dir, user,
    groups: [{ id: user.gid, name: user.name }], umask: '0022',
    capabilities: allowedCapabilities(entry, false), noNewPrivileges: entry.no_new_privileges,
    privileged: false, mounts, devices: ['/dev/sev-guest'], seccompProfileSHA256: '',
    hostname: '', terminal: false, username: '',
  });
}

type Building = {
  guest: GuestState;
  devices: Record<string, DeviceMount>;
  overlays: Record<string, OverlayMount>;
  containers: Record<string, ContainerRecord>;
  processes: Record<string, ProcessRecord>;
  metadata: { [K in keyof PolicyMetadata]: Record<string, unknown> };
  nextPid: number;
};

function addProcess(b: Building, p: Omit<ProcessRecord, 'pid'>): number {
  const pid = b.nextPid++;
  b.processes[String(pid)] = Object.freeze({ ...p, pid });
  return pid;
}

function buildContainer(b: Building, layout: Layout, ctx: HostileContext, plan: ContainerPlan,
  engineContainers: readonly PolicyContainer[]): void {
  const entry = ctx.policy.shape.containers[plan.entry]!;
  const id = ctx.containerIds[plan.entry]!;
  const sandboxRoot = `/run/gcs/c/${ctx.sandboxId}`;
  const layers = [...entry.layers].reverse().map((hash) => ({ path: layout.layers.get(hash)!
    .target, rootHash: hash }));
  const scratchPath = `${sandboxRoot}/scratch/${id}`;
  const overlayThere = plan.phase !== 'deleted' && (plan.phase !== 'exited' || plan.overlayKept);
  const encrypted = (b.devices[layout.scratch.target] as { encrypted: boolean }).encrypted;
  if (overlayThere) {
    b.overlays[id] = Object.freeze({ containerId: id, target: `/run/gcs/c/${id}/rootfs`,
      layers, scratch: { path: scratchPath, device: layout.scratch.target, encrypted },
      broken: false });
    b.metadata.overlayTargets[`/run/gcs/c/${id}/rootfs`] = true;
  }
  b.metadata.scratch_mounts[scratchPath] = { encrypted };
  const created = plan.phase !== 'overlay_mounted';
  const same = engineContainers.filter((c) => c.layers.join() === entry.layers.join());
  const self = engineContainers[plan.entry]!;
  assert(self.layers.join() === entry.layers.join(), 'the engine read the same container');
  const stopped = plan.phase === 'exited' || plan.phase === 'deleted';
  if (!created) b.metadata.matches[id] = same;
  else if (!(stopped && plan.shutdown)) b.metadata.matches[id] = [self];
  if (!created) {
    b.containers[id] = Object.freeze({ value: 'overlay_mounted', context: Object.freeze({
      sandboxId: null, isSandbox: false, rootfs: null, layers: null, scratchDir: null,
      config: null, initPid: null, stdio: false, exitCode: null }) });
    return;
  }
  b.metadata.started[id] = { privileged: false };
  const config = configOf(entry, sandboxRoot);
  const live = plan.phase === 'running';
  const exitCode = !stopped ? null : plan.shutdown ? 143 : 137;
  const status = live ? 'running' as const : 'exited' as const;
  const proc = { containerId: id, env: config.env, cwd: config.cwd, user: config.user,
    groups: config.groups, capabilities: config.capabilities,
    noNewPrivileges: config.noNewPrivileges, stdio: entry.allow_stdio_access, terminal: false,
    status, exitCode };
  const initPid = plan.phase === 'created' ? null
    : addProcess(b, { ...proc, kind: 'init', argv: config.args });
  if (plan.phase !== 'created') {
    for (const i of plan.execs) {
      addProcess(b, { ...proc, kind: 'exec', argv: [...entry.exec_processes[i]!.command] });
    }
  }
  b.containers[id] = Object.freeze({ value: plan.phase, context: Object.freeze({
    sandboxId: ctx.sandboxId, isSandbox: plan.entry === 0, rootfs: `/run/gcs/c/${id}/rootfs`,
    layers: layers.map((l) => l.rootHash), scratchDir: scratchPath, config, initPid,
    stdio: entry.allow_stdio_access, exitCode }) });
}

/** Builds the world of `plan` (see the header). */
export function buildState(layout: Layout, ctx: HostileContext, plan: StatePlan): World {
  const base = layout.base;
  const guest = base.state.guest!;
  const engine = loadSecurityPolicy(base.store.blobs.get(guest.policy!.digest)!).policy;
  const b: Building = { guest, devices: {}, overlays: {}, containers: {}, processes: {},
    metadata: { ...guest.metadata, devices: {}, rw_devices: {}, matches: {}, overlayTargets: {},
      started: {}, p9mounts: {}, scratch_mounts: {}, issuers: {} }, nextPid: 100 };
  const disks: Record<string, HostStorage['disks'][string]> = {
    ...base.state.host.storage.disks };
  const attachments: Record<string, HostStorage['attachments'][string]> = {
    ...base.state.host.storage.attachments };
  const used = new Set([...plan.containers.map((c) => c.entry), ...plan.layersOnly]
    .flatMap((entry) => ctx.policy.shape.containers[entry]!.layers));
  const extra = plan.duplicateLayer && used.size > 0 ? [...used][0]! : null;
  for (const [hash, place] of layout.layers) {
    if (!used.has(hash)) continue;
    const bytes = base.store.blobs.get(place.image)!;
    const table = layerVerityTable(bytes);
    assert(table.root_digest === hash, 'the catalog image has the root hash the policy names');
    disks[place.disk] = { kind: 'layer', image: place.image, patches: {} };
    attachments[String(place.lun)] = { disk: place.disk, withheld: false };
    b.devices[place.target] = Object.freeze({ kind: 'ro_verity', target: place.target,
      controller: 0, lun: place.lun, table, rootHash: hash, broken: false });
    b.metadata.devices[place.target] = hash;
    if (hash === extra) {
      const target = '/run/mounts/scsi/m30';
      attachments['30'] = { disk: place.disk, withheld: false };
      b.devices[target] = Object.freeze({ kind: 'ro_verity', target, controller: 0, lun: 30,
        table, rootHash: hash, broken: false });
      b.metadata.devices[target] = hash;
    }
  }
  const s = layout.scratch;
  disks[s.disk] = { kind: 'scratch', blockCount: 64, sealed: {} };
  attachments[String(s.lun)] = { disk: s.disk, withheld: false };
  b.devices[s.target] = Object.freeze({ kind: 'rw_scratch', target: s.target, controller: 0,
    lun: s.lun, encrypted: plan.scratchEncrypted, filesystem: 'xfs', blockCount: 64,
    versions: {}, files: {}, nextBlock: 0, broken: false });
  b.metadata.rw_devices[s.target] = true;
  for (const c of plan.containers) buildContainer(b, layout, ctx, c, engine.containers);
  for (const i of plan.externals) {
    const e = ctx.policy.shape.external_processes[i]!;
    addProcess(b, { containerId: null, kind: 'external', argv: [...e.command], env: envOf(e),
      cwd: e.working_dir, user: { uid: 0, gid: 0, name: 'root' },
      groups: [{ id: 0, name: 'root' }], capabilities: null, noNewPrivileges: false,
      stdio: false, terminal: false, status: 'running', exitCode: null });
  }
  const scratchKeys = plan.scratchEncrypted ? { [s.target]: plan.scratchKey } : {};
  const built: GuestState = Object.freeze({ ...guest, devices: b.devices, overlays: b.overlays,
    containers: b.containers, processes: b.processes, nextPid: b.nextPid,
    metadata: b.metadata as unknown as PolicyMetadata,
    secrets: Object.freeze({ scratchKeys }) });
  const memory = syncGuestSecrets(base.state.memory, {}, scratchKeys);
  return Object.freeze({ ...base, state: Object.freeze({ ...base.state, guest: built, memory,
    host: Object.freeze({ ...base.state.host,
      storage: Object.freeze({ disks, attachments }) }) }) });
}
