/**
 * Models: nothing real. One canonical JSON form for state, traces and CLI output: object keys
 * sorted, bigint as "0x…" hex, Uint8Array as lowercase hex, no undefined. Two equal values always
 * give the same text, which is what fingerprints and trace hashes rely on.
 */
import { toHex } from './bytes.js';

export type Json =
  null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** Converts a value to plain canonical JSON data. */
export function toCanonical(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return `0x${value.toString(16)}`;
  if (value instanceof Uint8Array) return toHex(value);
  if (Array.isArray(value)) return value.map(toCanonical);
  if (value instanceof Map) {
    return toCanonical(Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), v])));
  }
  if (value instanceof Set) return [...value].map(toCanonical);
  if (typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue;
      // defineProperty, not assignment: a host-chosen "__proto__" key is data, not a prototype.
      Object.defineProperty(out, key, {
        value: toCanonical(item), enumerable: true, writable: true, configurable: true,
      });
    }
    return out;
  }
  return String(value);
}

/** Canonical JSON text; `indent` for people, none for hashing. */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(toCanonical(value), null, indent);
}
