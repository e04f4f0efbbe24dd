/**
 * Models: nothing real. Exhaustive bounded exploration of a world (DESIGN.md, issue 11 item 6):
 * a breadth-first search over the states a host can reach from an initial world with a finite
 * alphabet of host actions, the invariant checked in every distinct state, and the shortest
 * counterexample when it fails.
 * Method: BFS level by level. Seen states are 16-byte keys (sim/check/state-key.ts: a Merkle
 * digest of the state without clock and trace position) in a typed-array hash table with parent
 * pointers (sim/check/state-table.ts); worlds are kept only for the frontier, and past
 * `maxFrontierWorlds` a frontier state keeps only its index and is re-derived by replaying its
 * path from the initial world. An action the guest or host refused returns the same state
 * objects and is a self-loop, recognised without a key. Optional symmetry reduction over
 * interchangeable values (e.g. container IDs): an action that uses value k is taken only when k
 * is already in the state or every value before k is (values enter in order); sound when the
 * system and the invariant treat the values alike (a renaming maps runs to runs), see README.
 * Invariants: every state-changing transition within the depth is checked (so every distinct
 * state, with the state it came from); a counterexample's path is a shortest failing path
 * (BFS); the figures count what was really done; a
 * run never holds more than `maxStates` keys: past it, SIM_LIMIT_EXCEEDED with the figures.
 * The invariant is a parameter: this module imports nothing from properties/.
 */
import { performance } from 'node:perf_hooks';
import { assert } from './kernel/assert.js';
import { SimError } from './kernel/errors.js';
import type { HostAction } from '../models/host/adversary.js';
import { step, type World, type WorldState } from './world.js';
import { stateKey } from './check/state-key.js';
import { MAX_ACTIONS, StateTable } from './check/state-table.js';
import { mentionMask } from './check/state-mentions.js';

/** One letter of the alphabet: a named host action, built from the state it is taken in. */
export type ExploreAction = Readonly<{
  name: string;
  /** The host action in `world`, or null when the letter does not apply there. */
  build: (world: World) => HostAction | null;
  /** Index into `symmetry.values` of the interchangeable value the action uses, if any. */
  symmetric?: number;
}>;

/** A verdict on one state (properties/invariants.ts adapts its `Verdict` to this). */
export type StateVerdict = Readonly<{ status: 'holds' }>
  | Readonly<{ status: 'violated' | 'unknown'; reason: string }>;

/**
 * One invariant as the explorer runs it: an id and a check over a world and the world the last
 * step started from (null for the initial world), for rules about change.
 */
export type StateCheck = Readonly<{ id: string;
  check: (world: World, before: World | null) => StateVerdict }>;

export type Symmetry = Readonly<{
  /** What the values are (printed), e.g. "container IDs". */
  name: string;
  /** Interchangeable values, in the order they are brought into use. */
  values: readonly string[];
}>;

export type ExploreOptions = Readonly<{
  initial: World;
  actions: readonly ExploreAction[];
  invariants: readonly StateCheck[];
  /** Explore paths of at most this many actions from `initial`. */
  depth: number;
  symmetry?: Symmetry | null;
  /** Hard bound on distinct states kept (default 4,000,000). */
  maxStates?: number;
  /** Frontier states kept as worlds; the rest are re-derived by replay (default 20,000). */
  maxFrontierWorlds?: number;
  /** Called about every `progressEvery` new states and at each level's end. */
  onProgress?: (progress: ExploreProgress) => void;
  progressEvery?: number;
}>;

export type ExploreProgress = Readonly<{ depth: number; states: number; transitions: number;
  frontier: number; elapsedMs: number }>;

export type Counterexample = Readonly<{
  invariant: string;
  status: 'violated' | 'unknown';
  reason: string;
  /** The shortest path from the initial world: action names and the host actions taken. */
  names: readonly string[];
  actions: readonly HostAction[];
}>;

export type ExploreReport = Readonly<{
  /** Distinct states (the initial one included) within `depthReached` actions. */
  states: number;
  /** Actions stepped (letters that applied), self-loops included. */
  transitions: number;
  /** Of those, actions that changed nothing (refused: the same state). */
  selfLoops: number;
  /** Distinct states first reached at each depth (index 0: the initial state). */
  levels: readonly number[];
  /** Levels fully expanded (= depth unless a violation stopped the search). */
  depthReached: number;
  /** True when the frontier emptied: every reachable state was found (a fixpoint). */
  complete: boolean;
  elapsedMs: number;
  statesPerSecond: number;
  transitionsPerSecond: number;
  symmetry: string | null;
  /** Bytes the state table holds per distinct state (keys, parents, actions, slots). */
  bytesPerState: number;
  /** Frontier states re-derived by replay (past maxFrontierWorlds). */
  replayed: number;
  violation: Counterexample | null;
}>;

const DEFAULT_MAX_STATES = 4_000_000;
const DEFAULT_MAX_FRONTIER_WORLDS = 20_000;

type FrontierEntry = { index: number; world: World | null };

/** Every part but the clock and the trace position: what a state key covers. */
const KEYED_PARTS = (state: WorldState): (keyof WorldState)[] =>
  (Object.keys(state) as (keyof WorldState)[]).filter((k) => k !== 'clock' && k !== 'trace');

/** The same objects in every keyed part: the step refused (clock and trace always move). */
function unchanged(a: WorldState, b: WorldState): boolean {
  for (const part of KEYED_PARTS(a)) if (a[part] !== b[part]) return false;
  return Object.keys(a).length === Object.keys(b).length;
}

/** Whether `action` may be taken where `mask` says which symmetric values are in use. */
function symmetryAllows(action: ExploreAction, mask: number): boolean {
  const k = action.symmetric;
  if (k === undefined) return true;
  if ((mask >>> k) & 1) return true;
  const before = (1 << k) - 1;
  return (mask & before) === before;
}

function checkState(world: World, before: World | null, invariants: readonly StateCheck[]):
  Omit<Counterexample, 'names' | 'actions'> | null {
  for (const invariant of invariants) {
    let verdict: StateVerdict;
    try {
      verdict = invariant.check(world, before);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      verdict = { status: 'unknown', reason: `the checker threw: ${message}` };
    }
    if (verdict.status !== 'holds') {
      return { invariant: invariant.id, status: verdict.status, reason: verdict.reason };
    }
  }
  return null;
}

/** Replays a path of action numbers from the initial world (building each letter as it goes). */
export function replayPath(initial: World, actions: readonly ExploreAction[],
  path: readonly number[]): { world: World; taken: HostAction[] } {
  let world = initial;
  const taken: HostAction[] = [];
  for (const number of path) {
    const letter = actions[number];
    assert(letter !== undefined, 'a path names letters of the alphabet');
    const action = letter.build(world);
    assert(action !== null, 'a letter on a stored path applied when it was taken');
    taken.push(action);
    world = step(world, action).world;
  }
  return { world, taken };
}

class Search {
  readonly table: StateTable;
  readonly started = performance.now();
  readonly levels: number[] = [1];
  transitions = 0;
  selfLoops = 0;
  replayed = 0;
  violation: Counterexample | null = null;
  private sinceProgress = 0;

  constructor(readonly o: ExploreOptions) {
    this.table = new StateTable(o.maxStates ?? DEFAULT_MAX_STATES);
  }

  elapsedMs(): number {
    return performance.now() - this.started;
  }

  fail(found: Omit<Counterexample, 'names' | 'actions'>, index: number, last: number): void {
    const path = [...this.table.pathTo(index), last];
    const { taken } = replayPath(this.o.initial, this.o.actions, path);
    this.violation = { ...found, names: path.map((n) => this.o.actions[n]!.name), actions: taken };
  }

  limit(depth: number, frontier: number): never {
    const elapsedMs = Math.round(this.elapsedMs());
    throw new SimError('SIM_LIMIT_EXCEEDED', { states: this.table.size,
      transitions: this.transitions, depth, frontier, elapsedMs, limit: this.table.limit },
    `exploration stopped at its limit of ${this.table.limit} states: ${this.table.size} states, `
      + `${this.transitions} transitions, ${depth} levels complete, ${frontier} states on the `
      + `frontier, ${elapsedMs} ms`);
  }

  progress(depth: number, frontier: number, force: boolean): void {
    const every = this.o.progressEvery ?? 10_000;
    if (this.o.onProgress === undefined || (!force && ++this.sinceProgress < every)) return;
    this.sinceProgress = 0;
    this.o.onProgress({ depth, states: this.table.size, transitions: this.transitions,
      frontier, elapsedMs: this.elapsedMs() });
  }

  worldOf(entry: FrontierEntry): World {
    if (entry.world !== null) return entry.world;
    this.replayed++;
    return replayPath(this.o.initial, this.o.actions, this.table.pathTo(entry.index)).world;
  }

  /** Expands one level; returns the next frontier, or null when a violation stopped it. */
  expand(frontier: readonly FrontierEntry[], depth: number): FrontierEntry[] | null {
    const next: FrontierEntry[] = [];
    const keep = this.o.maxFrontierWorlds ?? DEFAULT_MAX_FRONTIER_WORLDS;
    const symmetry = this.o.symmetry ?? null;
    for (const entry of frontier) {
      const world = this.worldOf(entry);
      const mask = symmetry === null ? 0 : mentionMask(world, symmetry.values);
      for (let a = 0; a < this.o.actions.length; a++) {
        const letter = this.o.actions[a]!;
        if (symmetry !== null && !symmetryAllows(letter, mask)) continue;
        const action = letter.build(world);
        if (action === null) continue;
        this.transitions++;
        let after: World;
        try {
          after = step(world, action).world;
        } catch (error) {
          if (!(error instanceof SimError)) throw error;
          this.selfLoops++;        // the world refused the action outright
          continue;
        }
        if (unchanged(world.state, after.state)) {
          this.selfLoops++;
          continue;
        }
        // Every state-changing transition is checked (rules about change read `before`), so a
        // state reached again by another action is checked again, though not expanded again.
        const found = checkState(after, world, this.o.invariants);
        if (found !== null) {
          this.fail(found, entry.index, a);
          return null;
        }
        const added = this.table.add(stateKey(after), entry.index, a);
        if (added.kind === 'full') this.limit(depth - 1, frontier.length);
        if (added.kind === 'seen') continue;
        next.push({ index: added.index, world: next.length < keep ? after : null });
        this.progress(depth, frontier.length, false);
      }
    }
    return next;
  }
}

/** Explores every state reachable from `options.initial` within `options.depth` actions. */
export function explore(options: ExploreOptions): ExploreReport {
  assert(Number.isSafeInteger(options.depth) && options.depth >= 0, 'a depth');
  assert(options.actions.length > 0 && options.actions.length <= MAX_ACTIONS, 'an alphabet');
  if (options.symmetry) {
    assert(options.symmetry.values.length <= 30, 'at most 30 symmetric values');
  }
  const search = new Search(options);
  search.table.addRoot(stateKey(options.initial));
  const rootFailure = checkState(options.initial, null, options.invariants);
  if (rootFailure !== null) search.violation = { ...rootFailure, names: [], actions: [] };
  let frontier: FrontierEntry[] = [{ index: 0, world: options.initial }];
  let depthReached = 0;
  while (search.violation === null && depthReached < options.depth && frontier.length > 0) {
    const next = search.expand(frontier, depthReached + 1);
    if (next === null) break;
    depthReached++;
    search.levels.push(next.length);
    frontier = next;
    search.progress(depthReached, frontier.length, true);
  }
  const elapsedMs = search.elapsedMs();
  const states = search.table.size;
  assert(search.violation !== null || search.levels.reduce((a, b) => a + b, 0) === states,
    'every state is counted at the level it was first reached');
  const seconds = Math.max(elapsedMs, 1e-3) / 1000;
  return {
    states, transitions: search.transitions, selfLoops: search.selfLoops,
    levels: search.levels, depthReached,
    complete: search.violation === null && frontier.length === 0,
    elapsedMs, statesPerSecond: states / seconds,
    transitionsPerSecond: search.transitions / seconds,
    symmetry: options.symmetry ? `${options.symmetry.name} (${options.symmetry.values.length})`
      : null,
    bytesPerState: search.table.bytesPerState(), replayed: search.replayed,
    violation: search.violation,
  };
}
