/**
 * Models: nothing real. The verdict a relying party returns: a value listing every failure with a
 *   stable code (sim/kernel/errors.ts VERIFY_*), never an exception for a failed check.
 * Invariants: ok ⇔ failures is empty; every failure has a VERIFY_* code and a non-empty message.
 */
import { assert } from '../../sim/kernel/assert.js';
import type { VERIFY_ERROR_CODES } from '../../sim/kernel/errors.js';

export type VerifyCode = (typeof VERIFY_ERROR_CODES)[number];

export type VerifyFailure = Readonly<{
  code: VerifyCode; message: string; detail: Readonly<Record<string, unknown>>;
}>;

export type Verdict<C> = Readonly<{ ok: boolean; failures: readonly VerifyFailure[]; claims?: C }>;

export function failure(code: VerifyCode, message: string,
  detail: Readonly<Record<string, unknown>> = {}): VerifyFailure {
  assert(message.length > 0, 'a failure says why');
  assert(code.startsWith('VERIFY_'), 'verifier failures carry VERIFY_* codes');
  return Object.freeze({ code, message, detail });
}
