/**
 * Goal: the exhaustive explorer (sim/explore.ts) finds every reachable state of a small
 * configuration and no more, checks the invariant in each, and turns a planted engine bug into
 * the shortest counterexample, which replays; its key, its limits and its symmetry reduction do
 * what they claim.
 * Method: the `single` configuration explored to its fixpoint, and its states recounted by an
 * independent naive BFS keyed by the canonical codec's fingerprint of the state (clock and trace
 * aside); the world on properties/mutants.ts's `mount_overlay_ignores_order` engine (a broken
 * copy of the engine with one rule overridden) explored with the invariant of
 * properties/invariants.ts; the counterexample replayed from a fresh world with runActions on
 * the mutant (the invariant fails) and on the real engine (the policy refuses the last step).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fingerprint as codecFingerprint } from '../../sim/kernel/codec.js';
import { SimError } from '../../sim/kernel/errors.js';
import { explore, type StateCheck } from '../../sim/explore.js';
import { exploreConfig, initialWorld, type ExploreConfig } from '../../sim/check/configs.js';
import { stateKey } from '../../sim/check/state-key.js';
import { createWorld, runActions, step, type World } from '../../sim/world.js';
import { explorerChecks } from '../../sim/commands/check-invariants.js';
import { mutantEngine } from '../../properties/mutants.js';
import { firstFailure, viewOf } from '../../properties/invariants.js';

const single = exploreConfig('single');
const singleWorld = initialWorld(single);

function withMutant(config: ExploreConfig): ExploreConfig {
  return { ...config, options: { ...config.options,
    engine: mutantEngine('mount_overlay_ignores_order') } };
}

/** The codec's fingerprint of everything but the clock and the trace position. */
function codecKey(world: World): string {
  const { clock: _c, trace: _t, ...rest } = world.state;
  return codecFingerprint({ config: world.configDigest, state: rest });
}

/** A naive BFS with the codec's fingerprint as the key: the independent count. */
function naiveCount(config: ExploreConfig, initial: World, depth: number): number {
  const seen = new Set<string>([codecKey(initial)]);
  let frontier = [initial];
  for (let d = 0; d < depth && frontier.length > 0; d++) {
    const next: World[] = [];
    for (const world of frontier) {
      for (const letter of config.actions) {
        const action = letter.build(world);
        if (action === null) continue;
        const after = step(world, action).world;
        const key = codecKey(after);
        if (seen.has(key)) continue;
        seen.add(key);
        next.push(after);
      }
    }
    frontier = next;
  }
  return seen.size;
}

test('explore: the single configuration is explored to its fixpoint with no violation of the '
  + 'invariant, and an independent BFS keyed by the codec fingerprint counts the same states',
() => {
  const report = explore({ initial: singleWorld, actions: single.actions,
    invariants: explorerChecks(), depth: 40 });
  assert.is(report.violation, null);
  assert.ok(report.complete, 'the frontier emptied before depth 40');
  assert.is(report.levels[report.levels.length - 1], 0);
  assert.is(report.levels.reduce((a, b) => a + b, 0), report.states);
  assert.ok(report.states > 100, `a real state space (${report.states})`);
  assert.is(naiveCount(single, singleWorld, 40), report.states);
});

test('explore: two worlds that differ only in clock and trace position step alike (the key may '
  + 'leave them out)', () => {
  const shifted: World = Object.freeze({ ...singleWorld, state: Object.freeze({
    ...singleWorld.state, clock: Object.freeze({ ticks: 9_999 }),
    trace: Object.freeze({ seq: 123_456, tick: 9_999 }) }) });
  assert.ok(stateKey(shifted).equals(stateKey(singleWorld)));
  let differing = 0;
  for (const letter of single.actions) {
    const action = letter.build(singleWorld);
    if (action === null) continue;
    const a = step(singleWorld, action);
    const b = step(shifted, action);
    if (codecKey(a.world) !== codecKey(b.world)) differing++;
    assert.equal(a.result, b.result, letter.name);
  }
  assert.is(differing, 0);
});

test('explore: a broken engine (mount_overlay ignoring order) is caught with the shortest '
  + 'counterexample, which replays on the broken engine and is refused by the real one', () => {
  const broken = withMutant(single);
  const initial = initialWorld(broken);
  const report = explore({ initial, actions: broken.actions, invariants: explorerChecks(),
    depth: 8 });
  const v = report.violation;
  assert.ok(v !== null, 'the explorer finds the planted bug');
  assert.is(v.invariant, 'I1');
  assert.is(v.actions.length, 3);
  assert.ok(v.names.includes('overlay c1 as a in the wrong order (base, a)'), v.names.join(', '));
  // Shortest: nothing shorter fails.
  const shallower = explore({ initial, actions: broken.actions, invariants: explorerChecks(),
    depth: v.actions.length - 1 });
  assert.is(shallower.violation, null);
  // Replays from a fresh world: the broken engine violates I1, the real one refuses the overlay.
  const replayed = runActions(createWorld(broken.options), [...broken.setup, ...v.actions]);
  assert.is(firstFailure(viewOf(replayed.world))?.id, 'I1');
  const real = runActions(createWorld(single.options), [...single.setup, ...v.actions]);
  const last = real.results[real.results.length - 1]!;
  assert.is(last.outcome, 'refused');
  assert.is(last.refusal?.rule, 'mount_overlay');
  assert.is(firstFailure(viewOf(real.world)), null);
});

test('explore: past its state limit it stops with SIM_LIMIT_EXCEEDED and the figures reached',
  () => {
  let caught: unknown;
  try {
    explore({ initial: singleWorld, actions: single.actions, invariants: [], depth: 40,
      maxStates: 12 });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SimError, 'a typed error');
  assert.is(caught.code, 'SIM_LIMIT_EXCEEDED');
  assert.is(caught.detail['states'], 12);
  assert.ok(Number(caught.detail['transitions']) > 12);
  assert.match(caught.message, /12 states/);
});

test('explore: frontier states past the cap are re-derived by replaying their paths, with the '
  + 'same figures', () => {
  const kept = explore({ initial: singleWorld, actions: single.actions, invariants: [], depth: 9 });
  const replayed = explore({ initial: singleWorld, actions: single.actions, invariants: [],
    depth: 9, maxFrontierWorlds: 2 });
  assert.ok(replayed.replayed > 0, 'some frontier states were replayed');
  assert.is(kept.replayed, 0);
  assert.equal(replayed.levels, kept.levels);
  assert.is(replayed.transitions, kept.transitions);
});

test('explore: a checker that throws gives an unknown verdict, reported like a violation', () => {
  const throwing: StateCheck = { id: 'T', check: (world) => {
    if (world.state.guest !== null && Object.keys(world.state.guest.devices).length > 2) {
      throw new Error('checker bug');
    }
    return { status: 'holds' };
  } };
  const report = explore({ initial: singleWorld, actions: single.actions, invariants: [throwing],
    depth: 10 });
  assert.is(report.violation?.status, 'unknown');
  assert.match(report.violation?.reason ?? '', /checker bug/);
});

test('explore: symmetry reduction over the two container IDs never adds states, and finds the '
  + 'planted bug at the same depth', () => {
  const pair = exploreConfig('pair');
  const initial = initialWorld(pair);
  const on = explore({ initial, actions: pair.actions, invariants: [], depth: 3,
    symmetry: pair.symmetry });
  const off = explore({ initial, actions: pair.actions, invariants: [], depth: 3 });
  assert.ok(on.states < off.states, `${on.states} < ${off.states}`);
  assert.is(on.symmetry, 'container IDs (2)');
  assert.is(off.symmetry, null);
  const broken = withMutant(pair);
  const brokenInitial = initialWorld(broken);
  for (const symmetry of [broken.symmetry, null]) {
    const found = explore({ initial: brokenInitial, actions: broken.actions,
      invariants: explorerChecks(), depth: 4, symmetry });
    assert.is(found.violation?.invariant, 'I1');
    assert.is(found.violation?.actions.length, 3);
  }
});

test.run();
