/**
 * Models: the host's virtual disks and the UVM's SCSI attachments: read-only layer VHDs (the
 * image, plus whatever blocks the host has overwritten since), writable scratch VHDs (holding
 * only what the guest wrote: sealed blocks), and which disk sits at which LUN of controller 0.
 * Real counterpart: the VHD files on the host and hcsshim's SCSI manager (AddVirtualDisk,
 * attachments by controller/LUN); the guest reads them as /dev/sd* block devices.
 * Differs: one SCSI controller; a layer disk is an image in the ContentStore plus a patch table
 * (block index → the 4096 bytes the host wrote there) instead of a copy; a scratch disk holds
 * opaque sealed blocks by index (models/guest/encrypted-scratch.ts decides what they mean);
 * "withheld" marks an attachment whose reads fail (the host keeps the device from the guest).
 * Every block a disk holds beyond its image (a patch, a sealed block) is content-addressed like
 * the image: the disk record names it by the SHA-256 of its bytes, the bytes are in the store
 * (so a world's state stays a few KB however much the guest wrote).
 * Invariants: state is plain data (disks and attachments are records by decimal key, blocks as
 * store digests); every operation returns a new state and copies only the records it touches; a
 * refused operation throws HOST_BAD_INPUT and changes nothing; reads never throw on
 * host-controlled data: a missing device or block is an IoError value.
 */
import { createHash } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { hexBytes, isHexOf, toHex, type Hex } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import { memo } from '../../sim/kernel/memo.js';
import {
  contentDigest, storeAddDigested, storeGet, type ContentStore,
} from './content-store.js';

/** The virtual disks' logical block size (the layer format's and dm-verity's block size). */
export const DISK_BLOCK_BYTES = 4096;
/** LUNs of the one SCSI controller (hcsshim: 64 per controller). */
export const MAX_LUN = 63;
/** Upper bound on disks a host keeps for one UVM (bounded state). */
export const MAX_DISKS = 256;

export type LayerDisk = Readonly<{
  kind: 'layer';
  /** ContentStore digest of the pristine image. */
  image: Hex;
  /** Block index (decimal) → ContentStore digest of the 4096 bytes the host wrote there. */
  patches: Readonly<Record<string, Hex>>;
}>;

export type ScratchDisk = Readonly<{
  kind: 'scratch';
  blockCount: number;
  /**
   * Block index (decimal) → ContentStore digest of what the guest wrote there (ciphertext ‖ tag),
   * or of what the host put there instead.
   */
  sealed: Readonly<Record<string, Hex>>;
}>;

export type Disk = LayerDisk | ScratchDisk;

export type Attachment = Readonly<{ disk: string; withheld: boolean }>;

export type HostStorage = Readonly<{
  disks: Readonly<Record<string, Disk>>;
  /** LUN (decimal) → attachment. */
  attachments: Readonly<Record<string, Attachment>>;
}>;

/** A read the guest's block layer sees fail (EIO / no such device). */
export type IoError = Readonly<{ io_error: string }>;

export function isIoError(value: unknown): value is IoError {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, 'io_error');
}

const NO_STORAGE: HostStorage = Object.freeze({
  disks: Object.freeze({}), attachments: Object.freeze({}),
});

export function emptyStorage(): HostStorage {
  return NO_STORAGE;
}

function refuse(what: string, detail: Readonly<Record<string, unknown>> = {}): never {
  throw new SimError('HOST_BAD_INPUT', { what, ...detail }, `host storage: ${what}`);
}

function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

const DISK_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export function checkDiskId(id: unknown): string {
  if (typeof id !== 'string' || !DISK_ID.test(id)) {
    refuse('a disk id is 1-64 characters of [A-Za-z0-9_.-]', { id: String(id).slice(0, 80) });
  }
  return id;
}

export function checkLun(lun: unknown): number {
  if (typeof lun !== 'number' || !Number.isInteger(lun) || lun < 0 || lun > MAX_LUN) {
    refuse(`a LUN is an integer 0..${MAX_LUN}`, { lun: String(lun).slice(0, 40) });
  }
  return lun;
}

function withDisk(storage: HostStorage, id: string, disk: Disk): HostStorage {
  const next = Object.freeze({
    disks: Object.freeze({ ...storage.disks, [id]: Object.freeze(disk) }),
    attachments: storage.attachments,
  });
  assert(own(next.disks, id) === disk || own(next.disks, id) !== undefined);
  return next;
}

/** A new layer disk holding the image `image` (a ContentStore digest). */
export function addLayerDisk(storage: HostStorage, id: string, image: Hex,
  store: ContentStore): HostStorage {
  checkDiskId(id);
  if (own(storage.disks, id) !== undefined) refuse('disk id already in use', { id });
  if (Object.keys(storage.disks).length >= MAX_DISKS) refuse('too many disks', { max: MAX_DISKS });
  const bytes = isHexOf(image, 32) ? storeGet(store, image) : undefined;
  if (bytes === undefined) refuse('no image with that digest in the store', { image });
  if (bytes.length === 0 || bytes.length % DISK_BLOCK_BYTES !== 0) {
    refuse('an image is a whole number of 4096-byte blocks', { image, sizeBytes: bytes.length });
  }
  return withDisk(storage, id, { kind: 'layer', image, patches: Object.freeze({}) });
}

/** A new, empty scratch disk of `blockCount` blocks. */
export function addScratchDisk(storage: HostStorage, id: string, blockCount: number): HostStorage {
  checkDiskId(id);
  if (own(storage.disks, id) !== undefined) refuse('disk id already in use', { id });
  if (Object.keys(storage.disks).length >= MAX_DISKS) refuse('too many disks', { max: MAX_DISKS });
  if (!Number.isSafeInteger(blockCount) || blockCount < 1 || blockCount > 1 << 20) {
    refuse('a scratch disk has 1..2^20 blocks', { blockCount });
  }
  return withDisk(storage, id, { kind: 'scratch', blockCount, sealed: Object.freeze({}) });
}

function withAttachments(storage: HostStorage,
  attachments: Readonly<Record<string, Attachment>>): HostStorage {
  return Object.freeze({ disks: storage.disks, attachments: Object.freeze(attachments) });
}

/** Hot-adds disk `disk` at `lun` (hcsshim AddSCSI). */
export function attachDisk(storage: HostStorage, lun: number, disk: string): HostStorage {
  checkLun(lun);
  checkDiskId(disk);
  if (own(storage.disks, disk) === undefined) refuse('no such disk', { disk });
  if (own(storage.attachments, String(lun)) !== undefined) refuse('LUN already in use', { lun });
  const next = withAttachments(storage,
    { ...storage.attachments, [String(lun)]: Object.freeze({ disk, withheld: false }) });
  assert(own(next.attachments, String(lun))?.disk === disk);
  return next;
}

/** Hot-removes whatever is at `lun`. */
export function detachDisk(storage: HostStorage, lun: number): HostStorage {
  checkLun(lun);
  if (own(storage.attachments, String(lun)) === undefined) refuse('nothing at that LUN', { lun });
  const attachments = { ...storage.attachments };
  delete attachments[String(lun)];
  const next = withAttachments(storage, attachments);
  assert(own(next.attachments, String(lun)) === undefined);
  return next;
}

/** The host keeps the device at `lun` from the guest: every read of it fails from now on. */
export function withholdDisk(storage: HostStorage, lun: number): HostStorage {
  checkLun(lun);
  const attachment = own(storage.attachments, String(lun));
  if (attachment === undefined) refuse('nothing at that LUN', { lun });
  return withAttachments(storage, {
    ...storage.attachments, [String(lun)]: Object.freeze({ disk: attachment.disk, withheld: true }),
  });
}

/** Storage and the store it names blocks in, as a change to a disk returns them. */
export type StoredStorage = Readonly<{ storage: HostStorage; store: ContentStore }>;

/** The hex of a block the store holds (memoised by digest: read back many times). */
export function blockHex(store: ContentStore, digest: Hex): Hex {
  return memo('host/block-hex', digest, () => {
    const bytes = storeGet(store, digest);
    assert(bytes !== undefined, 'a disk names a block the store holds');
    return toHex(bytes);
  }, 4096);
}

/**
 * A block into the store: its digest. The bytes and digest are memoised by the hex text (the
 * guest's sealed blocks are themselves memoised, so a replayed run hands the same strings), and
 * the hex memo is seeded for the reads that follow.
 */
function storeBlock(store: ContentStore, hex: Hex): Readonly<{ store: ContentStore;
  digest: Hex }> {
  const block = memo('host/block', hex, () => {
    const bytes = hexBytes(hex);
    return Object.freeze({ bytes, digest: contentDigest(bytes) });
  }, 4096);
  memo('host/block-hex', block.digest, () => hex, 4096);
  return storeAddDigested(store, block.bytes, block.digest);
}

/**
 * The host overwrites block `block` of disk `disk` with `bytes` (hex). A layer block must stay a
 * whole 4096-byte block inside the image; a scratch block may be any bytes (the guest judges).
 */
export function tamperBlock(storage: HostStorage, store: ContentStore, disk: string, block: number,
  bytes: Hex): StoredStorage {
  checkDiskId(disk);
  const target = own(storage.disks, disk);
  if (target === undefined) refuse('no such disk', { disk });
  if (typeof bytes !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(bytes)) {
    refuse('block bytes are lowercase hex');
  }
  const limit = target.kind === 'scratch' ? target.blockCount
    : storeGet(store, target.image)!.length / DISK_BLOCK_BYTES;
  if (!Number.isSafeInteger(block) || block < 0 || block >= limit) {
    refuse('block outside the disk', { disk, block, blocks: limit });
  }
  if (target.kind === 'layer' && !isHexOf(bytes, DISK_BLOCK_BYTES)) {
    refuse('a layer block is 4096 bytes', { disk, block });
  }
  const added = storeBlock(store, bytes);
  const next = target.kind === 'layer'
    ? withDisk(storage, disk, { ...target,
      patches: Object.freeze({ ...target.patches, [String(block)]: added.digest }) })
    : withDisk(storage, disk, { ...target,
      sealed: Object.freeze({ ...target.sealed, [String(block)]: added.digest }) });
  return { storage: next, store: added.store };
}

/** The host swaps the backing files of two disks (each id now names the other's contents). */
export function swapDisks(storage: HostStorage, a: string, b: string): HostStorage {
  checkDiskId(a);
  checkDiskId(b);
  const diskA = own(storage.disks, a);
  const diskB = own(storage.disks, b);
  if (diskA === undefined || diskB === undefined) refuse('no such disk', { a, b });
  if (a === b) refuse('a disk cannot be swapped with itself', { a });
  const next = Object.freeze({
    disks: Object.freeze({ ...storage.disks, [a]: diskB, [b]: diskA }),
    attachments: storage.attachments,
  });
  assert(own(next.disks, a) === diskB && own(next.disks, b) === diskA);
  return next;
}

/** A block the guest wrote (sealed scratch), applied by the world to the disk at `lun`. */
export type DiskWrite = Readonly<{ lun: number; index: number; block: Hex }>;

/**
 * Applies the guest's writes (their blocks go to the store). A write to a LUN that holds no
 * writable disk (detached or swapped under the guest's feet) is lost, as an I/O to a vanished
 * device is: the guest finds out on read.
 */
export function applyWrites(storage: HostStorage, store: ContentStore,
  writes: readonly DiskWrite[]): StoredStorage {
  if (writes.length === 0) return { storage, store };
  let blocks = store;
  const sealedByDisk = new Map<string, Record<string, Hex>>();
  for (const write of writes) {
    const attachment = own(storage.attachments, String(write.lun));
    if (attachment === undefined || attachment.withheld) continue;
    const disk = own(storage.disks, attachment.disk);
    if (disk === undefined || disk.kind !== 'scratch') continue;
    assert(Number.isSafeInteger(write.index) && write.index >= 0 && write.index < disk.blockCount,
      'the guest writes inside its scratch device');
    let sealed = sealedByDisk.get(attachment.disk);
    if (sealed === undefined) {
      sealed = { ...disk.sealed };
      sealedByDisk.set(attachment.disk, sealed);
    }
    const added = storeBlock(blocks, write.block);
    blocks = added.store;
    sealed[String(write.index)] = added.digest;
  }
  if (sealedByDisk.size === 0) return { storage, store };
  const disks: Record<string, Disk> = { ...storage.disks };
  for (const [id, sealed] of sealedByDisk) {
    const disk = disks[id] as ScratchDisk;
    disks[id] = Object.freeze({ ...disk, sealed: Object.freeze(sealed) });
  }
  return { storage: Object.freeze({ disks: Object.freeze(disks),
    attachments: storage.attachments }), store: blocks };
}

// ---------------------------------------------------------------------------------------------
// Reads: what the guest's block layer gets from a LUN.

/** The disk the guest reaches at `lun`, or why it reaches none. */
export function diskAt(storage: HostStorage, lun: number): Disk | IoError {
  if (!Number.isInteger(lun) || lun < 0 || lun > MAX_LUN) return { io_error: 'no such LUN' };
  const attachment = own(storage.attachments, String(lun));
  if (attachment === undefined) return { io_error: `no device at LUN ${lun}` };
  if (attachment.withheld) return { io_error: `the device at LUN ${lun} does not answer` };
  const disk = own(storage.disks, attachment.disk);
  assert(disk !== undefined, 'an attachment names an existing disk');
  return disk;
}

function patchKey(patches: Readonly<Record<string, Hex>>): string {
  return Object.keys(patches).sort((a, b) => Number(a) - Number(b))
    .map((k) => `${k}:${patches[k]!}`).join(',');
}

/**
 * A layer disk's bytes as the guest sees them: the image with the host's patches. Pristine
 * disks hand out the store's bytes; patched ones are built once per content (kernel memo).
 * Shared bytes: read, never write.
 */
export function layerDiskBytes(disk: LayerDisk, store: ContentStore): Uint8Array {
  const image = storeGet(store, disk.image);
  assert(image !== undefined, 'a layer disk names an image in the store');
  const keys = Object.keys(disk.patches);
  if (keys.length === 0) return image;
  return memo('host/patched-disk', `${disk.image}/${patchKey(disk.patches)}`, () => {
    const out = image.slice();
    for (const key of keys) {
      const patch = storeGet(store, disk.patches[key]!);
      assert(patch !== undefined, 'a patch the store holds');
      out.set(patch, Number(key) * DISK_BLOCK_BYTES);
    }
    assert(out.length === image.length, 'patches never change the size');
    return out;
  }, 64);
}

/** The whole device at `lun` (layer disks only: a scratch device is read block by block). */
export function deviceBytes(storage: HostStorage, store: ContentStore,
  lun: number): Uint8Array | IoError {
  const disk = diskAt(storage, lun);
  if (isIoError(disk)) return disk;
  if (disk.kind !== 'layer') return { io_error: `LUN ${lun} is not a read-only layer device` };
  return layerDiskBytes(disk, store);
}

/** One block of the device at `lun`: 4096 layer bytes, or the sealed scratch block. */
export function readDiskBlock(storage: HostStorage, store: ContentStore, lun: number,
  block: number): Uint8Array | IoError {
  const disk = diskAt(storage, lun);
  if (isIoError(disk)) return disk;
  if (!Number.isSafeInteger(block) || block < 0) return { io_error: 'bad block index' };
  if (disk.kind === 'scratch') {
    if (block >= disk.blockCount) return { io_error: 'beyond the end of the device' };
    const sealed = own(disk.sealed, String(block));
    if (sealed === undefined) return { io_error: `block ${block} was never written` };
    const bytes = storeGet(store, sealed);
    assert(bytes !== undefined, 'a scratch disk names blocks the store holds');
    return bytes.slice();
  }
  const bytes = layerDiskBytes(disk, store);
  const start = block * DISK_BLOCK_BYTES;
  if (start + DISK_BLOCK_BYTES > bytes.length) return { io_error: 'beyond the end of the device' };
  return bytes.slice(start, start + DISK_BLOCK_BYTES);
}

/**
 * A content identifier of the device at `lun`: equal ids, equal bytes (the image digest, and the
 * patched blocks when the host rewrote some). Keys the guest's memo of verified reads.
 */
export function deviceId(storage: HostStorage, lun: number): string | IoError {
  const disk = diskAt(storage, lun);
  if (isIoError(disk)) return disk;
  // A scratch disk is named, not content-addressed: its bytes are never read whole (deviceBytes
  // refuses), so no memo is keyed by this id. Layer ids are hex digests, so the two never meet.
  if (disk.kind !== 'layer') return `scratch:${storage.attachments[String(lun)]!.disk}`;
  const keys = Object.keys(disk.patches);
  return keys.length === 0 ? disk.image
    : memo('host/patch-id', patchKey(disk.patches), () =>
      `${disk.image}+${createHash('sha256').update(patchKey(disk.patches)).digest('hex')}`, 64);
}

/** A scratch disk's blocks as the guest reads them: index → the block's bytes in hex. */
export function sealedBlocks(disk: ScratchDisk,
  store: ContentStore): Readonly<Record<string, Hex>> {
  const keys = Object.keys(disk.sealed);
  if (keys.length === 0) return disk.sealed;
  return memo('host/sealed-view', keys.map((k) => `${k}:${disk.sealed[k]!}`).join(','), () =>
    Object.freeze(Object.fromEntries(keys.map((k) => [k, blockHex(store, disk.sealed[k]!)]))),
  1024);
}

/** The sealed blocks of the scratch disk at `lun`, as the host stores them (hex). */
export function scratchDiskAt(storage: HostStorage, store: ContentStore,
  lun: number): Readonly<{ blockCount: number; sealed: Readonly<Record<string, Hex>> }> | IoError {
  const disk = diskAt(storage, lun);
  if (isIoError(disk)) return disk;
  if (disk.kind !== 'scratch') return { io_error: `LUN ${lun} is not a writable scratch device` };
  return { blockCount: disk.blockCount, sealed: sealedBlocks(disk, store) };
}
