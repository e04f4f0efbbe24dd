/**
 * Goal: each invariant holds on a benign run and can fail: a state edited to break exactly one
 * guarantee is judged violated by that invariant, naming the offending object; a checker that
 * throws gives `unknown`, never `holds`. The independent policy reader agrees with the engine's
 * importer on every shared real policy (two readers written apart, compared on outside data).
 * Method: the server policy (test/properties/support.ts) deployed until both containers run;
 * each test edits one record of the guest state (or the host's, the launch's, the broker's) the
 * way a broken component would leave it, and asks the invariant.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerRecord, GuestState } from '../../models/guest/guest-state.js';
import { loadSecurityPolicy } from '../../models/policy/load-policy.js';
import { storeAdd } from '../../models/host/content-store.js';
import {
  checkInvariants, runInvariant, viewOf, type Invariant, type Verdict,
} from '../../properties/invariants.js';
import { readPolicyData } from '../../properties/policy-data.js';
import { runningWorld, withGuest } from './support.js';
import { shared, sharedTest } from '../support/requires.js';

const { world, before } = runningWorld();
const guest = world.state.guest!;
const serverId = Object.entries(guest.containers).find(([, c]) =>
  c.context.config?.args[0] === '/usr/bin/server')![0];
const server = guest.containers[serverId]!;

function verdictOf(id: string, edited: typeof world, previous = world): Verdict {
  const result = checkInvariants(viewOf(edited, { before: viewOf(previous) }))
    .find((r) => r.id === id);
  assert.ok(result !== undefined, `invariant ${id} exists`);
  return result.verdict;
}

function assertViolated(verdict: Verdict, object: string, reason: RegExp): void {
  assert.is(verdict.kind, 'violated', JSON.stringify(verdict));
  if (verdict.kind !== 'violated') return;
  assert.ok(verdict.object.includes(object), `names ${object}: ${verdict.object}`);
  assert.match(verdict.reason, reason);
}

const withContainer = (g: GuestState, record: ContainerRecord): GuestState =>
  ({ ...g, containers: { ...g.containers, [serverId]: record } });

test('properties/invariants: all seven hold on the benign deployment, after every step', () => {
  const results = checkInvariants(viewOf(world, { before: viewOf(before) }));
  assert.equal(results.map((r) => r.id), ['I1', 'I2', 'I3', 'I4', 'I5', 'I6', 'I7']);
  assert.equal(results.filter((r) => r.verdict.kind !== 'holds'), []);
  assert.ok(Object.keys(world.state.attestation.released).length === 1, 'a key was released');
});

test('properties/invariants: I1 is violated by an overlay whose layers are in another order',
  () => {
    const reversed = withGuest(world, (g) => {
      const overlay = g.overlays[serverId]!;
      return { ...g, overlays: { ...g.overlays, [serverId]: { ...overlay,
        layers: [...overlay.layers].reverse() } } };
    });
    assertViolated(verdictOf('I1', reversed), `overlay /run/gcs/c/${serverId}/rootfs`,
      /in this order, the layers of no policy container/);
  });

test('properties/invariants: I2 is violated by a container holding an env var no rule allows',
  () => {
    const config = server.context.config!;
    const edited = withGuest(world, (g) => withContainer(g, { ...server, context: {
      ...server.context, config: { ...config, env: [...config.env, 'LD_PRELOAD=/evil.so'] } } }));
    assertViolated(verdictOf('I2', edited), `container ${serverId.slice(0, 12)}`,
      /LD_PRELOAD is allowed by no env rule/);
  });

test('properties/invariants: I2 is violated by an exec whose argv is no exec_process', () => {
  const exec = Object.values(guest.processes).find((p) => p.kind === 'exec')!;
  const edited = withGuest(world, (g) => ({ ...g, processes: { ...g.processes,
    [String(exec.pid)]: { ...exec, argv: ['/bin/sh'] } } }));
  assertViolated(verdictOf('I2', edited), `container ${serverId.slice(0, 12)}`,
    /exec \["\/bin\/sh"\] is no exec_process/);
});

test('properties/invariants: I3 is violated by unencrypted scratch the policy does not allow',
  () => {
    const scratch = Object.values(guest.devices).find((d) => d.kind === 'rw_scratch')!;
    const edited = withGuest(world, (g) => ({ ...g, devices: { ...g.devices,
      [scratch.target]: { ...scratch, encrypted: false } } }));
    assertViolated(verdictOf('I3', edited), `device ${scratch.target}`, /not encrypted/);
  });

test('properties/invariants: I3 is violated by a container ID created a second time', () => {
  const config = server.context.config!;
  const recreated = withGuest(world, (g) => withContainer(g, { ...server, context: {
    ...server.context, config: { ...config, args: [...config.args, '--again'] } } }));
  assertViolated(verdictOf('I3', recreated), `container ${serverId.slice(0, 12)}`, /reused/);
});

test('properties/invariants: I4 is violated when the metadata forgets a mounted device', () => {
  const target = Object.values(guest.devices).find((d) => d.kind === 'ro_verity')!.target;
  const edited = withGuest(world, (g) => {
    const devices = { ...g.metadata.devices };
    delete devices[target];
    return { ...g, metadata: { ...g.metadata, devices } };
  });
  assertViolated(verdictOf('I4', edited), `devices ${target}`, /does not record it/);
});

test('properties/invariants: I5 is violated by a guest report with another HOST_DATA', () => {
  const edited = withGuest(world, (g) => ({ ...g,
    ownReport: { ...g.ownReport!, host_data: 'ab'.repeat(32) } }));
  assertViolated(verdictOf('I5', edited), 'guest report', /HOST_DATA and MEASUREMENT/);
});

test('properties/invariants: I6 is violated by a scratch key on the host\'s disk', () => {
  const key = Object.values(guest.secrets.scratchKeys)[0]!;
  const disks = world.state.host.storage.disks;
  const name = Object.keys(disks).find((d) => disks[d]!.kind === 'scratch')!;
  const disk = disks[name]!;
  assert.is(disk.kind, 'scratch');
  // A disk names its blocks by digest; the block's bytes go into the store (host/storage).
  const block = storeAdd(world.store, Buffer.from(`00${key}00`, 'hex'));
  const sealed = { ...(disk.kind === 'scratch' ? disk.sealed : {}), 63: block.digest };
  const leaked = { ...world, store: block.store, state: { ...world.state, host: {
    ...world.state.host, storage: { ...world.state.host.storage, disks: { ...disks, [name]: {
      ...disk, sealed } } } } } };
  assertViolated(verdictOf('I6', leaked), `disk ${name} block 63`, /secret of the guest/);
});

test('properties/invariants: I7 is violated by a release to a guest the policy does not name',
  () => {
    const broker = world.state.attestation.broker;
    const key = broker.keys['container-key']!;
    const stricter = { ...key, releasePolicy: { ...key.releasePolicy, anyOf: key.releasePolicy
      .anyOf.map((rule) => ({ ...rule, conditions: rule.conditions.map((c) =>
        c.claim === 'x-ms-sevsnpvm-hostdata' ? { ...c, equals: 'cd'.repeat(32) } : c) })) } };
    const edited = { ...world, state: { ...world.state, attestation: {
      ...world.state.attestation, broker: { ...broker, keys: { ...broker.keys,
        'container-key': stricter } } } } };
    assertViolated(verdictOf('I7', edited), 'key container-key', /does not satisfy/);
  });

test('properties/invariants: a checker that throws gives unknown, never holds', () => {
  const throwing: Invariant = { id: 'X', statement: 'throws', check: () => {
    throw new Error('boom');
  } };
  const verdict = runInvariant(throwing, viewOf(world));
  assert.is(verdict.kind, 'unknown');
  assert.ok(verdict.kind === 'unknown' && verdict.reason.includes('boom'));
});

sharedTest('properties/policy-data: the independent reader agrees with the engine\'s importer on '
  + 'every shared real policy (layers, commands, env rules, mounts, flags)', () => {
  const dir = shared('policies', 'confcom');
  const files = readdirSync(dir).filter((f) => f.endsWith('.rego') && !f.includes('fragment'));
  assert.ok(files.length >= 5, 'the shared confcom policies');
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    let engine;
    try {
      engine = loadSecurityPolicy(new TextEncoder().encode(text)).policy;
    } catch {
      continue;   // a policy the engine refuses is not compared
    }
    const ours = readPolicyData(text);
    assert.is(ours.containers.length, engine.containers.length, file);
    ours.containers.forEach((c, i) => {
      const e = engine.containers[i]!;
      assert.equal(c.layers, [...e.layers], `${file} layers`);
      assert.equal(c.command, e.command === null ? null : [...e.command], `${file} command`);
      assert.is(c.env_rules.length, e.env_rules.length, `${file} env rules`);
      assert.is(c.mounts.length, e.mounts.length, `${file} mounts`);
      assert.is(c.working_dir, e.working_dir, `${file} working_dir`);
    });
    assert.is(ours.flags.allow_environment_variable_dropping,
      engine.flags.allow_environment_variable_dropping, `${file} env dropping`);
    assert.is(ours.fragments.length, engine.fragments.length, `${file} fragments`);
  }
});

test.run();
