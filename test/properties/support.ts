/**
 * Goal: what the property tests share: one hand-written policy (pause + a two-layer server
 * with a required env rule, an exec probe, a sandbox mount, strict env and capability matching)
 * and its world deployed up to the point where both containers run, their probes run and the
 * server's key was released; and a helper that edits the guest state of a world.
 * Method: the policy is built with properties/arbitraries.ts's pieces (real catalog images), the
 * deployment is the world's own shim plan, stopped before the first teardown step.
 */
import { deployBenign, step, type World } from '../../sim/world.js';
import type { GuestState } from '../../models/guest/guest-state.js';
import {
  generatedPolicyOf, pauseContainer, type GeneratedPolicy, type PolicyShape,
} from '../../properties/arbitraries.js';
import { layerRoot } from '../../properties/catalog.js';
import { worldOf } from '../../properties/arbitraries.js';

export function serverPolicy(flags: Partial<PolicyShape['flags']> = {}): GeneratedPolicy {
  const shape: PolicyShape = {
    api_version: '0.10.0', framework_version: '0.2.3',
    containers: [pauseContainer(), {
      id: 'parma-sim.test/server:1', name: 'server', command: ['/usr/bin/server', '--serve'],
      layers: [layerRoot('base-a'), layerRoot('server')],
      env_rules: [{ pattern: 'PATH=/usr/bin', strategy: 'string', required: true },
        { pattern: 'MODE=prod', strategy: 'string', required: false }],
      mounts: [{ destination: '/data', options: ['rbind', 'rshared', 'rw'],
        source: 'sandbox:///tmp/atlas/emptydir/.+', type: 'bind' }],
      exec_processes: [{ command: ['/usr/bin/server', '--health'], signals: [15] }],
      signals: [15], working_dir: '/srv', allow_elevated: false, allow_stdio_access: true,
      no_new_privileges: false,
      user: { user_idname: { pattern: 'app', strategy: 'name' },
        group_idnames: [{ pattern: '', strategy: 'any' }], umask: '0022' },
      capabilities: null, seccomp_profile_sha256: '',
    }],
    external_processes: [], fragments: [],
    flags: { allow_properties_access: true, allow_dump_stacks: false,
      allow_runtime_logging: false, allow_environment_variable_dropping: false,
      allow_unencrypted_scratch: false, allow_capability_dropping: false,
      allow_host_network: false, ...flags },
  };
  return generatedPolicyOf(shape);
}

/** The server policy's world, deployed until just before its teardown. */
export function runningWorld(policy: GeneratedPolicy = serverPolicy()): Readonly<{
  start: World; world: World; before: World }> {
  const start = worldOf(policy);
  const run = deployBenign(start);
  const stop = run.rows.findIndex((row) => row.note.startsWith('shut'));
  let world = start;
  let before = start;
  for (const row of run.rows.slice(0, stop)) {
    before = world;
    world = step(world, row.action).world;
  }
  return { start, world, before };
}

/** `world` with its guest state edited. */
export function withGuest(world: World, edit: (guest: GuestState) => GuestState): World {
  return { ...world, state: { ...world.state, guest: edit(world.state.guest!) } };
}
