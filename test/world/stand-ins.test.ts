/**
 * Goal: a real policy's registry layers, which cannot be rebuilt here, are stood in for by real
 * layer images the guest reads exactly as the design says (models/host/images.ts): a pristine
 * stand-in presents the root hash the policy names; a changed data block is caught by the
 * stand-in's own dm-verity tree when the guest reads it; a changed top hash block makes the
 * device present its real root hash, which the policy does not know.
 * Method: a shared policy's world, cut before the first layer mount; the stand-in's own image
 * (from the store) locates its top hash block and its /etc/passwd blocks; expected hashes come
 * from the policy text's layer list and from the image's own tree.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../sim/kernel/bytes.js';
import { layerVerityTable, mountLayer, statLayerPath } from '../../models/guest/layer-image.js';
import { storeGet } from '../../models/host/content-store.js';
import { deployBenign, runActions, step, type World } from '../../sim/world.js';
import { sharedTest } from '../support/requires.js';
import { sharedPolicyWorld } from './world-support.js';

const SUITE = 'world/stand-ins';
const POLICY = 'hcsshim/cri-containerd_policy-v0.1.0.rego';

type Cut = Readonly<{ world: World; mount: ReturnType<typeof deployBenign>['actions'][number];
  create: ReturnType<typeof deployBenign>['actions'][number]; image: Uint8Array; declared: string;
  createIndex: number; actions: ReturnType<typeof deployBenign>['actions'] }>;

/** The world with layer0 attached, before its mount; the stand-in's bytes and declared root. */
function beforeFirstMount(): Cut {
  const world = sharedPolicyWorld(POLICY);
  const run = deployBenign(world);
  const at = run.rows.findIndex((row) => row.note.startsWith('mount layer'));
  const createIndex = run.rows.findIndex((row) => row.note.startsWith('create '));
  const cut = runActions(world, run.actions.slice(0, at)).world;
  const disk = cut.state.host.storage.disks['layer0']!;
  assert.is(disk.kind, 'layer');
  const digest = (disk as { image: string }).image;
  const image = storeGet(cut.store, digest)!;
  const declared = world.config.images.find((i) => i.digest === digest)!.declaredRoot!;
  return { world: cut, mount: run.actions[at]!, create: run.actions[createIndex]!, image,
    declared, createIndex, actions: run.actions };
}

sharedTest(`${SUITE}: a pristine stand-in presents the root hash the policy names, its reads `
  + 'verified against its own tree', () => {
  const cut = beforeFirstMount();
  const real = layerVerityTable(cut.image).root_digest;
  assert.is.not(real, cut.declared);
  const out = step(cut.world, cut.mount);
  assert.is(out.result.outcome, 'ok', out.result.reason);
  const device = out.world.state.guest!.devices['/run/mounts/scsi/m0']!;
  assert.is(device.kind, 'ro_verity');
  assert.is((device as { rootHash: string }).rootHash, cut.declared);
  assert.is((device as { table: { root_digest: string } }).table.root_digest, real);
  assert.is(out.world.state.guest!.metadata.devices['/run/mounts/scsi/m0'], cut.declared);
});

sharedTest(`${SUITE}: a changed top hash block makes the stand-in present its real root, which `
  + 'mount_device does not know', () => {
  const cut = beforeFirstMount();
  const table = layerVerityTable(cut.image);
  const top = table.hash_start_block;
  const block = cut.image.slice(top * 4096, (top + 1) * 4096);
  block[0] = block[0]! ^ 0x01;
  const tampered = step(cut.world, { kind: 'tamper_block', disk: 'layer0', block: top,
    bytes: toHex(block) }).world;
  const out = step(tampered, cut.mount);
  assert.is(out.result.stoppedBy, 'policy');
  assert.is(out.result.decision?.rule, 'mount_device');
  assert.equal(out.result.decision?.reasons, ['deviceHash not found']);
  assert.is(out.world.state.guest, tampered.state.guest);
});

sharedTest(`${SUITE}: a changed data block of a stand-in is a dm-verity read error when the guest `
  + 'reads it, never other bytes', () => {
  const cut = beforeFirstMount();
  const passwd = statLayerPath(mountLayer(cut.image), '/etc/passwd');
  assert.ok(passwd !== undefined && passwd.kind === 'file', 'the stand-in has /etc/passwd');
  const forged = new Uint8Array(4096);
  forged.set(new TextEncoder().encode('root:x:0:0::/:/bin/sh\n'));
  const tampered = step(cut.world, { kind: 'tamper_block', disk: 'layer0',
    block: (passwd as { firstBlock: number }).firstBlock, bytes: toHex(forged) }).world;
  const mounted = step(tampered, cut.mount);
  assert.is(mounted.result.outcome, 'ok', 'the tree above the block is pristine');
  const at = cut.actions.indexOf(cut.mount);
  const before = runActions(mounted.world, cut.actions.slice(at + 1, cut.createIndex)).world;
  const out = step(before, cut.create);
  assert.is(out.result.stoppedBy, 'verity');
  assert.match(out.result.reason, 'read error');
  assert.is(out.world.state.guest, before.state.guest);
});

test.run();
