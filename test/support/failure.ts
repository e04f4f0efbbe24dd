/**
 * Goal: one way for a test to get the typed error a call refuses with, and the line:column of a
 * marker in a policy text (the positions the importers report), instead of a copy per test file.
 * Method: run the call; a SimError is returned, any other exception propagates, and a call that
 * returns fails the test.
 */
import { SimError } from '../../sim/kernel/errors.js';

/** The SimError `run` throws; fails when it returns or throws anything else. */
export function failure(run: () => unknown): SimError {
  try {
    run();
  } catch (error) {
    if (error instanceof SimError) return error;
    throw error;
  }
  throw new Error('expected a SimError');
}

/** The 1-based line and column of the first `marker` in `text`, counted from the text itself. */
export function positionOf(text: string, marker: string): Readonly<{ line: number;
  column: number }> {
  const index = text.indexOf(marker);
  if (index < 0) throw new Error(`marker ${marker} not found`);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}
