/**
 * Goal: one way for tests to build the SNP models from a seed, as the CLI and the world do: the
 * run's `snp` stream, the endorsement root drawn from it, and the guest stream snp/guest/<name>.
 * Method: thin wrappers over the model constructors; no defaults of their own.
 */
import { Rng, type Seed } from '../../sim/kernel/rng.js';
import type { Hex } from '../../sim/kernel/bytes.js';
import { endorsementRootOf } from '../../models/snp/endorsement-keys.js';

/** The run's `snp` stream for `seed`. */
export function snpStream(seed: Seed): Rng {
  return Rng.fromSeed(seed).fork('snp');
}

/** The endorsement root a firmware on `seed` derives its keys from. */
export function rootOf(seed: Seed): Hex {
  return endorsementRootOf(snpStream(seed));
}

/** The stream of guest `name` (REPORT_ID, VMPCKs) on `seed`. */
export function guestStream(seed: Seed, name = 'guest0'): Rng {
  return snpStream(seed).fork('guest').fork(name);
}
