/**
 * Goal: unmounts (agent-storage.ts) refuse a device still used by an overlay, fail on an injected
 * fault with the target named, poison the UVM (traced, with the cause) unless `unmount_poisons`
 * is off, keep the device or overlay marked broken, and report a missing path before the policy
 * only with `exists_after_policy` off; a poisoned UVM names the earlier error in every refusal.
 * Method: the benign prefix of agent-support.ts with both containers' overlays mounted, the
 * world's injected `unmount` fault, and the checks switched off through AgentOptions.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_AGENT_OPTIONS, type AgentOptions } from '../../models/guest/agent.js';
import type { CheckName } from '../../models/guest/confidential-checks.js';
import {
  APP_ID, BENIGN, LUN, SANDBOX_ID, TARGET, benignPrefix, combinedLayers, generatedPolicy,
  plain, rootfsOf, scsiLayer, scsiScratch,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const off = (...names: CheckName[]): AgentOptions => ({ ...DEFAULT_AGENT_OPTIONS,
  checks: Object.fromEntries(names.map((n) => [n, false])) });

test('guest/unmount: a layer or scratch device under a mounted overlay is in use', () => {
  const { world, state } = benignPrefix(BENIGN.pauseStart);
  const layer = world.step(state, scsiLayer(LUN.pause, TARGET.pause, 'Remove'));
  assertRefused(layer, state, { layer: 'state', check: 'unmount_in_use' });
  assert.is(layer.refusal?.reason, `the device at ${TARGET.pause} is in use by the overlay at `
    + rootfsOf(SANDBOX_ID));
  const scratch = world.step(state, scsiScratch(LUN.scratch, TARGET.scratch, 'Remove'));
  assertRefused(scratch, state, { layer: 'state', check: 'unmount_in_use' });
  assert.is(scratch.refusal?.reason, `the device at ${TARGET.scratch} is in use by the overlay `
    + `at ${rootfsOf(SANDBOX_ID)}`);
});

test('guest/unmount: a failed device unmount poisons the UVM, traced with its cause, the device '
  + 'kept as broken; every later mount names that cause', () => {
  const { world, state } = benignPrefix(BENIGN.appBase + 1);
  world.fault = 'unmount';
  const step = world.step(state, scsiLayer(LUN.appBase, TARGET.appBase, 'Remove'));
  const cause = `unmounting scsi device at ${TARGET.appBase} failed (injected fault)`;
  assertRefused(step, state, { layer: 'io', changes: true });
  assert.is(step.refusal?.reason, cause);
  assert.equal(step.events.find((e) => e.type === 'uvm_poisoned')?.data, { cause });
  assert.is(step.state.uvm.value, 'poisoned');
  assert.is(step.state.devices[TARGET.appBase]?.broken, true);
  const later = world.step(step.state, scsiLayer(LUN.appTop, TARGET.appTop));
  assertRefused(later, step.state, { layer: 'state' });
  assert.is(later.refusal?.reason, 'mount, unmount, container creation and deletion have been '
    + `disabled in this UVM due to a previous error: ${cause}`);
  for (const request of [combinedLayers(APP_ID, [TARGET.appBase]),
    plain('DeleteContainerState', SANDBOX_ID)]) {
    assert.is(world.step(step.state, request).refusal?.reason, later.refusal?.reason);
  }
});

test('guest/unmount: with unmount_poisons off a failed unmount leaves the UVM serving', () => {
  const { world, state } = benignPrefix(BENIGN.appBase + 1, generatedPolicy(),
    off('unmount_poisons'));
  world.fault = 'unmount';
  const step = world.step(state, scsiLayer(LUN.appBase, TARGET.appBase, 'Remove'));
  assertRefused(step, state, { layer: 'io', changes: true });
  assert.is(step.state.uvm.value, state.uvm.value);
  assert.not.ok(step.events.some((e) => e.type === 'uvm_poisoned'));
  assert.is(step.state.devices[TARGET.appBase]?.broken, true);
});

test('guest/unmount: a failed overlay unmount names the overlay; a clean one is traced and '
  + 'moves the container on', () => {
  const { world, state } = benignPrefix(BENIGN.pauseOverlay + 1);
  world.fault = 'unmount';
  const failed = world.step(state, combinedLayers(SANDBOX_ID, [], 'Remove'));
  assertRefused(failed, state, { layer: 'io', changes: true });
  assert.is(failed.refusal?.reason,
    `unmounting overlay at ${rootfsOf(SANDBOX_ID)} failed (injected fault)`);
  assert.is(failed.state.overlays[SANDBOX_ID]?.broken, true);
  world.fault = null;
  const clean = world.step(state, combinedLayers(SANDBOX_ID, [], 'Remove'));
  assertAccepted(clean);
  assert.equal(clean.events.find((e) => e.type === 'overlay_unmounted')?.data,
    { containerId: SANDBOX_ID, target: rootfsOf(SANDBOX_ID) });
  assert.is(clean.state.overlays[SANDBOX_ID], undefined);
  assert.is(state.containers[SANDBOX_ID]?.value, 'overlay_mounted');
  assert.is(clean.state.containers[SANDBOX_ID]?.value, 'deleted', 'the ID was never created');
});

test('guest/unmount: with exists_after_policy off a missing path is reported before the policy',
  () => {
  const { world, state } = benignPrefix(BENIGN.scratch, generatedPolicy(),
    off('exists_after_policy'));
  const step = world.step(state, scsiLayer(LUN.pause, '/run/mounts/scsi/nothing', 'Remove'));
  assertRefused(step, state, { layer: 'state' });
  assert.is(step.refusal?.reason,
    'unmounting at /run/mounts/scsi/nothing failed: directory does not exist');
  assert.is(step.decision, null, 'the policy was not asked');
  const on = benignPrefix(BENIGN.scratch);
  const asked = on.world.step(on.state, scsiLayer(LUN.pause, '/run/mounts/scsi/nothing',
    'Remove'));
  assertRefused(asked, on.state, { layer: 'policy', rule: 'unmount_device' });
});

test('guest/unmount: block devices are asked of the policy, which denies them', () => {
  const { world, state } = benignPrefix(BENIGN.scratch);
  const add = world.step(state, scsiLayer(LUN.pause, '/run/blockdev/b1', 'Add',
    { BlockDev: true, ReadOnly: false, Options: [] }));
  assertRefused(add, state, { layer: 'policy', rule: 'mount_blockdev' });
  const remove = world.step(state, scsiLayer(LUN.pause, '/run/blockdev/b1', 'Remove',
    { BlockDev: true }));
  assertRefused(remove, state, { layer: 'policy', rule: 'unmount_blockdev' });
});

test.run();
