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

export class Rng implements Choice {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(readonly path: string) {
    const digest = sha256(encoder.encode(path));
    const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
    this.s0 = view.getUint32(0, true);
    this.s1 = view.getUint32(4, true);
    this.s2 = view.getUint32(8, true);
    this.s3 = view.getUint32(12, true);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // xoshiro forbids all-zero
  }

  static fromSeed(seed: Seed): Rng {
    return new Rng(`parma-sim/${canonicalSeed(seed)}`);
  }

  /** A child stream named `name`. Independent of how much this stream has been used. */
  fork(name: string): Rng {
    assert(name.length > 0 && !name.includes('/'), 'fork name must be non-empty and have no "/"');
    return new Rng(`${this.path}/${name}`);
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
