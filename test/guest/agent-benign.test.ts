/**
 * Goal: the benign deployment of a generated policy with generated images succeeds end to end in
 * the guest agent — policy bound to HOST_DATA, layers mounted with root hashes read from the
 * devices, overlays, both containers created and running, exec probes, signals, shutdown and
 * teardown — and what the agent recorded is what the images and the host's requests say: layers
 * in policy order, users named by each container's own /etc/passwd (top layer first), the host's
 * scratch disk holding only ciphertext. Every state reached round-trips through the codec.
 * Method: agent-support.ts builds the images, the policy and the requests; expected values come
 * from those inputs (image root hashes, file contents), never from the agent.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeState, encodeState, fingerprint } from '../../sim/kernel/codec.js';
import { hexBytes } from '../../sim/kernel/bytes.js';
import { guestFilesystem } from '../../models/guest/guest-fs.js';
import { readScratchFile } from '../../models/guest/scratch-files.js';
import type { GuestState, RwDeviceMount } from '../../models/guest/guest-state.js';
import { UVM_CONTAINER_ID } from '../../models/guest/guest-state.js';
import { bridgeMessage } from '../../models/guest/bridge-protocol.js';
import { HRESULT } from '../../models/guest/bridge-protocol.js';
import {
  APP_ID, APP_TOP_TREE, BENIGN, LUN, PAUSE_TREE, SANDBOX_ID, TARGET, benignPrefix, benignRun,
  combinedLayers, exec, generatedPolicy, images, last, plain, run, scsiLayer, scsiScratch,
  signal, waitFor, type TestWorld,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const all: GuestState[] = [];

test('guest/agent: the benign deployment of a generated policy runs both containers', () => {
  const { states, steps } = benignRun();
  all.push(...states);
  const state = last(states);
  assert.is(state.uvm.value, 'serving');
  assert.is(state.containers[SANDBOX_ID]!.value, 'running');
  assert.is(state.containers[APP_ID]!.value, 'running');
  assert.ok(steps.every((s) => s.refusal === null && s.response.Result === 0));
  assert.is(Object.values(state.processes).filter((p) => p.status === 'running').length, 2);
});

test('guest/agent: each container\'s layers are the policy\'s, top first, read from the devices',
  () => {
    const state = last(benignRun().states);
    const img = images();
    assert.equal(state.containers[APP_ID]!.context.layers, [img.appTop.rootHash,
      img.appBase.rootHash]);
    assert.equal(state.containers[SANDBOX_ID]!.context.layers, [img.pause.rootHash]);
    const expected = [[TARGET.appBase, img.appBase], [TARGET.appTop, img.appTop]] as const;
    for (const [target, image] of expected) {
      const device = state.devices[target]!;
      assert.ok(device.kind === 'ro_verity' && device.table.root_digest === image.rootHash);
    }
  });

test('guest/agent: the user is named by the container\'s own /etc/passwd, top layer first', () => {
  const state = last(benignRun().states);
  const app = state.containers[APP_ID]!.context.config!;
  assert.equal(app.user, { uid: 1000, gid: 1000, name: 'app' }, 'only the top layer names 1000');
  assert.equal(app.groups, [{ id: 1000, name: 'app' }], 'the group from the base layer');
  const pause = state.containers[SANDBOX_ID]!.context.config!;
  assert.equal(pause.user.name, 'root');
  assert.ok(app.devices.includes('/dev/sev-guest'), 'the agent adds /dev/sev-guest');
});

function sealedBlocks(world: TestWorld): string[] {
  return Object.values((world.io.scratchDisk(LUN.scratch) as { sealed: Record<string, string> })
    .sealed);
}

test('guest/agent: the host\'s scratch disk holds only ciphertext; the guest reads its config '
  + 'back', () => {
  const { world, states } = benignRun();
  const state = last(states);
  const blocks = sealedBlocks(world);
  assert.is(blocks.length, 4, 'two configs and two start markers');
  for (const needle of ['/app/server', 'PATH=/usr/bin', 'sev-guest', SANDBOX_ID]) {
    const hex = Buffer.from(needle).toString('hex');
    assert.not.ok(blocks.some((b) => b.includes(hex)), `${needle} is not on the host's disk`);
  }
  const device = state.devices[TARGET.scratch] as RwDeviceMount;
  assert.ok(device.encrypted);
  const config = readScratchFile(state, world.io, device, `scratch/${APP_ID}/config.json`);
  assert.ok(config instanceof Uint8Array);
  const spec = JSON.parse(Buffer.from(config).toString()) as { process: { env: string[] } };
  assert.equal([...spec.process.env].sort(), ['MODE=fast', 'PATH=/usr/bin']);
  assert.is(hexBytes(state.secrets.scratchKeys[TARGET.scratch]!).length, 32);
});

test('guest/agent: unencrypted scratch, when the policy allows it and the host asks, is '
  + 'recorded as such and holds plaintext', () => {
  const policy = generatedPolicy({ allow_unencrypted_scratch: true });
  const { world, state } = benignPrefix(BENIGN.scratch, policy);
  const step = world.step(state, scsiScratch(LUN.scratch, TARGET.scratch, 'Add',
    { Encrypted: false }));
  assertAccepted(step);
  const device = step.state.devices[TARGET.scratch] as RwDeviceMount;
  assert.is(device.encrypted, false);
  assert.is(step.state.secrets.scratchKeys[TARGET.scratch], undefined, 'no key drawn');
  const rest = run(world, step.state, [scsiLayer(LUN.pause, TARGET.pause),
    combinedLayers(SANDBOX_ID, [TARGET.pause])]);
  assert.is(last(rest.states).overlays[SANDBOX_ID]!.scratch!.encrypted, false);
});

test('guest/agent: unencrypted scratch is refused when the policy does not allow it', () => {
  const { world, state } = benignPrefix(BENIGN.scratch);
  assertRefused(world.step(state, scsiScratch(LUN.scratch, TARGET.scratch, 'Add',
    { Encrypted: false })), state, { layer: 'policy', rule: 'rw_mount_device',
    reason: 'unencrypted scratch not allowed' });
});

test('guest/agent: probes, signals, shutdown and teardown after the group runs', () => {
  const { world, states } = benignRun();
  let state = last(states);
  const step = (request: unknown) => {
    const s = world.step(state, request);
    assertAccepted(s);
    all.push(s.state);
    state = s.state;
    return s;
  };
  const probe = step(exec(APP_ID, ['/bin/sh', '-c', 'echo ok']));
  const pid = probe.response.ProcessId!;
  const waiting = world.step(state, waitFor(APP_ID, pid));
  assert.is(waiting.response.Result, HRESULT.VMCOMPUTE_TIMEOUT, 'still running');
  const props = step(bridgeMessage('GetProperties', 40, { ContainerId: APP_ID,
    Query: JSON.stringify({ PropertyTypes: ['ProcessList'] }) }));
  type List = { ProcessList: { ProcessId: number }[] };
  const listed = (JSON.parse(props.response.Properties!) as List)
    .ProcessList.map((p) => p.ProcessId);
  assert.ok(listed.includes(pid) && listed.includes(state.containers[APP_ID]!.context.initPid!));
  const init = state.containers[APP_ID]!.context.initPid!;
  step(signal(APP_ID, init, 15));
  assert.is(state.containers[APP_ID]!.value, 'exited');
  assert.is(state.processes[String(pid)]!.status, 'exited', 'the exec went with its container');
  assert.is(step(waitFor(APP_ID, init)).response.ExitCode, 128 + 15);
  step(plain('ShutdownGraceful', SANDBOX_ID));
  for (const id of [APP_ID, SANDBOX_ID]) {
    step(combinedLayers(id, [], 'Remove'));
    step(plain('DeleteContainerState', id));
    assert.is(state.containers[id]!.value, 'deleted');
  }
  const layers = [[LUN.appTop, TARGET.appTop], [LUN.appBase, TARGET.appBase],
    [LUN.pause, TARGET.pause]] as const;
  for (const [lun, target] of layers) step(scsiLayer(lun, target, 'Remove'));
  step(scsiScratch(LUN.scratch, TARGET.scratch, 'Remove'));
  assert.equal(Object.keys(state.devices), []);
  assert.equal(state.secrets.scratchKeys, {});
  step(plain('ShutdownForced', UVM_CONTAINER_ID));
  assert.is(state.uvm.value, 'stopped');
  assert.ok(Object.values(state.processes).every((p) => p.status === 'exited'));
});

test('guest/agent: powering the UVM off stops every container and process, without the policy',
  () => {
    const { world, state } = benignPrefix(BENIGN.all);
    const off = world.step(state, plain('ShutdownGraceful', UVM_CONTAINER_ID));
    assertAccepted(off);
    assert.is(off.decision, null, 'no policy is asked');
    assert.is(off.state.uvm.value, 'stopped');
    assert.equal(Object.values(off.state.containers).map((c) => c.value), ['exited', 'exited']);
    assert.ok(Object.values(off.state.processes).every((p) => p.exitCode === 137));
  });

test('guest/agent: stack dumps are denied by the generated policy (allow_dump_stacks false)',
  () => {
    const { world, state } = benignPrefix(BENIGN.all);
    assertRefused(world.step(state, plain('DumpStacks', UVM_CONTAINER_ID)), state,
      { layer: 'policy', rule: 'dump_stacks' });
  });

test('guest/agent: the guest filesystem view has the real paths and the layers\' contents', () => {
  const { world, states } = benignRun();
  const view = guestFilesystem(last(states), world.io);
  const fs = view.volume;
  const read = (path: string): string => String(fs.readFileSync(path));
  const passwd = APP_TOP_TREE['/etc/passwd']!;
  assert.is(read(`/run/gcs/c/${APP_ID}/rootfs/etc/passwd`),
    Buffer.from(passwd.kind === 'file' ? passwd.content : []).toString(), 'the top layer wins');
  assert.ok(fs.existsSync(`/run/gcs/c/${APP_ID}/rootfs/bin/sh`), 'the base layer shows through');
  const pause = PAUSE_TREE['/pause']!;
  assert.is(read(`${TARGET.pause}/pause`),
    Buffer.from(pause.kind === 'file' ? pause.content : []).toString());
  assert.ok(read(`${TARGET.scratch}/scratch/${APP_ID}/config.json`).includes('/app/server'));
  assert.is(read('/proc/101/cmdline'), '/app/server\0--port\0' + '80\0');
  assert.equal(view.unreadable, {});
});

test('guest/agent: two runs give the same states (the guest draws from its own stream)', () => {
  const a = benignRun().states.map((s) => fingerprint(s));
  const b = benignRun().states.map((s) => fingerprint(s));
  assert.equal(a, b);
  assert.is(new Set(a).size, a.length, 'every step changed the state');
});

test('guest/agent: every state reached in these runs round-trips through the codec', () => {
  assert.ok(all.length > 20);
  for (const state of all) {
    const decoded = decodeState(encodeState(state));
    assert.equal(decoded, state);
    assert.is(fingerprint(decoded), fingerprint(state));
  }
});

test.run();
