/**
 * Models: the GCS's ModifySettings handlers for storage (hcsv2 modifyMappedVirtualDisk,
 * modifyCombinedLayers, modifyMappedDirectory, modifyMappedVPMemDevice; spec d): read the
 * verity superblock from the device, Go-side checks, the policy query, hostMounts bookkeeping,
 * the mount itself, and WithMetadataRollback / setUVMInconsistent around them.
 * Real counterpart: uvm.go at HEAD (the order of checks follows it), scsi.Mount with dm-verity or
 * dm-crypt, overlay.MountLayer, plan9.Mount.
 * Differs: a "mount" records what the kernel would hold (the verity table, the crypt key and
 * ledger, the overlay's layers); a mount fails when the host withholds the device, the layer
 * cannot be read through dm-verity, the scratch disk is missing, or a fault was injected; an
 * unmount fails only by an injected fault. There are no VPMem devices in this world. A pristine
 * stand-in of a registry layer presents the root hash it is declared to stand for
 * (AgentIo.declaredRoot; reads are still verified against its own tree).
 * Invariants: a request refused before anything happened returns the step's start state itself;
 * with `metadata_rollback` on, a failed mount or unmount leaves the metadata as it was; a failed
 * unmount with `unmount_poisons` on poisons the UVM; the root hash the policy sees is always the
 * one read from the device (unless `verity_from_device` is off).
 */
import { assert } from '../../sim/kernel/assert.js';
import { toHex, type Hex } from '../../sim/kernel/bytes.js';
import { nextU32, type RngState } from '../../sim/kernel/rng.js';
import type { PolicyMetadata } from '../policy/metadata.js';
import {
  HRESULT, type BridgeRequestOf, type CombinedLayersSettings, type MappedDirectorySettings,
  type MappedVirtualDiskSettings, type ModificationRequest,
} from './bridge-protocol.js';
import {
  containerIdFailure, mountOptionsFailure, overlayPathFailure, roFilesystemFailure,
  shareNameFailure,
} from './confidential-checks.js';
import { SCRATCH_KEY_BYTES } from './encrypted-scratch.js';
import type { VerityTable } from './dm-verity.js';
import { isIoError, refusal, type AgentStep, type Refusal } from './agent-step.js';
import {
  checkOn, denied, emit, enforce, refuse, structural, succeed, takeFault, type StepContext,
} from './agent-context.js';
import { initialContainerRecord, containerTransition } from './container-lifecycle.js';
import {
  UVM_CONTAINER_ID, lookupRecord, withRecord, withoutRecord, type DeviceMount, type GuestState,
  type OverlayMount, type OverlayScratch, type RoDeviceMount, type RwDeviceMount,
} from './guest-state.js';
import { isRefusal, readDeviceVerityTable, readLayerMetadata } from './layer-reads.js';
import { uvmTransition } from './uvm-lifecycle.js';
import { pathExists } from './guest-fs.js';
import { policySettings, policyFragment } from './agent-policy.js';

type Modify = BridgeRequestOf<'ModifySettings'>;

/** Only with a policy installed does the GCS run its confidential checks (HasSecurityPolicy). */
export function confidential(state: GuestState): boolean {
  return state.policy !== null;
}

/** hcsv2 Host.checkState: refused once the UVM is marked inconsistent. */
export function poisonedRefusal(state: GuestState): Refusal | null {
  if (state.uvm.value !== 'poisoned') return null;
  return refusal('state', 'mount, unmount, container creation and deletion have been disabled '
    + `in this UVM due to a previous error: ${state.uvm.context.poisonCause ?? 'unknown'}`);
}

function unsupported(ctx: StepContext, type: string): AgentStep {
  return refuse(ctx, ctx.start, refusal('state', `the RequestType ${JSON.stringify(type)} is `
    + 'not supported'));
}

/** ModifySettings: UVM-level resources, or ContainerConstraints of a container. */
export function modifySettings(ctx: StepContext, req: Modify): AgentStep {
  const state = ctx.start;
  const mr = req.Request;
  emit(ctx, 'modify_settings', { resource: mr.ResourceType, request: mr.RequestType });
  if (confidential(state)) {
    const bad = structural(ctx, [containerIdFailure(req.ContainerId, 'container')]);
    if (bad !== null) return refuse(ctx, state, bad);
  }
  if (req.ContainerId !== UVM_CONTAINER_ID) return containerSettings(ctx, req.ContainerId, mr);
  switch (mr.ResourceType) {
    case 'MappedVirtualDisk': return mappedVirtualDisk(ctx, mr.RequestType, mr.Settings);
    case 'CombinedLayers': return combinedLayers(ctx, mr.RequestType, mr.Settings);
    case 'MappedDirectory': return mappedDirectory(ctx, mr.RequestType, mr.Settings);
    case 'VPMemDevice': return vpmemDevice(ctx);
    case 'SecurityPolicy': return policySettings(ctx, mr.Settings);
    case 'SecurityPolicyFragment': return policyFragment(ctx, mr.Settings);
    case 'SCSIDevice':
      return mr.RequestType === 'Remove' ? succeed(ctx, state) : unsupported(ctx, mr.RequestType);
    case 'Network':
      return mr.RequestType === 'Add' || mr.RequestType === 'Remove' ? succeed(ctx, state)
        : unsupported(ctx, mr.RequestType);
    case 'VPCIDevice':
      return mr.RequestType === 'Add' ? succeed(ctx, state) : unsupported(ctx, mr.RequestType);
    case 'ContainerConstraints':
      return refuse(ctx, state, refusal('state', 'container not found: the UVM has no container '
        + 'constraints'), HRESULT.VMCOMPUTE_SYSTEM_NOT_FOUND);
    case 'PodCgroupMemoryLimit':
      return refuse(ctx, state, refusal('state', `the ResourceType "${mr.ResourceType}" is not `
        + 'supported for UVM'));
  }
}

function containerSettings(ctx: StepContext, id: string, mr: ModificationRequest): AgentStep {
  const record = lookupRecord(ctx.start.containers, id);
  if (record === undefined || record.value === 'overlay_mounted' || record.value === 'deleted') {
    return refuse(ctx, ctx.start, refusal('state', `container ${id} not found`),
      HRESULT.VMCOMPUTE_SYSTEM_NOT_FOUND);
  }
  if (mr.ResourceType !== 'ContainerConstraints') {
    return refuse(ctx, ctx.start, refusal('state', `the ResourceType "${mr.ResourceType}" is not `
      + 'supported for containers'));
  }
  return succeed(ctx, ctx.start);
}

// ---------------------------------------------------------------------------------------------
// MappedVirtualDisk

function mappedVirtualDisk(ctx: StepContext, requestType: string,
  s: MappedVirtualDiskSettings): AgentStep {
  const state = ctx.start;
  const poisoned = poisonedRefusal(state);
  if (poisoned !== null) return refuse(ctx, state, poisoned);
  const id = ctx.io.deviceId(s.Lun);
  if (isIoError(id)) {
    return refuse(ctx, state, refusal('io', `no SCSI device at controller ${s.Controller} lun `
      + `${s.Lun}: ${id.io_error}`));
  }
  let verity: DeviceVerity | null = null;
  if (s.ReadOnly && confidential(state)) {
    const read = deviceTable(ctx, s);
    if (isRefusal(read)) return refuse(ctx, state, read);
    verity = read;
    const fs = structural(ctx, [roFilesystemFailure(s.Filesystem)]);
    if (fs !== null) return refuse(ctx, state, fs);
  }
  if (s.MountPath === '') return succeed(ctx, state);
  if (requestType === 'Add') return addScsi(ctx, s, verity);
  if (requestType === 'Remove') return removeScsi(ctx, s);
  return unsupported(ctx, requestType);
}

/** A layer device's verity table and the root hash it presents (see RoDeviceMount). */
type DeviceVerity = Readonly<{ table: VerityTable; rootHash: Hex }>;

/** The table read from the device at `lun` and the root hash the device presents. */
function readDeviceVerity(ctx: StepContext, lun: number): DeviceVerity | Refusal {
  const table = readDeviceVerityTable(ctx.io, lun);
  if (isRefusal(table)) return table;
  const rootHash = ctx.io.declaredRoot(table.root_digest) ?? table.root_digest;
  assert(/^[0-9a-f]{64}$/.test(rootHash), 'a presented root hash is 32 bytes of hex');
  return { table, rootHash };
}

/** The verity table: from the device (HEAD), or built on the host's VerityInfo (old agents). */
function deviceTable(ctx: StepContext, s: MappedVirtualDiskSettings): DeviceVerity | Refusal {
  const read = readDeviceVerity(ctx, s.Lun);
  if (isRefusal(read) || checkOn(ctx, 'verity_from_device')) return read;
  // Any JSON value: a primitive or an array has no RootDigest either.
  const claimed = (s.VerityInfo as Readonly<Record<string, unknown>> | null)?.['RootDigest'];
  if (typeof claimed !== 'string' || !/^[0-9a-f]{64}$/.test(claimed)) return read;
  emit(ctx, 'verity_info_trusted', { claimed, device: read.rootHash });
  // The old agent set dm-verity up with the host's root hash: a claim that names the image the
  // device presents verifies as that image; any other claim is what the kernel verifies against.
  if (claimed === read.rootHash) return read;
  return { table: Object.freeze({ ...read.table, root_digest: claimed }), rootHash: claimed };
}

function mountFailed(ctx: StepContext, committed: GuestState, why: Refusal): AgentStep {
  if (!checkOn(ctx, 'metadata_rollback')) return refuse(ctx, committed, why);
  emit(ctx, 'metadata_rolled_back', {});
  return refuse(ctx, ctx.start, why);
}

function withMetadata(state: GuestState, metadata: PolicyMetadata): GuestState {
  return metadata === state.metadata ? state : Object.freeze({ ...state, metadata });
}

function addScsi(ctx: StepContext, s: MappedVirtualDiskSettings,
  verity: DeviceVerity | null): AgentStep {
  const state = ctx.start;
  if (confidential(state)) {
    const options = structural(ctx, [mountOptionsFailure(s.ReadOnly, s.Options)]);
    if (options !== null) return refuse(ctx, state, options);
  }
  const target = s.MountPath;
  if (s.BlockDev) {
    const asked = enforce(ctx, state, state.metadata, 'mount_blockdev', { target });
    if (!asked.ok) return denied(ctx, state, asked);
    return refuse(ctx, state, refusal('io', 'blockdev symlinks are not modelled'));
  }
  const asked = s.ReadOnly
    ? enforce(ctx, state, state.metadata, 'mount_device',
      // Stryker disable next-line StringLiteral: null verity = no policy, whose door reads no input
      { target, deviceHash: verity?.rootHash ?? '' })
    : enforce(ctx, state, state.metadata, 'rw_mount_device', { target, encrypted: s.Encrypted,
      ensureFilesystem: s.EnsureFilesystem, filesystem: s.Filesystem });
  if (!asked.ok) return denied(ctx, state, asked);
  const committed = withMetadata(state, asked.metadata);
  if (lookupRecord(state.devices, target) !== undefined) {
    return mountFailed(ctx, committed,
      refusal('state', `a device is already mounted at ${target}`));
  }
  if (takeFault(ctx, 'mount')) {
    return mountFailed(ctx, committed, refusal('io', `mounting ${target} failed (injected fault)`));
  }
  const mounted = s.ReadOnly ? mountRo(ctx, s, verity) : mountRw(ctx, committed, s);
  if (isRefusal(mounted)) return mountFailed(ctx, committed, mounted);
  const next = Object.freeze({ ...committed, ...mounted.state,
    devices: withRecord(committed.devices, target, mounted.device) });
  assert(next.devices[target] === mounted.device, 'the device is recorded at its target');
  assert(!s.ReadOnly || asked.decision.delta.length === 0
    || next.metadata.devices[target] === verity?.rootHash,
  'the policy recorded the root hash the guest read');
  emit(ctx, 'device_mounted', { target, kind: mounted.device.kind, lun: s.Lun,
    rootHash: mounted.device.kind === 'ro_verity' ? mounted.device.rootHash : null,
    encrypted: mounted.device.kind === 'rw_scratch' ? mounted.device.encrypted : null });
  return succeed(ctx, next);
}

type Mounted = Readonly<{ device: DeviceMount; state: Partial<GuestState> }>;

function mountRo(ctx: StepContext, s: MappedVirtualDiskSettings,
  verity: DeviceVerity | null): Mounted | Refusal {
  // Only a policy allows a mount, and with a policy mappedVirtualDisk read the device first.
  assert(verity !== null, 'a read-only device allowed by the policy was read');
  const { table, rootHash } = verity;
  const metadata = readLayerMetadata(ctx.io, s.Lun, table);
  if (isRefusal(metadata)) return metadata;
  assert(metadata.table === table || metadata.table.root_digest === table.root_digest);
  return { device: Object.freeze({ kind: 'ro_verity', target: s.MountPath,
    controller: s.Controller, lun: s.Lun, table, rootHash, broken: false }), state: {} };
}

/** 32 key bytes from the guest's own stream. */
export function drawKey(rng: RngState): Readonly<{ key: string; rng: RngState }> {
  const bytes = new Uint8Array(SCRATCH_KEY_BYTES);
  let cursor = rng;
  for (let i = 0; i < SCRATCH_KEY_BYTES; i += 4) {
    const drawn = nextU32(cursor);
    cursor = drawn.state;
    new DataView(bytes.buffer).setUint32(i, drawn.value, true);
  }
  assert(cursor !== rng, 'the stream advanced');
  return { key: toHex(bytes), rng: cursor };
}

function mountRw(ctx: StepContext, committed: GuestState,
  s: MappedVirtualDiskSettings): Mounted | Refusal {
  const disk = ctx.io.scratchDisk(s.Lun);
  if (isIoError(disk)) return refusal('io', `no scratch disk at lun ${s.Lun}: ${disk.io_error}`);
  const device: RwDeviceMount = Object.freeze({
    kind: 'rw_scratch', target: s.MountPath, controller: s.Controller, lun: s.Lun,
    encrypted: s.Encrypted, filesystem: s.Filesystem, blockCount: disk.blockCount,
    versions: Object.freeze({}), files: Object.freeze({}), nextBlock: 0, broken: false,
  });
  if (!s.Encrypted) return { device, state: {} };
  const { key, rng } = drawKey(committed.rng);
  return { device, state: { rng, secrets: Object.freeze({
    scratchKeys: withRecord(committed.secrets.scratchKeys, s.MountPath, key) }) } };
}

/** A failed unmount: the metadata per `metadata_rollback`, the UVM poisoned. */
function unmountFailed(ctx: StepContext, committed: GuestState, mark: Partial<GuestState>,
  cause: string): AgentStep {
  const base = checkOn(ctx, 'metadata_rollback') ? ctx.start : committed;
  const poison = checkOn(ctx, 'unmount_poisons');
  const uvm = poison ? uvmTransition(base.uvm, { type: 'UNMOUNT_FAILED', cause }) : base.uvm;
  const next = Object.freeze({ ...base, ...mark, uvm });
  if (poison) emit(ctx, 'uvm_poisoned', { cause });
  return refuse(ctx, next, refusal('io', cause));
}

function removeScsi(ctx: StepContext, s: MappedVirtualDiskSettings): AgentStep {
  const state = ctx.start;
  const target = s.MountPath;
  if (s.BlockDev) {
    const asked = enforce(ctx, state, state.metadata, 'unmount_blockdev',
      { unmountTarget: target });
    if (!asked.ok) return denied(ctx, state, asked);
    return refuse(ctx, state, refusal('io', 'blockdev symlinks are not modelled'));
  }
  const early = existsBeforePolicy(ctx, target);
  if (early !== null) return refuse(ctx, state, early);
  const asked = enforce(ctx, state, state.metadata,
    s.ReadOnly ? 'unmount_device' : 'rw_unmount_device', { unmountTarget: target });
  if (!asked.ok) return denied(ctx, state, asked);
  const committed = withMetadata(state, asked.metadata);
  const device = lookupRecord(state.devices, target);
  const users = Object.values(state.overlays).filter((o) => s.ReadOnly
    ? o.layers.some((l) => l.path === target) : o.scratch?.device === target);
  if (users.length > 0 && checkOn(ctx, 'unmount_in_use')) {
    return mountFailed(ctx, committed, refusal('state', `the device at ${target} is in use by `
      + `the overlay at ${users[0]!.target}`, { check: 'unmount_in_use' }));
  }
  if (device === undefined || (device.kind === 'ro_verity') !== s.ReadOnly) {
    return mountFailed(ctx, committed, refusal('state', `unmounting scsi device at ${target} `
      + 'failed: directory does not exist'));
  }
  if (takeFault(ctx, 'unmount')) {
    return unmountFailed(ctx, committed, { devices: withRecord(state.devices, target,
      Object.freeze({ ...device, broken: true })) },
      `unmounting scsi device at ${target} failed (injected fault)`);
  }
  const keys = state.secrets.scratchKeys;
  const next = Object.freeze({ ...committed, devices: withoutRecord(state.devices, target),
    secrets: Object.hasOwn(keys, target)
      ? Object.freeze({ scratchKeys: withoutRecord(keys, target) }) : state.secrets });
  assert(!Object.hasOwn(next.devices, target), 'the device is gone');
  assert(!Object.hasOwn(next.secrets.scratchKeys, target), 'and its key with it');
  emit(ctx, 'device_unmounted', { target });
  return succeed(ctx, next);
}

/** With `exists_after_policy` off, the old order: a missing path is reported before the policy. */
function existsBeforePolicy(ctx: StepContext, target: string): Refusal | null {
  if (checkOn(ctx, 'exists_after_policy') || !confidential(ctx.start)) return null;
  if (pathExists(ctx.start, ctx.io, target)) return null;
  return refusal('state', `unmounting at ${target} failed: directory does not exist`);
}

// ---------------------------------------------------------------------------------------------
// CombinedLayers

/** The RW device a scratch path lies on (hostMounts.IsEncrypted looks it up the same way). */
export function scratchDeviceOf(state: GuestState, path: string): RwDeviceMount | null {
  for (const device of Object.values(state.devices)) {
    if (device.kind === 'rw_scratch' && path.startsWith(`${device.target}/`)) return device;
  }
  return null;
}

function combinedLayers(ctx: StepContext, requestType: string,
  s: CombinedLayersSettings): AgentStep {
  const poisoned = poisonedRefusal(ctx.start);
  if (poisoned !== null) return refuse(ctx, ctx.start, poisoned);
  if (requestType === 'Add') return addOverlay(ctx, s);
  if (requestType === 'Remove') return removeOverlay(ctx, s);
  return unsupported(ctx, requestType);
}

function addOverlay(ctx: StepContext, s: CombinedLayersSettings): AgentStep {
  const state = ctx.start;
  const id = s.ContainerID;
  if (confidential(state)) {
    const bad = structural(ctx, [containerIdFailure(id, 'container'),
      overlayPathFailure(id, s.ContainerRootPath, s.ScratchPath)]);
    if (bad !== null) return refuse(ctx, state, bad);
  }
  let metadata = state.metadata;
  let scratch: OverlayScratch | null = null;
  if (s.ScratchPath !== '') {
    const device = scratchDeviceOf(state, s.ScratchPath);
    scratch = Object.freeze({ path: s.ScratchPath, device: device?.target ?? null,
      encrypted: device?.encrypted ?? false });
    const asked = enforce(ctx, state, metadata, 'scratch_mount',
      { target: s.ScratchPath, encrypted: scratch.encrypted });
    if (!asked.ok) return denied(ctx, state, asked);
    metadata = asked.metadata;
  }
  const layerPaths = s.Layers.map((l) => l.Path);
  const asked = enforce(ctx, state, metadata, 'mount_overlay',
    { containerID: id, layerPaths, target: s.ContainerRootPath });
  if (!asked.ok) return mountFailed(ctx, withMetadata(state, asked.metadata), asked.refusal);
  const committed = withMetadata(state, asked.metadata);
  const failed = overlayActFailure(ctx, s, layerPaths);
  if (failed !== null) return mountFailed(ctx, committed, failed);
  const overlay: OverlayMount = Object.freeze({ containerId: id, target: s.ContainerRootPath,
    layers: Object.freeze(layerPaths.map((path) => Object.freeze({ path,
      rootHash: (state.devices[path] as RoDeviceMount).rootHash }))),
    scratch, broken: false });
  const record = lookupRecord(state.containers, id);
  const next = Object.freeze({ ...committed, overlays: withRecord(state.overlays, id, overlay),
    containers: record === undefined
      ? withRecord(state.containers, id, initialContainerRecord()) : state.containers });
  assert(overlay.layers.length === layerPaths.length, 'every layer recorded, in order');
  assert(next.containers[id] !== undefined, 'the ID has a container record');
  emit(ctx, 'overlay_mounted', { containerId: id, target: overlay.target,
    layers: overlay.layers.map((l) => l.rootHash), scratchEncrypted: scratch?.encrypted ?? null });
  return succeed(ctx, next);
}

/** hostMounts.AddOverlay and overlay.MountLayer: what makes a policy-allowed overlay fail. */
function overlayActFailure(ctx: StepContext, s: CombinedLayersSettings,
  layerPaths: readonly string[]): Refusal | null {
  const state = ctx.start;
  if (Object.values(state.overlays).some((o) => o.target === s.ContainerRootPath)) {
    return refusal('state', `an overlay is already mounted at ${s.ContainerRootPath}`);
  }
  if (lookupRecord(state.overlays, s.ContainerID) !== undefined) {
    return refusal('state', `container ${s.ContainerID} already has an overlay`);
  }
  const missing = layerPaths.find((p) => lookupRecord(state.devices, p)?.kind !== 'ro_verity');
  if (missing !== undefined) {
    return refusal('state', `overlay layer ${missing} is not a mounted read-only device`);
  }
  if (takeFault(ctx, 'mount')) {
    return refusal('io', `mounting the overlay at ${s.ContainerRootPath} failed (injected fault)`);
  }
  return null;
}

function removeOverlay(ctx: StepContext, s: CombinedLayersSettings): AgentStep {
  const state = ctx.start;
  const target = s.ContainerRootPath;
  const asked = enforce(ctx, state, state.metadata, 'unmount_overlay', { unmountTarget: target });
  if (!asked.ok) return denied(ctx, state, asked);
  const committed = withMetadata(state, asked.metadata);
  const user = Object.entries(state.containers).find(([, c]) =>
    c.value === 'running' && c.context.rootfs === target);
  if (user !== undefined && checkOn(ctx, 'unmount_in_use')) {
    return mountFailed(ctx, committed, refusal('state', `overlay ${JSON.stringify(target)} is in `
      + `use by a running container (${user[0]})`, { check: 'unmount_in_use' }));
  }
  const overlay = Object.values(state.overlays).find((o) => o.target === target);
  if (overlay === undefined) {
    return mountFailed(ctx, committed, refusal('state', `no overlay is mounted at ${target}`));
  }
  const id = overlay.containerId;
  if (takeFault(ctx, 'unmount')) {
    return unmountFailed(ctx, committed, { overlays: withRecord(state.overlays, id,
      Object.freeze({ ...overlay, broken: true })) },
      `unmounting overlay at ${target} failed (injected fault)`);
  }
  const record = lookupRecord(state.containers, id);
  assert(record !== undefined, 'addOverlay gave the overlay\'s ID a container record');
  // A Create the concurrent agent has checked but not acted on holds the ID (containerCreating).
  const creating = state.pendingCreate?.containerId === id;
  const containers = creating ? state.containers
    : withRecord(state.containers, id, containerTransition(record, { type: 'OVERLAY_UNMOUNTED' }));
  emit(ctx, 'overlay_unmounted', { containerId: id, target });
  return succeed(ctx, Object.freeze({ ...committed, overlays: withoutRecord(state.overlays, id),
    containers }));
}

// ---------------------------------------------------------------------------------------------
// MappedDirectory (plan9) and VPMem

function mappedDirectory(ctx: StepContext, requestType: string,
  s: MappedDirectorySettings): AgentStep {
  const state = ctx.start;
  const poisoned = poisonedRefusal(state);
  if (poisoned !== null) return refuse(ctx, state, poisoned);
  const target = s.MountPath;
  if (requestType === 'Add') {
    const asked = enforce(ctx, state, state.metadata, 'plan9_mount', { target });
    if (!asked.ok) return denied(ctx, state, asked);
    const committed = withMetadata(state, asked.metadata);
    const share = confidential(state) ? structural(ctx, [shareNameFailure(s.ShareName)]) : null;
    if (share !== null) return mountFailed(ctx, committed, share);
    if (lookupRecord(state.plan9, target) !== undefined) {
      return mountFailed(ctx, committed,
        refusal('state', `a share is already mounted at ${target}`));
    }
    if (takeFault(ctx, 'mount')) {
      return mountFailed(ctx, committed, refusal('io', `plan9 mount at ${target} failed `
        + '(injected fault)'));
    }
    emit(ctx, 'plan9_mounted', { target, shareName: s.ShareName });
    return succeed(ctx, Object.freeze({ ...committed, plan9: withRecord(state.plan9, target,
      Object.freeze({ target, shareName: s.ShareName, port: s.Port, readOnly: s.ReadOnly,
        broken: false })) }));
  }
  if (requestType !== 'Remove') return unsupported(ctx, requestType);
  const asked = enforce(ctx, state, state.metadata, 'plan9_unmount', { unmountTarget: target });
  if (!asked.ok) return denied(ctx, state, asked);
  const committed = withMetadata(state, asked.metadata);
  const share = lookupRecord(state.plan9, target);
  if (share !== undefined && takeFault(ctx, 'unmount')) {
    return unmountFailed(ctx, committed, { plan9: withRecord(state.plan9, target,
      Object.freeze({ ...share, broken: true })) }, `unmounting plan9 device at ${target} failed`);
  }
  emit(ctx, 'plan9_unmounted', { target });
  return succeed(ctx, share === undefined ? committed
    : Object.freeze({ ...committed, plan9: withoutRecord(state.plan9, target) }));
}

/** VPMem: the GCS reads the verity superblock of /dev/pmemN first; there are none here. */
function vpmemDevice(ctx: StepContext): AgentStep {
  const poisoned = poisonedRefusal(ctx.start);
  if (poisoned !== null) return refuse(ctx, ctx.start, poisoned);
  return refuse(ctx, ctx.start, refusal('io', 'no VPMem devices are attached in this world'));
}
