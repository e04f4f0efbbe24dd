/**
 * Goal: the inductive step — from arbitrary states that satisfy the invariant (built directly,
 * not only reached: any subset of the policy's containers at any phase, shared or doubled
 * devices, scratch encrypted or not, external processes, metadata written to agree), one
 * arbitrary host action keeps I1–I7. This checks the proof, not samples of it. The step is
 * shown able to fail: with a broken engine (mount_device allowing any hash) it is caught.
 * Method: properties/state-builder.ts over a pool of generated policies (properties/campaign.ts
 * campaignPool); the action is a mutation of a benign frame (weighted: they land on the built
 * containers, whose IDs and layer targets are the benign plan's) or any hostile action.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { step } from '../../sim/world.js';
import { campaignPool, type PoolEntry } from '../../properties/campaign.js';
import { hostileActionArb, mutationArb, type LabelledAction } from '../../properties/hostile.js';
import { firstFailure, viewOf } from '../../properties/invariants.js';
import { mutantEngine } from '../../properties/mutants.js';
import {
  buildState, layoutOf, statePlanArb, type StatePlan,
} from '../../properties/state-builder.js';

type Case = Readonly<{ index: number; plan: StatePlan; action: LabelledAction }>;

function caseArb(pool: readonly PoolEntry[]): fc.Arbitrary<Case> {
  return fc.integer({ min: 0, max: pool.length - 1 }).chain((index) => {
    const entry = pool[index]!;
    return fc.record({ index: fc.constant(index), plan: statePlanArb(entry.policy),
      action: fc.oneof({ weight: 3, arbitrary: mutationArb(entry.ctx) },
        { weight: 2, arbitrary: hostileActionArb(entry.world, entry.ctx) }) });
  });
}

/** The property over `pool`: built states satisfy the invariant, and one action keeps it. */
function inductiveStep(pool: readonly PoolEntry[]) {
  const layouts = pool.map((e) => layoutOf(e.world, e.ctx, e.prelude));
  return fc.property(caseArb(pool), ({ index, plan, action }) => {
    const entry = pool[index]!;
    const built = buildState(layouts[index]!, entry.ctx, plan);
    const view = viewOf(built);
    const start = firstFailure(view);
    if (start !== null) throw new Error(`the built state breaks ${start.id}: ${JSON.stringify(
      start.verdict)}`);
    const out = step(built, action.action);
    const after = firstFailure(viewOf(out.world, { before: view }));
    if (after !== null) throw new Error(`${action.label} breaks ${after.id}: ${JSON.stringify(
      after.verdict)}`);
  });
}

test('properties/inductive: from any state satisfying I1–I7, one host action keeps I1–I7', () => {
  const pool = campaignPool(404, 12);
  fc.assert(inductiveStep(pool), { seed: 404, numRuns: 1500 });
});

test('properties/inductive: the step catches a broken engine (mount_device allowing any hash)',
  () => {
    const pool = campaignPool(404, 4, mutantEngine('mount_device_any_hash'));
    const details = fc.check(inductiveStep(pool), { seed: 404, numRuns: 1500 });
    assert.ok(details.failed, 'a counterexample to the inductive step');
    assert.match(String(details.errorInstance), /breaks I1/);
  });

test.run();
