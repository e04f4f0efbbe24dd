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
import { hexBytes, toHex } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import { memo } from '../../sim/kernel/memo.js';
import {
  SCRATCH_BLOCK_BYTES, readScratchBlock, writeScratchBlock, type ScratchDevice, type ScratchDisk,
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

/** Entries per memo table (sealed and opened blocks: a run writes a few per container). */
export const SCRATCH_MEMO_LIMIT = 4096;

/** The blocks of `text` from `first`, sealed under `key` at the next versions (or in clear). */
function sealText(key: Uint8Array | null, device: RwDeviceMount, first: number, blocks: number,
  text: string): readonly Readonly<{ block: string; version: number }>[] {
  const content = new TextEncoder().encode(text);
  let versions = device.versions;
  const out: { block: string; version: number }[] = [];
  for (let i = 0; i < blocks; i++) {
    const index = first + i;
    const plaintext = new Uint8Array(SCRATCH_BLOCK_BYTES);
    plaintext.set(content.subarray(i * SCRATCH_BLOCK_BYTES, (i + 1) * SCRATCH_BLOCK_BYTES));
    if (key === null) {
      out.push({ block: toHex(plaintext), version: (versions[String(index)] ?? 0) + 1 });
      continue;
    }
    const sealed: ScratchDevice = writeScratchBlock({
      ledger: { blockCount: device.blockCount, versions },
      disk: { blockCount: device.blockCount, sealed: {} } }, key, index, plaintext);
    versions = sealed.ledger.versions;
    out.push({ block: sealed.disk.sealed[String(index)]!, version: versions[String(index)]! });
  }
  return Object.freeze(out);
}

/**
 * Writes the UTF-8 text `text` as file `rel` (relative to the device's target) in fresh blocks.
 * Returns the updated device record and the blocks the host will hold, or an io refusal when the
 * disk is full. Sealing is memoised by (key, blocks, versions, text): it is a pure function.
 */
export function writeScratchFile(state: GuestState, device: RwDeviceMount, rel: string,
  text: string): ScratchWrite | Refusal {
  const sizeBytes = Buffer.byteLength(text);
  if (sizeBytes > MAX_SCRATCH_FILE_BYTES) {
    return refusal('io', `${rel} is ${sizeBytes} bytes, over the ${MAX_SCRATCH_FILE_BYTES} a file `
      + 'may take');
  }
  const blocks = Math.max(1, Math.ceil(sizeBytes / SCRATCH_BLOCK_BYTES));
  const first = device.nextBlock;
  if (first + blocks > device.blockCount) {
    return refusal('io', `scratch disk at ${device.target} is full (${device.blockCount} blocks)`);
  }
  const keyHex = device.encrypted ? state.secrets.scratchKeys[device.target] : 'clear';
  assert(keyHex !== undefined, 'an encrypted device has its key');
  let ledger = `${keyHex}|${first}|`;
  for (let i = 0; i < blocks; i++) ledger += `${device.versions[String(first + i)] ?? 0},`;
  // Keyed by the text (its hash is computed once per string); key, place and versions are
  // checked on a hit, so the same text sealed elsewhere recomputes.
  const seal = () => sealText(device.encrypted ? keyOf(state, device) : null, device, first,
    blocks, text);
  const cached = memo('guest/scratch-seal', text, () => ({ ledger, sealed: seal() }),
    SCRATCH_MEMO_LIMIT);
  const sealed = cached.ledger === ledger ? cached.sealed : seal();
  let versions = device.versions;
  const writes = sealed.map((s, i) => {
    versions = withRecord(versions, String(first + i), s.version);
    return Object.freeze({ lun: device.lun, index: first + i, block: s.block });
  });
  const next: RwDeviceMount = Object.freeze({ ...device, versions, nextBlock: first + blocks,
    files: withRecord(device.files, rel, Object.freeze({ firstBlock: first, blocks,
      sizeBytes })) });
  assert(writes.length === blocks, 'every block written');
  return { device: next, writes: Object.freeze(writes) };
}

type Opened = Readonly<{ keyHex: string; index: number; version: number; plaintext: Uint8Array }>;

/**
 * One block through dm-crypt, memoised by the sealed text itself (the host's string: its hash
 * is computed once), checked against the key, index and version it was opened under.
 */
function openBlock(state: GuestState, device: RwDeviceMount, disk: ScratchDisk,
  index: number): Uint8Array {
  const keyHex = state.secrets.scratchKeys[device.target]!;
  const version = device.versions[String(index)];
  const stored = Object.hasOwn(disk.sealed, String(index)) ? disk.sealed[String(index)] : undefined;
  const open = (): Opened => ({ keyHex, index, version: version ?? 0,
    plaintext: readScratchBlock({ ledger: { blockCount: device.blockCount,
      versions: device.versions }, disk }, keyOf(state, device), index) });
  if (typeof stored !== 'string' || version === undefined) return open().plaintext;
  const opened = memo('guest/scratch-open', stored, open, SCRATCH_MEMO_LIMIT);
  if (opened.keyHex === keyHex && opened.index === index && opened.version === version) {
    return opened.plaintext;
  }
  return open().plaintext;
}

/**
 * Reads file `rel` back from the host's disk (plus `unapplied`: blocks this step wrote that the
 * world has not applied yet): through dm-crypt when encrypted (a changed block is a crypt
 * refusal), as stored when not.
 */
export function readScratchFile(state: GuestState, io: AgentIo, device: RwDeviceMount,
  rel: string, unapplied: readonly DiskWrite[] = []): Uint8Array | Refusal {
  const file = Object.hasOwn(device.files, rel) ? device.files[rel]! : undefined;
  if (file === undefined) return refusal('io', `no file ${rel} on ${device.target}`);
  const host = io.scratchDisk(device.lun);
  if (isIoError(host)) return refusal('io', `scratch disk at lun ${device.lun}: ${host.io_error}`);
  const own = unapplied.filter((w) => w.lun === device.lun);
  // This step's own writes are not on the host's disk yet; the guest reads them back anyway.
  const disk: ScratchDisk = own.length === 0 ? host : { blockCount: host.blockCount, sealed: {
    ...host.sealed, ...Object.fromEntries(own.map((w) => [String(w.index), w.block])) } };
  const content = new Uint8Array(file.blocks * SCRATCH_BLOCK_BYTES);
  for (let i = 0; i < file.blocks; i++) {
    const index = file.firstBlock + i;
    if (device.encrypted) {
      try {
        content.set(openBlock(state, device, disk, index), i * SCRATCH_BLOCK_BYTES);
      } catch (error) {
        if (!(error instanceof SimError)) throw error;
        return refusal('crypt', `reading ${device.target}/${rel}: ${error.message}`,
          { code: error.code });
      }
    } else {
      const stored = Object.hasOwn(disk.sealed, String(index)) ? disk.sealed[String(index)]
        : undefined;
      const block = typeof stored === 'string' && stored.length === 2 * SCRATCH_BLOCK_BYTES
        ? Buffer.from(stored, 'hex') : null;   // stops at the first non-hex character
      if (block === null || block.length !== SCRATCH_BLOCK_BYTES) {
        return refusal('io', `reading ${device.target}/${rel}: block ${index} is not on the disk`);
      }
      content.set(block, i * SCRATCH_BLOCK_BYTES);
    }
  }
  return content.subarray(0, file.sizeBytes);
}
