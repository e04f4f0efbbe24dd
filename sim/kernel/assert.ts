/**
 * Models: nothing real. Always-on assertions in the TigerBeetle manner.
 * An AssertionError is a bug in parma-sim itself, never a response to hostile input: hostile input
 * gets a SimError (see errors.ts). Assertions are never disabled.
 */

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/** Asserts `condition`; the optional message says which property of *our* code broke. */
export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Exhaustiveness check for discriminated unions. */
export function assertNever(value: never, message = 'unexpected variant'): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}

/** Marks code that must not be reached. */
export function unreachable(message = 'unreachable code reached'): never {
  throw new AssertionError(message);
}
