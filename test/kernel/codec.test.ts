/**
 * Goal: the canonical state codec is one-to-one and reversible, writes RFC 8949 deterministic CBOR
 * byte for byte, and refuses what it cannot represent faithfully.
 * Method: the reference is cborg, an independent CBOR library: cborg's RFC 8949 encoder (with its
 * taglib bignum and Map encoders) must produce exactly our bytes for generated state values, and
 * cborg's decoder must read them back to the same value. Round trips and the collision pairs of
 * issue 7 are checked on our codec; hand-made non-canonical byte strings must be refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  decode, encode, encodeInto, rfc8949EncodeOptions, Token, Type, objectToTokens,
} from 'cborg';
import {
  bigIntDecoder, bigNegIntDecoder, mapDecoder, mapEncoder, setDecoder, structBigIntEncoder,
} from 'cborg/taglib';
import type { EncodeOptions } from 'cborg/interface';
import {
  decodeState, encodeState, fingerprint, roundTrip, MAX_STATE_DEPTH,
} from '../../sim/kernel/codec.js';
import { errorCode } from '../../sim/kernel/errors.js';
import { fromHex, toHex } from '../../sim/kernel/bytes.js';

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** cborg's encoder configured for RFC 8949 deterministic output with the same tags we use. */
const REFERENCE: EncodeOptions = {
  ...rfc8949EncodeOptions,
  typeEncoders: {
    bigint: structBigIntEncoder,
    Map: mapEncoder,
    Set: (set: Set<unknown>, _typ: string, options: EncodeOptions) => {
      // cborg's encode() reuses one module-level buffer, so a nested encode() inside a type
      // encoder would clobber the outer one; encodeInto writes into a buffer of its own.
      const items = [...set].map((item) => ({ item, bytes: encodeAlone(item, options) }))
        .sort((a, b) => compare(a.bytes, b.bytes));
      return [new Token(Type.tag, 258), new Token(Type.array, items.length),
        items.map(({ item }) => objectToTokens(item, options))];
    },
  },
};

function encodeAlone(item: unknown, options: EncodeOptions): Uint8Array {
  const destination = new Uint8Array(1 << 16);
  const { written } = encodeInto(item, destination, options);
  return destination.slice(0, written);
}

function decodeReference(bytes: Uint8Array): unknown {
  return decode(bytes, {
    tags: { 2: bigIntDecoder, 3: bigNegIntDecoder, 258: setDecoder, 259: mapDecoder },
  });
}

const key = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'é', 'a', 'aa'));
const leaf = fc.oneof(
  fc.constant(null), fc.boolean(), fc.string({ maxLength: 40 }),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.maxSafeInteger(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
  fc.uint8Array({ maxLength: 48 }),
);
const stateValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object'),
    tie('map'), tie('set')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
  map: fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), tie('value')),
    { maxLength: 4 }).map((entries) => new Map(entries)),
  set: fc.array(leaf, { maxLength: 5 }).map((items) => new Set(items)),
})).value;

/** Sets are compared by content; everything else structurally. */
function normalise(value: unknown): unknown {
  if (value instanceof Set) return { set: [...value].map((v) => toHex(encodeState(v))).sort() };
  if (value instanceof Map) {
    return { map: [...value].map(([k, v]) => [toHex(encodeState(k)), normalise(v)] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
  }
  if (value instanceof Uint8Array) return { bytes: toHex(value) };
  if (typeof value === 'bigint') return { bigint: value.toString() };
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort()
      .map((k) => [k, normalise((value as Record<string, unknown>)[k])]));
  }
  return value;
}

test('kernel/codec: encodeState writes exactly cborg\'s RFC 8949 deterministic bytes', () => {
  fc.assert(fc.property(stateValue, (value) => {
    fc.pre(!containsEqualSetItems(value));
    assert.is(toHex(encodeState(value)), toHex(encode(value, REFERENCE)));
  }), { seed: 7001, numRuns: 2000 });
});

test('kernel/codec: cborg decodes our bytes to the value we encoded', () => {
  fc.assert(fc.property(stateValue, (value) => {
    fc.pre(!containsEqualSetItems(value));
    assert.equal(normalise(decodeReference(encodeState(value))), normalise(value));
  }), { seed: 7002, numRuns: 1000 });
});

test('kernel/codec: decodeState(encodeState(v)) equals v, and re-encodes to the same bytes', () => {
  fc.assert(fc.property(stateValue, (value) => {
    fc.pre(!containsEqualSetItems(value));
    const bytes = encodeState(value);
    const back = decodeState(bytes);
    assert.equal(normalise(back), normalise(value));
    assert.is(toHex(encodeState(back)), toHex(bytes));
  }), { seed: 7003, numRuns: 2000 });
});

/** Two distinct objects with the same content in one Set cannot be canonical (see the codec). */
function containsEqualSetItems(value: unknown): boolean {
  if (value instanceof Set) {
    const seen = new Set([...value].map((v) => toHex(encodeState(v))));
    return seen.size !== value.size || [...value].some(containsEqualSetItems);
  }
  if (value instanceof Map) return [...value.values()].some(containsEqualSetItems);
  if (Array.isArray(value)) return value.some(containsEqualSetItems);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.values(value).some(containsEqualSetItems);
  }
  return false;
}

const COLLISION_PAIRS: readonly (readonly [string, unknown, unknown])[] = [
  ['16n vs "0x10"', 16n, '0x10'],
  ['16n vs 16', 16n, 16],
  ['bytes vs their hex', new Uint8Array([0xab, 0xcd]), 'abcd'],
  ['a Map vs an object', new Map([['a', 1]]), { a: 1 }],
  ['a Set vs an array', new Set([1, 2]), [1, 2]],
  ['1.5 vs "1.5"', 1.5, '1.5'],
  ['null vs "null"', null, 'null'],
  ['[null] vs []', [null], []],
  ['0n vs -1n', 0n, -1n],
  ['a Map with key 1 vs key "1"', new Map([[1, 'x']]), new Map([['1', 'x']])],
];

for (const [name, a, b] of COLLISION_PAIRS) {
  test(`kernel/codec: distinct values get distinct fingerprints: ${name}`, () => {
    assert.is.not(fingerprint(a), fingerprint(b));
  });
}

test('kernel/codec: a Set\'s encoding does not depend on insertion order', () => {
  assert.is(fingerprint(new Set(['b', 'a', 'c'])), fingerprint(new Set(['c', 'b', 'a'])));
  assert.is(fingerprint({ x: 1, y: 2 }), fingerprint({ y: 2, x: 1 }));
});

const UNREPRESENTABLE: readonly (readonly [string, unknown])[] = [
  ['undefined', undefined], ['[undefined]', [undefined]], ['{a: undefined}', { a: undefined }],
  ['NaN', NaN], ['Infinity', Infinity], ['-0', -0], ['a function', () => 0],
  ['a symbol', Symbol('s')], ['a Date', new Date(0)], ['a class instance', new (class Point {})()],
  ['a Uint16Array', new Uint16Array(2)], ['an ArrayBuffer', new ArrayBuffer(4)],
  ['a sparse array', [1, , 3]], ['a Map keyed by an object', new Map([[{}, 1]])],
  ['a lone surrogate', '\ud800'], ['a symbol-keyed property', { [Symbol('k')]: 1 }],
];

for (const [name, value] of UNREPRESENTABLE) {
  test(`kernel/codec: encodeState refuses ${name} with SIM_BAD_STATE`, () => {
    assert.is(errorCode(() => encodeState(value)), 'SIM_BAD_STATE');
  });
}

test('kernel/codec: a refusal names where the bad value sits', () => {
  try {
    encodeState({ guest: { containers: [{ id: 'a' }, { id: undefined }] } });
    assert.unreachable('must throw');
  } catch (error) {
    assert.match((error as Error).message, '.guest.containers[1].id');
  }
});

test('kernel/codec: nesting past the bound is refused, not a stack overflow', () => {
  let deep: unknown = 1;
  for (let i = 0; i <= MAX_STATE_DEPTH + 1; i++) deep = [deep];
  assert.is(errorCode(() => encodeState(deep)), 'SIM_BAD_STATE');
  let bytes = '01';
  for (let i = 0; i <= MAX_STATE_DEPTH + 1; i++) bytes = `81${bytes}`;
  assert.is(errorCode(() => decodeState(fromHex(bytes))), 'SIM_BAD_STATE');
});

// Hand-written CBOR that decodes to some value but is not that value's canonical encoding.
const NON_CANONICAL: readonly (readonly [string, string])[] = [
  ['unsorted map keys {"b":1,"a":2}', 'a2616201616102'],
  ['duplicate map keys', 'a2616101616102'],
  ['non-minimal integer head (1 as 0x1801)', '1801'],
  ['non-minimal length head', '7801' + '61'],
  ['indefinite-length array', '9f01ff'],
  ['1.5 as a float64', 'fb3ff8000000000000'],
  ['the integer 1 as a float16', 'f93c00'],
  ['trailing bytes', '0101'],
  ['an unknown tag', 'c101'],
  ['undefined', 'f7'],
  ['NaN', 'f97e00'],
  ['a bignum with a leading zero byte', 'c2420001'],
  ['a bignum with an empty magnitude', 'c240'],
  ['a set in the wrong order', 'd90102820201'],
  ['a map key that is not text', 'a10101'],
  ['invalid UTF-8 text', '61ff'],
  ['truncated input', '6461'],
  ['empty input', ''],
];

for (const [name, hex] of NON_CANONICAL) {
  test(`kernel/codec: decodeState refuses ${name}`, () => {
    assert.is(errorCode(() => decodeState(fromHex(hex))), 'SIM_BAD_STATE');
  });
}

test('kernel/codec: random bytes either decode to a value that re-encodes to them, or are refused',
  () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
      let value: unknown;
      try {
        value = decodeState(bytes);
      } catch (error) {
        assert.is(errorCode(() => { throw error; }), 'SIM_BAD_STATE');
        return;
      }
      assert.is(toHex(encodeState(value)), toHex(bytes));
    }), { seed: 7004, numRuns: 20_000 });
  });

test('kernel/codec: decoded bytes are copies, so changing the input does not change the state',
  () => {
    const bytes = encodeState({ measurement: new Uint8Array([1, 2, 3]) });
    const state = decodeState(bytes) as { measurement: Uint8Array };
    bytes.fill(0);
    assert.equal([...state.measurement], [1, 2, 3]);
  });

test('kernel/codec: a "__proto__" key is data, not a prototype', () => {
  const value = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as object;
  const back = roundTrip(value) as Record<string, unknown>;
  assert.is(Object.getPrototypeOf(back), Object.prototype);
  assert.equal(Object.keys(back).sort(), ['__proto__', 'x']);
  assert.is(({} as Record<string, unknown>)['polluted'], undefined);
});

test.run();
