/**
 * Models: nothing real. Flag values, judged as the user typed them. A value a model refuses is
 * still a usage error (exit 2) when it came from a flag: the model cannot know that, so the
 * command says so here, and the message names the flag as typed (`--report-data`, never
 * commander's `reportData`).
 */
import { assert } from '../kernel/assert.js';
import { SimError, type SimErrorCode } from '../kernel/errors.js';
import { canonicalSeed } from '../kernel/rng.js';
import { parseProduct, type Product } from '../api/verify.js';

/** `--guest-svn` from commander's attribute name `guestSvn`. */
export function flagName(attribute: string): string {
  assert(/^[a-z][a-zA-Z0-9]*$/.test(attribute), 'a commander attribute name');
  const flag = `--${attribute.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  assert(flag.length > attribute.length);
  return flag;
}

/** A SimError's message without its `CODE: ` prefix. */
export function reasonOf(error: SimError): string {
  const text = error.message.slice(error.code.length);
  return text.replace(/^:? /, '');
}

/** A usage error about `flag` (as typed, e.g. `--seed`). */
export function flagError(flag: string, reason: string): SimError {
  assert(flag.startsWith('-'), 'a flag as typed');
  return new SimError('SIM_USAGE', { flag }, `${flag}: ${reason}`);
}

/**
 * Parses one flag's value with `parse`; any SimError it throws (other than SIM_IO) becomes a usage
 * error naming the flag.
 */
export function flagValue<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof SimError) || error.code === 'SIM_IO') throw error;
    if (error.code === 'SIM_USAGE' && error.message.includes(`${flag}:`)) throw error;
    throw new SimError('SIM_USAGE', { flag, cause: error.code, ...error.detail },
      `${flag}: ${reasonOf(error)}`);
  }
}

/** Codes a model throws for a bad field value; from flags, they are usage errors. */
const FIELD_CODES: readonly SimErrorCode[] = [
  'SNP_BAD_FIELD', 'SNP_MBZ_NONZERO', 'SNP_BAD_PRODUCT', 'SIM_BAD_SEED',
];

/**
 * Runs a model call whose every input came from flags (`snp report`, `snp certs`): a bad-field
 * error becomes a usage error naming the flag that set the field (`fieldFlags`: the model's
 * `detail.field` → the flag), or the command when no one flag did. A refusal by the firmware
 * (SNP_FIRMWARE_STATUS, exit 10) and everything else pass through unchanged.
 */
export function fromFlags<T>(
  command: string, fieldFlags: Readonly<Record<string, string>>, call: () => T,
): T {
  try {
    return call();
  } catch (error) {
    if (!(error instanceof SimError) || !FIELD_CODES.includes(error.code)) throw error;
    const field = error.detail['field'];
    const flag = typeof field === 'string' && Object.hasOwn(fieldFlags, field)
      ? fieldFlags[field] : undefined;
    throw new SimError('SIM_USAGE', { command, cause: error.code, ...error.detail },
      `${flag ?? command}: ${reasonOf(error)}`);
  }
}

/**
 * `--seed`: what canonicalSeed accepts, without a leading `-` (`--seed -1` is a negative number
 * or a missing value, never a name). Returns the text as given, so output echoes it unchanged.
 */
export function seedFlag(text: string, flag = '--seed'): string {
  if (text.startsWith('-')) {
    throw flagError(flag, `'${text.slice(0, 40)}' starts with '-': a seed is a non-negative `
      + 'integer or a name');
  }
  flagValue(flag, () => canonicalSeed(text));
  return text;
}

/** Decimal or 0x-hex non-negative integer of at most `maxBits` bits. */
export function uintFlag(flag: string, text: string, maxBits: number): bigint {
  assert(maxBits > 0 && maxBits <= 512, 'uintFlag: a sane width');
  const trimmed = text.trim();
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(trimmed)) {
    throw flagError(flag, `'${text.slice(0, 40)}' is not a non-negative integer`);
  }
  const value = BigInt(trimmed);
  if (value >= 1n << BigInt(maxBits)) {
    throw flagError(flag, `${text.slice(0, 40)} does not fit in ${maxBits} bits`);
  }
  return value;
}

/** --product: an unknown name is a usage error (exit 2), not a malformed input. */
export function productFlag(text: string): Product {
  return flagValue('--product', () => parseProduct(text));
}
