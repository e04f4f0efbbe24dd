/**
 * Goal: the canonical attacks of issue 8, each driven through `step` with adversary actions on a
 * world in the middle of a benign deployment, are stopped, and the test says where (the layer
 * that refused: policy with its rule, the structural check, dm-verity, dm-crypt) and why.
 * Method: the generated workload's benign run is cut at the point each attack needs (by the
 * shim's step notes); the hostile action is built from the benign one (same frame, one thing
 * changed) or from the host's disk powers. Expectations name the enforcement point and the
 * reason strings of framework.rego / the GCS, taken from spec/policy.md, not from our output.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../sim/kernel/bytes.js';
import type { Json } from '../../sim/kernel/canonical-json.js';
import type { HostAction } from '../../models/host/adversary.js';
import { mountLayer, statLayerPath } from '../../models/guest/layer-image.js';
import { storeGet } from '../../models/host/content-store.js';
import { sealedBlocks, type ScratchDisk } from '../../models/host/storage.js';
import { decodeState, encodeState } from '../../sim/kernel/codec.js';
import {
  deployBenign, fingerprint, imageTreeSpecOf, restore, runActions, snapshot, step,
  type BenignRun, type World,
} from '../../sim/world.js';
import { DEFAULT_WORKLOAD_FLAGS } from '../../models/host/confcom.js';
import { file, generatedWorld } from './world-support.js';

type Cut = Readonly<{ world: World; run: BenignRun; at: number }>;

/** The state an attack leaves round-trips through the codec and through snapshot/restore. */
function assertRoundTrips(world: World): void {
  const bytes = encodeState(world.state);
  assert.equal(encodeState(decodeState(bytes)), bytes);
  assert.is(fingerprint(restore(snapshot(world), world.store)), fingerprint(world));
}

/** The world just before the first benign step whose note starts with `prefix`. */
function before(prefix: string, world = generatedWorld(1)): Cut {
  const run = deployBenign(world);
  const at = run.rows.findIndex((row) => row.note.startsWith(prefix));
  assert.ok(at > 0, `a step "${prefix}"`);
  return { world: runActions(world, run.actions.slice(0, at)).world, run, at };
}

function bridgeBody(action: HostAction): Record<string, Json> {
  assert.is(action.kind, 'bridge');
  return structuredClone((action as Extract<HostAction, { kind: 'bridge' }>).message.message) as
    Record<string, Json>;
}

function withBody(action: HostAction, body: Record<string, Json>): HostAction {
  const bridge = action as Extract<HostAction, { kind: 'bridge' }>;
  return { kind: 'bridge', message: { ...bridge.message, message: body } };
}

test('attack: a layer that is not in the policy is refused by mount_device ("deviceHash not ' +
  'found")', () => {
  const cut = before('mount layer');
  let world = cut.world;
  const evil = { '/bin/sh': file('#!evil\n', 0o755) };
  for (const action of [{ kind: 'add_image', tree: imageTreeSpecOf(evil) } as HostAction]) {
    world = step(world, action).world;
  }
  const image = Object.keys(world.state.host.addedImages)[0]!;
  world = runActions(world, [{ kind: 'add_disk', disk: 'evil', spec: { kind: 'layer', image } },
    { kind: 'attach', lun: 40, disk: 'evil' }]).world;
  const mount = bridgeBody(cut.run.actions[cut.at]!);
  const settings = (mount['Request'] as Record<string, Json>)['Settings'] as Record<string, Json>;
  settings['Lun'] = 40;
  settings['MountPath'] = '/run/mounts/scsi/m40';
  const out = step(world, withBody(cut.run.actions[cut.at]!, mount));
  assert.is(out.result.stoppedBy, 'policy');
  assert.is(out.result.decision?.rule, 'mount_device');
  assert.match(out.result.reason, 'deviceHash not found');
  assert.is(out.world.state.guest, world.state.guest);
});

test('attack: layers combined in the wrong order are refused by mount_overlay', () => {
  const cut = before('combine layers for web');
  const body = bridgeBody(cut.run.actions[cut.at]!);
  const settings = (body['Request'] as Record<string, Json>)['Settings'] as Record<string, Json>;
  settings['Layers'] = [...(settings['Layers'] as Json[])].reverse();
  const out = step(cut.world, withBody(cut.run.actions[cut.at]!, body));
  assert.is(out.result.stoppedBy, 'policy');
  assert.is(out.result.decision?.rule, 'mount_overlay');
  assert.match(out.result.reason, 'no matching containers for overlay');
  assert.is(out.world.state.guest, cut.world.state.guest);
});

test('attack: an injected environment variable is refused by create_container when dropping is ' +
  'off', () => {
  const world = generatedWorld(1, { ...DEFAULT_WORKLOAD_FLAGS,
    allowEnvironmentVariableDropping: false });
  const cut = before('create web', world);
  const body = bridgeBody(cut.run.actions[cut.at]!);
  const config = JSON.parse(body['ContainerConfig'] as string) as { OciSpecification:
    { process: { env: string[] } } };
  config.OciSpecification.process.env.push('LD_PRELOAD=/tmp/evil.so');
  body['ContainerConfig'] = JSON.stringify(config);
  const out = step(cut.world, withBody(cut.run.actions[cut.at]!, body));
  assert.is(out.result.stoppedBy, 'policy');
  assert.is(out.result.decision?.rule, 'create_container');
  assert.match(out.result.reason, 'invalid env list');
  assert.match(out.result.reason, 'LD_PRELOAD');
  assert.is(out.world.state.guest, cut.world.state.guest);
});

test('attack: a policy whose hash is not HOST_DATA, and a second policy, are refused by the ' +
  'GCS', () => {
  const cut = before('set the security policy');
  const benign = cut.run.actions[cut.at]!;
  const other = bridgeBody(benign);
  const settings = (other['Request'] as Record<string, Json>)['Settings'] as Record<string, Json>;
  settings['EncodedSecurityPolicy'] = Buffer.from('package policy\napi_version := "0.10.0"\n'
    + 'mount_device := {"allowed": true}\n').toString('base64');
  const wrong = step(cut.world, withBody(benign, other));
  assert.is(wrong.result.stoppedBy, 'structure');
  assert.is(wrong.result.refusal?.check, 'policy_host_data');
  assert.match(wrong.result.reason, 'HOST_DATA');
  const set = step(cut.world, benign).world;
  const second = step(set, benign);
  assert.is(second.result.stoppedBy, 'structure');
  assert.is(second.result.refusal?.check, 'policy_once');
  assert.match(second.result.reason, 'security policy has already been set');
  assert.is(second.world.state.guest, set.state.guest);
  assert.is(wrong.world.state.guest, cut.world.state.guest);
  assertRoundTrips(second.world);
});

test('attack: a layer block tampered after mount is a dm-verity read error, never other ' +
  'data', () => {
  const cut = before('create web');
  const disk = cut.world.state.host.storage.disks['layer1']!;
  assert.is(disk.kind, 'layer');
  const image = storeGet(cut.world.store, (disk as { image: string }).image)!;
  const passwd = statLayerPath(mountLayer(image), '/etc/passwd')!;
  const forged = new TextEncoder().encode('root:x:0:0::/:/bin/sh\nweb:x:0:0::/:/bin/sh\n');
  const block = new Uint8Array(4096);
  block.set(forged);
  const world = step(cut.world, { kind: 'tamper_block', disk: 'layer1',
    block: passwd.firstBlock, bytes: toHex(block) }).world;
  const out = step(world, cut.run.actions[cut.at]!);
  assert.is(out.result.stoppedBy, 'verity');
  assert.match(out.result.reason, 'read error');
  assert.is(out.world.state.guest, world.state.guest);
  assertRoundTrips(out.world);
});

test('attack: a scratch block changed on the host is an integrity error when the guest reads ' +
  'it', () => {
  const cut = before('run the init process of web');
  const disk = cut.world.state.host.storage.disks['scratch0']!;
  assert.is(disk.kind, 'scratch');
  let world = cut.world;
  const sealed = sealedBlocks(disk as ScratchDisk, cut.world.store);
  for (const [index, hex] of Object.entries(sealed)) {
    const flipped = (parseInt(hex.slice(0, 2), 16) ^ 1).toString(16).padStart(2, '0');
    world = step(world, { kind: 'tamper_block', disk: 'scratch0', block: Number(index),
      bytes: flipped + hex.slice(2) }).world;
  }
  const out = step(world, cut.run.actions[cut.at]!);
  assert.is(out.result.stoppedBy, 'crypt');
  assert.match(out.result.reason, 'integrity');
  assert.is(out.world.state.guest, world.state.guest, 'no process started');
  assertRoundTrips(out.world);
});

test('attack: an exec the policy does not list, after the group is running, is refused by ' +
  'exec_in_container', () => {
  const cut = before('shut side down');
  const exec = cut.run.rows.findIndex((row) => row.note.startsWith('exec probe')
    && row.note.endsWith('in web'));
  const execBody = bridgeBody(cut.run.actions[exec]!);
  const params = JSON.parse((execBody['Settings'] as Record<string, Json>)['ProcessParameters'] as
    string) as { OciProcess: { args: string[] } };
  params.OciProcess.args = ['/bin/sh', '-c', 'cat /proc/self/environ'];
  (execBody['Settings'] as Record<string, Json>)['ProcessParameters'] = JSON.stringify(params);
  const shell = step(cut.world, withBody(cut.run.actions[exec]!, execBody));
  assert.is(shell.result.stoppedBy, 'policy');
  assert.is(shell.result.refusal?.layer, 'policy');
  assert.is(shell.result.decision?.rule, 'exec_in_container');
  // framework.rego's exec error helpers also read fields exec_processes lack, so "invalid
  // noNewPrivileges" and "invalid user" follow every exec_in_container denial
  // (models/policy/rules/exec.ts).
  assert.is(shell.result.decision?.reasons[0], 'invalid command');
  assert.match(shell.result.reason, /^exec_in_container denied: invalid command; /);
  assert.is(shell.world.state.guest, cut.world.state.guest);
});

/** A benign bridge action with every occurrence of one container ID replaced by another. */
function forOtherId(action: HostAction, from: string, to: string): HostAction {
  const body = JSON.stringify(bridgeBody(action)).replaceAll(from, to);
  return withBody(action, JSON.parse(body) as Record<string, Json>);
}

test('attack: an extra container with a fresh ID and a fresh overlay, after the group is ' +
  'running, is refused by create_container', () => {
  const cut = before('shut side down');
  const guest = cut.world.state.guest!;
  const running = Object.entries(guest.containers).filter(([, c]) => c.value === 'running');
  assert.is(running.length, 3, 'pause, web and side are running');
  const combine = cut.run.rows.findIndex((row) => row.note === 'combine layers for side');
  const create = cut.run.rows.findIndex((row) => row.note === 'create side');
  const sideId = bridgeBody(cut.run.actions[create]!)['ContainerId'] as string;
  const extraId = 'e7'.repeat(32);
  assert.ok(!Object.hasOwn(guest.containers, extraId), 'the ID is fresh');
  // The overlay of the side image's layers under the fresh ID: the policy lets any number of
  // instances of a listed image be mounted (mount_overlay matches layers, not a count).
  const overlay = step(cut.world, forOtherId(cut.run.actions[combine]!, sideId, extraId));
  assert.is(overlay.result.outcome, 'ok', overlay.result.reason);
  assert.is(overlay.result.decision?.rule, 'mount_overlay');
  assert.is(overlay.world.state.guest!.overlays[extraId]?.target, `/run/gcs/c/${extraId}/rootfs`);
  // The container the host wants there runs a command no policy container lists.
  const body = bridgeBody(forOtherId(cut.run.actions[create]!, sideId, extraId));
  const config = JSON.parse(body['ContainerConfig'] as string) as { OciSpecification:
    { process: { args: string[] } } };
  config.OciSpecification.process.args = ['/bin/side', '--as-root-shell'];
  body['ContainerConfig'] = JSON.stringify(config);
  const extra = step(overlay.world, withBody(cut.run.actions[create]!, body));
  assert.is(extra.result.outcome, 'refused');
  assert.is(extra.result.stoppedBy, 'policy');
  assert.is(extra.result.refusal?.layer, 'policy');
  assert.is(extra.result.decision?.rule, 'create_container');
  assert.equal(extra.result.decision?.reasons, ['invalid command']);
  assert.is(extra.result.reason, 'create_container denied: invalid command');
  assert.is(extra.world.state.guest, overlay.world.state.guest, 'nothing changed');
  assert.is(extra.world.state.guest!.containers[extraId]?.value, 'overlay_mounted');
  assert.equal(Object.values(extra.world.state.guest!.processes).filter((p) =>
    p.containerId === extraId), []);
  assertRoundTrips(extra.world);
});

test.run();
