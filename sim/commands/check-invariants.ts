/**
 * Models: nothing real. The invariant specification (properties/invariants.ts) as the explorer
 * runs it: the CLI face is the one place in sim/ that loads properties/ (the explorer itself
 * takes its invariant as a parameter; DESIGN.md: imports flow sim ← properties).
 * Method: one StateCheck per invariant over `viewOf(world, { before })`; the views of a
 * transition's two worlds are built once and shared by the invariants.
 */
import { assert } from '../kernel/assert.js';
import type { StateCheck, StateVerdict } from '../explore.js';
import type { World } from '../world.js';
import {
  INVARIANTS, runInvariant, viewOf, type Invariant, type Verdict, type WorldView,
} from '../../properties/invariants.js';

/** A verdict of the specification as the explorer's StateVerdict (the object named first). */
export function stateVerdictOf(verdict: Verdict): StateVerdict {
  if (verdict.kind === 'holds') return { status: 'holds' };
  if (verdict.kind === 'violated') {
    return { status: 'violated', reason: `${verdict.object}: ${verdict.reason}` };
  }
  return { status: 'unknown', reason: verdict.reason };
}

/**
 * The invariants as explorer checks. The view of a transition is built once for all the
 * invariants, and the view of its source world once for all its transitions (by identity).
 */
export function explorerChecks(invariants: readonly Invariant[] = INVARIANTS): StateCheck[] {
  assert(invariants.length > 0, 'at least one invariant');
  const plain = new WeakMap<World, WorldView>();
  const plainView = (world: World): WorldView => {
    let view = plain.get(world);
    if (view === undefined) {
      view = viewOf(world);
      plain.set(world, view);
    }
    return view;
  };
  let cached: { world: World; before: World | null; view: WorldView } | null = null;
  const viewFor = (world: World, before: World | null): WorldView => {
    if (cached !== null && cached.world === world && cached.before === before) return cached.view;
    const view = viewOf(world, { before: before === null ? null : plainView(before) });
    cached = { world, before, view };
    return view;
  };
  const checks = invariants.map((invariant) => ({
    id: invariant.id,
    check: (world: World, before: World | null): StateVerdict =>
      stateVerdictOf(runInvariant(invariant, viewFor(world, before))),
  }));
  assert(checks.length === invariants.length, 'one check per invariant');
  return checks;
}
