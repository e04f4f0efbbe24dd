/**
 * Goal: the world's incremental encoding is the canonical encoding, not a look-alike: for every
 * state of a run, a snapshot is byte for byte the kernel codec's encodeState of [config, state],
 * the fingerprint is the kernel's fingerprint of it, a restore gives a value the kernel decoder
 * agrees with; non-canonical bytes are refused as the kernel decoder refuses them.
 * Method: the kernel codec (itself checked against cborg) is the reference; the generated
 * workload's benign run supplies the states.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decodeState, encodeState, fingerprint as kernelFingerprint,
} from '../../sim/kernel/codec.js';
import { errorCode } from '../../sim/kernel/errors.js';
import { decodeComposed, encodeComposed } from '../../sim/world-codec.js';
import { deployBenign, fingerprint, restore, snapshot, step } from '../../sim/world.js';
import { generatedWorld } from './world-support.js';

test('world/codec: every snapshot of a run is exactly encodeState([config, state]), ' +
  'fingerprints agree', () => {
  let world = generatedWorld(4);
  const run = deployBenign(world);
  for (const action of run.actions) {
    world = step(world, action).world;
    const value = [world.configDigest, world.state];
    const bytes = snapshot(world);
    assert.equal(bytes, encodeState(value));
    assert.is(fingerprint(world), kernelFingerprint(value));
    const restored = restore(bytes, world.store);
    assert.equal(encodeState([restored.configDigest, restored.state]), bytes);
  }
});

test('world/codec: a composed decode deep-equals the kernel decode, cold and warm', () => {
  const value = { a: { b: [1, 2, { c: 'x'.repeat(100) }], d: 3n }, e: 'y'.repeat(80), f: null };
  const bytes = encodeComposed(value);
  assert.equal(bytes, encodeState(value));
  assert.equal(decodeComposed(bytes, 3), decodeState(bytes));
  assert.equal(decodeComposed(bytes, 3), decodeState(bytes), 'again, from the memo');
});

test('world/codec: an array decodes part by part as the kernel decodes it; a byte after its last '
  + 'item is refused, even when that item was decoded before', () => {
  const value = ['c'.repeat(64), { big: 'z'.repeat(200), n: [1, 2, 3], m: { k: 'v'.repeat(90) } }];
  const bytes = encodeComposed(value, 4);
  assert.equal(bytes, encodeState(value));
  assert.equal(decodeComposed(bytes, 3), decodeState(bytes));
  assert.equal(decodeComposed(bytes, 3), decodeState(bytes), 'again, from the memo');
  assert.is(errorCode(() => decodeComposed(new Uint8Array([...bytes, 0]), 3)), 'SIM_BAD_STATE');
  assert.is(errorCode(() => decodeComposed(bytes.subarray(0, bytes.length - 1), 3)),
    'SIM_BAD_STATE');
});

test('world/codec: a non-minimal head or unsorted keys are refused as SIM_BAD_STATE', () => {
  const bytes = encodeState({ a: 'x'.repeat(70), bb: 1 });
  const long = new Uint8Array([0xb8, 0x02, ...bytes.subarray(1)]);      // map head in 2 bytes
  assert.is(errorCode(() => decodeComposed(long)), 'SIM_BAD_STATE');
  const swapped = encodeState({ a: 1 });
  assert.is(errorCode(() => decodeComposed(new Uint8Array([0xa2, 0x62, 0x62, 0x62, 0x01,
    ...swapped.subarray(1)]))), 'SIM_BAD_STATE');
  assert.is(errorCode(() => decodeComposed(new Uint8Array([...bytes, 0]))), 'SIM_BAD_STATE');
});

test.run();
