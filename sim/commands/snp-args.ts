/**
 * Models: nothing real. Flag parsing shared by the `parma-sim snp` subcommands. Kept apart from
 * snp-report.ts so that `snp verify` and `snp show` do not load the fake firmware and issuer just
 * to read `--product` (start-up time; spec perf-notes.md "Startup").
 */
import { SimError } from '../kernel/errors.js';
import { parseProduct, type Product } from '../../models/snp/product.js';

export function usageError(what: string, message: string): SimError {
  return new SimError('SIM_USAGE', { what }, message);
}

/** Decimal or 0x-hex non-negative integer up to `maxBits` bits. */
export function parseUint(text: string, what: string, maxBits: number): bigint {
  const trimmed = text.trim();
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(trimmed)) {
    throw usageError(what, `--${what}: '${text}' is not a number`);
  }
  const value = BigInt(trimmed);
  if (value >= 1n << BigInt(maxBits)) {
    throw usageError(what, `--${what}: ${text} does not fit in ${maxBits} bits`);
  }
  return value;
}

/** --product: an unknown name is a usage error (exit 2), not a malformed input. */
export function productFlag(text: string): Product {
  try {
    return parseProduct(text);
  } catch (error) {
    if (error instanceof SimError) {
      throw usageError('product', `--product: ${error.message.replace(/^[A-Z_]+: /, '')}`);
    }
    throw error;
  }
}
