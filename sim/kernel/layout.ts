/**
 * Models: nothing real. Binary layouts as tables: one table drives both decode and encode, so each
 * offset is written once (house style rule 3). Bitfields inside an integer use bit tables.
 * Invariants (asserted when a table is defined): fields sorted, no gaps, no overlaps, the last one
 * ends at sizeBytes; bit fields sorted, disjoint and inside the integer.
 */
import { assert } from './assert.js';
import { isAllZero, viewOf } from './bytes.js';
import { SimError, type SimErrorCode } from './errors.js';

export type FieldKind = 'u8' | 'u16le' | 'u32le' | 'u64le' | 'bytes' | 'mbz';

export type FieldSpec = Readonly<{
  name: string;
  offsetBytes: number;
  sizeBytes: number;
  kind: FieldKind;
}>;

type ValueOfKind<K extends FieldKind> = K extends 'u64le' ? bigint
  : K extends 'bytes' ? Uint8Array
  : K extends 'mbz' ? never
  : number;

/** The decoded object of a layout: every non-mbz field by name. */
export type Decoded<F extends readonly FieldSpec[]> = {
  -readonly [S in F[number] as S['kind'] extends 'mbz' ? never : S['name']]: ValueOfKind<S['kind']>;
};

export type Layout<F extends readonly FieldSpec[]> = Readonly<{
  name: string;
  sizeBytes: number;
  fields: F;
  errors: Readonly<{ badLength: SimErrorCode; mbzNonzero: SimErrorCode }>;
}>;

export type LayoutOptions = Readonly<{
  name: string;
  sizeBytes: number;
  errors?: Readonly<{ badLength: SimErrorCode; mbzNonzero: SimErrorCode }>;
}>;

const SNP_LAYOUT_ERRORS: Layout<readonly FieldSpec[]>['errors'] = {
  badLength: 'SNP_BAD_LENGTH', mbzNonzero: 'SNP_MBZ_NONZERO',
};

const FIXED_SIZE: Readonly<Partial<Record<FieldKind, number>>> = {
  u8: 1, u16le: 2, u32le: 4, u64le: 8,
};

export function defineLayout<const F extends readonly FieldSpec[]>(
  options: LayoutOptions, fields: F,
): Layout<F> {
  let offset = 0;
  const names = new Set<string>();
  for (const field of fields) {
    assert(field.offsetBytes === offset,
      `${options.name}.${field.name}: gap or overlap at ${offset}`);
    assert(field.sizeBytes > 0, `${options.name}.${field.name}: empty field`);
    const fixed = FIXED_SIZE[field.kind];
    if (fixed !== undefined) {
      assert(fixed === field.sizeBytes, `${options.name}.${field.name}: size`);
    }
    assert(!names.has(field.name), `${options.name}.${field.name}: duplicate name`);
    names.add(field.name);
    offset += field.sizeBytes;
  }
  assert(offset === options.sizeBytes,
    `${options.name}: fields end at ${offset}, not ${options.sizeBytes}`);
  return Object.freeze({
    name: options.name,
    sizeBytes: options.sizeBytes,
    fields: Object.freeze(fields.map((f) => Object.freeze({ ...f }))) as unknown as F,
    errors: options.errors ?? SNP_LAYOUT_ERRORS,
  });
}

export type DecodeOptions = Readonly<{
  /**
   * Reject non-zero must-be-zero bytes (default true). When false they are returned in
   * `reserved`.
   */
  strict?: boolean;
}>;

export type DecodeResult<F extends readonly FieldSpec[]> = Readonly<{
  value: Decoded<F>;
  /** Non-zero must-be-zero fields, by name (only when decoding non-strictly). */
  reserved: Readonly<Record<string, Uint8Array>>;
}>;

export function decodeLayout<F extends readonly FieldSpec[]>(
  layout: Layout<F>, bytes: Uint8Array, options: DecodeOptions = {},
): DecodeResult<F> {
  if (bytes.length !== layout.sizeBytes) {
    throw new SimError(layout.errors.badLength,
      { structure: layout.name, expectedBytes: layout.sizeBytes, actualBytes: bytes.length },
      `${layout.name}: expected ${layout.sizeBytes} bytes, got ${bytes.length}`);
  }
  const strict = options.strict ?? true;
  const view = viewOf(bytes);
  const value: Record<string, unknown> = {};
  const reserved: Record<string, Uint8Array> = {};
  for (const field of layout.fields) {
    const at = field.offsetBytes;
    const slice = bytes.subarray(at, at + field.sizeBytes);
    switch (field.kind) {
      case 'u8': value[field.name] = view.getUint8(at); break;
      case 'u16le': value[field.name] = view.getUint16(at, true); break;
      case 'u32le': value[field.name] = view.getUint32(at, true); break;
      case 'u64le': value[field.name] = view.getBigUint64(at, true); break;
      case 'bytes': value[field.name] = slice.slice(); break;
      case 'mbz':
        if (!isAllZero(slice)) {
          if (strict) {
            throw new SimError(layout.errors.mbzNonzero,
              { structure: layout.name, field: field.name, offset: `0x${at.toString(16)}` },
              `${layout.name}: reserved field ${field.name} at 0x${at.toString(16)} is not zero`);
          }
          reserved[field.name] = slice.slice();
        }
        break;
    }
  }
  return { value: value as Decoded<F>, reserved };
}

export function encodeLayout<F extends readonly FieldSpec[]>(
  layout: Layout<F>, value: Decoded<F>, reserved: Readonly<Record<string, Uint8Array>> = {},
): Uint8Array {
  const out = new Uint8Array(layout.sizeBytes);
  const view = viewOf(out);
  const record = value as Record<string, unknown>;
  for (const field of layout.fields) {
    const at = field.offsetBytes;
    const item = record[field.name];
    switch (field.kind) {
      case 'u8': view.setUint8(at, checkedInt(layout, field, item, 0xff)); break;
      case 'u16le': view.setUint16(at, checkedInt(layout, field, item, 0xffff), true); break;
      case 'u32le': view.setUint32(at, checkedInt(layout, field, item, 0xffff_ffff), true); break;
      case 'u64le': {
        assert(typeof item === 'bigint' && item >= 0n && item < 1n << 64n, `${field.name}: u64`);
        view.setBigUint64(at, item, true);
        break;
      }
      case 'bytes': {
        assert(item instanceof Uint8Array, `${layout.name}.${field.name}: bytes expected`);
        assert(item.length === field.sizeBytes,
          `${layout.name}.${field.name}: ${item.length} bytes`);
        out.set(item, at);
        break;
      }
      case 'mbz': {
        const kept = reserved[field.name];
        if (kept !== undefined) {
          assert(kept.length === field.sizeBytes, `${field.name}: reserved size`);
          out.set(kept, at);
        }
        break;
      }
    }
  }
  assert(out.length === layout.sizeBytes);
  return out;
}

function checkedInt(
  layout: Layout<readonly FieldSpec[]>, field: FieldSpec, item: unknown, max: number,
): number {
  assert(typeof item === 'number' && Number.isInteger(item),
    `${layout.name}.${field.name}: integer expected`);
  assert(item >= 0 && item <= max, `${layout.name}.${field.name}: ${item} out of range`);
  return item;
}

/** Finds a field of a layout by name; asserts it exists. */
export function fieldOf(layout: Layout<readonly FieldSpec[]>, name: string): FieldSpec {
  const field = layout.fields.find((f) => f.name === name);
  assert(field !== undefined, `${layout.name}: no field ${name}`);
  return field;
}

// ---------------------------------------------------------------------------------------------
// Bit tables (guest policy, KEY_INFO, PLATFORM_INFO, ...)

export type BitSpec = Readonly<{
  name: string; lsb: number; width: number; kind: 'flag' | 'uint' | 'mbz' | 'one';
}>;

export type DecodedBits<B extends readonly BitSpec[]> = {
  -readonly [S in B[number] as S['kind'] extends 'mbz' | 'one' ? never : S['name']]:
    S['kind'] extends 'flag' ? boolean : number;
};

export type BitTable<B extends readonly BitSpec[]> = Readonly<{
  name: string; widthBits: number; bits: B;
}>;

export function defineBits<const B extends readonly BitSpec[]>(
  options: Readonly<{ name: string; widthBits: 32 | 64 }>, bits: B,
): BitTable<B> {
  let next = 0;
  for (const spec of bits) {
    assert(spec.lsb === next, `${options.name}.${spec.name}: bit gap or overlap at ${next}`);
    assert(spec.width > 0 && spec.width <= 32 || spec.kind === 'mbz',
      `${options.name}.${spec.name}: width`);
    if (spec.kind === 'flag' || spec.kind === 'one') {
      assert(spec.width === 1, `${spec.name}: 1 bit`);
    }
    next += spec.width;
  }
  assert(next === options.widthBits, `${options.name}: bits end at ${next}`);
  return Object.freeze({ name: options.name, widthBits: options.widthBits, bits });
}

/** Bit tables violated by a value: the names of set MBZ bits and of clear must-be-one bits. */
export function bitViolations(table: BitTable<readonly BitSpec[]>, raw: bigint): string[] {
  const out: string[] = [];
  for (const spec of table.bits) {
    const part = (raw >> BigInt(spec.lsb)) & ((1n << BigInt(spec.width)) - 1n);
    if (spec.kind === 'mbz' && part !== 0n) out.push(spec.name);
    if (spec.kind === 'one' && part !== 1n) out.push(spec.name);
  }
  return out;
}

/** Decodes a bitfield integer; never throws (use bitViolations to enforce MBZ rules). */
export function decodeBits<B extends readonly BitSpec[]>(
  table: BitTable<B>, raw: bigint | number,
): DecodedBits<B> {
  const value = BigInt(raw);
  assert(value >= 0n && value < 1n << BigInt(table.widthBits), `${table.name}: out of range`);
  const out: Record<string, unknown> = {};
  for (const spec of table.bits) {
    if (spec.kind === 'mbz' || spec.kind === 'one') continue;
    const part = (value >> BigInt(spec.lsb)) & ((1n << BigInt(spec.width)) - 1n);
    out[spec.name] = spec.kind === 'flag' ? part === 1n : Number(part);
  }
  return out as DecodedBits<B>;
}

/** Encodes a bitfield integer; must-be-one bits are set, MBZ bits are zero. */
export function encodeBits<B extends readonly BitSpec[]>(
  table: BitTable<B>, value: DecodedBits<B>,
): bigint {
  const record = value as Record<string, unknown>;
  let out = 0n;
  for (const spec of table.bits) {
    if (spec.kind === 'mbz') continue;
    if (spec.kind === 'one') {
      out |= 1n << BigInt(spec.lsb);
      continue;
    }
    const item = record[spec.name];
    const part = spec.kind === 'flag' ? (item === true ? 1n : 0n) : BigInt(item as number);
    assert(part >= 0n && part < 1n << BigInt(spec.width),
      `${table.name}.${spec.name}: out of range`);
    out |= part << BigInt(spec.lsb);
  }
  return out;
}
