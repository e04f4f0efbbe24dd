/**
 * Models: the guest's filesystem at its real paths (spec d; hcsshim guestpath): read-only layers
 * at /run/mounts/scsi/mN, scratch disks at /run/gcs/c/<id>, container rootfs overlays at
 * /run/gcs/c/<id>/rootfs (top layer first), plan9 shares, the mount-source directories under
 * /run/gcs/c/<sandbox id>/sandboxMounts and .../hugepages, and /proc/<pid>/{cmdline,environ}.
 * Real counterpart: the UVM's mount table and the kernel's view of those devices.
 * Differs: built on demand as a memfs Volume for inspection (tests, the CLI), never in the step
 * path (a memfs copy costs milliseconds); files are read through dm-verity or dm-crypt at build
 * time, and a file that fails its integrity check is left out (listed in `unreadable`); plan9
 * shares and the mount-source directories the GCS made are empty directories; no whiteouts.
 * Invariants: the view is a function of (GuestState, AgentIo); nothing here changes state;
 * `pathExists` answers from the same mounts without building a volume.
 */
import { Volume } from 'memfs';
import { assert } from '../../sim/kernel/assert.js';
import { hexBytes } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import { isIoError, type AgentIo } from './agent-step.js';
import { readScratchBlock, SCRATCH_BLOCK_BYTES } from './encrypted-scratch.js';
import type { GuestState, OverlayLayer, RwDeviceMount } from './guest-state.js';
import { statLayerPath, readLayerFile } from './layer-image.js';
import { isRefusal, readLayerMetadata } from './layer-reads.js';

type Entries = Record<string, Buffer | string | null>;

function underMount(path: string, target: string): string | null {
  if (path === target) return '/';
  return path.startsWith(`${target}/`) ? path.slice(target.length) : null;
}

function layerHas(state: GuestState, io: AgentIo, layerPath: string, inner: string): boolean {
  const device = Object.hasOwn(state.devices, layerPath) ? state.devices[layerPath] : undefined;
  if (device === undefined || device.kind !== 'ro_verity') return false;
  const metadata = readLayerMetadata(io, device.lun, device.table);
  return !isRefusal(metadata) && statLayerPath(metadata, inner) !== undefined;
}

/**
 * Whether `path` exists in the guest: a mount target or one of its parents, a file or directory
 * in a mounted layer or container rootfs, or a file the agent wrote to a scratch disk.
 */
export function pathExists(state: GuestState, io: AgentIo, path: string): boolean {
  if (!path.startsWith('/') || path.split('/').some((p) => p === '..' || p === '.')) return false;
  const targets = [
    ...Object.keys(state.devices), ...Object.values(state.overlays).map((o) => o.target),
    ...Object.keys(state.plan9), ...Object.keys(state.mountSources),
  ];
  if (targets.some((t) => t === path || t.startsWith(`${path}/`) || path === '/')) return true;
  for (const device of Object.values(state.devices)) {
    const inner = underMount(path, device.target);
    if (inner === null) continue;
    if (device.kind === 'ro_verity') return layerHas(state, io, device.target, inner);
    const rel = inner.slice(1);
    return Object.keys(device.files).some((f) => f === rel || f.startsWith(`${rel}/`));
  }
  for (const overlay of Object.values(state.overlays)) {
    const inner = underMount(path, overlay.target);
    if (inner !== null) return overlay.layers.some((l) => layerHas(state, io, l.path, inner));
  }
  return false;
}

export type GuestFsView = Readonly<{
  volume: InstanceType<typeof Volume>;
  /** Files left out because a verified or authenticated read failed: path → reason. */
  unreadable: Readonly<Record<string, string>>;
}>;

function addLayerFiles(state: GuestState, io: AgentIo, layers: readonly OverlayLayer[],
  at: string, out: Entries, unreadable: Record<string, string>): void {
  for (const layer of [...layers].reverse()) {   // base first, so upper layers overwrite
    const device = Object.hasOwn(state.devices, layer.path) ? state.devices[layer.path] : undefined;
    if (device === undefined || device.kind !== 'ro_verity') continue;
    const metadata = readLayerMetadata(io, device.lun, device.table);
    const bytes = io.deviceBytes(device.lun);
    if (isRefusal(metadata)) {
      unreadable[`${at}${layer.path}`] = metadata.reason;
      continue;
    }
    if (isIoError(bytes)) {
      unreadable[`${at}${layer.path}`] = bytes.io_error;
      continue;
    }
    for (const entry of metadata.entries) {
      const path = entry.path === '/' ? at : `${at}${entry.path}`;
      if (entry.kind === 'dir') {
        if (!Object.hasOwn(out, path)) out[path] = null;
        continue;
      }
      try {
        out[path] = Buffer.from(readLayerFile(metadata, bytes, entry.path));
      } catch (error) {
        if (!(error instanceof SimError)) throw error;
        unreadable[path] = error.message;
      }
    }
  }
}

function addScratchFiles(state: GuestState, io: AgentIo, device: RwDeviceMount, out: Entries,
  unreadable: Record<string, string>): void {
  out[device.target] = null;
  const disk = io.scratchDisk(device.lun);
  const key = state.secrets.scratchKeys[device.target];
  for (const [rel, file] of Object.entries(device.files)) {
    const path = `${device.target}/${rel}`;
    if (isIoError(disk)) {
      unreadable[path] = disk.io_error;
      continue;
    }
    try {
      const content = new Uint8Array(file.blocks * SCRATCH_BLOCK_BYTES);
      for (let i = 0; i < file.blocks; i++) {
        const index = file.firstBlock + i;
        const block = device.encrypted
          ? readScratchBlock({ ledger: { blockCount: device.blockCount,
            versions: device.versions }, disk }, hexBytes(key!), index)
          : hexBytes(disk.sealed[String(index)] ?? '00'.repeat(SCRATCH_BLOCK_BYTES));
        content.set(block, i * SCRATCH_BLOCK_BYTES);
      }
      out[path] = Buffer.from(content.subarray(0, file.sizeBytes));
    } catch (error) {
      if (!(error instanceof SimError)) throw error;
      unreadable[path] = error.message;
    }
  }
}

/** A memfs Volume of the guest at its real paths (for inspection; never in the step path). */
export function guestFilesystem(state: GuestState, io: AgentIo): GuestFsView {
  const out: Entries = { '/run/mounts/scsi': null, '/run/gcs/c': null, '/proc': null };
  const unreadable: Record<string, string> = {};
  for (const device of Object.values(state.devices)) {
    if (device.kind === 'ro_verity') {
      addLayerFiles(state, io, [{ path: device.target, rootHash: device.rootHash }],
        device.target, out, unreadable);
    } else {
      addScratchFiles(state, io, device, out, unreadable);
    }
  }
  for (const overlay of Object.values(state.overlays)) {
    out[overlay.target] = null;
    addLayerFiles(state, io, overlay.layers, overlay.target, out, unreadable);
  }
  for (const share of Object.values(state.plan9)) out[share.target] = null;
  for (const path of Object.keys(state.mountSources)) out[path] = null;
  for (const process of Object.values(state.processes)) {
    out[`/proc/${process.pid}/cmdline`] = Buffer.from(process.argv.map((a) => `${a}\0`).join(''));
    out[`/proc/${process.pid}/environ`] = Buffer.from(process.env.map((e) => `${e}\0`).join(''));
  }
  const volume = Volume.fromJSON(out);
  assert(volume.existsSync('/run/gcs/c'), 'the container root exists');
  return Object.freeze({ volume, unreadable: Object.freeze(unreadable) });
}
