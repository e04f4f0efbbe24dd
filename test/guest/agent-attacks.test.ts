/**
 * Goal: each canonical attack of issue 8 that is the guest agent's to stop is stopped, exactly
 * where and why the real stack stops it: a layer not in the policy, layers in the wrong order, an
 * injected environment variable with dropping off, a policy whose hash is not HOST_DATA, a second
 * SecurityPolicy, a layer block tampered after mount (a read error, never wrong data), a scratch
 * block tampered on the host (an integrity error), an extra container and an unlisted exec after
 * the group is running. Every state these runs reach round-trips through the state codec.
 * Method: the benign prefix of agent-support.ts, then the attacker's request or disk change; the
 * assertions name the refusal's layer, rule or check and code, and that nothing changed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeState, encodeState, fingerprint } from '../../sim/kernel/codec.js';
import { buildLayerImage } from '../../models/guest/layer-image.js';
import type { GuestState } from '../../models/guest/guest-state.js';
import {
  APP_ID, APP_TOP_TREE, BENIGN, LUN, SANDBOX_ID, TARGET, benignPrefix, bootedGuest,
  combinedLayers, create, exec, generatedPolicy, images, policyBytes, scsiLayer, setPolicy,
  startInit, text,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const reached: GuestState[] = [];
const keep = (state: GuestState): GuestState => {
  reached.push(state);
  return state;
};

test('guest/attacks: a layer that is not in the policy is not mounted (mount_device)', () => {
  const { world, state } = benignPrefix(BENIGN.appBase);
  const forged = buildLayerImage({ ...APP_TOP_TREE,
    '/app/server': { kind: 'file', content: text('#!backdoor\n'), mode: 0o755 } });
  world.attachLayer(LUN.appTop, forged);
  const step = world.step(state, scsiLayer(LUN.appTop, TARGET.appTop));
  assertRefused(step, keep(state), { layer: 'policy', rule: 'mount_device',
    reason: 'deviceHash not found' });
  assert.is(step.state.devices[TARGET.appTop], undefined);
});

test('guest/attacks: layers in the wrong order get no overlay (mount_overlay)', () => {
  const { world, state } = benignPrefix(BENIGN.appOverlay);
  const step = world.step(state, combinedLayers(APP_ID, [TARGET.appBase, TARGET.appTop]));
  assertRefused(step, keep(state), { layer: 'policy', rule: 'mount_overlay',
    reason: 'no matching containers for overlay' });
  assert.is(step.state.overlays[APP_ID], undefined);
});

test('guest/attacks: an injected environment variable is denied when dropping is off', () => {
  const { world, state } = benignPrefix(BENIGN.appCreate);
  const env = ['PATH=/usr/bin', 'MODE=fast', 'LD_PRELOAD=/tmp/evil.so'];
  const step = world.step(state, create(APP_ID, { process: { env } }));
  assertRefused(step, keep(state), { layer: 'policy', rule: 'create_container',
    reason: 'invalid env list: LD_PRELOAD' });
});

test('guest/attacks: with dropping on, the injected variable is dropped from the container', () => {
  const policy = generatedPolicy({ allow_environment_variable_dropping: true });
  const { world, state } = benignPrefix(BENIGN.appCreate, policy);
  const env = ['PATH=/usr/bin', 'MODE=fast', 'LD_PRELOAD=/tmp/evil.so'];
  const step = world.step(state, create(APP_ID, { process: { env } }));
  assertAccepted(step);
  assert.equal([...step.state.containers[APP_ID]!.context.config!.env].sort(),
    ['MODE=fast', 'PATH=/usr/bin']);
  const started = world.step(keep(step.state), startInit(APP_ID));
  assertAccepted(started);
  const init = started.state.processes[String(started.response.ProcessId)]!;
  assert.not.ok(init.env.includes('LD_PRELOAD=/tmp/evil.so'));
  keep(started.state);
});

test('guest/attacks: a policy whose hash differs from HOST_DATA is refused', () => {
  const bytes = policyBytes(generatedPolicy());
  const { world } = benignPrefix(0);
  const guest = keep(bootedGuest(bytes));
  const permissive = policyBytes(generatedPolicy({ allow_dump_stacks: true }));
  assertRefused(world.step(guest, setPolicy(permissive)), guest,
    { layer: 'structure', check: 'policy_host_data' });
});

test('guest/attacks: a second SecurityPolicy after the first is refused', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const permissive = policyBytes(generatedPolicy({ allow_dump_stacks: true }));
  const step = world.step(state, setPolicy(permissive));
  assertRefused(step, keep(state), { layer: 'structure', check: 'policy_once' });
  assert.is(step.state.policy!.digest, state.policy!.digest);
});

/** The block of /etc/passwd's content in the app's top layer (the layer format's entry). */
function passwdBlock(): number {
  const tree = APP_TOP_TREE;
  assert.ok(tree['/etc/passwd'] !== undefined);
  // Found by reading the layer the guest mounted, not by computing the layout here.
  const { state, world } = benignPrefix(BENIGN.appOverlay);
  const view = world.io.deviceBytes(LUN.appTop) as Uint8Array;
  const needle = Buffer.from('app:x:1000:1000');
  const at = Buffer.from(view).indexOf(needle);
  assert.ok(at > 0 && state.devices[TARGET.appTop] !== undefined);
  return Math.floor(at / 4096);
}

test('guest/attacks: a layer block tampered after mount is a read error at create, never other '
  + 'bytes', () => {
  const { world, state } = benignPrefix(BENIGN.appCreate);
  const block = new Uint8Array(4096);
  block.set(text('root:x:0:0:root:/root:/bin/sh\napp:x:0:0::/:/bin/sh\n'));
  world.tamperLayer(LUN.appTop, passwdBlock(), block);
  const step = world.step(state, create(APP_ID));
  assertRefused(step, keep(state), { layer: 'verity', code: 'GUEST_VERITY_READ_ERROR',
    reason: '/etc/passwd' });
  assert.is(step.decision, null, 'the read failed before the policy was asked');
});

test('guest/attacks: a layer block tampered after the group runs is a read error at exec', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  world.tamperLayer(LUN.appTop, passwdBlock(), new Uint8Array(4096).fill(0x23));
  const step = world.step(state, exec(APP_ID, ['/bin/sh', '-c', 'echo ok']));
  assertRefused(step, keep(state), { layer: 'verity', code: 'GUEST_VERITY_READ_ERROR' });
});

test('guest/attacks: a scratch block tampered on the host is an integrity error at start', () => {
  const { world, state } = benignPrefix(BENIGN.appStart);
  const device = state.devices[TARGET.scratch]!;
  assert.is(device.kind, 'rw_scratch');
  const file = device.kind === 'rw_scratch'
    ? device.files[`scratch/${APP_ID}/config.json`]! : undefined;
  const sealed = (world.io.scratchDisk(LUN.scratch) as { sealed: Record<string, string> })
    .sealed[String(file!.firstBlock)]!;
  const flipped = (parseInt(sealed.slice(0, 2), 16) ^ 1).toString(16).padStart(2, '0')
    + sealed.slice(2);
  world.tamperScratch(LUN.scratch, file!.firstBlock, flipped);
  const step = world.step(state, startInit(APP_ID));
  assertRefused(step, keep(state), { layer: 'crypt', code: 'GUEST_SCRATCH_INTEGRITY' });
  assert.is(step.state.containers[APP_ID]!.value, 'created');
});

test('guest/attacks: another block\'s genuine ciphertext swapped in is an integrity error too',
  () => {
  const { world, state } = benignPrefix(BENIGN.appStart);
  const before = { ...(world.io.scratchDisk(LUN.scratch) as { sealed: Record<string, string> })
    .sealed };
  // The app's config.json is the third file written (block 2); block 0 is the pause's config.
  world.tamperScratch(LUN.scratch, 2, before['0']!);
  assertRefused(world.step(state, startInit(APP_ID)), keep(state),
    { layer: 'crypt', code: 'GUEST_SCRATCH_INTEGRITY' });
});

test('guest/attacks: an extra container the policy does not list is not created after the '
  + 'group runs', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const extra = 'ef'.repeat(32);
  const scratch = `/run/gcs/c/${SANDBOX_ID}/scratch/${extra}`;
  // Another instance of the app's layers is a policy container, so its overlay mounts...
  const overlay = world.step(state, combinedLayers(extra, [TARGET.appTop, TARGET.appBase], 'Add',
    { ScratchPath: scratch }));
  assertAccepted(overlay);
  // ...but a shell as its command is not in the policy.
  const step = world.step(keep(overlay.state), create(extra, {
    process: { args: ['/bin/sh'] }, settings: { ScratchDirPath: scratch } }));
  assertRefused(step, overlay.state, { layer: 'policy', rule: 'create_container',
    reason: 'invalid command' });
});

test('guest/attacks: an exec the policy does not list is denied; the listed probe runs', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const shell = world.step(state, exec(APP_ID, ['/bin/sh']));
  assertRefused(shell, keep(state), { layer: 'policy', rule: 'exec_in_container',
    reason: 'invalid command' });
  const probe = world.step(state, exec(APP_ID, ['/bin/sh', '-c', 'echo ok']));
  assertAccepted(probe);
  const process = probe.state.processes[String(probe.response.ProcessId)]!;
  assert.equal([process.kind, process.user.name, process.containerId], ['exec', 'app', APP_ID]);
  keep(probe.state);
});

test('guest/attacks: an unlisted external process is denied (exec_external)', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const step = world.step(state, {
    type: 0x10100501, id: 77, message: { ContainerId: '00000000-0000-0000-0000-000000000000',
      Settings: { ProcessParameters: JSON.stringify({ CommandArgs: ['/bin/sh'],
        WorkingDirectory: '/', CreateInUtilityVM: true }) } } });
  assertRefused(step, keep(state), { layer: 'policy', rule: 'exec_external' });
  assert.is(images().pause.rootHash.length, 64);
});

test('guest/attacks: every state these attacks reached round-trips through the codec', () => {
  assert.ok(reached.length >= 12);
  for (const state of reached) {
    const bytes = encodeState(state);
    assert.equal(decodeState(bytes), state);
    assert.is(fingerprint(decodeState(bytes)), fingerprint(state));
  }
});

test.run();
