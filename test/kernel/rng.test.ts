/**
 * Goal: the seeded RNG is deterministic, splittable and unbiased enough for simulation.
 * Method: compare streams across seeds and forks; check bounds over many draws.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, nextU32, ratio, rngStateOf } from '../../sim/kernel/rng.js';
import { fingerprint, roundTrip } from '../../sim/kernel/codec.js';
import { errorCode } from '../../sim/kernel/errors.js';
import { toHex } from '../../sim/kernel/bytes.js';

test('kernel/rng: the same seed gives the same bytes', () => {
  assert.is(toHex(Rng.fromSeed(42).bytes(64)), toHex(Rng.fromSeed(42).bytes(64)));
});

test('kernel/rng: different seeds give different bytes', () => {
  assert.is.not(toHex(Rng.fromSeed(42).bytes(32)), toHex(Rng.fromSeed(43).bytes(32)));
});

test('kernel/rng: a fork does not depend on how much the parent stream was used', () => {
  const fresh = Rng.fromSeed(7);
  const used = Rng.fromSeed(7);
  used.bytes(1000);
  assert.is(toHex(fresh.fork('snp').bytes(32)), toHex(used.fork('snp').bytes(32)));
});

test('kernel/rng: differently named forks give different streams', () => {
  const root = Rng.fromSeed(7);
  assert.is.not(toHex(root.fork('a').bytes(32)), toHex(root.fork('b').bytes(32)));
});

test('kernel/rng: int stays inside [min, max] and reaches both ends', () => {
  const rng = Rng.fromSeed(1);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const value = rng.int(-3, 3);
    assert.ok(value >= -3 && value <= 3);
    seen.add(value);
  }
  assert.is(seen.size, 7);
});

test('kernel/rng: bool(ratio(0, 1)) is never true and bool(ratio(1, 1)) always', () => {
  const rng = Rng.fromSeed(2);
  for (let i = 0; i < 100; i++) {
    assert.is(rng.bool(ratio(0, 1)), false);
    assert.is(rng.bool(ratio(1, 1)), true);
  }
});

test('kernel/rng: a negative seed is refused with SIM_BAD_SEED', () => {
  assert.is(errorCode(() => Rng.fromSeed(-1)), 'SIM_BAD_SEED');
});

test('kernel/rng: numeric string seeds equal numeric seeds', () => {
  assert.is(toHex(Rng.fromSeed('0042').bytes(8)), toHex(Rng.fromSeed(42).bytes(8)));
});

test.run();

test('kernel/rng: a stream exported as data and resumed draws the same numbers', () => {
  const rng = Rng.fromSeed(5).fork('guest');
  rng.bytes(13);
  const saved = roundTrip(rng.state());
  const expected = rng.bytes(40);
  assert.is(toHex(Rng.fromState(saved).bytes(40)), toHex(expected));
});

test('kernel/rng: the pure nextU32 step draws what the cursor draws', () => {
  const cursor = Rng.fromSeed(9);
  let state = Rng.fromSeed(9).state();
  for (let i = 0; i < 100; i++) {
    const step = nextU32(state);
    assert.is(step.value, cursor.nextU32());
    state = step.state;
  }
  assert.equal(state, cursor.state());
});

test('kernel/rng: nextU32 leaves the state it was given unchanged', () => {
  const state = rngStateOf('parma-sim/1');
  const before = fingerprint(state);
  nextU32(state);
  assert.is(fingerprint(state), before);
});
