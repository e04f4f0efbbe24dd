/**
 * Goal: one way for the shape-reader tests to see a refusal: a ShapeReader whose failure
 * function records (path, problem), and an assertion on both.
 */
import * as assert from 'uvu/assert';
import { ShapeReader } from '../../models/policy/shape-reader.js';

class Refusal extends Error {
  constructor(readonly path: string, readonly problem: string) { super(`${path} ${problem}`); }
}

export const reader = new ShapeReader((path, problem) => new Refusal(path, problem));

/** Asserts that `run` is refused at `path` with `problem`, through `reader`'s failure function. */
export function refusedAt(run: () => unknown, path: string, problem: string): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    assert.equal([error.path, error.problem], [path, problem]);
    return;
  }
  throw new Error(`expected a refusal at ${path}`);
}
