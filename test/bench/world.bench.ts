/**
 * Goal: the world's speed where the property suites and the explorer pay it (issue 8): world
 * steps per second for the benign deployment and for random hostile host actions (aim 20,000/s
 * on one core, invariant not included), and the time and size of snapshot, restore and
 * fingerprint for a world with 2 containers (pause + app) and 3 layers, running (aim <= 50 µs).
 * Method: a generated workload (real images); the benign list is the shim's, replayed from a
 * fresh world each round (the launch is memoised by content, as in any long run); hostile
 * actions are drawn from a fixed seed: mutated bridge frames (ids, paths, fields), disk
 * tampering, attach/detach, faults, each stepped from the running world. No reference tool.
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

function perOpMicros(fn: () => void): number {
  return 1e6 / opsPerSecond(fn, 700);
}

export const benches: readonly Bench[] = [{
  name: 'world: steps (benign deployment, hostile actions), snapshot / restore / fingerprint',
  run: async () => {
    const world = benchWorld();
    const benign = deployBenign(world);
    const actions = benign.actions;
    const deployedSteps = actions.findIndex((a, i) => i > 0 && a.kind === 'bridge'
      && (a.message.message as { Settings?: unknown }).Settings !== undefined
      && actions.slice(i + 1).every((b) => b.kind !== 'bridge'
        || !JSON.stringify(b.message.message).includes('ProcessParameters')));
    const running = runActions(world, actions.slice(0, deployedSteps + 1)).world;
    const benignRate = opsPerSecond(() => { runActions(world, actions); }, 1_500)
      * actions.length;
    const hostile = hostileActions(actions, 4096);
    let next = 0;
    const hostileRate = opsPerSecond(() => {
      step(running, hostile[next++ % hostile.length]!);
    }, 1_500);
    const bytes = snapshot(running);
    const rows: BenchRow[] = [
      { name: `benign deployment (${actions.length} steps)`, value: benignRate, unit: 'steps/s',
        note: 'aim: 20,000/s' },
      { name: 'random hostile actions', value: hostileRate, unit: 'steps/s',
        note: 'aim: 20,000/s' },
      { name: `snapshot (${bytes.length} bytes)`, value: perOpMicros(() => { snapshot(running); }),
        unit: 'µs/op', note: 'aim: <= 50 µs' },
      { name: 'restore', value: perOpMicros(() => { restore(bytes, running.store); }),
        unit: 'µs/op', note: 'aim: <= 50 µs' },
      { name: 'fingerprint', value: perOpMicros(() => { fingerprint(running); }), unit: 'µs/op',
        note: 'aim: <= 50 µs' },
    ];
    return rows;
  },
}];
