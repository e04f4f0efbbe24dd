/**
 * Models: nothing real. The kernel's one memo: the only module-level mutable state models may use.
 * It caches pure, expensive functions of content (key derivation, signatures, hash trees, regex
 * answers) so that a world stepped 10^5–10^6 times never pays for them twice.
 * Method: named tables, each bounded (first-in first-out eviction past its limit: a hit costs one
 * map lookup, which matters for the RE2 answers a policy decision asks for), keyed by text
 * that encodes the *content* of every input (digests, hex, canonical forms), never by object
 * identity. `clearMemo()` empties everything: a cold run and a warm run must give the same bytes,
 * which a test checks by comparing trace hashes.
 * Invariants: a memoised function is pure, so a hit returns exactly what a miss would compute;
 * cached values are frozen or treated as immutable by every caller; tables never exceed their
 * bound.
 */
import { assert } from './assert.js';

/** One named, bounded table of the memo. Hold it in a module constant to skip the name lookup. */
export class MemoTable<T> {
  readonly entries = new Map<string, T>();
  hits = 0;
  misses = 0;

  constructor(readonly name: string, readonly limit: number) {
    assert(name.length > 0, 'a memo table has a name');
    assert(Number.isSafeInteger(limit) && limit > 0, 'a memo table has a positive bound');
  }

  /**
   * `compute()` once per key. `key` must encode the content of every input `compute` reads.
   * Past the limit the oldest entry goes.
   */
  get(key: string, compute: () => T): T {
    const entries = this.entries;
    const known = entries.get(key);
    if (known !== undefined || entries.has(key)) {
      this.hits++;
      return known as T;
    }
    const value = compute();
    this.misses++;
    entries.set(key, value);
    if (entries.size > this.limit) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
    }
    assert(entries.size <= this.limit, 'memo table within its bound');
    return value;
  }
}

const tables = new Map<string, MemoTable<unknown>>();

/** Default entries per table: generous for a run, bounded for a long-lived server. */
export const DEFAULT_MEMO_LIMIT = 4096;

/** The table `name` (created on first use with `limit`). */
export function memoTable<T>(name: string, limit = DEFAULT_MEMO_LIMIT): MemoTable<T> {
  let table = tables.get(name);
  if (table === undefined) {
    table = new MemoTable<unknown>(name, limit);
    tables.set(name, table);
  }
  assert(table.limit === limit, `memo table ${name} is always asked for with one bound`);
  return table as MemoTable<T>;
}

/** `memoTable(name, limit).get(key, compute)`. */
export function memo<T>(name: string, key: string, compute: () => T,
  limit = DEFAULT_MEMO_LIMIT): T {
  return memoTable<T>(name, limit).get(key, compute);
}

/** Empties every table (or one): the next calls recompute. Handles stay valid. */
export function clearMemo(name?: string): void {
  for (const [tableName, table] of tables) {
    if (name === undefined || name === tableName) table.entries.clear();
  }
  if (name !== undefined) assert((tables.get(name)?.entries.size ?? 0) === 0);
}

export type MemoStats = Readonly<Record<string, Readonly<{ size: number; limit: number;
  hits: number; misses: number }>>>;

/** Sizes and hit counts per table, for benchmarks and for the cold/warm test. */
export function memoStats(): MemoStats {
  const out: Record<string, { size: number; limit: number; hits: number; misses: number }> = {};
  for (const [name, table] of [...tables.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[name] = { size: table.entries.size, limit: table.limit, hits: table.hits,
      misses: table.misses };
  }
  return out;
}
