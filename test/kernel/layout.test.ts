/**
 * Goal: the layout tables refuse malformed tables at definition time, and decode/encode are exact
 * inverses that reject bad lengths and non-zero reserved bytes.
 * Method: a small table exercised with hand-built bytes (offsets chosen here, not by the code).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AssertionError } from '../../sim/kernel/assert.js';
import { errorCode } from '../../sim/kernel/errors.js';
import {
  bitViolations, decodeBits, decodeLayout, defineBits, defineLayout, encodeBits, encodeLayout,
} from '../../sim/kernel/layout.js';

const SAMPLE = defineLayout({ name: 'SAMPLE', sizeBytes: 16 }, [
  { name: 'a', offsetBytes: 0, sizeBytes: 4, kind: 'u32le' },
  { name: 'pad', offsetBytes: 4, sizeBytes: 4, kind: 'mbz' },
  { name: 'b', offsetBytes: 8, sizeBytes: 8, kind: 'u64le' },
] as const);

test('kernel/layout: defineLayout rejects a gap between fields', () => {
  assert.throws(() => defineLayout({ name: 'GAP', sizeBytes: 8 }, [
    { name: 'a', offsetBytes: 0, sizeBytes: 4, kind: 'u32le' },
    { name: 'b', offsetBytes: 5, sizeBytes: 3, kind: 'bytes' },
  ] as const), (e: unknown) => e instanceof AssertionError);
});

test('kernel/layout: defineLayout rejects a table that does not end at sizeBytes', () => {
  assert.throws(() => defineLayout({ name: 'SHORT', sizeBytes: 8 }, [
    { name: 'a', offsetBytes: 0, sizeBytes: 4, kind: 'u32le' },
  ] as const), (e: unknown) => e instanceof AssertionError);
});

test('kernel/layout: decode reads little-endian integers at their offsets', () => {
  const bytes = new Uint8Array(16);
  bytes.set([0x78, 0x56, 0x34, 0x12], 0);
  bytes.set([1, 0, 0, 0, 0, 0, 0, 0x80], 8);
  const { value } = decodeLayout(SAMPLE, bytes);
  assert.is(value.a, 0x12345678);
  assert.is(value.b, 0x8000000000000001n);
});

test('kernel/layout: decode rejects a wrong length with SNP_BAD_LENGTH', () => {
  assert.is(errorCode(() => decodeLayout(SAMPLE, new Uint8Array(15))), 'SNP_BAD_LENGTH');
  assert.is(errorCode(() => decodeLayout(SAMPLE, new Uint8Array(17))), 'SNP_BAD_LENGTH');
});

test('kernel/layout: strict decode rejects a non-zero reserved byte; lax decode keeps it', () => {
  const bytes = new Uint8Array(16);
  bytes[6] = 0xcc;
  assert.is(errorCode(() => decodeLayout(SAMPLE, bytes)), 'SNP_MBZ_NONZERO');
  const lax = decodeLayout(SAMPLE, bytes, { strict: false });
  assert.equal([...encodeLayout(SAMPLE, lax.value, lax.reserved)], [...bytes]);
});

test('kernel/layout: encode(decode(x)) == x for a filled structure', () => {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 4; i++) bytes[i] = i + 1;
  for (let i = 8; i < 16; i++) bytes[i] = 0xf0 + i;
  assert.equal([...encodeLayout(SAMPLE, decodeLayout(SAMPLE, bytes).value)], [...bytes]);
});

const FLAGS = defineBits({ name: 'FLAGS', widthBits: 32 }, [
  { name: 'low', lsb: 0, width: 4, kind: 'uint' },
  { name: 'set', lsb: 4, width: 1, kind: 'flag' },
  { name: 'one', lsb: 5, width: 1, kind: 'one' },
  { name: 'rest', lsb: 6, width: 26, kind: 'mbz' },
] as const);

test('kernel/layout: bit tables decode fields and report MBZ and must-be-one violations', () => {
  assert.equal(decodeBits(FLAGS, 0x3a), { low: 0xa, set: true });
  assert.equal(bitViolations(FLAGS, 0x3an), []);
  assert.equal(bitViolations(FLAGS, 0x40n | 0x20n), ['rest']);
  assert.equal(bitViolations(FLAGS, 0n), ['one']);
});

test('kernel/layout: encodeBits sets must-be-one bits and places each field at its lsb', () => {
  assert.is(encodeBits(FLAGS, { low: 3, set: false }), 0x23n);
});

test.run();
