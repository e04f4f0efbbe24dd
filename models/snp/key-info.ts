/**
 * Models: KEY_INFO (u32 at report offset 0x48, a.k.a. SIGNER_INFO; ABI spec 56860; snp.md a.4).
 * Real counterpart: which key signed the report, whether an author key signed the ID key, and the
 * platform's MASK_CHIP_KEY switch.
 * Differs: nothing.
 * Invariants: bits 31:5 are zero; SIGNING_KEY is 0 (VCEK), 1 (VLEK) or 7 (none); 2..6 are reserved.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import {
  bitViolations, decodeBits, defineBits, encodeBits, type DecodedBits,
} from '../../sim/kernel/layout.js';

export const KEY_INFO = defineBits({ name: 'KEY_INFO', widthBits: 32 }, [
  { name: 'author_key_en', lsb: 0, width: 1,  kind: 'flag' },
  { name: 'mask_chip_key', lsb: 1, width: 1,  kind: 'flag' },
  { name: 'signing_key',   lsb: 2, width: 3,  kind: 'uint' },
  { name: 'reserved_5',    lsb: 5, width: 27, kind: 'mbz' },
] as const);

export type KeyInfo = DecodedBits<typeof KEY_INFO.bits>;

/** SIGNING_KEY values (a.4). */
export const SIGNING_KEY = Object.freeze({ vcek: 0, vlek: 1, none: 7 } as const);
export type SigningKeyName = keyof typeof SIGNING_KEY;

export function signingKeyName(value: number): SigningKeyName | undefined {
  const found = (Object.keys(SIGNING_KEY) as SigningKeyName[])
    .find((name) => SIGNING_KEY[name] === value);
  return found;
}

/** The names of KEY_INFO's set reserved bit ranges (empty when bits 31:5 are zero). */
export function keyInfoViolations(raw: number): string[] {
  assert(Number.isInteger(raw) && raw >= 0 && raw <= 0xffff_ffff, 'KEY_INFO is a u32');
  const violations = bitViolations(KEY_INFO, BigInt(raw));
  if (violations.length === 0) assert(raw >>> 5 === 0, 'no violation means bits 31:5 are clear');
  return violations;
}

/**
 * Decodes KEY_INFO. With `strict`, set reserved bits are SNP_MBZ_NONZERO and a reserved
 * SIGNING_KEY (2..6) is SNP_BAD_FIELD.
 */
export function decodeKeyInfo(raw: number, options: Readonly<{ strict?: boolean }> = {}): KeyInfo {
  assert(Number.isInteger(raw) && raw >= 0 && raw <= 0xffff_ffff, 'KEY_INFO is a u32');
  const decoded = decodeBits(KEY_INFO, raw);
  if (options.strict ?? false) {
    const violations = keyInfoViolations(raw);
    if (violations.length > 0) {
      throw new SimError('SNP_MBZ_NONZERO', { structure: 'KEY_INFO', bits: violations, raw },
        `KEY_INFO 0x${raw.toString(16)}: reserved bits 31:5 are not zero`);
    }
    if (signingKeyName(decoded.signing_key) === undefined) {
      throw new SimError('SNP_BAD_FIELD',
        { structure: 'KEY_INFO', field: 'signing_key', value: decoded.signing_key },
        `KEY_INFO: SIGNING_KEY ${decoded.signing_key} is reserved (0 VCEK, 1 VLEK, 7 none)`);
    }
  }
  assert(decoded.signing_key >= 0 && decoded.signing_key <= 7);
  return decoded;
}

export function encodeKeyInfo(info: KeyInfo): number {
  assert(signingKeyName(info.signing_key) !== undefined, 'encodeKeyInfo: a defined SIGNING_KEY');
  const raw = Number(encodeBits(KEY_INFO, info));
  assert(raw >= 0 && raw < 32, 'KEY_INFO uses bits 4:0 only');
  return raw;
}
