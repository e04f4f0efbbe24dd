/**
 * Goal: the mutation operators of the fuzz targets, as fast-check arbitraries over a seed input:
 * bytes (flips, overwrites with boundary values, insertions, deletions, truncation, extension,
 * copied chunks), text tokens (for policies and command lines) and JSON trees (for bridge
 * requests and HTTP bodies, including JSON nested inside strings).
 * Method: each arbitrary draws a short list of edits and applies them to a copy of the seed;
 * every edit is drawn from the seed's own size, so edits land everywhere with equal weight and
 * shrink towards fewer, earlier edits.
 */
import fc from 'fast-check';

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

type ByteEdit =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; count: number }
  | { op: 'copy'; from: number; to: number; count: number };

function applyByteEdit(bytes: Uint8Array, edit: ByteEdit): Uint8Array {
  const at = (i: number): number => (bytes.length === 0 ? 0 : i % bytes.length);
  switch (edit.op) {
    case 'flip': {
      if (bytes.length === 0) return bytes;
      const copy = bytes.slice();
      copy[at(edit.at)]! ^= 1 << edit.bit;
      return copy;
    }
    case 'set': {
      if (bytes.length === 0) return bytes;
      const copy = bytes.slice();
      copy[at(edit.at)] = edit.value;
      return copy;
    }
    case 'insert': {
      const i = bytes.length === 0 ? 0 : edit.at % (bytes.length + 1);
      const out = new Uint8Array(bytes.length + edit.bytes.length);
      out.set(bytes.subarray(0, i));
      out.set(edit.bytes, i);
      out.set(bytes.subarray(i), i + edit.bytes.length);
      return out;
    }
    case 'delete': {
      const i = at(edit.at);
      const out = new Uint8Array(bytes.length - Math.min(edit.count, bytes.length - i));
      out.set(bytes.subarray(0, i));
      out.set(bytes.subarray(i + edit.count), i);
      return out;
    }
    case 'copy': {
      if (bytes.length === 0) return bytes;
      const copy = bytes.slice();
      const from = at(edit.from);
      copy.set(bytes.subarray(from, from + edit.count).subarray(0, copy.length - at(edit.to)),
        at(edit.to));
      return copy;
    }
  }
}

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(),
    bit: fc.nat(7) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(),
    value: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.nat(255)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(),
    count: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('copy' as const), from: fc.nat(),
    to: fc.nat(), count: fc.integer({ min: 1, max: 32 }) }) },
);

/** A seed with 1-5 byte edits, or cut short, or extended by a few bytes. */
export function mutatedBytes(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edited = fc.array(byteEdit, { minLength: 1, maxLength: 5 })
    .map((edits) => edits.reduce(applyByteEdit, seed));
  const cut = fc.nat(Math.max(0, seed.length - 1)).map((length) => seed.slice(0, length));
  const extended = fc.uint8Array({ minLength: 1, maxLength: 16 }).map((tail) => {
    const out = new Uint8Array(seed.length + tail.length);
    out.set(seed);
    out.set(tail, seed.length);
    return out;
  });
  return fc.oneof({ weight: 8, arbitrary: edited }, { weight: 1, arbitrary: cut },
    { weight: 1, arbitrary: extended });
}

/** Any of several seeds, mutated. */
export function mutatedBytesOf(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(...seeds.map((seed) => mutatedBytes(seed)));
}

const TOKEN = /[A-Za-z_][A-Za-z0-9_.]*|-?[0-9]+(?:\.[0-9]+)?|"(?:[^"\\\n]|\\.)*"|\s+|[^\sA-Za-z0-9_"]/g;

/** Splits text into tokens (words, numbers, strings, whitespace, punctuation); joins back. */
export function tokensOf(text: string): string[] {
  const tokens = text.match(TOKEN) ?? [];
  if (tokens.join('') !== text) throw new Error('mutators: tokenizer lost text');
  return tokens;
}

const INTERESTING_TOKENS = ['null', 'true', 'false', '0', '-1', '1e400', '""', '"\\u0000"',
  '[]', '{}', '[', ']', '{', '}', ',', ':', '"', '\\', '=', '==', ':=', '#', '\n', 'import',
  'package', 'default', '4294967296', '"../"', '"/"'];

type TokenEdit =
  | { op: 'delete'; at: number; count: number }
  | { op: 'duplicate'; at: number }
  | { op: 'swap'; at: number; with: number }
  | { op: 'replace'; at: number; by: number; interesting: boolean }
  | { op: 'insert'; at: number; by: number; interesting: boolean }
  | { op: 'same-kind'; at: number; by: number };

/** A token's class: a string literal, a number, a word, or anything else (itself). */
function kindOf(token: string): string {
  if (token.startsWith('"')) return 'string';
  if (/^-?[0-9]/.test(token)) return 'number';
  if (/^[A-Za-z_]/.test(token)) return 'word';
  return token;
}

function applyTokenEdit(tokens: readonly string[], edit: TokenEdit): string[] {
  const out = [...tokens];
  if (out.length === 0) return out;
  const i = edit.at % out.length;
  const pick = (by: number, interesting: boolean): string => (interesting
    ? INTERESTING_TOKENS[by % INTERESTING_TOKENS.length]! : tokens[by % tokens.length]!);
  switch (edit.op) {
    case 'delete': out.splice(i, edit.count); break;
    case 'duplicate': out.splice(i, 0, out[i]!); break;
    case 'swap': {
      const j = edit.with % out.length;
      [out[i], out[j]] = [out[j]!, out[i]!];
      break;
    }
    case 'replace': out[i] = pick(edit.by, edit.interesting); break;
    case 'insert': out.splice(i, 0, pick(edit.by, edit.interesting)); break;
    case 'same-kind': {
      // Keeps the syntax: a string for a string, a number for a number, a word for a word.
      const kind = kindOf(out[i]!);
      const alike = tokens.filter((t) => kindOf(t) === kind);
      out[i] = alike[edit.by % alike.length] ?? out[i]!;
      break;
    }
  }
  return out;
}

const tokenEdit: fc.Arbitrary<TokenEdit> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1,
    max: 4 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), by: fc.nat(),
    interesting: fc.boolean() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), by: fc.nat(),
    interesting: fc.boolean() }),
  fc.record({ op: fc.constant('same-kind' as const), at: fc.nat(), by: fc.nat() }),
  fc.record({ op: fc.constant('same-kind' as const), at: fc.nat(), by: fc.nat() }),
);

/** Text with 1-4 token-level edits (tokens drawn from the text itself or a list of trouble). */
export function mutatedText(text: string): fc.Arbitrary<string> {
  const tokens = tokensOf(text);
  return fc.array(tokenEdit, { minLength: 1, maxLength: 4 })
    .map((edits) => edits.reduce(applyTokenEdit, tokens).join(''));
}

/** A list of words (a command line) with 1-3 edits drawn from the list and from `pool`. */
export function mutatedWords(words: readonly string[], pool: readonly string[]):
  fc.Arbitrary<string[]> {
  const all = [...words, ...pool];
  const edit = fc.oneof(
    fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('replace' as const), at: fc.nat(), by: fc.nat() }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), by: fc.nat() }),
    fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
    fc.record({ op: fc.constant('text' as const), at: fc.nat(), text: fc.string({ maxLength: 12 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    const out = [...words];
    for (const e of edits) {
      const i = out.length === 0 ? 0 : e.at % out.length;
      if (e.op === 'delete') out.splice(i, 1);
      else if (e.op === 'replace') out[i] = all[e.by % all.length]!;
      else if (e.op === 'insert') out.splice(i, 0, all[e.by % all.length]!);
      else if (e.op === 'text') out[i] = e.text;
      else if (out.length > 0) {
        const j = e.with % out.length;
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
    }
    return out;
  });
}

/** JSON values that break decoders: wrong types, boundary numbers, odd strings, deep nesting. */
export const troubleJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e308,
    '', ' ', '0', 'null', '{', '[]', '{}', '\u0000', '../../etc', 'A'.repeat(300), [], {},
    [null], { '': null }, { __proto__: 1 }, [[[[[]]]]]),
  fc.jsonValue({ maxDepth: 3 }),
);

type JsonEdit = Readonly<{ path: readonly number[]; op: 'replace' | 'delete' | 'add' | 'nested';
  value: unknown; key: string }>;

/** Applies one edit at `path` (indices into entries, modulo their count) of a JSON tree. */
function applyJsonEdit(value: unknown, edit: JsonEdit, depth = 0): unknown {
  const atEnd = depth >= edit.path.length;
  if (typeof value === 'string' && (value.startsWith('{') || value.startsWith('['))
    && edit.op === 'nested' && !atEnd) {
    try {
      return JSON.stringify(applyJsonEdit(JSON.parse(value) as unknown, edit, depth + 1));
    } catch {
      return value;
    }
  }
  if (value === null || typeof value !== 'object') return atEnd ? edit.value : value;
  const isArray = Array.isArray(value);
  const entries: [string | number, unknown][] = isArray
    ? (value as unknown[]).map((v, i) => [i, v]) : Object.entries(value);
  if (atEnd || entries.length === 0) {
    if (edit.op === 'add' && !isArray) return { ...value, [edit.key]: edit.value };
    if (edit.op === 'add') return [...(value as unknown[]), edit.value];
    return edit.op === 'delete' ? (isArray ? [] : {}) : edit.value;
  }
  const [key, child] = entries[edit.path[depth]! % entries.length]!;
  const copy = (isArray ? [...(value as unknown[])] : { ...value }) as Record<string, unknown>;
  if (edit.op === 'delete' && depth === edit.path.length - 1) {
    if (isArray) (copy as unknown as unknown[]).splice(Number(key), 1);
    else delete copy[String(key)];
    return copy;
  }
  copy[String(key)] = applyJsonEdit(child, edit, depth + 1);
  return copy;
}

const jsonEdit: fc.Arbitrary<JsonEdit> = fc.record({
  path: fc.array(fc.nat(24), { minLength: 0, maxLength: 6 }),
  op: fc.constantFrom('replace', 'delete', 'add', 'nested'),
  value: troubleJson,
  key: fc.oneof(fc.constantFrom('ContainerId', 'Settings', 'ResourceType', 'RequestType', 'kid',
    'runtime_data', 'report', '__proto__', 'constructor'), fc.string({ maxLength: 8 })),
});

/** A JSON value with 1-4 edits: replaced, deleted or added members, also inside nested JSON. */
export function mutatedJson(value: unknown): fc.Arbitrary<unknown> {
  return fc.array(jsonEdit, { minLength: 1, maxLength: 4 })
    .map((edits) => edits.reduce<unknown>((v, e) => applyJsonEdit(v, e), value));
}
