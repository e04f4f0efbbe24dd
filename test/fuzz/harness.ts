/**
 * Goal: what every fuzz target shares (issue 13): how many inputs it runs, its fixed seed, how a
 * finding is reported and replayed, and the outcome rule: a value or a typed error (SimError),
 * never another exception, and never longer than a bound.
 * Method: fast-check `fc.assert` with a fixed seed per target. The count is the target's CI
 * count, or PARMA_FUZZ_RUNS (`npm run fuzz` sets 100,000). A failure prints the seed and the
 * path; PARMA_FUZZ_SEED and PARMA_FUZZ_PATH replay exactly that input (README "Fuzzing").
 * Time is measured per input (synchronous calls cannot be interrupted); an input over the bound
 * fails its target as a hang.
 */
import fc from 'fast-check';
import { SimError } from '../../sim/kernel/errors.js';

/** The inputs of one run: the CI count unless PARMA_FUZZ_RUNS is set. */
export function fuzzRuns(ciRuns: number): number {
  const given = process.env['PARMA_FUZZ_RUNS'];
  if (given === undefined || given === '') return ciRuns;
  const runs = Number(given);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`PARMA_FUZZ_RUNS=${given}`);
  return runs;
}

/** fast-check parameters for a target: its seed (or the replayed one) and its count. */
export function fuzzParameters(seed: number, ciRuns: number): fc.Parameters<unknown> {
  const replaySeed = process.env['PARMA_FUZZ_SEED'];
  const replayPath = process.env['PARMA_FUZZ_PATH'];
  const parameters: fc.Parameters<unknown> = {
    seed: replaySeed === undefined || replaySeed === '' ? seed : Number(replaySeed),
    numRuns: fuzzRuns(ciRuns),
    // Shrinking a byte-mutation failure can take long; the seed and path already replay it.
    endOnFailure: process.env['PARMA_FUZZ_SHRINK'] !== '1',
    includeErrorInReport: true,
  };
  if (replayPath !== undefined && replayPath !== '') parameters.path = replayPath;
  return parameters;
}

/** How a fuzzed call ended when it ended well: a value, or a SimError with its code. */
export type Outcome<T> = Readonly<{ ok: true; value: T }> | Readonly<{ ok: false; code: string }>;

export class FuzzHang extends Error {}

/**
 * Runs `fn` on one input: a SimError becomes `{ok: false, code}`; any other exception (an
 * AssertionError, a TypeError, a RangeError) propagates and fails the target; so does taking
 * longer than `boundMs`.
 */
export function outcome<T>(fn: () => T, boundMs: number): Outcome<T> {
  const started = performance.now();
  let result: Outcome<T>;
  try {
    result = { ok: true, value: fn() };
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    result = { ok: false, code: error.code };
  }
  const elapsed = performance.now() - started;
  if (elapsed > boundMs) throw new FuzzHang(`took ${elapsed.toFixed(0)} ms (bound ${boundMs} ms)`);
  return result;
}

/** The asynchronous form of `outcome`: the bound is enforced by a race, so a hang fails too. */
export async function outcomeAsync<T>(fn: () => Promise<T>, boundMs: number):
  Promise<Outcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FuzzHang(`no answer within ${boundMs} ms`)), boundMs);
  });
  try {
    return { ok: true, value: await Promise.race([fn(), hang]) };
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    return { ok: false, code: error.code };
  } finally {
    clearTimeout(timer);
  }
}

/** A one-line note of the count a target ran, printed with its test. */
export function ranNote(target: string, runs: number): string {
  return `fuzz ${target}: ${runs} inputs`;
}

/** Gives a generated case a short printed form, so a counterexample reads as one line. */
export function labelled<T extends object>(value: T, label: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => label, enumerable: false });
  return value;
}

/** A short description of how `bytes` differs from `seed`: length and the first changed offsets. */
export function byteDiff(seed: Uint8Array, bytes: Uint8Array): string {
  const changed: string[] = [];
  for (let i = 0; i < Math.max(seed.length, bytes.length) && changed.length < 6; i++) {
    if (seed[i] !== bytes[i]) changed.push(`0x${i.toString(16)}=${bytes[i]?.toString(16) ?? '∅'}`);
  }
  return `${bytes.length} bytes (seed ${seed.length}), first changes ${changed.join(' ')}`;
}
