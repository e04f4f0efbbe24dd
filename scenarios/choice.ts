/**
 * Goal: the two faces of `Choice` (sim/kernel/rng.ts) for scenarios: sampled (an Rng stream,
 * what `scenario run` uses) and enumerated (every combination of a body's draws, depth first),
 * so a scenario that picks which layer to substitute or which launch input to change can be
 * checked for every choice, not only the one a seed picked.
 * Method: a `PathChoice` answers each draw with the next index of a path and records how many
 * options the draw had; `enumeratePaths` starts from the empty path (every draw takes its first
 * option) and advances like an odometer over the recorded arities, as an explorer walks a tree.
 * Invariants: draws are deterministic given the path; enumeration visits each path once, in
 * order, and stops with SIM_LIMIT_EXCEEDED past `limit` paths or a draw of more than
 * MAX_ARITY options (enumerating a 32-bit draw is not a plan).
 */
import { assert } from '../sim/kernel/assert.js';
import { SimError } from '../sim/kernel/errors.js';
import type { Choice, Ratio } from '../sim/kernel/rng.js';

/** The widest draw an enumeration accepts. */
export const MAX_ARITY = 64;

/** Answers draws from a path of option indices (0 beyond its end) and records their arities. */
export class PathChoice implements Choice {
  readonly arities: number[] = [];
  private at = 0;

  constructor(private readonly path: readonly number[]) {
    assert(path.every((i) => Number.isSafeInteger(i) && i >= 0), 'a path of option indices');
  }

  private draw(arity: number): number {
    if (arity > MAX_ARITY) {
      throw new SimError('SIM_LIMIT_EXCEEDED', { what: 'choice arity', arity, limit: MAX_ARITY },
        `a draw of ${arity} options cannot be enumerated (at most ${MAX_ARITY})`);
    }
    assert(arity >= 1, 'a draw has an option');
    const index = this.path[this.at] ?? 0;
    assert(index < arity, 'the path fits the draws it replays');
    this.arities.push(arity);
    this.at++;
    return index;
  }

  int(min: number, max: number): number {
    assert(Number.isSafeInteger(min) && Number.isSafeInteger(max) && min <= max, 'int bounds');
    return min + this.draw(max - min + 1);
  }

  bool(_probability?: Ratio): boolean {
    return this.draw(2) === 1;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty list');
    return items[this.draw(items.length)]!;
  }

  /** The path this run actually took (the replayed prefix, then first options). */
  taken(): number[] {
    return this.arities.map((_, i) => this.path[i] ?? 0);
  }
}

/** The next path in depth-first order, or null when every path was visited. */
export function nextPath(taken: readonly number[], arities: readonly number[]): number[] | null {
  assert(taken.length === arities.length, 'one arity per draw');
  for (let i = taken.length - 1; i >= 0; i--) {
    if (taken[i]! + 1 < arities[i]!) return [...taken.slice(0, i), taken[i]! + 1];
  }
  return null;
}

/**
 * Runs `body` once per path of its draws, in depth-first order. `body` gets a fresh Choice per
 * path and returns a value; the result lists each path with its value.
 */
export function enumeratePaths<T>(body: (choices: () => Choice) => T, limit = 256):
  readonly Readonly<{ path: readonly number[]; value: T }>[] {
  const out: { path: readonly number[]; value: T }[] = [];
  let path: number[] | null = [];
  while (path !== null) {
    if (out.length >= limit) {
      throw new SimError('SIM_LIMIT_EXCEEDED', { what: 'enumerated paths', limit },
        `more than ${limit} paths`);
    }
    const replay: readonly number[] = path;
    let first: PathChoice | undefined;
    const value = body(() => {
      const choice = new PathChoice(replay);
      first ??= choice;
      return choice;
    });
    const taken = first?.taken() ?? [];
    out.push({ path: taken, value });
    path = nextPath(taken, first?.arities ?? []);
  }
  assert(out.length >= 1, 'at least the all-first path');
  return out;
}
