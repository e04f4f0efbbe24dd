/**
 * Models: nothing real. The explorer's set of seen states: 16-byte keys in an open-addressing
 * hash table held in typed arrays, each with the index of the state it was first reached from
 * and the action that reached it (BFS parent pointers, so a counterexample is the shortest path).
 * Method: linear probing over a power-of-two table of slots; slot → state index + 1 (0 = empty);
 * keys, parents and actions are stored by state index in growing typed arrays. A key's first
 * 32 bits pick the slot (keys are SHA-256 output: uniform). The table doubles at 1/2 load.
 * Invariants: a key is stored once; index 0 is the root (parent -1); `parent(i) < i` for every
 * other state; capacity is bounded by `limit` (past it `add` reports "full", the caller stops);
 * memory per state is `bytesPerState()` (keys 16 B + parent 4 B + action 2 B + slots 8 B at
 * worst), never a world object.
 */
import { assert } from '../kernel/assert.js';
import { STATE_KEY_BYTES } from './state-key.js';

const WORDS = STATE_KEY_BYTES / 4;
const NO_PARENT = -1;
/** Actions are numbered 0..MAX_ACTIONS-1 (Uint16Array). */
export const MAX_ACTIONS = 0xffff;

export type AddResult = Readonly<{ kind: 'new'; index: number }>
  | Readonly<{ kind: 'seen'; index: number }> | Readonly<{ kind: 'full' }>;

export class StateTable {
  private slots: Uint32Array;
  private keys: Uint32Array;
  private parents: Int32Array;
  private actions: Uint16Array;
  private count = 0;

  constructor(readonly limit: number, initialStates = 1024) {
    assert(Number.isSafeInteger(limit) && limit >= 1, 'a positive state limit');
    const states = Math.max(16, Math.min(initialStates, limit));
    this.slots = new Uint32Array(nextPowerOfTwo(states * 2));
    this.keys = new Uint32Array(states * WORDS);
    this.parents = new Int32Array(states);
    this.actions = new Uint16Array(states);
  }

  get size(): number {
    return this.count;
  }

  /** Adds `key` reached from `parent` by `action`, unless it is already there. */
  add(key: Uint8Array, parent: number, action: number): AddResult {
    assert(key.length === STATE_KEY_BYTES, 'a state key');
    assert(parent === NO_PARENT ? this.count === 0 : parent >= 0 && parent < this.count,
      'a parent the table holds (only the root has none)');
    const words = keyWords(key);
    const mask = this.slots.length - 1;
    let slot = words[0]! & mask;
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === 0) break;
      if (this.keyEquals(entry - 1, words)) return { kind: 'seen', index: entry - 1 };
      slot = (slot + 1) & mask;
    }
    if (this.count >= this.limit) return { kind: 'full' };
    if (this.count === this.parents.length) this.growArrays();
    const index = this.count++;
    this.keys.set(words, index * WORDS);
    this.parents[index] = parent;
    this.actions[index] = action;
    this.slots[slot] = index + 1;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    return { kind: 'new', index };
  }

  /** Adds the root state (index 0). */
  addRoot(key: Uint8Array): number {
    assert(this.count === 0, 'the root comes first');
    const added = this.add(key, NO_PARENT, 0);
    assert(added.kind === 'new' && added.index === 0, 'the root is state 0');
    return 0;
  }

  /** The actions (by number) of the shortest path from the root to state `index`. */
  pathTo(index: number): number[] {
    assert(index >= 0 && index < this.count, 'a stored state');
    const path: number[] = [];
    for (let i = index; i !== 0; i = this.parents[i]!) {
      assert(this.parents[i]! < i, 'parents come first');
      path.push(this.actions[i]!);
    }
    return path.reverse();
  }

  /** Bytes held per stored state (typed arrays, at their current capacity, over the count). */
  bytesPerState(): number {
    const bytes = this.slots.byteLength + this.keys.byteLength + this.parents.byteLength
      + this.actions.byteLength;
    return this.count === 0 ? 0 : bytes / this.count;
  }

  private keyEquals(index: number, words: Uint32Array): boolean {
    const at = index * WORDS;
    for (let w = 0; w < WORDS; w++) if (this.keys[at + w] !== words[w]) return false;
    return true;
  }

  private growArrays(): void {
    const states = Math.min(this.limit, this.parents.length * 2);
    assert(states > this.parents.length, 'room to grow under the limit');
    const keys = new Uint32Array(states * WORDS);
    keys.set(this.keys);
    const parents = new Int32Array(states);
    parents.set(this.parents);
    const actions = new Uint16Array(states);
    actions.set(this.actions);
    this.keys = keys;
    this.parents = parents;
    this.actions = actions;
  }

  private rehash(size: number): void {
    const slots = new Uint32Array(size);
    const mask = size - 1;
    for (let index = 0; index < this.count; index++) {
      let slot = this.keys[index * WORDS]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = index + 1;
    }
    this.slots = slots;
    assert(this.count * 2 <= size, 'load at most 1/2 after a rehash');
  }
}

function keyWords(key: Uint8Array): Uint32Array {
  const words = new Uint32Array(WORDS);
  for (let w = 0; w < WORDS; w++) {
    const at = w * 4;
    words[w] = ((key[at]! << 24) | (key[at + 1]! << 16) | (key[at + 2]! << 8) | key[at + 3]!) >>> 0;
  }
  return words;
}

function nextPowerOfTwo(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}
