/**
 * Goal: the host's disks behave as a host's disks do, and every host power is a pure operation
 * on plain state: a layer disk reads as its image until the host patches a block, scratch disks
 * hold only what was written, LUN attachments decide what the guest reaches, withheld or missing
 * devices read as I/O errors (values, never exceptions), and refused operations change nothing.
 * Method: images built with the real layer format; expectations are bytes we put there ourselves
 * (the image, a patch), compared with what reads return; every state reached round-trips through
 * the canonical codec.
 */
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { roundTrip } from '../../sim/kernel/codec.js';
import { errorCode } from '../../sim/kernel/errors.js';
import { toHex } from '../../sim/kernel/bytes.js';
import { buildLayerImage } from '../../models/guest/layer-image.js';
import { emptyStore, storeAdd, storeGet } from '../../models/host/content-store.js';
import {
  DISK_BLOCK_BYTES, addLayerDisk, addScratchDisk, applyWrites, attachDisk, detachDisk,
  deviceBytes, deviceId, emptyStorage, isIoError, readDiskBlock, scratchDiskAt, swapDisks,
  tamperBlock,
  withholdDisk, type HostStorage,
} from '../../models/host/storage.js';

const image = buildLayerImage({
  '/etc/passwd': { kind: 'file', content: new TextEncoder().encode('root:x:0:0::/root:/bin/sh\n') },
  '/bin/app': { kind: 'file', content: new Uint8Array(5000).fill(7), mode: 0o755 },
}).image;
const { store, digest } = storeAdd(emptyStore(), image);

function withLayer(): HostStorage {
  return attachDisk(addLayerDisk(emptyStorage(), 'l0', digest, store), 3, 'l0');
}

test('host/content-store: a blob is named by its SHA-256 and adding it twice keeps the ' +
  'store', () => {
  const again = storeAdd(store, image.slice());
  assert.is(again.store, store);
  assert.is(again.digest, digest);
  assert.equal(storeGet(store, digest), image);
});

test('host/storage: a pristine layer disk at a LUN reads as its image, block by block', () => {
  const storage = withLayer();
  assert.equal(deviceBytes(storage, store, 3), image);
  assert.equal(readDiskBlock(storage, store, 3, 1), image.slice(DISK_BLOCK_BYTES,
    2 * DISK_BLOCK_BYTES));
  assert.is(deviceId(storage, 3), digest);
  assert.equal(roundTrip(storage), storage);
});

test('host/storage: a patched block reads as the host wrote it and changes the device id', () => {
  const patch = new Uint8Array(DISK_BLOCK_BYTES).fill(0xab);
  const before = withLayer();
  const tampered = tamperBlock(before, store, 'l0', 2, toHex(patch));
  const after = tampered.storage;
  const bytes = deviceBytes(after, tampered.store, 3) as Uint8Array;
  assert.equal(bytes.slice(2 * DISK_BLOCK_BYTES, 3 * DISK_BLOCK_BYTES), patch);
  assert.equal(bytes.slice(0, 2 * DISK_BLOCK_BYTES), image.slice(0, 2 * DISK_BLOCK_BYTES));
  assert.is.not(deviceId(after, 3), deviceId(before, 3));
  assert.equal(deviceBytes(before, store, 3), image, 'the old state still reads the image');
  const patched = after.disks['l0'] as { patches: Record<string, string> };
  assert.is(patched.patches['2'], createHash('sha256').update(patch).digest('hex'),
    'the disk names the patch by its digest');
});

test('host/storage: nothing attached, a withheld device, a detached LUN read as I/O errors', () => {
  const storage = withLayer();
  assert.ok(isIoError(deviceBytes(storage, store, 4)));
  assert.ok(isIoError(deviceBytes(withholdDisk(storage, 3), store, 3)));
  assert.ok(isIoError(readDiskBlock(detachDisk(storage, 3), store, 3, 0)));
  assert.ok(isIoError(readDiskBlock(storage, store, 3, 1 << 20)), 'beyond the end');
});

test('host/storage: refused operations (unknown disk, busy LUN, bad patch) throw and change ' +
  'nothing', () => {
  const storage = withLayer();
  const frozen = JSON.stringify(storage);
  assert.is(errorCode(() => attachDisk(storage, 3, 'l0')), 'HOST_BAD_INPUT');
  assert.is(errorCode(() => attachDisk(storage, 5, 'nope')), 'HOST_BAD_INPUT');
  assert.is(errorCode(() => tamperBlock(storage, store, 'l0', 0, 'abcd')), 'HOST_BAD_INPUT');
  assert.is(errorCode(() => addLayerDisk(storage, 'l1', 'ff'.repeat(32), store)),
    'HOST_BAD_INPUT');
  assert.is(errorCode(() => attachDisk(storage, 64, 'l0')), 'HOST_BAD_INPUT');
  assert.is(JSON.stringify(storage), frozen);
});

test('host/storage: the guest\'s scratch writes land on the disk at their LUN, and only ' +
  'there', () => {
  let storage = attachDisk(addScratchDisk(emptyStorage(), 's0', 8), 1, 's0');
  const written = applyWrites(storage, store, [{ lun: 1, index: 2, block: 'aa'.repeat(16) },
    { lun: 9, index: 0, block: 'bb' }]);
  storage = written.storage;
  assert.equal(readDiskBlock(storage, written.store, 1, 2), new Uint8Array(16).fill(0xaa));
  assert.ok(isIoError(readDiskBlock(storage, written.store, 1, 3)), 'never written');
  assert.equal(scratchDiskAt(storage, written.store, 1),
    { blockCount: 8, sealed: { 2: 'aa'.repeat(16) } });
  assert.is(written.store.blobs.size, store.blobs.size + 1, 'the lost write stored nothing');
  assert.equal(roundTrip(storage), storage);
});

test('host/storage: swapping two disks swaps what their LUNs read', () => {
  const other = buildLayerImage({ '/x': { kind: 'file', content: new Uint8Array([1]) } }).image;
  const both = storeAdd(store, other);
  let storage = addLayerDisk(withLayer(), 'l1', both.digest, both.store);
  storage = attachDisk(storage, 4, 'l1');
  const swapped = swapDisks(storage, 'l0', 'l1');
  assert.equal(deviceBytes(swapped, both.store, 3), other);
  assert.equal(deviceBytes(swapped, both.store, 4), image);
});

test.run();
