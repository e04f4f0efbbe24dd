/**
 * Goal: the exhaustive explorer's speed and memory (issue 11: aim 100,000 states/s on one core):
 * distinct states and transitions per second on the `pair` configuration with the invariant
 * checked and without it, in wall and CPU time; the state key against the codec's fingerprint
 * (the reference: what dedup by fingerprint would cost) on worlds a step just made; bytes per
 * stored state in the state table; and the heap a frontier world holds (structural sharing).
 * Method: `explore` on pair to depth 6 (about 850 states, 11,000 transitions); successor worlds
 * of the first levels for the key timings (a key on a fresh world pays for the records the step
 * made; a second key on the same world is the cached case); heap used before and after holding
 * 1,000 successor worlds. No reference tool exists for exploration itself.
 */
import { performance } from 'node:perf_hooks';
import { explore } from '../../sim/explore.js';
import { exploreConfig, initialWorld } from '../../sim/check/configs.js';
import { stateKey } from '../../sim/check/state-key.js';
import { fingerprint, step, type World } from '../../sim/world.js';
import { explorerChecks } from '../../sim/commands/check-invariants.js';
import type { Bench, BenchRow } from './harness.js';

function cpuMs(fn: () => void): { cpu: number; wall: number } {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  fn();
  const used = process.cpuUsage(cpu0);
  return { cpu: (used.user + used.system) / 1000, wall: performance.now() - wall0 };
}

/** Worlds a step just made from `initial` (breadth first, changed states only). */
function successors(initial: World, count: number): World[] {
  const config = exploreConfig('pair');
  const out: World[] = [];
  let frontier = [initial];
  while (out.length < count && frontier.length > 0) {
    const next: World[] = [];
    for (const world of frontier) {
      for (const letter of config.actions) {
        const action = letter.build(world);
        if (action === null) continue;
        const after = step(world, action).world;
        if (after.state.guest !== world.state.guest || after.state.host !== world.state.host) {
          next.push(after);
        }
      }
    }
    out.push(...next);
    frontier = next;
  }
  return out.slice(0, count);
}

export const benches: readonly Bench[] = [{
  name: 'explore: exhaustive exploration (pair, depth 6), state keys, memory per state',
  run: async () => {
    const config = exploreConfig('pair');
    const initial = initialWorld(config);
    const rows: BenchRow[] = [];
    for (const withInvariant of [true, false]) {
      let report: ReturnType<typeof explore> | undefined;
      const t = cpuMs(() => {
        report = explore({ initial, actions: config.actions, depth: 6,
          invariants: withInvariant ? explorerChecks() : [], symmetry: config.symmetry });
      });
      const r = report!;
      const label = withInvariant ? 'invariant checked' : 'no invariant';
      rows.push({ name: `states/s, ${label} (${r.states} states)`, value: r.states / t.cpu * 1000,
        unit: 'states/s CPU',
        note: `aim: 100,000/s; wall ${Math.round(r.states / t.wall * 1000)}/s` },
      { name: `transitions/s, ${label} (${r.transitions})`,
        value: r.transitions / t.cpu * 1000, unit: 'trans/s CPU',
        note: `${r.selfLoops} refused (same state)` });
      if (withInvariant) {
        rows.push({ name: 'state table bytes per stored state', value: r.bytesPerState,
          unit: 'B/state', note: 'keys 16 B, parent 4 B, action 2 B, slots' });
      }
    }
    const worlds = successors(initial, 1_000);
    const fresh = cpuMs(() => { for (const w of worlds) stateKey(w); });
    const cached = cpuMs(() => { for (const w of worlds) stateKey(w); });
    const fingerprints = cpuMs(() => { for (const w of worlds) fingerprint(w); });
    rows.push({ name: 'state key of a world a step just made', value: fresh.cpu * 1000
      / worlds.length, unit: 'µs/op CPU', reference: { name: 'codec fingerprint',
      value: fingerprints.cpu * 1000 / worlds.length, unit: 'µs/op' },
    ratio: fingerprints.cpu / fresh.cpu, note: '> 1: the key is faster' },
    { name: 'state key, records already hashed', value: cached.cpu * 1000 / worlds.length,
      unit: 'µs/op CPU' });
    const held: World[] = [];
    const before = process.memoryUsage().heapUsed;
    held.push(...successors(initial, 1_000));
    const after = process.memoryUsage().heapUsed;
    rows.push({ name: `heap per frontier world (${held.length} held)`,
      value: Math.max(0, after - before) / held.length, unit: 'B/world',
      note: 'approximate (no forced GC); past maxFrontierWorlds only the index is kept' });
    return rows;
  },
}];
