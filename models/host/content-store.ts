/**
 * Models: the host's blob storage for what never changes once made: layer images, the policy
 * bytes, the launch inputs (OVMF, kernel, initrd), fragments. Content-addressed: a blob is named
 * by the SHA-256 of its bytes, so world state can refer to it by a 64-hex digest and stay small.
 * Real counterpart: the container image store and the files a host keeps next to a UVM (VHDs,
 * the IGVM/OVMF file, kernel and initrd).
 * Differs: one flat namespace; nothing is ever deleted.
 * Invariants: `get(digest)` returns bytes whose SHA-256 is `digest`; a store is never mutated
 * (adding returns a new store that shares every existing blob); callers never write into the
 * bytes a store hands out (they are shared by every world that holds the store).
 */
import { createHash } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { isHexOf, type Hex } from '../../sim/kernel/bytes.js';

export type ContentStore = Readonly<{ blobs: ReadonlyMap<Hex, Uint8Array> }>;

const EMPTY: ContentStore = Object.freeze({ blobs: new Map<Hex, Uint8Array>() });

export function emptyStore(): ContentStore {
  return EMPTY;
}

export function contentDigest(bytes: Uint8Array): Hex {
  const digest = createHash('sha256').update(bytes).digest('hex');
  assert(isHexOf(digest, 32), 'a content digest is 32 bytes of hex');
  return digest;
}

/** The store with `bytes` in it (the same store when it already holds them) and their digest. */
export function storeAdd(store: ContentStore,
  bytes: Uint8Array): Readonly<{ store: ContentStore; digest: Hex }> {
  const digest = contentDigest(bytes);
  if (store.blobs.has(digest)) return { store, digest };
  const blobs = new Map(store.blobs);
  blobs.set(digest, bytes.slice());
  const next: ContentStore = Object.freeze({ blobs });
  assert(next.blobs.size === store.blobs.size + 1, 'one blob added');
  return { store: next, digest };
}

/**
 * storeAdd for bytes whose digest the caller already computed with contentDigest (a block
 * memoised by content): the same store when it holds them, else a new one. Never write into
 * `bytes` afterwards.
 */
export function storeAddDigested(store: ContentStore, bytes: Uint8Array,
  digest: Hex): Readonly<{ store: ContentStore; digest: Hex }> {
  assert(isHexOf(digest, 32), 'a content digest is 32 bytes of hex');
  if (store.blobs.has(digest)) return { store, digest };
  const blobs = new Map(store.blobs);
  blobs.set(digest, bytes);
  const next: ContentStore = Object.freeze({ blobs });
  assert(next.blobs.size === store.blobs.size + 1, 'one blob added');
  return { store: next, digest };
}

/** Adds several blobs; returns the new store and their digests in order. */
export function storeAddAll(store: ContentStore,
  items: readonly Uint8Array[]): Readonly<{ store: ContentStore; digests: readonly Hex[] }> {
  let current = store;
  const digests: Hex[] = [];
  for (const bytes of items) {
    const added = storeAdd(current, bytes);
    current = added.store;
    digests.push(added.digest);
  }
  assert(digests.length === items.length);
  return { store: current, digests };
}

/** The blob named `digest`, or undefined. Shared bytes: read, never write. */
export function storeGet(store: ContentStore, digest: Hex): Uint8Array | undefined {
  return store.blobs.get(digest);
}

export function storeHas(store: ContentStore, digest: Hex): boolean {
  return store.blobs.has(digest);
}
