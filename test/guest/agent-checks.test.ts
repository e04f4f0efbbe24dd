/**
 * Goal: every Go-side confidential check of the GCS (spec d, e) exists in the agent, fires on the
 * request its real fix was about — before the policy is asked where the GCS checks first — and
 * can be switched off, in which case the request gets past that point (to be stopped, or not,
 * further on).
 * Method: the benign prefix of agent-support.ts up to the step under test, then the hostile
 * request; the refusal's layer and check, the unchanged state object, and (with the check off)
 * where the request ends up instead. Reasons are the GCS's own error texts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHECK_NAMES, CONFIDENTIAL_CHECKS } from '../../models/guest/confidential-checks.js';
import { DEFAULT_AGENT_OPTIONS, type AgentOptions } from '../../models/guest/agent.js';
import { UVM_CONTAINER_ID, type GuestState } from '../../models/guest/guest-state.js';
import { modifySettingsMessage } from '../../models/guest/bridge-protocol.js';
import { buildLayerImage } from '../../models/guest/layer-image.js';
import {
  APP_ID, BENIGN, LUN, SANDBOX_ID, TARGET, benignPrefix, bootedGuest, combinedLayers, create,
  generatedPolicy, images, last, plain, policyBytes, rootfsOf, run, scsiLayer, scsiScratch,
  setPolicy, signal, text, type TestWorld,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const off = (...names: (keyof typeof CONFIDENTIAL_CHECKS)[]): AgentOptions => ({
  ...DEFAULT_AGENT_OPTIONS,
  checks: Object.fromEntries(names.map((n) => [n, false])),
});

function at(count: number, options?: AgentOptions): { world: TestWorld; state: GuestState } {
  return benignPrefix(count, generatedPolicy(), options);
}

test('guest/checks: every check has a summary and the commit of its fix', () => {
  assert.ok(CHECK_NAMES.length >= 18);
  for (const name of CHECK_NAMES) {
    assert.ok(CONFIDENTIAL_CHECKS[name].summary.length > 10, name);
    assert.ok(/^[0-9a-f]{9}$|^original$/.test(CONFIDENTIAL_CHECKS[name].fix), name);
  }
});

test('guest/checks: OCI hooks are refused before the policy (e118801ff); off, the create '
  + 'goes on', () => {
  const hooks = { spec: { hooks: { prestart: [{ path: '/bin/sh', args: ['sh', '-c', 'id'] }] } } };
  const { world, state } = at(BENIGN.pauseCreate);
  const step = world.step(state, create(SANDBOX_ID, hooks));
  assertRefused(step, state, { layer: 'structure', check: 'oci_hooks_nil',
    reason: 'Hooks must be nil' });
  assert.is(step.decision, null, 'the policy was not asked');
  const relaxed = at(BENIGN.pauseCreate, off('oci_hooks_nil'));
  assertAccepted(relaxed.world.step(relaxed.state, create(SANDBOX_ID, hooks)));
});

test('guest/checks: an empty hooks object is still hooks (Go: a non-nil *Hooks)', () => {
  const { world, state } = at(BENIGN.pauseCreate);
  assertRefused(world.step(state, create(SANDBOX_ID, { spec: { hooks: {} } })), state,
    { layer: 'structure', check: 'oci_hooks_nil' });
});

test('guest/checks: a hostname that would inject an /etc/hosts entry is refused (9c0a084a2)',
  () => {
    const { world, state } = at(BENIGN.pauseCreate);
    const step = world.step(state, create(SANDBOX_ID,
      { spec: { hostname: 'group\n10.0.0.66 login.microsoftonline.com' } }));
    assertRefused(step, state, { layer: 'structure', check: 'hostname_charset' });
    const relaxed = at(BENIGN.pauseCreate, off('hostname_charset'));
    assertAccepted(relaxed.world.step(relaxed.state, create(SANDBOX_ID,
      { spec: { hostname: 'group\n10.0.0.66 login.microsoftonline.com' } })));
  });

test('guest/checks: extra Linux devices are refused before the policy (f13aaca71); off, the '
  + 'HEAD framework denies them', () => {
  const devices = { spec: { linux: { devices: [{ path: '/dev/sda', type: 'b', major: 8 }] } } };
  const { world, state } = at(BENIGN.pauseCreate);
  assertRefused(world.step(state, create(SANDBOX_ID, devices)), state,
    { layer: 'structure', check: 'no_extra_devices', reason: '/dev/sda' });
  const relaxed = at(BENIGN.pauseCreate, off('no_extra_devices'));
  assertRefused(relaxed.world.step(relaxed.state, create(SANDBOX_ID, devices)), relaxed.state,
    { layer: 'policy', rule: 'create_container', reason: 'devices not supported' });
});

test('guest/checks: container IDs that are not 64 hex are refused (df52d6665)', () => {
  const { world, state } = at(BENIGN.pauseCreate);
  for (const bad of ['../../../etc', 'ab'.repeat(31) + 'a', 'AB'.repeat(32) + '/x', '']) {
    const step = world.step(state, create(bad));
    assertRefused(step, state, { layer: 'structure', check: 'container_id_format',
      reason: 'invalid container id' });
  }
  const sandbox = world.step(state, create(APP_ID, { spec: { annotations: {
    'io.kubernetes.cri.container-type': 'container',
    'io.kubernetes.cri.sandbox-id': '../pause' } } }));
  assertRefused(sandbox, state, { layer: 'structure', check: 'container_id_format',
    reason: 'invalid sandbox id' });
  const overlay = world.step(state, combinedLayers('x'.repeat(64), [TARGET.pause]));
  assertRefused(overlay, state, { layer: 'structure', check: 'container_id_format' });
});

test('guest/checks: the UVM ID passes the ID check (it addresses the UVM itself)', () => {
  const { world, state } = at(BENIGN.scratch);
  const step = world.step(state, scsiLayer(LUN.pause, TARGET.pause));
  assertAccepted(step);
  assert.is(UVM_CONTAINER_ID.length, 36);
});

test('guest/checks: bundle, rootfs and scratch paths of Create have fixed shapes (df52d6665)',
  () => {
    const { world, state } = at(BENIGN.pauseCreate);
    const cases = [
      [{ settings: { OciBundlePath: '/run/gcs/c/../../tmp' } }, 'bundle_path'],
      [{ spec: { root: { path: rootfsOf(APP_ID) } } }, 'rootfs_path'],
      [{ settings: { ScratchDirPath: '/tmp/scratch' } }, 'scratch_dir_path'],
    ] as const;
    for (const [overrides, check] of cases) {
      assertRefused(world.step(state, create(SANDBOX_ID, overrides)), state,
        { layer: 'structure', check });
    }
  });

test('guest/checks: with rootfs_path off, a container can be pointed at another ID\'s overlay',
  () => {
    const anyUser = generatedPolicy({}, { user: { user_idname: { pattern: '', strategy: 'any' },
      group_idnames: [{ pattern: '', strategy: 'any' }], umask: '0022' } });
    const { world, state } = benignPrefix(BENIGN.appCreate, anyUser, off('rootfs_path'));
    // The app's ID over the pause overlay: the policy sees matches[APP_ID] (the app layers) and
    // allows it, yet the rootfs the container gets is the pause image's.
    const step = world.step(state, create(APP_ID, { process: { user: { uid: 0, gid: 0 } },
      spec: { root: { path: rootfsOf(SANDBOX_ID) } } }));
    assertAccepted(step);
    assert.equal(step.state.containers[APP_ID]!.context.layers, [images().pause.rootHash]);
  });

test('guest/checks: CombinedLayers targets and scratch paths have fixed shapes (df52d6665)',
  () => {
    const { world, state } = at(BENIGN.pauseOverlay);
    assertRefused(world.step(state, combinedLayers(SANDBOX_ID, [TARGET.pause], 'Add',
      { ContainerRootPath: '/run/gcs/c/other/rootfs' })), state,
    { layer: 'structure', check: 'overlay_paths', reason: 'does not match expected path' });
    assertRefused(world.step(state, combinedLayers(SANDBOX_ID, [TARGET.pause], 'Add',
      { ScratchPath: `/run/gcs/c/${SANDBOX_ID}/scratch/../../../etc` })), state,
    { layer: 'structure', check: 'overlay_paths', reason: 'scratch path' });
  });

test('guest/checks: SCSI mount options must be exactly ["ro"] read-only and [] read-write', () => {
  const { world, state } = at(BENIGN.scratch);
  assertRefused(world.step(state, scsiLayer(LUN.pause, TARGET.pause, 'Add',
    { Options: ['ro', 'exec'] })), state, { layer: 'structure', check: 'scsi_mount_options' });
  assertRefused(world.step(state, scsiScratch(LUN.scratch, '/run/gcs/c/' + 'ef'.repeat(32), 'Add',
    { Options: ['ro'] })), state, { layer: 'structure', check: 'scsi_mount_options' });
});

test('guest/checks: read-only layers must be ext4', () => {
  const { world, state } = at(BENIGN.pauseLayer);
  assertRefused(world.step(state, scsiLayer(LUN.pause, TARGET.pause, 'Add',
    { Filesystem: 'xfs' })), state, { layer: 'structure', check: 'ro_filesystem_ext4' });
});

const ROGUE = buildLayerImage({
  '/bin/evil': { kind: 'file', content: text('evil'), mode: 0o755 } });

test('guest/checks: the root hash comes from the device, never from the host\'s VerityInfo',
  () => {
    const { world, state } = at(BENIGN.pauseLayer);
    world.attachLayer(7, ROGUE);   // not in the policy, claiming to be the app's top layer
    const claim = { VerityInfo: { RootDigest: images().appTop.rootHash } };
    const step = world.step(state, scsiLayer(7, TARGET.pause, 'Add', claim));
    assertRefused(step, state, { layer: 'policy', rule: 'mount_device',
      reason: 'deviceHash not found' });
  });

test('guest/checks: with verity_from_device off the host\'s claim is judged, but reads under it '
  + 'fail and the mount is rolled back', () => {
    const { world, state } = at(BENIGN.pauseLayer, off('verity_from_device'));
    world.attachLayer(7, ROGUE);
    const claim = { VerityInfo: { RootDigest: images().appTop.rootHash } };
    const step = world.step(state, scsiLayer(7, TARGET.pause, 'Add', claim));
    assertRefused(step, state, { layer: 'verity', code: 'GUEST_VERITY_READ_ERROR' });
    assert.ok(step.decision !== null && step.decision.allowed, 'the policy allowed the claim');
    assert.ok(step.events.some((e) => e.type === 'verity_info_trusted'));
  });

test('guest/checks: a second SecurityPolicy is refused, even the same one', () => {
  const { world, state, bytes } = benignPrefix(BENIGN.scratch);
  const step = world.step(state, setPolicy(bytes));
  assertRefused(step, state, { layer: 'structure', check: 'policy_once',
    reason: 'security policy has already been set' });
});

test('guest/checks: a policy whose SHA-256 is not HOST_DATA is refused; everything stays denied',
  () => {
    const bytes = policyBytes(generatedPolicy());
    const { world } = benignPrefix(0);
    const guest = bootedGuest(bytes);
    const wrong = policyBytes(generatedPolicy({ allow_unencrypted_scratch: true }));
    const step = world.step(guest, setPolicy(wrong));
    assertRefused(step, guest, { layer: 'structure', check: 'policy_host_data',
      reason: 'does not match HOST_DATA' });
    const mount = world.step(step.state, scsiLayer(LUN.pause, TARGET.pause));
    assertRefused(mount, step.state, { layer: 'policy', rule: 'mount_device',
      reason: 'closed-door' });
    const relaxed = benignPrefix(0, generatedPolicy(), off('policy_host_data'));
    assertAccepted(relaxed.world.step(bootedGuest(bytes), setPolicy(wrong)));
  });

test('guest/checks: a plan9 share name is checked after the policy, and the metadata rolled back',
  () => {
    const { world, state } = at(BENIGN.all);
    const target = `/run/gcs/c/${APP_ID}/mounts/m1`;
    const share = (name: string) => modifySettingsMessage(900, UVM_CONTAINER_ID,
      'MappedDirectory', 'Add', { MountPath: target, ShareName: name, Port: 564 });
    const step = world.step(state, share('../../host'));
    assertRefused(step, state, { layer: 'structure', check: 'share_name' });
    assert.ok(step.decision !== null && step.decision.allowed, 'the policy was asked first');
    const ok = world.step(state, share('data'));
    assertAccepted(ok);
    assert.is(ok.state.plan9[target]!.shareName, 'data');
  });

test('guest/checks: an unmount asks the policy before looking at the path (no existence oracle)',
  () => {
    const { world, state } = at(BENIGN.all);
    const exists = `${rootfsOf(APP_ID)}/etc/passwd`;
    const missing = `${rootfsOf(APP_ID)}/etc/shadow`;
    const a = world.step(state, scsiLayer(LUN.pause, exists, 'Remove'));
    const b = world.step(state, scsiLayer(LUN.pause, missing, 'Remove'));
    assertRefused(a, state, { layer: 'policy', rule: 'unmount_device' });
    assertRefused(b, state, { layer: 'policy', rule: 'unmount_device' });
    assert.is(a.refusal!.reason, b.refusal!.reason.replace('shadow', 'passwd'));
    const relaxed = at(BENIGN.all, off('exists_after_policy'));
    const c = relaxed.world.step(relaxed.state, scsiLayer(LUN.pause, exists, 'Remove'));
    const d = relaxed.world.step(relaxed.state, scsiLayer(LUN.pause, missing, 'Remove'));
    assertRefused(c, relaxed.state, { layer: 'policy' });
    assertRefused(d, relaxed.state, { layer: 'state', reason: 'directory does not exist' });
  });

test('guest/checks: a layer in use by an overlay is not unmounted; the metadata is rolled back',
  () => {
    const { world, state } = at(BENIGN.all);
    const step = world.step(state, scsiLayer(LUN.appTop, TARGET.appTop, 'Remove'));
    assertRefused(step, state, { layer: 'state', check: 'unmount_in_use', reason: 'in use' });
    assert.ok(step.decision !== null && step.decision.allowed, 'the policy allowed it');
    const relaxed = at(BENIGN.all, off('unmount_in_use'));
    const gone = relaxed.world.step(relaxed.state, scsiLayer(LUN.appTop, TARGET.appTop, 'Remove'));
    assertAccepted(gone);
    assert.is(gone.state.devices[TARGET.appTop], undefined);
    assert.ok(gone.state.overlays[APP_ID] !== undefined, 'an overlay over a missing layer');
  });

test('guest/checks: a scratch disk under a mounted overlay\'s scratch is not unmounted', () => {
  const { world, state } = at(BENIGN.all);
  const step = world.step(state, scsiScratch(LUN.scratch, TARGET.scratch, 'Remove'));
  assertRefused(step, state, { layer: 'state', check: 'unmount_in_use' });
  assert.ok(step.decision !== null && step.decision.allowed, 'rw_unmount_device allowed it');
});

test('guest/checks: a create that fails after the policy allowed it is not rolled back: the ID '
  + 'is used up', () => {
  // With the rootfs gone the user has no name (no /etc/passwd): a policy that names the user
  // denies; this one takes any user.
  const { world, state } = benignPrefix(BENIGN.appCreate, generatedPolicy({}, { user: {
    user_idname: { pattern: '', strategy: 'any' },
    group_idnames: [{ pattern: '', strategy: 'any' }], umask: '0022' } }));
  const unmounted = world.step(state, combinedLayers(APP_ID, [], 'Remove'));
  assertAccepted(unmounted);
  const failed = world.step(unmounted.state, create(APP_ID));
  assertRefused(failed, unmounted.state, { layer: 'state', reason: 'no rootfs is mounted',
    changes: true });
  assert.ok(failed.decision !== null && failed.decision.allowed, 'create_container allowed it');
  assert.ok(Object.hasOwn(failed.state.metadata.started, APP_ID), 'started[id] stays');
  const again = world.step(failed.state, create(APP_ID));
  assertRefused(again, failed.state, { layer: 'policy', rule: 'create_container',
    reason: 'container already started' });
});

test('guest/checks: an overlay in use by a running container is not unmounted', () => {
  const { world, state } = at(BENIGN.all);
  const step = world.step(state, combinedLayers(APP_ID, [], 'Remove'));
  assertRefused(step, state, { layer: 'state', check: 'unmount_in_use',
    reason: 'in use by a running container' });
});

test('guest/checks: a mount that fails after the policy allowed it rolls the metadata back '
  + '(3f1758f95); off, metadata and reality disagree', () => {
    const { world, state } = at(BENIGN.pauseLayer);
    world.fault = 'mount';
    const step = world.step(state, scsiLayer(LUN.pause, TARGET.pause));
    assertRefused(step, state, { layer: 'io', reason: 'injected fault' });
    assert.ok(step.faultUsed);
    assert.ok(step.decision !== null && step.decision.allowed);
    const relaxed = at(BENIGN.pauseLayer, off('metadata_rollback'));
    relaxed.world.fault = 'mount';
    const desync = relaxed.world.step(relaxed.state, scsiLayer(LUN.pause, TARGET.pause));
    assertRefused(desync, relaxed.state, { layer: 'io', changes: true });
    assert.is(desync.state.devices[TARGET.pause], undefined, 'nothing mounted');
    assert.is(desync.state.metadata.devices[TARGET.pause], images().pause.rootHash,
      'yet the policy believes it is');
  });

test('guest/checks: a layer whose metadata fails verification is a failed mount, rolled back',
  () => {
    const { world, state } = at(BENIGN.pauseLayer);
    const block = new Uint8Array(4096).fill(0x41);
    world.tamperLayer(LUN.pause, 1, block);   // the entry table: below the root, above the data
    const step = world.step(state, scsiLayer(LUN.pause, TARGET.pause));
    assertRefused(step, state, { layer: 'verity', code: 'GUEST_VERITY_READ_ERROR' });
    assert.ok(step.decision !== null && step.decision.allowed, 'the root hash was the policy\'s');
  });

test('guest/checks: a failed unmount poisons the UVM: later mounts, unmounts, creates and '
  + 'deletes are refused', () => {
    const { world, state } = at(BENIGN.pauseOverlay);
    const scratchLess = world.step(state, scsiLayer(LUN.appBase, TARGET.appBase));
    assertAccepted(scratchLess);
    world.fault = 'unmount';
    const failed = world.step(scratchLess.state, scsiLayer(LUN.appBase, TARGET.appBase, 'Remove'));
    assertRefused(failed, scratchLess.state, { layer: 'io', changes: true });
    assert.is(failed.state.uvm.value, 'poisoned');
    assert.equal(failed.state.metadata, scratchLess.state.metadata, 'metadata rolled back');
    const poisoned = failed.state;
    for (const request of [scsiLayer(LUN.appTop, TARGET.appTop),
      scsiLayer(LUN.pause, TARGET.pause, 'Remove'), create(SANDBOX_ID),
      combinedLayers(APP_ID, [TARGET.appBase]), plain('DeleteContainerState', SANDBOX_ID)]) {
      assertRefused(world.step(poisoned, request), poisoned,
        { layer: 'state', reason: 'disabled in this UVM' });
    }
    const relaxed = at(BENIGN.pauseOverlay, off('unmount_poisons'));
    relaxed.world.fault = 'unmount';
    const mounted = relaxed.world.step(relaxed.state, scsiLayer(LUN.appBase, TARGET.appBase));
    const notPoisoned = relaxed.world.step(mounted.state,
      scsiLayer(LUN.appBase, TARGET.appBase, 'Remove'));
    assert.is(notPoisoned.state.uvm.value, 'serving');
  });

test('guest/checks: DeleteContainerState is refused for a running container or a mounted '
  + 'overlay', () => {
    const { world, state } = at(BENIGN.all);
    assertRefused(world.step(state, plain('DeleteContainerState', APP_ID)), state,
      { layer: 'structure', check: 'delete_requires_stopped', reason: 'running container' });
    const stopped = world.step(state, plain('ShutdownForced', APP_ID));
    assertAccepted(stopped);
    assertRefused(world.step(stopped.state, plain('DeleteContainerState', APP_ID)), stopped.state,
      { layer: 'structure', check: 'delete_requires_stopped', reason: 'overlay mount' });
    const relaxed = at(BENIGN.all, off('delete_requires_stopped'));
    const forgotten = relaxed.world.step(relaxed.state, plain('DeleteContainerState', APP_ID));
    assertRefused(forgotten, relaxed.state, { layer: 'state', changes: true });
    assert.is(forgotten.state.containers[APP_ID]!.value, 'deleted');
    const init = forgotten.state.containers[APP_ID]!.context.initPid!;
    assert.is(forgotten.state.processes[String(init)]!.status, 'running', 'an orphan still runs');
  });

test('guest/checks: signal 0 is delivered as SIGKILL (and judged as 9 by the policy)', () => {
  const { world, state } = at(BENIGN.all);
  const init = state.containers[APP_ID]!.context.initPid!;
  const step = world.step(state, signal(APP_ID, init, 0));
  // The app container's policy entry lists signal 15 only: 9 is denied.
  assertRefused(step, state, { layer: 'policy', rule: 'signal_container_process' });
  const allowed = world.step(state, signal(APP_ID, init, 15));
  assertAccepted(allowed);
  assert.is(allowed.state.processes[String(init)]!.exitCode, 128 + 15);
});

test('guest/checks: requests are handled one at a time (2e97c9bb3); the concurrent agent lets '
  + 'the host swap the rootfs between Create\'s check and its act', () => {
  const swap = (options?: AgentOptions) => {
    const { world, state } = at(BENIGN.appCreate, options);
    const other = 'ef'.repeat(32);
    return run(world, state, [
      create(APP_ID),
      combinedLayers(APP_ID, [], 'Remove'),
      combinedLayers(other, [TARGET.pause], 'Add', { ContainerRootPath: rootfsOf(APP_ID),
        ScratchPath: '' }),
      plain('Start', APP_ID),
    ], true);
  };
  const concurrent = swap(off('sequential_requests', 'overlay_paths'));
  assert.ok(concurrent.steps.every((s) => s.refusal === null), 'every step accepted');
  const created = last(concurrent.states).containers[APP_ID]!;
  assert.is(created.value, 'created');
  assert.equal(created.context.layers, [images().pause.rootHash],
    'the app\'s policy entry, the pause image\'s layers');
  const sequential = swap(off('overlay_paths'));
  assert.equal(last(sequential.states).containers[APP_ID]!.context.layers,
    [images().appTop.rootHash, images().appBase.rootHash], 'bound at check time');
});

test.run();
