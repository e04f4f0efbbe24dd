/**
 * Goal: the edges of ModifySettings storage (agent-storage.ts) the benign run does not reach:
 * without a policy no confidential check runs (the closed-door enforcer or the lifecycle answers
 * instead); the container-ID check names its ID type; refusals carry their layer; a container
 * whose record is deleted has no settings; a read-only device with no verity superblock, a
 * scratch mount of a disk that is no scratch disk and an injected overlay fault are refused with
 * their reasons; a failed mount whose policy changed nothing with rollback off returns the very
 * same state; a mount records its device unbroken; blockdev points are asked with their target;
 * an RW unmount counts only the overlays on that device; a scratch path on no device is asked as
 * unencrypted; a re-mounted overlay does not resurrect an exited container; plan9 unmounts of
 * shares that are not there; VPMem on a poisoned UVM; the scratch key's byte order.
 * Method: the benign prefix of agent-support.ts at the step under test; policies with constant
 * rules where a point must allow or deny regardless of input; the engine seam to see the input a
 * point is asked with. Reasons are the agent's documented texts, HRESULTs spec (d)'s numbers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nextU32, rngStateOf } from '../../sim/kernel/rng.js';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import type { SecurityPolicy } from '../../models/policy/policy-model.js';
import { DEFAULT_AGENT_OPTIONS, stepAgent } from '../../models/guest/agent.js';
import type { PolicyEngine } from '../../models/guest/agent-step.js';
import { drawKey, scratchDeviceOf } from '../../models/guest/agent-storage.js';
import { modifySettingsMessage } from '../../models/guest/bridge-protocol.js';
import { UVM_CONTAINER_ID, type GuestState } from '../../models/guest/guest-state.js';
import {
  APP_ID, BENIGN, LUN, SANDBOX_ID, TARGET, benignPrefix, benignWorld, bootedGuest, combinedLayers,
  generatedPolicy, negotiate, plain, rootfsOf, run, scratchPathOf, scsiLayer, scsiScratch, text,
  type TestWorld,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const VMCOMPUTE_SYSTEM_NOT_FOUND = -1070137074;   // 0xc037010e
const OTHER_ID = 'ef'.repeat(32);
const BAD_ID_REASON = 'invalid container id: "not-an-id" (must match ^[0-9a-fA-F]{64}$)';

const modify = (containerId: string, resource: string, request: string, settings: unknown = {}) =>
  modifySettingsMessage(81, containerId, resource, request, settings);

function withRules(rules: Record<string, boolean>): SecurityPolicy {
  const policy = generatedPolicy();
  const bound = Object.fromEntries(Object.entries(rules).map(([name, allowed]) =>
    [name, { kind: 'constant' as const, allowed, outputs: {} }]));
  return { ...policy, rules: { ...policy.rules, ...bound } };
}

/** A guest that negotiated but has no policy: the closed-door enforcer. */
function openGuest(name: string): { world: TestWorld; state: GuestState } {
  const world = benignWorld();
  const { states } = run(world, bootedGuest(text('no policy yet'), name), [negotiate()]);
  return { world, state: states[1]! };
}

test('guest/storage-edges: without a policy no container-ID or mount-option check runs', () => {
  const { world, state } = openGuest('edges-open');
  const settings = world.step(state, modify('not-an-id', 'Network', 'Add'));
  assertRefused(settings, state, { layer: 'state' });
  assert.is(settings.refusal?.reason, 'container not-an-id not found');
  assert.is(settings.response.Result, VMCOMPUTE_SYSTEM_NOT_FOUND);
  const options = world.step(state, scsiLayer(LUN.pause, TARGET.pause, 'Add', { Options: ['rw'] }));
  assertRefused(options, state, { layer: 'policy', rule: 'mount_device' });
  const overlay = world.step(state, combinedLayers('not-an-id', [TARGET.pause]));
  assertRefused(overlay, state, { layer: 'policy', rule: 'scratch_mount' });
});

test('guest/storage-edges: under a policy a malformed container ID is refused, named as a '
  + 'container id, for settings and for overlays', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  for (const request of [modify('not-an-id', 'Network', 'Add'),
    combinedLayers('not-an-id', [TARGET.pause])]) {
    const step = world.step(state, request);
    assertRefused(step, state, { layer: 'structure', check: 'container_id_format' });
    assert.is(step.refusal?.reason, BAD_ID_REASON);
  }
});

test('guest/storage-edges: UVM container constraints and pod cgroup limits are state '
  + 'refusals; a container whose record is deleted has no settings', () => {
  const { world, state } = benignPrefix(BENIGN.appCreate);
  for (const resource of ['ContainerConstraints', 'PodCgroupMemoryLimit']) {
    assertRefused(world.step(state, modify(UVM_CONTAINER_ID, resource, 'Add')), state,
      { layer: 'state' });
  }
  const gone = world.step(state, combinedLayers(APP_ID, [], 'Remove'));
  assertAccepted(gone);
  assert.is(gone.state.containers[APP_ID]?.value, 'deleted');
  const step = world.step(gone.state, modify(APP_ID, 'ContainerConstraints', 'Update'));
  assertRefused(step, gone.state, { layer: 'state' });
  assert.is(step.refusal?.reason, `container ${APP_ID} not found`);
  assert.is(step.response.Result, VMCOMPUTE_SYSTEM_NOT_FOUND);
});

test('guest/storage-edges: a read-only mount of a disk with no readable superblock is refused '
  + 'before the policy is asked', () => {
  const { world, state } = benignPrefix(BENIGN.pauseLayer);
  const step = world.step(state, scsiLayer(LUN.scratch, TARGET.pause));
  assertRefused(step, state, { layer: 'io' });
  assert.is(step.refusal?.reason, `no device at lun ${LUN.scratch}: a scratch disk`);
  assert.is(step.decision, null);
});

test('guest/storage-edges: mounted devices are recorded unbroken', () => {
  const { world, state } = benignPrefix(BENIGN.scratch);
  const rw = world.step(state, scsiScratch(LUN.scratch, TARGET.scratch));
  assertAccepted(rw);
  assert.equal([rw.state.devices[TARGET.scratch]?.kind, rw.state.devices[TARGET.scratch]?.broken],
    ['rw_scratch', false]);
  const ro = world.step(rw.state, scsiLayer(LUN.pause, TARGET.pause));
  assertAccepted(ro);
  assert.equal([ro.state.devices[TARGET.pause]?.kind, ro.state.devices[TARGET.pause]?.broken],
    ['ro_verity', false]);
});

test('guest/storage-edges: a scratch mount of a disk that is no scratch disk is refused and '
  + 'rolled back', () => {
  const { world, state } = benignPrefix(BENIGN.scratch);
  const step = world.step(state, scsiScratch(LUN.appBase, TARGET.scratch));
  assertRefused(step, state, { layer: 'io' });
  assert.is(step.refusal?.reason, `no scratch disk at lun ${LUN.appBase}: not a scratch disk`);
  assert.ok(step.events.some((e) => e.type === 'metadata_rolled_back'));
});

test('guest/storage-edges: with metadata_rollback off a failed mount keeps the policy\'s '
  + 'metadata untraced, and one whose policy wrote nothing returns the very same state, untraced '
  + 'too', () => {
  const options = { ...DEFAULT_AGENT_OPTIONS, checks: { metadata_rollback: false } };
  const kept = benignPrefix(BENIGN.pauseLayer, generatedPolicy(), options);
  kept.world.fault = 'mount';
  const step = kept.world.step(kept.state, scsiLayer(LUN.pause, TARGET.pause));
  assertRefused(step, kept.state, { layer: 'io', changes: true });
  assert.ok(step.state.metadata !== kept.state.metadata, 'mount_device\'s write is kept');
  assert.is(step.events.some((e) => e.type === 'metadata_rolled_back'), false);
  const quiet = benignPrefix(BENIGN.pauseLayer, withRules({ mount_device: true }), options);
  quiet.world.fault = 'mount';
  const same = quiet.world.step(quiet.state, scsiLayer(LUN.pause, TARGET.pause));
  assertRefused(same, quiet.state, { layer: 'io' });
  assert.is(same.refusal?.reason, `mounting ${TARGET.pause} failed (injected fault)`);
  assert.is(same.events.some((e) => e.type === 'metadata_rolled_back'), false,
    'with the check off nothing is rolled back, even when nothing was written');
});

test('guest/storage-edges: blockdev points are asked with their target; allowed, the request '
  + 'still fails as not modelled', () => {
  const { world, state } = benignPrefix(BENIGN.scratch,
    withRules({ mount_blockdev: true, unmount_blockdev: true }));
  const inputs: unknown[] = [];
  const recording: PolicyEngine = (policy, metadata, rule, input, options) => {
    inputs.push([rule, input]);
    return evaluateEnforcementPoint(policy, metadata, rule, input, options);
  };
  const env = { options: world.options, fault: null, engine: recording };
  const target = '/run/blockdev/b1';
  for (const requestType of ['Add', 'Remove']) {
    const step = stepAgent(state, scsiLayer(LUN.pause, target, requestType,
      { BlockDev: true, ReadOnly: false, Options: [] }), world.io, env);
    assertRefused(step, state, { layer: 'io' });
    assert.is(step.refusal?.reason, 'blockdev symlinks are not modelled');
  }
  assert.equal(inputs, [['mount_blockdev', { target }],
    ['unmount_blockdev', { unmountTarget: target }]]);
});

test('guest/storage-edges: an RW unmount counts only the overlays on that device, overlays '
  + 'without scratch among them', () => {
  const { world, state } = benignPrefix(BENIGN.appOverlay);
  const second = `/run/gcs/c/${OTHER_ID}`;
  world.attachScratch(5, 16);
  const mounted = world.step(state, scsiScratch(5, second));
  assertAccepted(mounted);
  const bare = world.step(mounted.state, combinedLayers(APP_ID, [TARGET.appTop, TARGET.appBase],
    'Add', { ScratchPath: '' }));
  assertAccepted(bare);
  assert.is(bare.state.overlays[APP_ID]?.scratch, null);
  const off = world.step(bare.state, scsiScratch(5, second, 'Remove'));
  assertAccepted(off);
  assert.is(off.state.devices[second], undefined);
  const busy = world.step(bare.state, scsiScratch(LUN.scratch, TARGET.scratch, 'Remove'));
  assertRefused(busy, bare.state, { layer: 'state', check: 'unmount_in_use' });
  assert.is(busy.refusal?.reason, `the device at ${TARGET.scratch} is in use by the overlay at `
    + `${rootfsOf(SANDBOX_ID)}`);
});

test('guest/storage-edges: a scratch path on no scratch device is asked as unencrypted, and '
  + 'the policy\'s denial stops the overlay', () => {
  const { world, state } = benignPrefix(BENIGN.appOverlay);
  const scratch = `/run/gcs/c/${OTHER_ID}/scratch/${APP_ID}`;
  assert.is(scratchDeviceOf(state, scratch), null);
  const step = world.step(state, combinedLayers(APP_ID, [TARGET.appTop, TARGET.appBase], 'Add',
    { ScratchPath: scratch }));
  assertRefused(step, state, { layer: 'policy', rule: 'scratch_mount' });
  assert.is(step.state.overlays[APP_ID], undefined);
  assert.is(step.events.some((e) => e.type === 'mount_overlay'), false, 'never got that far');
});

test('guest/storage-edges: scratchDeviceOf finds the RW device a path lies under, not a '
  + 'read-only one, not a sibling with a longer name', () => {
  const { state } = benignPrefix(BENIGN.all);
  assert.is(scratchDeviceOf(state, scratchPathOf(APP_ID))?.target, TARGET.scratch);
  assert.is(scratchDeviceOf(state, `${TARGET.pause}/x`), null, 'a read-only device');
  assert.is(scratchDeviceOf(state, `${TARGET.scratch}0/scratch/x`), null, 'a sibling');
  assert.is(scratchDeviceOf(state, TARGET.scratch), null, 'the mount point itself');
});

test('guest/storage-edges: an overlay mounted again for an exited container leaves its record '
  + 'exited', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const stopped = world.step(state, plain('ShutdownForced', APP_ID));
  const unmounted = world.step(stopped.state, combinedLayers(APP_ID, [], 'Remove'));
  assertAccepted(unmounted);
  const again = world.step(unmounted.state, combinedLayers(APP_ID,
    [TARGET.appTop, TARGET.appBase], 'Add', { ScratchPath: '' }));
  assertAccepted(again);
  assert.is(again.state.containers[APP_ID]?.value, 'exited');
  assert.ok(again.state.overlays[APP_ID] !== undefined);
});

test('guest/storage-edges: an injected overlay mount fault is refused naming the target and '
  + 'rolled back', () => {
  const { world, state } = benignPrefix(BENIGN.pauseOverlay);
  world.fault = 'mount';
  const step = world.step(state, combinedLayers(SANDBOX_ID, [TARGET.pause]));
  assertRefused(step, state, { layer: 'io' });
  assert.is(step.refusal?.reason,
    `mounting the overlay at ${rootfsOf(SANDBOX_ID)} failed (injected fault)`);
  assert.ok(step.faultUsed);
});

const PLAN9 = `/run/gcs/c/${APP_ID}/mounts/m1`;
const share = (requestType: string) => modify(UVM_CONTAINER_ID, 'MappedDirectory', requestType,
  { MountPath: PLAN9, ShareName: 'data', Port: 564, ReadOnly: true });

test('guest/storage-edges: a plan9 unmount of a share never mounted is denied; one the policy '
  + 'still lists but the guest lacks succeeds without touching a device', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  assertRefused(world.step(state, share('Remove')), state,
    { layer: 'policy', rule: 'plan9_unmount' });
  const options = { ...DEFAULT_AGENT_OPTIONS, checks: { metadata_rollback: false } };
  const kept = benignPrefix(BENIGN.all, generatedPolicy(), options);
  kept.world.fault = 'mount';
  const failed = kept.world.step(kept.state, share('Add'));
  assertRefused(failed, kept.state, { layer: 'io', changes: true });
  assert.is(failed.state.plan9[PLAN9], undefined);
  kept.world.fault = 'unmount';
  const off = kept.world.step(failed.state, share('Remove'));
  assertAccepted(off);
  assert.is(off.faultUsed, false, 'no share, no unmount to fail');
  assert.equal(off.events.find((e) => e.type === 'plan9_unmounted')?.data, { target: PLAN9 });
  assert.is(off.state.uvm.value, 'serving');
});

test('guest/storage-edges: VPMem on a poisoned UVM gets the poisoned refusal; a poison with no '
  + 'recorded cause says unknown', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const mounted = world.step(state, share('Add')).state;
  world.fault = 'unmount';
  const poisoned = world.step(mounted, share('Remove')).state;
  assert.is(poisoned.uvm.value, 'poisoned');
  const prefix = 'mount, unmount, container creation and deletion have been disabled in this UVM '
    + 'due to a previous error: ';
  const vpmem = world.step(poisoned, modify(UVM_CONTAINER_ID, 'VPMemDevice', 'Add',
    { DeviceNumber: 0, MountPath: '/run/layers/p0' }));
  assertRefused(vpmem, poisoned, { layer: 'state' });
  assert.is(vpmem.refusal?.reason, `${prefix}unmounting plan9 device at ${PLAN9} failed`);
  const uncaused: GuestState = Object.freeze({ ...poisoned, uvm: Object.freeze({
    value: 'poisoned', context: Object.freeze({ ...poisoned.uvm.context, poisonCause: null }) }) });
  const unknown = world.step(uncaused, share('Add'));
  assertRefused(unknown, uncaused, { layer: 'state' });
  assert.is(unknown.refusal?.reason, `${prefix}unknown`);
});

test('guest/storage-edges: a scratch key is the stream\'s next eight 32-bit words, '
  + 'little-endian', () => {
  const rng = rngStateOf('parma-sim/guest-test/key-order');
  const expected = Buffer.alloc(32);
  let cursor = rng;
  for (let i = 0; i < 8; i++) {
    const drawn = nextU32(cursor);
    expected.writeUInt32LE(drawn.value, i * 4);
    cursor = drawn.state;
  }
  const { key, rng: after } = drawKey(rng);
  assert.is(key, expected.toString('hex'));
  assert.equal(after, cursor);
});

test.run();
