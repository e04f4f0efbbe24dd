/**
 * Goal: the encrypted scratch disk keeps the guest's data confidential and intact against the host
 * (DESIGN invariants I3, I6): the host-visible bytes hold no plaintext, and a block the host
 * changed, swapped, replayed, withheld or made up is GUEST_SCRATCH_INTEGRITY on read, never other
 * data; a read otherwise returns the last plaintext written.
 * Method: plaintexts are recognisable text; the host's view is the disk record. The sealed format
 * is pinned independently: AES-256-GCM under nonce u64le(index) ‖ u32le(version) with associated
 * data "parma-sim scratch block v1" ‖ u64le(index), opened here with node:crypto directly.
 * Hostile edits come from fast-check with fixed seeds.
 */
import { createDecipheriv } from 'node:crypto';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { roundTrip } from '../../sim/kernel/codec.js';
import { errorCode } from '../../sim/kernel/errors.js';
import {
  SCRATCH_BLOCK_BYTES, createScratchDevice, readScratchBlock, writeScratchBlock,
  type ScratchDevice,
} from '../../models/guest/encrypted-scratch.js';

const KEY = new Uint8Array(32).map((_, i) => (i * 29 + 3) & 0xff);

function plaintext(label: string): Uint8Array {
  const line = new TextEncoder().encode(`${label}: the guest's secret row, not for the host. `);
  const out = new Uint8Array(SCRATCH_BLOCK_BYTES);
  for (let at = 0; at < out.length; at += line.length) {
    out.set(line.subarray(0, out.length - at), at);
  }
  return out;
}

function written(blocks: readonly number[]): ScratchDevice {
  let device = createScratchDevice(16);
  for (const index of blocks) {
    device = writeScratchBlock(device, KEY, index, plaintext(`b${index}`));
  }
  return device;
}

function hostBytes(device: ScratchDevice): Buffer {
  return Buffer.concat(Object.values(device.disk.sealed).map((hex) => Buffer.from(hex, 'hex')));
}

function sealedOf(device: ScratchDevice, index: number): Buffer {
  return Buffer.from(device.disk.sealed[String(index)]!, 'hex');
}

test('guest/encrypted-scratch: each block reads back as last written, after rewrites', () => {
  let device = written([0, 3, 15]);
  device = writeScratchBlock(device, KEY, 3, plaintext('b3 again'));
  assert.ok(Buffer.from(readScratchBlock(device, KEY, 0)).equals(plaintext('b0')));
  assert.ok(Buffer.from(readScratchBlock(device, KEY, 3)).equals(plaintext('b3 again')));
  assert.ok(Buffer.from(readScratchBlock(device, KEY, 15)).equals(plaintext('b15')));
});

test('guest/encrypted-scratch: the host-visible bytes contain no 16-byte run of any plaintext, '
  + 'nor the key', () => {
  const device = written([0, 1, 2, 7]);
  const visible = hostBytes(device);
  assert.is(visible.length, 4 * (SCRATCH_BLOCK_BYTES + 16));
  for (const index of [0, 1, 2, 7]) {
    const secret = plaintext(`b${index}`);
    for (let at = 0; at + 16 <= secret.length; at += 16) {
      assert.is(visible.indexOf(secret.subarray(at, at + 16)), -1, `block ${index} at ${at}`);
    }
  }
  assert.is(visible.indexOf(KEY.subarray(0, 16)), -1);
});

test('guest/encrypted-scratch: the sealed block is AES-256-GCM under nonce (index, version) with '
  + 'the index as associated data', () => {
  let device = written([5]);
  device = writeScratchBlock(device, KEY, 5, plaintext('second'));
  const sealed = sealedOf(device, 5);
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(0, 5n, true);
  new DataView(nonce.buffer).setUint32(8, 2, true);   // the second write of block 5
  const aad = Buffer.concat([Buffer.from('parma-sim scratch block v1'), Buffer.alloc(8)]);
  aad.writeBigUInt64LE(5n, aad.length - 8);
  const decipher = createDecipheriv('aes-256-gcm', KEY, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(SCRATCH_BLOCK_BYTES));
  const opened = Buffer.concat([decipher.update(sealed.subarray(0, SCRATCH_BLOCK_BYTES)),
    decipher.final()]);
  assert.ok(opened.equals(plaintext('second')));
});

test('guest/encrypted-scratch: writing the same plaintext twice leaves different ciphertext (a '
  + 'fresh nonce per write)', () => {
  const once = written([4]);
  const twice = writeScratchBlock(once, KEY, 4, plaintext('b4'));
  assert.not.ok(sealedOf(once, 4).equals(sealedOf(twice, 4)));
  assert.is(twice.ledger.versions['4'], 2);
});

test('guest/encrypted-scratch: two blocks swapped on the host both fail their integrity '
  + 'check', () => {
  const device = written([1, 2]);
  const swapped: ScratchDevice = { ...device, disk: { ...device.disk,
    sealed: { ...device.disk.sealed, '1': device.disk.sealed['2']!,
      '2': device.disk.sealed['1']! } } };
  assert.is(errorCode(() => readScratchBlock(swapped, KEY, 1)), 'GUEST_SCRATCH_INTEGRITY');
  assert.is(errorCode(() => readScratchBlock(swapped, KEY, 2)), 'GUEST_SCRATCH_INTEGRITY');
});

test('guest/encrypted-scratch: an old sealed version of a block replayed by the host fails', () => {
  const v1 = written([6]);
  const v2 = writeScratchBlock(v1, KEY, 6, plaintext('newer'));
  const replayed: ScratchDevice = { ...v2, disk: { ...v2.disk,
    sealed: { ...v2.disk.sealed, '6': v1.disk.sealed['6']! } } };
  assert.is(errorCode(() => readScratchBlock(replayed, KEY, 6)), 'GUEST_SCRATCH_INTEGRITY');
});

test('guest/encrypted-scratch: a withheld, made-up, never-written or non-hex block fails',
  () => {
    const device = written([1, 2]);
    const { ['1']: _dropped, ...rest } = device.disk.sealed;
    const withheld: ScratchDevice = { ...device, disk: { ...device.disk, sealed: rest } };
    assert.is(errorCode(() => readScratchBlock(withheld, KEY, 1)), 'GUEST_SCRATCH_INTEGRITY');
    const madeUp: ScratchDevice = { ...device, disk: { ...device.disk,
      sealed: { ...device.disk.sealed, '9': device.disk.sealed['2']! } } };
    assert.is(errorCode(() => readScratchBlock(madeUp, KEY, 9)), 'GUEST_SCRATCH_INTEGRITY');
    assert.is(errorCode(() => readScratchBlock(device, KEY, 10)), 'GUEST_SCRATCH_INTEGRITY');
    const garbage: ScratchDevice = { ...device, disk: { ...device.disk,
      sealed: { ...device.disk.sealed, '2': 'zz'.repeat(SCRATCH_BLOCK_BYTES + 16) } } };
    assert.is(errorCode(() => readScratchBlock(garbage, KEY, 2)), 'GUEST_SCRATCH_INTEGRITY');
    assert.is(errorCode(() => readScratchBlock(device, KEY, 16)), 'GUEST_SCRATCH_BAD_BLOCK');
  });

test('guest/encrypted-scratch: another key opens nothing', () => {
  const device = written([0]);
  const other = KEY.slice();
  other[31]! ^= 1;
  assert.is(errorCode(() => readScratchBlock(device, other, 0)), 'GUEST_SCRATCH_INTEGRITY');
});

test('guest/encrypted-scratch (property, seed 5): any change to a sealed block — bytes flipped, '
  + 'cut short or grown — is an integrity error', () => {
  const device = written([0, 1, 2, 3]);
  const edit = fc.record({
    index: fc.integer({ min: 0, max: 3 }),
    flips: fc.array(fc.tuple(fc.nat(SCRATCH_BLOCK_BYTES + 15), fc.integer({ min: 1, max: 255 })),
      { minLength: 1, maxLength: 3 }),
    resize: fc.option(fc.integer({ min: -40, max: 40 }).filter((n) => n !== 0),
      { nil: undefined }),
  });
  fc.assert(fc.property(edit, ({ index, flips, resize }) => {
    let sealed: Uint8Array = new Uint8Array(sealedOf(device, index));
    if (resize === undefined) {
      for (const [at, mask] of flips) sealed[at]! ^= mask;
    } else {
      const grown = new Uint8Array(Math.max(0, sealed.length + resize));
      grown.set(sealed.subarray(0, grown.length));
      sealed = grown;
    }
    const tampered: ScratchDevice = { ...device, disk: { ...device.disk,
      sealed: { ...device.disk.sealed, [String(index)]: Buffer.from(sealed).toString('hex') } } };
    assert.is(errorCode(() => readScratchBlock(tampered, KEY, index)), 'GUEST_SCRATCH_INTEGRITY');
    const other = (index + 1) % 4;
    assert.ok(Buffer.from(readScratchBlock(tampered, KEY, other)).equals(plaintext(`b${other}`)));
  }), { seed: 5, numRuns: 300 });
});

test('guest/encrypted-scratch: a write returns a new device and leaves the old one readable as it '
  + 'was; the same key and writes give the same bytes', () => {
  const before = written([8]);
  const after = writeScratchBlock(before, KEY, 8, plaintext('changed'));
  assert.ok(Buffer.from(readScratchBlock(before, KEY, 8)).equals(plaintext('b8')));
  assert.ok(Buffer.from(readScratchBlock(after, KEY, 8)).equals(plaintext('changed')));
  assert.ok(hostBytes(written([0, 5, 9])).equals(hostBytes(written([0, 5, 9]))));
});

test('guest/encrypted-scratch: the device is plain data that round-trips through the state codec',
  () => {
    const device = written([0, 2]);
    const copy = roundTrip(device);
    assert.equal(copy, device);
    assert.ok(Buffer.from(readScratchBlock(copy, KEY, 2)).equals(plaintext('b2')));
  });

test.run();
