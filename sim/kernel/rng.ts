/**
 * Models: nothing real. The one source of randomness in parma-sim: a seeded, splittable generator.
 * Method: each stream is xoshiro128** (Blackman & Vigna, 2018) seeded with 128 bits of
 * SHA-256(seed path). `fork(name)` derives a child from the parent's *path*, not from its stream
 * position, so adding a consumer never shifts any other stream. Probabilities are integer ratios.
 * Invariants: same seed and same fork names give the same numbers on every machine.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { assert } from './assert.js';
import { SimError } from './errors.js';

export type Seed = number | bigint | string;

/** What a scenario may draw. `Rng` samples it; the explorer enumerates it. */
export interface Choice {
  int(min: number, max: number): number;
  bool(probability?: Ratio): boolean;
  pick<T>(items: readonly T[]): T;
}

export type Ratio = Readonly<{ numerator: number; denominator: number }>;

export function ratio(numerator: number, denominator: number): Ratio {
  assert(Number.isSafeInteger(numerator) && numerator >= 0, 'ratio numerator');
  assert(Number.isSafeInteger(denominator) && denominator > 0, 'ratio denominator');
  assert(numerator <= denominator, 'ratio above one');
  return Object.freeze({ numerator, denominator });
}

const encoder = new TextEncoder();

/** The canonical text of a seed: decimal for integers, the string itself otherwise. */
export function canonicalSeed(seed: Seed): string {
  if (typeof seed === 'bigint') {
    if (seed < 0n) {
      throw new SimError('SIM_BAD_SEED', { seed: seed.toString() }, 'seed must be >= 0');
    }
    return seed.toString();
  }
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new SimError('SIM_BAD_SEED', { seed }, 'seed must be a non-negative safe integer');
    }
    return seed.toString();
  }
  if (seed.length === 0) throw new SimError('SIM_BAD_SEED', { seed }, 'seed must not be empty');
  return /^[0-9]+$/.test(seed) ? BigInt(seed).toString() : seed;
}

/**
 * A stream as data: its path (which names it and seeds its forks) and the four xoshiro128** state
 * words. Plain and immutable, so it round-trips through the state codec and can be stored in a
 * snapshot; `nextU32` is the pure step.
 */
export type RngState = Readonly<{ path: string; words: readonly [number, number, number, number] }>;

/** The fresh stream named `path`: words = the first 128 bits of SHA-256(path), little-endian. */
export function rngStateOf(path: string): RngState {
  assert(path.length > 0, 'an rng path is non-empty');
  const digest = sha256(encoder.encode(path));
  const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  const words: [number, number, number, number] = [
    view.getUint32(0, true), view.getUint32(4, true), view.getUint32(8, true),
    view.getUint32(12, true),
  ];
  if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1; // xoshiro forbids all-zero
  return Object.freeze({ path, words: Object.freeze(words) });
}

/** The pure step: the next 32 bits and the state after them (xoshiro128**). */
export function nextU32(state: RngState): Readonly<{ value: number; state: RngState }> {
  let [s0, s1, s2, s3] = state.words;
  const value = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 11);
  const words = Object.freeze([s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0] as const);
  assert(value >= 0 && value <= 0xffff_ffff);
  return { value, state: Object.freeze({ path: state.path, words }) };
}

/** The root stream path of a seed: every fork of a run starts here. */
export function seedPath(seed: Seed): string {
  return `parma-sim/${canonicalSeed(seed)}`;
}

/**
 * The working form of a stream: a cursor over an RngState that draws in place. `state()` exports
 * the position as data; `Rng.fromState` resumes it, so a restored snapshot draws the same numbers.
 */
export class Rng implements Choice {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  readonly path: string;

  private constructor(state: RngState) {
    this.path = state.path;
    [this.s0, this.s1, this.s2, this.s3] = state.words;
  }

  static fromSeed(seed: Seed): Rng {
    return new Rng(rngStateOf(seedPath(seed)));
  }

  static fromState(state: RngState): Rng {
    assert(state.words.length === 4, 'rng state has four words');
    assert(state.words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff_ffff));
    return new Rng(state);
  }

  /** The stream's position as plain data. */
  state(): RngState {
    const words = Object.freeze([this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] as
      const);
    return Object.freeze({ path: this.path, words });
  }

  /** A child stream named `name`. Independent of how much this stream has been used. */
  fork(name: string): Rng {
    assert(name.length > 0 && !name.includes('/'), 'fork name must be non-empty and have no "/"');
    return new Rng(rngStateOf(`${this.path}/${name}`));
  }

  /** Next 32 uniformly random bits (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform integer in [min, max], both inclusive, without modulo bias. */
  int(min: number, max: number): number {
    assert(Number.isSafeInteger(min) && Number.isSafeInteger(max), 'int bounds must be integers');
    assert(min <= max, 'int: min > max');
    const span = max - min + 1;
    if (span <= 0x1_0000_0000) {
      const limit = 0x1_0000_0000 - (0x1_0000_0000 % span);
      for (let attempt = 0; attempt < 1_000; attempt++) {
        const value = this.nextU32();
        if (value < limit) return min + (value % span);
      }
      throw new SimError('SIM_LIMIT_EXCEEDED', { what: 'rng rejection sampling' });
    }
    const high = this.int(0, Math.floor((span - 1) / 0x1_0000_0000));
    const value = high * 0x1_0000_0000 + this.nextU32();
    return value < span ? min + value : this.int(min, max);
  }

  bool(probability: Ratio = ratio(1, 2)): boolean {
    return this.int(0, probability.denominator - 1) < probability.numerator;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty list');
    const item = items[this.int(0, items.length - 1)];
    return item as T;
  }

  bytes(length: number): Uint8Array {
    assert(Number.isSafeInteger(length) && length >= 0, 'bytes length');
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const word = this.nextU32();
      for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
