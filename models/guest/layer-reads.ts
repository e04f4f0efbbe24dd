/**
 * Models: the guest's reads of layer devices: the verity table from the device itself at mount
 * (hcsshim verity.ReadVeritySuperBlock), and file reads through the dm-verity targets under the
 * tables recorded at mount, top layer first (overlayfs lookup), for /etc/passwd and /etc/group.
 * Real counterpart: the kernel's dm-verity targets and overlayfs below the GCS.
 * Differs: results are memoised in the kernel memo by content: the device's content id (from
 * the world), the table, the path. A host change to a device gives it a new content id, so the
 * read is redone and fails where the kernel's would. Decoded layer metadata is kept per
 * (device content, table) like an inode cache; whiteouts do not exist in this layer format.
 * Invariants: every read is verified against the table the guest recorded at mount, never a
 * table recomputed later; a failure is a Refusal value (layer io or verity), never wrong data.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import { memo } from '../../sim/kernel/memo.js';
import type { VerityTable } from './dm-verity.js';
import { isIoError, refusal, type AgentIo, type Refusal } from './agent-step.js';
import {
  layerVerityTable, mountLayerAt, readLayerFile, statLayerPath, type LayerMount,
} from './layer-image.js';
import { lookupRecord, type GuestState, type OverlayLayer } from './guest-state.js';

/** Entries per memo table: a run mounts tens of layers; the explorer revisits them. */
export const LAYER_MEMO_LIMIT = 1024;

export function isRefusal(value: unknown): value is Refusal {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, 'layer')
    && Object.hasOwn(value, 'reason');
}

/** The SimErrors of dm-verity and the layer format as refusals; anything else is a bug. */
function readFailure(error: unknown, what: string): Refusal {
  if (!(error instanceof SimError)) throw error;
  const layer = error.code.startsWith('GUEST_VERITY') || error.code.startsWith('GUEST_LAYER')
    ? 'verity' : 'io';
  return refusal(layer, `${what}: ${error.message}`, { code: error.code });
}

function device(io: AgentIo, lun: number): Readonly<{ id: string; bytes: Uint8Array }> | Refusal {
  const id = io.deviceId(lun);
  if (isIoError(id)) return refusal('io', `no device at lun ${lun}: ${id.io_error}`);
  const bytes = io.deviceBytes(lun);
  if (isIoError(bytes)) return refusal('io', `no device at lun ${lun}: ${bytes.io_error}`);
  return { id, bytes };
}

function tableKey(table: VerityTable): string {
  return `${table.version}:${table.algorithm}:${table.data_block_size}:${table.hash_block_size}:`
    + `${table.num_data_blocks}:${table.hash_start_block}:${table.salt}:${table.root_digest}`;
}

/**
 * The dm-verity table of the layer device at `lun`, read from the device itself (its superblock
 * and top hash block): the root hash the policy is asked about.
 */
export function readDeviceVerityTable(io: AgentIo, lun: number): VerityTable | Refusal {
  const dev = device(io, lun);
  if (isRefusal(dev)) return dev;
  try {
    return memo('guest/verity-table', dev.id, () => layerVerityTable(dev.bytes),
      LAYER_MEMO_LIMIT);
  } catch (error) {
    return readFailure(error, `reading the dm-verity superblock at lun ${lun}`);
  }
}

/** The layer's metadata read through dm-verity under `table` (the mount's filesystem check). */
export function readLayerMetadata(io: AgentIo, lun: number,
  table: VerityTable): LayerMount | Refusal {
  const dev = device(io, lun);
  if (isRefusal(dev)) return dev;
  try {
    return memo('guest/layer-metadata', `${dev.id}|${tableKey(table)}`,
      () => mountLayerAt(table, dev.bytes), LAYER_MEMO_LIMIT);
  } catch (error) {
    return readFailure(error, `mounting the layer at lun ${lun}`);
  }
}

/**
 * A file of a container rootfs: the first layer (top first) with an entry at `path`, its
 * content read through dm-verity. null when no layer has the path (the file does not exist).
 */
export function readRootfsFile(state: GuestState, io: AgentIo, layers: readonly OverlayLayer[],
  path: string): Uint8Array | null | Refusal {
  assert(path.startsWith('/'), 'an absolute path');
  for (const layer of layers) {
    const mount = lookupRecord(state.devices, layer.path);
    if (mount === undefined || mount.kind !== 'ro_verity') {
      return refusal('io', `reading ${path}: no read-only device at ${layer.path} any more`);
    }
    const metadata = readLayerMetadata(io, mount.lun, mount.table);
    if (isRefusal(metadata)) return metadata;
    const entry = statLayerPath(metadata, path);
    if (entry === undefined) continue;
    if (entry.kind !== 'file') return refusal('io', `reading ${path}: not a regular file`);
    const dev = device(io, mount.lun);
    if (isRefusal(dev)) return dev;
    try {
      return memo('guest/layer-file', `${dev.id}|${tableKey(mount.table)}|${path}`,
        () => readLayerFile(metadata, dev.bytes, path), LAYER_MEMO_LIMIT);
    } catch (error) {
      return readFailure(error, `reading ${path} from ${layer.path}`);
    }
  }
  return null;
}
