/**
 * Goal: the world's speed where the property suites and the explorer pay it (issue 8): world
 * steps per second for the benign deployment (with and without issue 9's attest step) and for
 * random hostile host actions (aim 20,000/s on one core, invariant not included), and the time
 * and size of snapshot, restore and fingerprint for a world with 2 containers (pause + app) and
 * 3 layers, running (aim <= 50 µs), both for a world already encoded once and for one a step
 * just made.
 * Method: a generated workload (real images); the benign list is the shim's, replayed from a
 * fresh world each round (the launch is memoised by content, as in any long run); hostile
 * actions are drawn from a fixed seed: mutated bridge frames (ids, paths, fields), disk
 * tampering, attach/detach, faults, each stepped from the running world. Every figure is given
 * in wall time and in CPU time (process.cpuUsage: on a shared machine the wall figure moves
 * with the load), and snapshot/restore/fingerprint also as a ratio to JSON.stringify of the
 * same state measured in the same run (the reference: ratio > 1 means faster than it).
 */
import { Rng } from '../../sim/kernel/rng.js';
import { toHex } from '../../sim/kernel/bytes.js';
import { generateWorkload, pauseLayerTree } from '../../models/host/confcom.js';
import type { HostAction } from '../../models/host/adversary.js';
import {
  createWorld, deployBenign, fingerprint, imageTreeSpecOf, restore, runActions, snapshot, step,
  type World,
} from '../../sim/world.js';
import { opsPerSecond, type Bench, type BenchRow } from './harness.js';

const utf8 = new TextEncoder();
const file = (text: string, mode = 0o644) => ({ kind: 'file' as const, content: utf8.encode(text),
  mode });

function benchWorld(): World {
  const base = { '/etc/passwd': file('root:x:0:0:root:/root:/bin/sh\n'),
    '/etc/group': file('root:x:0:\n') };
  const app = { '/usr/bin/app': file('#!app\n', 0o755), '/srv': { kind: 'dir' as const } };
  const workload = generateWorkload([{ name: 'app', layers: [base, app],
    command: ['/usr/bin/app'], env: ['PATH=/usr/bin'], workingDir: '/srv',
    execProbes: [['/usr/bin/app', '--health']] }]);
  return createWorld({ seed: 1, policy: workload.policyText,
    images: [pauseLayerTree(), base, app].map(imageTreeSpecOf) });
}

/** Hostile variations of a benign frame and other host powers, from one seeded stream. */
function hostileActions(benign: readonly HostAction[], count: number): HostAction[] {
  const rng = Rng.fromSeed('world-bench').fork('hostile');
  const frames = benign.filter((a) => a.kind === 'bridge');
  const out: HostAction[] = [];
  const mutate = (text: string): string => {
    const at = rng.int(0, Math.max(0, text.length - 1));
    const replacement = rng.pick(['0', 'f', '/', '..', '"', 'x', '9', '']);
    return text.slice(0, at) + replacement + text.slice(at + 1);
  };
  for (let i = 0; i < count; i++) {
    const roll = rng.int(0, 9);
    if (roll < 7 && frames.length > 0) {
      const frame = rng.pick(frames);
      if (frame.kind !== 'bridge') continue;
      const json = mutate(JSON.stringify(frame.message.message));
      let message: unknown;
      try {
        message = JSON.parse(json);
      } catch {
        message = frame.message.message;
      }
      out.push({ kind: 'bridge', message: { ...frame.message, message: message as never } });
    } else if (roll === 7) {
      out.push({ kind: 'tamper_block', disk: 'layer0', block: rng.int(0, 3),
        bytes: toHex(rng.bytes(4096)) });
    } else if (roll === 8) {
      out.push(rng.bool() ? { kind: 'detach', lun: rng.int(0, 3) }
        : { kind: 'attach', lun: rng.int(0, 5), disk: rng.pick(['layer0', 'layer1', 'scratch0']) });
    } else {
      out.push({ kind: 'fail_next', what: rng.pick(['mount', 'unmount'] as const) });
    }
  }
  return out;
}

/** Wall and CPU microseconds per call of `fn` (after a warm-up), over about `budgetMs`. */
function perOp(fn: () => void, budgetMs = 700): Readonly<{ wall: number; cpu: number }> {
  const wall = 1e6 / opsPerSecond(fn, budgetMs);
  const rounds = Math.max(50, Math.round((budgetMs * 1000) / wall / 2));
  const before = process.cpuUsage();
  for (let i = 0; i < rounds; i++) fn();
  const used = process.cpuUsage(before);
  return { wall, cpu: (used.user + used.system) / rounds };
}

/** JSON.stringify of world state (bigints as decimal text): the reference of the codec rows. */
function stateJson(world: World): string {
  return JSON.stringify(world.state, (_key, value: unknown) =>
    (typeof value === 'bigint' ? value.toString() : value));
}

function timedRows(name: string, ours: Readonly<{ wall: number; cpu: number }>,
  reference: Readonly<{ wall: number; cpu: number }>, note: string): BenchRow[] {
  return [
    { name, value: ours.wall, unit: 'µs/op', ratio: reference.wall / ours.wall,
      reference: { name: 'JSON.stringify', value: reference.wall, unit: 'µs' }, note },
    { name: `${name}, CPU time`, value: ours.cpu, unit: 'µs/op', ratio: reference.cpu / ours.cpu,
      reference: { name: 'JSON.stringify', value: reference.cpu, unit: 'µs' }, note },
  ];
}

/** Steps per wall second and per CPU second of running `actions` from `world`. */
function stepRates(world: World, actions: readonly HostAction[]): Readonly<{ wall: number;
  cpu: number }> {
  const time = perOp(() => { runActions(world, actions); }, 1_500);
  return { wall: (1e6 / time.wall) * actions.length, cpu: (1e6 / time.cpu) * actions.length };
}

function stepRows(name: string, rates: Readonly<{ wall: number; cpu: number }>): BenchRow[] {
  return [
    { name, value: rates.wall, unit: 'steps/s', note: 'aim: 20,000/s' },
    { name: `${name}, per CPU second`, value: rates.cpu, unit: 'steps/s', note: 'aim: 20,000/s' },
  ];
}

export const benches: readonly Bench[] = [{
  name: 'world: steps (benign deployment, hostile actions), snapshot / restore / fingerprint',
  run: async () => {
    const world = benchWorld();
    const benign = deployBenign(world);
    const actions = benign.actions;
    const running = runActions(world, actions.slice(0, benign.rows.findIndex((row) =>
      row.note.startsWith('exec probe')) + 1)).world;
    const withoutAttest = actions.filter((a) => a.kind !== 'attest');
    const hostile = hostileActions(actions, 4096);
    let next = 0;
    const hostileStep = perOp(() => { step(running, hostile[next++ % hostile.length]!); }, 1_500);
    const bytes = snapshot(running);
    const json = perOp(() => { stateJson(running); });
    // A world a step just made: its changed records are encoded for the first time.
    const fresh = (): World => step(running, { kind: 'fail_next', what: 'mount' }).world;
    const stepOnly = perOp(() => { fresh(); });
    const minus = (a: { wall: number; cpu: number }) => ({ wall: a.wall - stepOnly.wall,
      cpu: a.cpu - stepOnly.cpu });
    return [
      ...stepRows(`benign deployment (${actions.length} steps)`, stepRates(world, actions)),
      ...stepRows(`benign deployment without the attest step (${withoutAttest.length} steps)`,
        stepRates(world, withoutAttest)),
      ...stepRows('random hostile actions', { wall: 1e6 / hostileStep.wall,
        cpu: 1e6 / hostileStep.cpu }),
      ...timedRows(`snapshot (${bytes.length} bytes; JSON ${stateJson(running).length} chars)`,
        perOp(() => { snapshot(running); }), json, 'aim: <= 50 µs'),
      ...timedRows('restore', perOp(() => { restore(bytes, running.store); }), json,
        'aim: <= 50 µs'),
      ...timedRows('fingerprint again (remembered per state object)',
        perOp(() => { fingerprint(running); }), json, 'aim: <= 50 µs'),
      ...timedRows('snapshot of a world a step just made (minus the step)',
        minus(perOp(() => { snapshot(fresh()); })), json, 'aim: <= 50 µs'),
      ...timedRows('fingerprint of a world a step just made (minus the step)',
        minus(perOp(() => { fingerprint(fresh()); })), json, 'aim: <= 50 µs'),
    ];
  },
}];
