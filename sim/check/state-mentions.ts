/**
 * Models: nothing real. Which of a set of interchangeable values (container IDs) a world state
 * mentions anywhere: in a key or a string value of any record (clock and trace aside), for the
 * explorer's symmetry reduction.
 * Method: a bit mask per record, cached by object identity like the state key's digests, so a new
 * state costs the records its step made. Bytes and bigints mention nothing (a value is text).
 * Invariants: bit k is set exactly when values[k] occurs as a substring of some key or string in
 * the state; at most 30 values (a small integer mask).
 */
import { assert } from '../kernel/assert.js';
import type { World } from '../world.js';

const cachesByValues = new WeakMap<readonly string[], WeakMap<object, number>>();

function stringMask(text: string, values: readonly string[]): number {
  let mask = 0;
  for (let k = 0; k < values.length; k++) if (text.includes(values[k]!)) mask |= 1 << k;
  return mask;
}

function valueMask(value: unknown, values: readonly string[], cache: WeakMap<object, number>):
  number {
  if (typeof value === 'string') return stringMask(value, values);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return 0;
  const cached = cache.get(value);
  if (cached !== undefined) return cached;
  let mask = 0;
  if (value instanceof Map || value instanceof Set) {
    for (const item of value instanceof Map ? [...value.keys(), ...value.values()] : value) {
      mask |= valueMask(item, values, cache);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) mask |= valueMask(item, values, cache);
  } else {
    for (const [key, item] of Object.entries(value)) {
      mask |= stringMask(key, values) | valueMask(item, values, cache);
    }
  }
  cache.set(value, mask);
  return mask;
}

/** Bit k set when `values[k]` occurs in the world's state (clock and trace aside). */
export function mentionMask(world: World, values: readonly string[]): number {
  assert(values.length <= 30, 'at most 30 interchangeable values');
  assert(values.every((v) => v.length > 0), 'values are non-empty text');
  let cache = cachesByValues.get(values);
  if (cache === undefined) {
    cache = new WeakMap();
    cachesByValues.set(values, cache);
  }
  const { clock: _clock, trace: _trace, ...rest } = world.state;
  let mask = 0;
  for (const part of Object.values(rest)) mask |= valueMask(part, values, cache);
  return mask;
}
