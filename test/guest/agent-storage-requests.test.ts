/**
 * Goal: ModifySettings (agent-storage.ts) routes each resource type as hcsv2 does and answers the
 * ones it does not enforce with the GCS's words: container settings only for a created container
 * and only ContainerConstraints; on the UVM, SCSIDevice removes, Network adds and removes, VPCI
 * adds, no VPMem devices; and SCSI and overlay mounts are traced (device and overlay events with
 * their root hashes and scratch encryption) and refused with the reason that names the target.
 * Method: the benign prefix of agent-support.ts at the step under test, then one ModifySettings
 * request built with modifySettingsMessage; reasons are the agent's documented texts and the
 * root hashes are the generated images', written out by the test's inputs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { modifySettingsMessage } from '../../models/guest/bridge-protocol.js';
import { UVM_CONTAINER_ID } from '../../models/guest/guest-state.js';
import {
  APP_ID, BENIGN, LUN, SANDBOX_ID, TARGET, benignPrefix, combinedLayers, images, rootfsOf,
  scsiLayer, scsiScratch,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const VMCOMPUTE_SYSTEM_NOT_FOUND = -1070137074;   // 0xc037010e
const OTHER_ID = 'ef'.repeat(32);

const modify = (containerId: string, resource: string, request: string, settings: unknown = {}) =>
  modifySettingsMessage(80, containerId, resource, request, settings);

test('guest/storage: every ModifySettings is traced by resource and request type first', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const step = world.step(state, modify(UVM_CONTAINER_ID, 'Network', 'Add'));
  assertAccepted(step);
  assert.equal(step.events.find((e) => e.type === 'modify_settings')?.data,
    { resource: 'Network', request: 'Add' });
  const bad = world.step(state, modify('not-an-id', 'Network', 'Add'));
  assertRefused(bad, state, { layer: 'structure', check: 'container_id_format' });
});

test('guest/storage: the UVM accepts SCSIDevice removes, Network adds and removes and VPCI adds; '
  + 'the rest are not supported', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  for (const [resource, request] of [['SCSIDevice', 'Remove'], ['Network', 'Add'],
    ['Network', 'Remove'], ['VPCIDevice', 'Add']] as const) {
    const step = world.step(state, modify(UVM_CONTAINER_ID, resource, request));
    assertAccepted(step);
    assert.ok(step.state === state, `${resource} ${request} changes nothing`);
  }
  for (const [resource, request] of [['SCSIDevice', 'Add'], ['Network', 'Update'],
    ['VPCIDevice', 'Remove']] as const) {
    const step = world.step(state, modify(UVM_CONTAINER_ID, resource, request));
    assertRefused(step, state, { layer: 'state' });
    assert.is(step.refusal?.reason, `the RequestType "${request}" is not supported`);
  }
  const constraints = world.step(state, modify(UVM_CONTAINER_ID, 'ContainerConstraints', 'Add'));
  assert.is(constraints.refusal?.reason,
    'container not found: the UVM has no container constraints');
  assert.is(constraints.response.Result, VMCOMPUTE_SYSTEM_NOT_FOUND);
  const cgroup = world.step(state, modify(UVM_CONTAINER_ID, 'PodCgroupMemoryLimit', 'Add'));
  assert.is(cgroup.refusal?.reason,
    'the ResourceType "PodCgroupMemoryLimit" is not supported for UVM');
  const vpmem = world.step(state, modify(UVM_CONTAINER_ID, 'VPMemDevice', 'Add',
    { DeviceNumber: 0, MountPath: '/run/layers/p0' }));
  assertRefused(vpmem, state, { layer: 'io' });
  assert.is(vpmem.refusal?.reason, 'no VPMem devices are attached in this world');
});

test('guest/storage: container settings need a created container, and are only its '
  + 'constraints', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  assertAccepted(world.step(state, modify(APP_ID, 'ContainerConstraints', 'Update')));
  const network = world.step(state, modify(APP_ID, 'Network', 'Add'));
  assertRefused(network, state, { layer: 'state' });
  assert.is(network.refusal?.reason, 'the ResourceType "Network" is not supported for containers');
  for (const [s, id] of [[state, OTHER_ID],
    [benignPrefix(BENIGN.appOverlay + 1).state, APP_ID]] as const) {
    const step = world.step(s, modify(id, 'ContainerConstraints', 'Update'));
    assertRefused(step, s, { layer: 'state' });
    assert.is(step.refusal?.reason, `container ${id} not found`);
    assert.is(step.response.Result, VMCOMPUTE_SYSTEM_NOT_FOUND);
  }
});

test('guest/storage: SCSI mounts are traced with kind, LUN, root hash and encryption; a second '
  + 'mount at a target is denied', () => {
  const { world, state } = benignPrefix(BENIGN.scratch);
  const layer = world.step(state, scsiLayer(LUN.pause, TARGET.pause));
  assertAccepted(layer);
  assert.equal(layer.events.find((e) => e.type === 'device_mounted')?.data,
    { target: TARGET.pause, kind: 'ro_verity', lun: LUN.pause,
      rootHash: images().pause.rootHash, encrypted: null });
  const again = world.step(layer.state, scsiLayer(LUN.pause, TARGET.pause));
  assertRefused(again, layer.state, { layer: 'policy', rule: 'mount_device' });
  const start = benignPrefix(BENIGN.policy + 1);
  const rw = start.world.step(start.state, scsiScratch(LUN.scratch, TARGET.scratch));
  assertAccepted(rw);
  assert.equal(rw.events.find((e) => e.type === 'device_mounted')?.data,
    { target: TARGET.scratch, kind: 'rw_scratch', lun: LUN.scratch, rootHash: null,
      encrypted: true });
});

test('guest/storage: a disk the host did not attach is an I/O refusal naming controller and LUN; '
  + 'an empty mount path mounts nothing', () => {
  const { world, state } = benignPrefix(BENIGN.scratch);
  const missing = world.step(state, scsiLayer(9, '/run/mounts/scsi/m9'));
  assertRefused(missing, state, { layer: 'io' });
  assert.is(missing.refusal?.reason, 'no SCSI device at controller 0 lun 9: nothing at 9');
  const empty = world.step(state, scsiLayer(LUN.pause, ''));
  assertAccepted(empty);
  assert.ok(empty.state === state);
  const update = world.step(state, scsiLayer(LUN.pause, TARGET.pause, 'Update'));
  assert.is(update.refusal?.reason, 'the RequestType "Update" is not supported');
  const removed = benignPrefix(BENIGN.pauseLayer + 1);
  const off = removed.world.step(removed.state, scsiLayer(LUN.pause, TARGET.pause, 'Remove'));
  assertAccepted(off);
  assert.equal(off.events.find((e) => e.type === 'device_unmounted')?.data,
    { target: TARGET.pause });
  assert.is(off.state.devices[TARGET.pause], undefined);
});

test('guest/storage: an overlay is traced with its layers and scratch encryption; removing one '
  + 'in use is refused by the agent, one never mounted by the policy', () => {
  const { world, state } = benignPrefix(BENIGN.pauseOverlay);
  const overlay = world.step(state, combinedLayers(SANDBOX_ID, [TARGET.pause]));
  assertAccepted(overlay);
  assert.equal(overlay.events.find((e) => e.type === 'overlay_mounted')?.data,
    { containerId: SANDBOX_ID, target: rootfsOf(SANDBOX_ID), layers: [images().pause.rootHash],
      scratchEncrypted: true });
  const update = world.step(state, combinedLayers(SANDBOX_ID, [TARGET.pause], 'Update'));
  assert.is(update.refusal?.reason, 'the RequestType "Update" is not supported');
  const all = benignPrefix(BENIGN.all);
  const busy = all.world.step(all.state, combinedLayers(APP_ID, [], 'Remove'));
  assertRefused(busy, all.state, { layer: 'state', check: 'unmount_in_use' });
  assert.is(busy.refusal?.reason, `overlay ${JSON.stringify(rootfsOf(APP_ID))} is in use by a `
    + `running container (${APP_ID})`);
  const none = world.step(state, combinedLayers(SANDBOX_ID, [], 'Remove'));
  assertRefused(none, state, { layer: 'policy', rule: 'unmount_overlay' });
});

test.run();
