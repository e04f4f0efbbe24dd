/**
 * Models: nothing real. The kernel's one memo: the only module-level mutable state models may use.
 * It caches pure, expensive functions of content (key derivation, signatures, hash trees, regex
 * answers) so that a world stepped 10^5–10^6 times never pays for them twice.
 * Method: named tables, each bounded (least-recently-used eviction past its limit), keyed by text
 * that encodes the *content* of every input (digests, hex, canonical forms), never by object
 * identity. `clearMemo()` empties everything: a cold run and a warm run must give the same bytes,
 * which a test checks by comparing trace hashes.
 * Invariants: a memoised function is pure, so a hit returns exactly what a miss would compute;
 * cached values are frozen or treated as immutable by every caller; tables never exceed their
 * bound.
 */
import { assert } from './assert.js';

type Table = { readonly limit: number; readonly entries: Map<string, unknown>; hits: number;
  misses: number };

const tables = new Map<string, Table>();

/** Default entries per table: generous for a run, bounded for a long-lived server. */
export const DEFAULT_MEMO_LIMIT = 4096;

function tableFor(name: string, limit: number): Table {
  let table = tables.get(name);
  if (table === undefined) {
    assert(name.length > 0, 'a memo table has a name');
    assert(Number.isSafeInteger(limit) && limit > 0, 'a memo table has a positive bound');
    table = { limit, entries: new Map(), hits: 0, misses: 0 };
    tables.set(name, table);
  }
  return table;
}

/**
 * `compute()` once per (name, key). `key` must encode the content of every input `compute` reads.
 * A hit moves the entry to the young end; past `limit` the oldest entry goes.
 */
export function memo<T>(name: string, key: string, compute: () => T,
  limit = DEFAULT_MEMO_LIMIT): T {
  const table = tableFor(name, limit);
  const entries = table.entries;
  if (entries.has(key)) {
    const value = entries.get(key) as T;
    entries.delete(key);
    entries.set(key, value);
    table.hits++;
    return value;
  }
  const value = compute();
  table.misses++;
  entries.set(key, value);
  if (entries.size > table.limit) {
    const oldest = entries.keys().next().value as string;
    entries.delete(oldest);
  }
  assert(entries.size <= table.limit, 'memo table within its bound');
  return value;
}

/** Empties every table (or one): the next calls recompute. */
export function clearMemo(name?: string): void {
  if (name === undefined) {
    tables.clear();
    return;
  }
  tables.delete(name);
  assert(!tables.has(name));
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
