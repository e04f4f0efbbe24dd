/**
 * Models: TCB_VERSION (SEV-SNP ABI spec 56860, "TCB_VERSION structure"; spec snp.md a.7).
 * Real counterpart: the u64 in CURRENT/REPORTED/COMMITTED/LAUNCH_TCB and in MSG_KEY_REQ.
 * Differs: nothing. Two layouts: Milan/Genoa (legacy) and Turin (with FMC).
 * Invariants: reserved bytes are zero; comparison is component-wise, never numeric on the u64.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { TcbLayout } from './product.js';

export type TcbParts = Readonly<{
  /** FMC SPL: Turin only (0 and ignored on the legacy layout). */
  fmc: number;
  bl: number;
  tee: number;
  snp: number;
  ucode: number;
}>;

type ByteTable = Readonly<Record<keyof TcbParts, number | undefined>>;

/** Byte index of each SPL inside the little-endian u64, per layout; other bytes are reserved. */
export const TCB_BYTES: Readonly<Record<TcbLayout, ByteTable>> = {
  legacy: { bl: 0, tee: 1, snp: 6, ucode: 7, fmc: undefined },
  turin: { fmc: 0, bl: 1, tee: 2, snp: 3, ucode: 7 },
};

export const TCB_COMPONENTS = ['fmc', 'bl', 'tee', 'snp', 'ucode'] as const;

export function componentsOf(layout: TcbLayout): readonly (keyof TcbParts)[] {
  return TCB_COMPONENTS.filter((name) => TCB_BYTES[layout][name] !== undefined);
}

/** The reserved byte indexes of `layout` (the bytes no SPL of TCB_BYTES uses). */
export function tcbReservedBytes(layout: TcbLayout): readonly number[] {
  const used = new Set(Object.values(TCB_BYTES[layout])
    .filter((i): i is number => i !== undefined));
  const reserved = [0, 1, 2, 3, 4, 5, 6, 7].filter((i) => !used.has(i));
  assert(reserved.length === 8 - used.size, 'every byte is an SPL or reserved');
  return reserved;
}

/** The reserved bytes of `raw` that are not zero, by index (empty when the value is valid). */
export function tcbViolations(raw: bigint, layout: TcbLayout): number[] {
  assert(raw >= 0n && raw < 1n << 64n, 'TCB_VERSION is a u64');
  const bad = tcbReservedBytes(layout).filter((i) => ((raw >> BigInt(8 * i)) & 0xffn) !== 0n);
  assert(bad.every((i) => TCB_BYTES[layout].snp !== i && TCB_BYTES[layout].ucode !== i));
  return bad;
}

/** u64 → parts. Non-zero reserved bytes are SNP_MBZ_NONZERO only when `strict`. */
export function decodeTcb(raw: bigint, layout: TcbLayout,
  options: Readonly<{ strict?: boolean }> = {}): TcbParts {
  assert(raw >= 0n && raw < 1n << 64n, 'TCB_VERSION is a u64');
  if (options.strict) {
    const bad = tcbViolations(raw, layout);
    if (bad.length > 0) {
      throw new SimError('SNP_MBZ_NONZERO', { structure: 'TCB_VERSION', layout, byte: bad[0] },
        `TCB_VERSION: reserved byte ${bad[0]} is not zero (${layout} layout)`);
    }
  }
  return decodeTcbUnchecked(raw, layout);
}

function decodeTcbUnchecked(raw: bigint, layout: TcbLayout): TcbParts {
  const table = TCB_BYTES[layout];
  const byteAt = (i: number): number => Number((raw >> BigInt(8 * i)) & 0xffn);
  const get = (name: keyof TcbParts): number => {
    const index = table[name];
    return index === undefined ? 0 : byteAt(index);
  };
  return { fmc: get('fmc'), bl: get('bl'), tee: get('tee'), snp: get('snp'), ucode: get('ucode') };
}

/** parts → u64. Each SPL must fit a byte; FMC must be 0 on the legacy layout. */
export function encodeTcb(parts: TcbParts, layout: TcbLayout): bigint {
  const table = TCB_BYTES[layout];
  let raw = 0n;
  for (const name of TCB_COMPONENTS) {
    const value = parts[name];
    if (!Number.isInteger(value) || value < 0 || value > 0xff) {
      throw new SimError('SNP_BAD_FIELD', { structure: 'TCB_VERSION', field: name, value },
        `TCB_VERSION: ${name} must be an integer 0..255`);
    }
    const index = table[name];
    if (index === undefined) {
      if (value !== 0) {
        throw new SimError('SNP_BAD_FIELD', { structure: 'TCB_VERSION', field: name, layout },
          `TCB_VERSION: ${name} does not exist in the ${layout} layout`);
      }
      continue;
    }
    raw |= BigInt(value) << BigInt(8 * index);
  }
  assert(decodeTcb(raw, layout).snp === parts.snp, 'TCB round trip');
  return raw;
}

/** The components `layout` has, by name (no `fmc` on Milan/Genoa): what output should show. */
export function tcbComponentsOf(parts: TcbParts,
  layout: TcbLayout): Readonly<Partial<Record<keyof TcbParts, number>>> {
  const names = componentsOf(layout);
  const out = Object.fromEntries(names.map((name) => [name, parts[name]]));
  assert(Object.keys(out).length === names.length, 'one entry per component');
  if (layout === 'legacy') assert(!('fmc' in out), 'no FMC in the Milan/Genoa layout');
  return out;
}

/** True when every component of `actual` is >= that of `minimum` (the components of `layout`). */
export function tcbAtLeast(actual: TcbParts, minimum: TcbParts, layout: TcbLayout): boolean {
  return componentsOf(layout).every((name) => actual[name] >= minimum[name]);
}

/** The components of `actual` below `minimum`, for a clear failure reason. */
export function tcbShortfall(actual: TcbParts, minimum: TcbParts,
  layout: TcbLayout): (keyof TcbParts)[] {
  return componentsOf(layout).filter((name) => actual[name] < minimum[name]);
}
