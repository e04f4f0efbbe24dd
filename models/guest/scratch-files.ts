/**
 * Models: files the guest writes to, and reads back from, a container's scratch disk (the RW
 * SCSI disk at /run/gcs/c/<sandbox id>): the OCI config a container is created with and the
 * marker its init process leaves, through dm-crypt (encrypted-scratch.ts) or in the clear when
 * the policy allows unencrypted scratch.
 * Real counterpart: ext4 on dm-crypt + dm-integrity under /run/gcs/c/<id>: config.json in the
 * bundle, the container's writable layer in scratch/<id>/upper.
 * Differs: no ext4: each file takes whole blocks from a per-device cursor (blocks are never
 * reused); the write returns the sealed blocks for the world to put on the host's disk instead
 * of writing them; reads take the host's current blocks through AgentIo.
 * Invariants: an encrypted device's blocks leave the guest only sealed; every write of a block
 * takes the next version in the device's ledger (never a nonce twice); a read of a tampered,
 * swapped, replayed or missing block is a `crypt` refusal, never other bytes.
 */
import { assert } from '../../sim/kernel/assert.js';
import { hexBytes, isHexOf, toHex } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import {
  SCRATCH_BLOCK_BYTES, readScratchBlock, writeScratchBlock, type ScratchDevice,
} from './encrypted-scratch.js';
import { isIoError, refusal, type AgentIo, type DiskWrite, type Refusal } from './agent-step.js';
import { withRecord, type GuestState, type RwDeviceMount } from './guest-state.js';

/** The largest file the agent writes (a config.json): bounded loops. */
export const MAX_SCRATCH_FILE_BYTES = 1 << 20;

function keyOf(state: GuestState, device: RwDeviceMount): Uint8Array {
  const key = state.secrets.scratchKeys[device.target];
  assert(key !== undefined, 'an encrypted device has its key');
  return hexBytes(key);
}

export type ScratchWrite = Readonly<{ device: RwDeviceMount; writes: readonly DiskWrite[] }>;

/**
 * Writes `content` as file `rel` (relative to the device's target) in fresh blocks. Returns the
 * updated device record and the blocks the host will hold, or an io refusal when it is full.
 */
export function writeScratchFile(state: GuestState, device: RwDeviceMount, rel: string,
  content: Uint8Array): ScratchWrite | Refusal {
  assert(content.length <= MAX_SCRATCH_FILE_BYTES, 'a bounded file');
  const blocks = Math.max(1, Math.ceil(content.length / SCRATCH_BLOCK_BYTES));
  const first = device.nextBlock;
  if (first + blocks > device.blockCount) {
    return refusal('io', `scratch disk at ${device.target} is full (${device.blockCount} blocks)`);
  }
  const key = device.encrypted ? keyOf(state, device) : null;
  let versions = device.versions;
  const writes: DiskWrite[] = [];
  for (let i = 0; i < blocks; i++) {
    const index = first + i;
    const plaintext = new Uint8Array(SCRATCH_BLOCK_BYTES);
    plaintext.set(content.subarray(i * SCRATCH_BLOCK_BYTES, (i + 1) * SCRATCH_BLOCK_BYTES));
    let block: string;
    if (key === null) {
      block = toHex(plaintext);
      versions = withRecord(versions, String(index), (versions[String(index)] ?? 0) + 1);
    } else {
      const sealed: ScratchDevice = writeScratchBlock({
        ledger: { blockCount: device.blockCount, versions },
        disk: { blockCount: device.blockCount, sealed: {} } }, key, index, plaintext);
      versions = sealed.ledger.versions;
      block = sealed.disk.sealed[String(index)]!;
    }
    writes.push(Object.freeze({ lun: device.lun, index, block }));
  }
  const next: RwDeviceMount = Object.freeze({ ...device, versions, nextBlock: first + blocks,
    files: withRecord(device.files, rel, Object.freeze({ firstBlock: first, blocks,
      sizeBytes: content.length })) });
  assert(writes.length === blocks, 'every block written');
  return { device: next, writes: Object.freeze(writes) };
}

/**
 * Reads file `rel` back from the host's disk: through dm-crypt when encrypted (a changed block
 * is a crypt refusal), as stored when not.
 */
export function readScratchFile(state: GuestState, io: AgentIo, device: RwDeviceMount,
  rel: string): Uint8Array | Refusal {
  const file = Object.hasOwn(device.files, rel) ? device.files[rel]! : undefined;
  if (file === undefined) return refusal('io', `no file ${rel} on ${device.target}`);
  const disk = io.scratchDisk(device.lun);
  if (isIoError(disk)) return refusal('io', `scratch disk at lun ${device.lun}: ${disk.io_error}`);
  const content = new Uint8Array(file.blocks * SCRATCH_BLOCK_BYTES);
  for (let i = 0; i < file.blocks; i++) {
    const index = file.firstBlock + i;
    if (device.encrypted) {
      try {
        content.set(readScratchBlock({ ledger: { blockCount: device.blockCount,
          versions: device.versions }, disk }, keyOf(state, device), index),
        i * SCRATCH_BLOCK_BYTES);
      } catch (error) {
        if (!(error instanceof SimError)) throw error;
        return refusal('crypt', `reading ${device.target}/${rel}: ${error.message}`,
          { code: error.code });
      }
    } else {
      const stored = Object.hasOwn(disk.sealed, String(index)) ? disk.sealed[String(index)]
        : undefined;
      if (!isHexOf(stored, SCRATCH_BLOCK_BYTES)) {
        return refusal('io', `reading ${device.target}/${rel}: block ${index} is not on the disk`);
      }
      content.set(hexBytes(stored), i * SCRATCH_BLOCK_BYTES);
    }
  }
  return content.subarray(0, file.sizeBytes);
}
