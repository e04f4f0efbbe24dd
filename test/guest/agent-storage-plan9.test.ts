/**
 * Goal: plan9 shares (agent-storage.ts mappedDirectory) are recorded with target, share name,
 * port and read-only flag, traced when mounted and unmounted, denied at a target already in
 * use and refused on an injected fault (metadata rolled back), and a failed unmount poisons the
 * UVM with the share kept as broken; request types other than Add and Remove are not supported.
 * Method: the benign run of agent-support.ts (both containers running), a share under the app
 * container's mounts directory (which generatedPolicy()'s plan9_mount allows), the world's
 * injected faults.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { modifySettingsMessage } from '../../models/guest/bridge-protocol.js';
import { UVM_CONTAINER_ID } from '../../models/guest/guest-state.js';
import { APP_ID, BENIGN, benignPrefix } from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const TARGET = `/run/gcs/c/${APP_ID}/mounts/m1`;
const share = (requestType: string, extra: Record<string, unknown> = {}) =>
  modifySettingsMessage(900, UVM_CONTAINER_ID, 'MappedDirectory', requestType,
    { MountPath: TARGET, ShareName: 'data', Port: 564, ReadOnly: true, ...extra });

test('guest/plan9: a share is recorded and traced; a second share at its target is denied',
  () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const step = world.step(state, share('Add'));
  assertAccepted(step);
  assert.equal(step.state.plan9[TARGET], { target: TARGET, shareName: 'data', port: 564,
    readOnly: true, broken: false });
  assert.equal(step.events.find((e) => e.type === 'plan9_mounted')?.data,
    { target: TARGET, shareName: 'data' });
  const again = world.step(step.state, share('Add', { ShareName: 'other' }));
  assertRefused(again, step.state, { layer: 'policy', rule: 'plan9_mount' });
  const update = world.step(state, share('Update'));
  assertRefused(update, state, { layer: 'state' });
  assert.is(update.refusal?.reason, 'the RequestType "Update" is not supported');
});

test('guest/plan9: a share mount that fails is rolled back, naming the target', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  world.fault = 'mount';
  const step = world.step(state, share('Add'));
  assertRefused(step, state, { layer: 'io' });
  assert.is(step.refusal?.reason, `plan9 mount at ${TARGET} failed (injected fault)`);
  assert.ok(step.faultUsed);
});

test('guest/plan9: a share is unmounted and traced; a failed unmount poisons the UVM', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const mounted = world.step(state, share('Add')).state;
  const off = world.step(mounted, share('Remove'));
  assertAccepted(off);
  assert.is(off.state.plan9[TARGET], undefined);
  assert.equal(off.events.find((e) => e.type === 'plan9_unmounted')?.data, { target: TARGET });
  world.fault = 'unmount';
  const failed = world.step(mounted, share('Remove'));
  assertRefused(failed, mounted, { layer: 'io', changes: true });
  assert.is(failed.refusal?.reason, `unmounting plan9 device at ${TARGET} failed`);
  assert.is(failed.state.plan9[TARGET]?.broken, true);
  assert.is(failed.state.uvm.value, 'poisoned');
  const poisoned = world.step(failed.state, share('Add'));
  assertRefused(poisoned, failed.state, { layer: 'state' });
  assert.ok(poisoned.refusal!.reason.endsWith(`previous error: unmounting plan9 device at ${
    TARGET} failed`));
});

test.run();
