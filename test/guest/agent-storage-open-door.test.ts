/**
 * Goal: under an open-door policy (allow_all, the legacy JSON enforcer that allows every point)
 * the GCS's own bookkeeping still refuses what cannot be mounted or unmounted (hcsv2 hostMounts,
 * overlay.MountLayer): a second device, overlay or share at a target, an overlay over a layer
 * that is not a mounted read-only device, a second overlay for a container, and unmounting what
 * is not there; each names the target and the metadata is rolled back.
 * Method: generatedPolicy() with allow_all set, the benign run of agent-support.ts, then one
 * request the framework would have denied first (so only the agent's check stands in the way).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_AGENT_OPTIONS } from '../../models/guest/agent.js';
import { modifySettingsMessage } from '../../models/guest/bridge-protocol.js';
import { UVM_CONTAINER_ID } from '../../models/guest/guest-state.js';
import {
  APP_ID, BENIGN, LUN, TARGET, benignPrefix, combinedLayers, generatedPolicy, rootfsOf,
  scsiLayer,
} from './agent-support.js';
import { assertRefused } from './agent-assert.js';

const OPEN = { ...generatedPolicy(), allow_all: true };
const OTHER_ID = 'ef'.repeat(32);

function refusedHere(step: Parameters<typeof assertRefused>[0],
  start: Parameters<typeof assertRefused>[1], reason: string): void {
  assertRefused(step, start, { layer: 'state' });
  assert.is(step.refusal?.reason, reason);
  assert.ok(step.events.some((e) => e.type === 'metadata_rolled_back'), 'rolled back');
}

test('guest/open-door: a second device at a target is refused by the agent', () => {
  const { world, state } = benignPrefix(BENIGN.all, OPEN);
  refusedHere(world.step(state, scsiLayer(LUN.pause, TARGET.pause)), state,
    `a device is already mounted at ${TARGET.pause}`);
});

test('guest/open-door: overlays need a free target, mounted read-only layers and a container '
  + 'without one', () => {
  const { world, state } = benignPrefix(BENIGN.all, OPEN);
  refusedHere(world.step(state, combinedLayers(APP_ID, [TARGET.appTop])), state,
    `an overlay is already mounted at ${rootfsOf(APP_ID)}`);
  refusedHere(world.step(state, combinedLayers(OTHER_ID, ['/run/mounts/scsi/zz'])), state,
    'overlay layer /run/mounts/scsi/zz is not a mounted read-only device');
  refusedHere(world.step(state, combinedLayers(OTHER_ID, [TARGET.scratch])), state,
    `overlay layer ${TARGET.scratch} is not a mounted read-only device`);
  const options = { ...DEFAULT_AGENT_OPTIONS, checks: { overlay_paths: false } };
  const relaxed = benignPrefix(BENIGN.all, OPEN, options);
  const second = relaxed.world.step(relaxed.state, combinedLayers(APP_ID, [TARGET.appTop], 'Add',
    { ContainerRootPath: `/run/gcs/c/${APP_ID}/rootfs2` }));
  refusedHere(second, relaxed.state, `container ${APP_ID} already has an overlay`);
});

test('guest/open-door: unmounting what is not mounted names the target', () => {
  const { world, state } = benignPrefix(BENIGN.all, OPEN);
  refusedHere(world.step(state, combinedLayers(OTHER_ID, [], 'Remove')), state,
    `no overlay is mounted at ${rootfsOf(OTHER_ID)}`);
  refusedHere(world.step(state, scsiLayer(LUN.pause, '/run/mounts/scsi/none', 'Remove')), state,
    'unmounting scsi device at /run/mounts/scsi/none failed: directory does not exist');
  refusedHere(world.step(state, scsiLayer(LUN.pause, TARGET.scratch, 'Remove')), state,
    `unmounting scsi device at ${TARGET.scratch} failed: directory does not exist`);
});

test('guest/open-door: a second share at a target is refused by the agent', () => {
  const { world, state } = benignPrefix(BENIGN.all, OPEN);
  const target = `/run/gcs/c/${APP_ID}/mounts/m1`;
  const share = modifySettingsMessage(900, UVM_CONTAINER_ID, 'MappedDirectory', 'Add',
    { MountPath: target, ShareName: 'data', Port: 564 });
  const first = world.step(state, share);
  assert.is(first.refusal, null);
  refusedHere(world.step(first.state, share), first.state,
    `a share is already mounted at ${target}`);
});

test.run();
