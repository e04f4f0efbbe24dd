/**
 * Goal: a verified read through dm-verity returns the block the tree was built over, and a block
 * that changed — data or any hash block on its path — is GUEST_VERITY_READ_ERROR, never other
 * bytes (the kernel's verity target behaviour, DESIGN invariant I1).
 * Method: devices built with formatVerity (whose trees the vector and veritysetup tests judge);
 * the expected bytes are the original data, never our output. Exhaustive tampering of every data
 * and hash block of small devices, and a fast-check property (fixed seed) over parameters and
 * byte flips. Which data blocks a hash block covers comes from veritysetup's layout written out
 * here (top level first, each level block covering hashesPerBlock^(level+1) data blocks).
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode, SimError } from '../../sim/kernel/errors.js';
import { roundTrip } from '../../sim/kernel/codec.js';
import {
  formatVerity, readVerifiedBlock, verityTableFromDevice, writeVerityHashArea,
  type VerityParams, type VerityTable,
} from '../../models/guest/dm-verity.js';

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7 + (i >>> 9)) % 251;
  return out;
}

type Device = Readonly<{
  table: VerityTable; data: Uint8Array; hash: Uint8Array; hashBlocks: number;
}>;

/** A separate hash device with a superblock at 0; the table read back from it as the guest does. */
function device(params: VerityParams, data: Uint8Array): Device {
  const result = formatVerity(data, { params, hashOffsetBytes: 0, superblock: true,
    sameDevice: false });
  const hash = writeVerityHashArea(new Uint8Array(0), result, params.hashBlockSizeBytes);
  const table = verityTableFromDevice({ data, hash }, 0);
  return { table, data, hash, hashBlocks: result.geometry.hashBlocks };
}

const SHA256_4K: Omit<VerityParams, 'dataBlocks'> = {
  hashType: 1, hashAlgorithm: 'sha256', dataBlockSizeBytes: 4096, hashBlockSizeBytes: 4096,
  salt: new Uint8Array(32),
};

test('guest/dm-verity reads: every block of an untouched 300-block device reads back as '
  + 'built', () => {
  const data = pattern(300 * 4096, 1);
  const dev = device({ ...SHA256_4K, dataBlocks: 300 }, data);
  for (let block = 0; block < 300; block++) {
    const read = readVerifiedBlock(dev.table, dev, block);
    assert.ok(Buffer.from(read).equals(data.subarray(block * 4096, (block + 1) * 4096)),
      `${block}`);
  }
});

test('guest/dm-verity reads: a changed data block is a read error; every other block still '
  + 'reads', () => {
  const data = pattern(300 * 4096, 2);
  const dev = device({ ...SHA256_4K, dataBlocks: 300 }, data);
  for (let tampered = 0; tampered < 300; tampered += 7) {
    const changed = data.slice();
    changed[tampered * 4096 + ((tampered * 131) % 4096)]! ^= 0x01;
    const devices = { data: changed, hash: dev.hash };
    assert.is(errorCode(() => readVerifiedBlock(dev.table, devices, tampered)),
      'GUEST_VERITY_READ_ERROR', `block ${tampered}`);
    const neighbour = (tampered + 1) % 300;
    assert.ok(Buffer.from(readVerifiedBlock(dev.table, devices, neighbour))
      .equals(data.subarray(neighbour * 4096, (neighbour + 1) * 4096)), `neighbour ${neighbour}`);
  }
});

test('guest/dm-verity reads: a change anywhere in any hash block fails exactly the reads under '
  + 'it (300 blocks: one top block over three level-0 blocks of 128 digests)', () => {
  const data = pattern(300 * 4096, 3);
  const dev = device({ ...SHA256_4K, dataBlocks: 300 }, data);
  assert.is(dev.hashBlocks, 4, 'veritysetup: 3 level-0 blocks and one top block');
  const treeStart = dev.table.hash_start_block * 4096;
  for (let hashBlock = 0; hashBlock < 4; hashBlock++) {
    // veritysetup writes the top level first: block 0 covers every data block, block 1 + k
    // covers data blocks [128k, 128k + 128).
    const covers = (block: number): boolean =>
      hashBlock === 0 || Math.floor(block / 128) === hashBlock - 1;
    for (const offsetInBlock of [0, 31, 32 * 127, 4095]) {   // a digest, padding, the last byte
      const hash = dev.hash.slice();
      hash[treeStart + hashBlock * 4096 + offsetInBlock]! ^= 0x80;
      for (let block = 0; block < 300; block += 13) {
        const code = errorCode(() => readVerifiedBlock(dev.table, { data, hash }, block));
        assert.is(code, covers(block) ? 'GUEST_VERITY_READ_ERROR' : undefined,
          `hash block ${hashBlock} byte ${offsetInBlock}, data block ${block}`);
      }
    }
  }
});

test('guest/dm-verity reads: under another root hash every read fails', () => {
  const data = pattern(37 * 4096, 4);
  const dev = device({ ...SHA256_4K, dataBlocks: 37 }, data);
  const last = dev.table.root_digest.at(-1) === '0' ? '1' : '0';
  const table = { ...dev.table, root_digest: dev.table.root_digest.slice(0, -1) + last };
  for (let block = 0; block < 37; block++) {
    assert.is(errorCode(() => readVerifiedBlock(table, dev, block)), 'GUEST_VERITY_READ_ERROR');
  }
});

test('guest/dm-verity reads: one data block (no hash levels) is checked against the root itself',
  () => {
    const data = pattern(4096, 5);
    const dev = device({ ...SHA256_4K, dataBlocks: 1 }, data);
    assert.is(dev.hashBlocks, 0);
    assert.ok(Buffer.from(readVerifiedBlock(dev.table, dev, 0)).equals(data));
    const changed = data.slice();
    changed[4095]! ^= 1;
    assert.is(errorCode(() => readVerifiedBlock(dev.table, { data: changed, hash: dev.hash }, 0)),
      'GUEST_VERITY_READ_ERROR');
  });

test('guest/dm-verity reads: a block past the end, or a device cut short, is a read error', () => {
  const data = pattern(37 * 4096, 6);
  const dev = device({ ...SHA256_4K, dataBlocks: 37 }, data);
  for (const block of [37, -1, 1.5, Number.MAX_SAFE_INTEGER]) {
    assert.is(errorCode(() => readVerifiedBlock(dev.table, dev, block)),
      'GUEST_VERITY_READ_ERROR', `block ${block}`);
  }
  const shortData = data.subarray(0, 36 * 4096 + 100);
  assert.is(errorCode(() => readVerifiedBlock(dev.table, { data: shortData, hash: dev.hash }, 36)),
    'GUEST_VERITY_READ_ERROR');
  const shortHash = dev.hash.subarray(0, dev.hash.length - 1);
  assert.is(errorCode(() => readVerifiedBlock(dev.table, { data, hash: shortHash }, 0)),
    'GUEST_VERITY_READ_ERROR');
});

test('guest/dm-verity reads: the table read from a device round-trips through the state codec',
  () => {
    const dev = device({ ...SHA256_4K, dataBlocks: 37 }, pattern(37 * 4096, 7));
    const copy = roundTrip(dev.table);
    assert.equal(copy, dev.table);
    assert.ok(Buffer.from(readVerifiedBlock(copy, dev, 5)).equals(dev.data.subarray(5 * 4096,
      6 * 4096)));
  });

const paramsArbitrary = fc.record({
  hashType: fc.constantFrom(0 as const, 1 as const),
  hashAlgorithm: fc.constantFrom('sha256', 'sha1', 'sha512', 'sha3-256'),
  dataBlockSizeBytes: fc.constantFrom(512, 1024, 4096),
  hashBlockSizeBytes: fc.constantFrom(512, 1024, 4096),
  salt: fc.uint8Array({ maxLength: 64 }),
  dataBlocks: fc.integer({ min: 1, max: 300 }),
});

test('guest/dm-verity reads (property, seed 81): any flipped byte of data or tree gives, on every '
  + 'read, either the original block or GUEST_VERITY_READ_ERROR; the changed block never reads',
() => {
  fc.assert(fc.property(paramsArbitrary, fc.nat(), fc.integer({ min: 1, max: 255 }),
    fc.boolean(), (params, where, mask, inData) => {
      const data = pattern(params.dataBlocks * params.dataBlockSizeBytes, where % 97);
      const dev = device(params, data);
      const treeStart = dev.table.hash_start_block * params.hashBlockSizeBytes;
      const data2 = data.slice();
      const hash2 = dev.hash.slice();
      const inHash = !inData && dev.hashBlocks > 0;
      const at = inHash ? treeStart + (where % (dev.hash.length - treeStart)) : where % data.length;
      (inHash ? hash2 : data2)[at]! ^= mask;
      for (let block = 0; block < params.dataBlocks; block += 1 + (where % 5)) {
        const original = data.subarray(block * params.dataBlockSizeBytes,
          (block + 1) * params.dataBlockSizeBytes);
        try {
          const read = readVerifiedBlock(dev.table, { data: data2, hash: hash2 }, block);
          assert.ok(Buffer.from(read).equals(original), `block ${block}: wrong bytes`);
        } catch (error) {
          if (!(error instanceof SimError)) throw error;
          assert.is(error.code, 'GUEST_VERITY_READ_ERROR');
        }
      }
      if (!inHash) {
        const changed = Math.floor(at / params.dataBlockSizeBytes);
        assert.is(errorCode(() => readVerifiedBlock(dev.table, { data: data2, hash: hash2 },
          changed)), 'GUEST_VERITY_READ_ERROR', 'the changed data block');
      }
    }), { seed: 81, numRuns: 100 });
});

test.run();
