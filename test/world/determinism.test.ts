/**
 * Goal: the world is a deterministic, snapshot-able system (issue 8 "Determinism and replay"):
 * one seed gives one trace hash in two processes; replaying a recorded trace reproduces its final
 * fingerprint (and a changed trace does not); a snapshot restored and stepped gives what the
 * original gives; every state a run reaches round-trips through the canonical codec; a refused
 * action leaves the state object as it was.
 * Method: the generated two-container workload's benign run, and hostile host actions; a child
 * process (compiled trace-hash-child.js) recomputes the trace hash with a cold memo.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeState, decodeState } from '../../sim/kernel/codec.js';
import {
  deployBenign, fingerprint, replay, restore, runActions, snapshot, step, traceJsonl,
} from '../../sim/world.js';
import { benignTraceHash, generatedWorld } from './world-support.js';

const here = dirname(fileURLToPath(import.meta.url));

test('world: one seed gives one trace hash in two processes, another seed another', () => {
  const local = benignTraceHash(7);
  const child = spawnSync(process.execPath, [join(here, 'trace-hash-child.js'), '7'],
    { encoding: 'utf8' });
  assert.is(child.status, 0, child.stderr);
  assert.is(child.stdout.trim(), local);
  assert.is.not(benignTraceHash(8), local);
});

test('world: replaying a recorded trace reproduces its final fingerprint, event for event', () => {
  const world = generatedWorld(3);
  const run = deployBenign(world);
  const out = replay(traceJsonl(world, run.events, run.world));
  assert.ok(out.matches);
  assert.is(out.fingerprint, fingerprint(run.world));
  assert.is(out.steps, run.actions.length);
});

test('world: a trace whose actions were changed does not replay to its recorded ' +
  'fingerprint', () => {
  const world = generatedWorld(3);
  const run = deployBenign(world);
  const lines = traceJsonl(world, run.events, run.world).split('\n');
  const at = lines.findIndex((line) => line.includes('"type":"action"')
    && line.includes('"kind":"attach"'));
  assert.ok(at > 0);
  lines[at] = lines[at]!.replace('"kind":"attach","lun":0', '"kind":"attach","lun":9');
  const out = replay(lines.join('\n'));
  assert.not.ok(out.matches);
  assert.is.not(out.fingerprint, out.recorded);
});

test('world: a restored snapshot stepped gives the same world, result and events as the ' +
  'original', () => {
  const world = generatedWorld(5);
  const run = deployBenign(world);
  const half = Math.floor(run.actions.length / 2);
  const middle = runActions(world, run.actions.slice(0, half)).world;
  const restored = restore(snapshot(middle), middle.store);
  assert.is(fingerprint(restored), fingerprint(middle));
  const rest = run.actions.slice(half);
  const a = runActions(middle, rest);
  const b = runActions(restored, rest);
  assert.is(fingerprint(b.world), fingerprint(a.world));
  assert.equal(b.results, a.results);
  assert.equal(b.events, a.events);
});

test('world: every state of a run round-trips through the codec (encode, decode, encode)', () => {
  let world = generatedWorld(2);
  const run = deployBenign(world);
  for (const action of run.actions) {
    world = step(world, action).world;
    const bytes = encodeState(world.state);
    assert.equal(encodeState(decodeState(bytes)), bytes);
  }
  assert.is(fingerprint(world), fingerprint(run.world));
});

test('world: a refused host action keeps the state (fingerprint and objects) of the world', () => {
  const world = generatedWorld(2);
  const out = step(world, { kind: 'attach', lun: 0, disk: 'no-such-disk' });
  assert.is(out.result.outcome, 'refused');
  assert.is(out.result.stoppedBy, 'host');
  assert.is(out.world.state.host, world.state.host);
  assert.is(out.world.state.guest, world.state.guest);
});

test.run();
