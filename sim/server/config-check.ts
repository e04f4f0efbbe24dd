/**
 * Models: nothing real. The two checks every part of the fake backend's configuration shares:
 *   the SIM_USAGE error naming a config path, and a record with only known keys.
 * Invariants: every configuration problem is SimError SIM_USAGE whose detail names the path
 *   (`chips[1].tcb`, `keyVault.keys[0].name`); unknown keys are refused, not ignored.
 */
import { assert } from '../kernel/assert.js';
import { SimError } from '../kernel/errors.js';

export function configError(path: string, message: string): SimError {
  assert(path.length > 0, 'a config error names its path');
  return new SimError('SIM_USAGE', { config: path }, `config ${path}: ${message}`);
}

/** Refuses keys outside `allowed`; returns the value as a record. */
export function recordAt(value: unknown, path: string,
  allowed: readonly string[]): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)
    || value instanceof Uint8Array) {
    throw configError(path, 'must be an object');
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) {
      throw configError(`${path}.${key}`, `unknown key (known: ${allowed.join(', ')})`);
    }
  }
  return record;
}
