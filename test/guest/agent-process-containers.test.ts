/**
 * Goal: the container-control requests of agent-process.ts answer with the GCS's exact words,
 * layers and HRESULTs, and change exactly the processes they name: a shutdown ends only that
 * container's running processes; a signal to an exec is judged by the exec's own signal list (it
 * is not the init process) and leaves it exited; a shutdown or a properties query the policy
 * denies changes nothing; properties list only running processes; an exec without a username in
 * a container created without one runs with the ids it carried; DeleteContainerState runs the
 * container-ID check only under a policy.
 * Method: the benign run of agent-support.ts (both containers running; generatedPolicy() lets
 * the app's init take SIGTERM and its exec /bin/sh -c 'echo ok' take no signal); policies with a
 * constant rule or a flag for the denials. Reasons are the agent's documented texts; HRESULTs are
 * spec (d)'s numbers written out as int32.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bridgeMessage } from '../../models/guest/bridge-protocol.js';
import { UVM_CONTAINER_ID } from '../../models/guest/guest-state.js';
import {
  APP_ID, BENIGN, SANDBOX_ID, TestWorld, benignPrefix, bootedGuest, exec, generatedPolicy,
  negotiate, plain, run, signal, text, waitFor,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const VMCOMPUTE_SYSTEM_NOT_FOUND = -1070137074;   // 0xc037010e
const VMCOMPUTE_TIMEOUT = -1070137079;            // 0xc0370109
const E_NOT_FOUND = -2147023728;                  // 0x80070490
const OTHER_ID = 'ef'.repeat(32);
const ECHO = ['/bin/sh', '-c', 'echo ok'];

test('guest/containers: a shutdown ends the running processes of that container only, and '
  + 'keeps the exit code of one that had exited', () => {
  const policy = generatedPolicy({}, { exec_processes: [{ command: ECHO, signals: [15] }] });
  const { world, state } = benignPrefix(BENIGN.all, policy);
  const probe = world.step(state, exec(APP_ID, ECHO));
  const pid = String(probe.response.ProcessId);
  const termed = world.step(probe.state, signal(APP_ID, probe.response.ProcessId!, 15));
  assert.equal([termed.state.processes[pid]?.status, termed.state.processes[pid]?.exitCode],
    ['exited', 143], 'the signalled exec exited');
  const appInit = String(state.containers[APP_ID]!.context.initPid);
  const pauseInit = String(state.containers[SANDBOX_ID]!.context.initPid);
  const pause = world.step(termed.state, plain('ShutdownForced', SANDBOX_ID));
  assertAccepted(pause);
  assert.equal([pause.state.processes[pauseInit]?.status, pause.state.processes[pauseInit]
    ?.exitCode], ['exited', 137]);
  assert.equal([pause.state.processes[appInit]?.status, pause.state.processes[appInit]?.exitCode],
    ['running', null], 'the app runs on');
  assert.is(pause.state.containers[APP_ID]?.value, 'running');
  const app = world.step(termed.state, plain('ShutdownGraceful', APP_ID));
  assertAccepted(app);
  assert.equal([app.state.processes[appInit]?.exitCode, app.state.processes[pid]?.exitCode],
    [143, 143]);
  const killed = world.step(termed.state, plain('ShutdownForced', APP_ID));
  assert.equal([killed.state.processes[appInit]?.exitCode, killed.state.processes[pid]?.exitCode],
    [137, 143], 'the exec had exited with 143 before');
});

test('guest/containers: a signal to an exec is judged by the exec\'s signal list, not the init '
  + 'process\'s', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const probe = world.step(state, exec(APP_ID, ECHO));
  assertAccepted(probe);
  const pid = probe.response.ProcessId!;
  const denied = world.step(probe.state, signal(APP_ID, pid, 15));
  assertRefused(denied, probe.state, { layer: 'policy', rule: 'signal_container_process' });
  assert.is(denied.state.processes[String(pid)]?.status, 'running');
  const init = state.containers[APP_ID]!.context.initPid!;
  assertAccepted(world.step(probe.state, signal(APP_ID, init, 15)));
});

test('guest/containers: a signal names the missing container or process', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const noContainer = world.step(state, signal(OTHER_ID, 1, 15));
  assertRefused(noContainer, state, { layer: 'state' });
  assert.is(noContainer.refusal?.reason, `container ${OTHER_ID} not found`);
  const noProcess = world.step(state, signal(APP_ID, 999, 15));
  assertRefused(noProcess, state, { layer: 'state' });
  assert.is(noProcess.response.Result, E_NOT_FOUND);
  const busy = world.step(state, waitFor(APP_ID, state.containers[APP_ID]!.context.initPid!));
  assertRefused(busy, state, { layer: 'state' });
  assert.is(busy.response.Result, VMCOMPUTE_TIMEOUT);
});

test('guest/containers: a shutdown the policy denies changes nothing; a missing container is '
  + 'named', () => {
  const policy = generatedPolicy();
  const denying = { ...policy, rules: { ...policy.rules,
    shutdown_container: { kind: 'constant' as const, allowed: false, outputs: {} } } };
  const { world, state } = benignPrefix(BENIGN.all, denying);
  const step = world.step(state, plain('ShutdownForced', APP_ID));
  assertRefused(step, state, { layer: 'policy', rule: 'shutdown_container' });
  assert.is(step.state.containers[APP_ID]?.value, 'running');
  assert.is(step.events.some((e) => e.type === 'container_stopped'), false);
  const missing = world.step(state, plain('ShutdownGraceful', OTHER_ID));
  assertRefused(missing, state, { layer: 'state' });
  assert.is(missing.refusal?.reason, `container ${OTHER_ID} not found`);
});

test('guest/containers: console resizes name the missing container, and a missing process is a '
  + 'state refusal', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const resize = (id: string, pid: number) => world.step(state, bridgeMessage('ResizeConsole',
    70, { ContainerId: id, ActivityId: '', ProcessId: pid, Height: 24, Width: 80 }));
  const noContainer = resize(OTHER_ID, 1);
  assertRefused(noContainer, state, { layer: 'state' });
  assert.is(noContainer.refusal?.reason, `container ${OTHER_ID} not found`);
  assertRefused(resize(APP_ID, 999), state, { layer: 'state', reason: 'process 999 not found' });
});

const props = (world: TestWorld, state: Parameters<TestWorld['step']>[0], id: string) =>
  world.step(state, bridgeMessage('GetProperties', 71, { ContainerId: id, ActivityId: '',
    Query: JSON.stringify({ PropertyTypes: ['ProcessList'] }) }));

test('guest/containers: properties list running processes only, name a missing container, and '
  + 'are refused when the policy denies properties access', () => {
  const policy = generatedPolicy({}, { exec_processes: [{ command: ECHO, signals: [15] }] });
  const { world, state } = benignPrefix(BENIGN.all, policy);
  const probe = world.step(state, exec(APP_ID, ECHO));
  const termed = world.step(probe.state, signal(APP_ID, probe.response.ProcessId!, 15));
  const init = state.containers[APP_ID]!.context.initPid!;
  assert.is(props(world, termed.state, APP_ID).response.Properties,
    JSON.stringify({ ProcessList: [{ ProcessId: init }] }));
  const missing = props(world, state, OTHER_ID);
  assertRefused(missing, state, { layer: 'state' });
  assert.is(missing.refusal?.reason, `container ${OTHER_ID} not found`);
  assert.is(missing.response.Result, VMCOMPUTE_SYSTEM_NOT_FOUND);
  const closed = benignPrefix(BENIGN.all, generatedPolicy({ allow_properties_access: false }));
  const denied = props(closed.world, closed.state, APP_ID);
  assertRefused(denied, closed.state, { layer: 'policy', rule: 'get_properties' });
  assert.is(denied.response.Properties, undefined);
});

test('guest/containers: an exec without a username in a container created without one runs '
  + 'with the ids it carried', () => {
  const anyone = { user_idname: { pattern: '', strategy: 'any' as const },
    group_idnames: [{ pattern: '', strategy: 'any' as const }], umask: '0022' };
  const { world, state } = benignPrefix(BENIGN.all, generatedPolicy({}, { user: anyone }));
  assert.is(state.containers[APP_ID]?.context.config?.username, '');
  assert.is(state.containers[APP_ID]?.context.config?.user.uid, 1000);
  const step = world.step(state, exec(APP_ID, ECHO, { user: { uid: 0, gid: 0 } }));
  assertAccepted(step);
  const process = step.state.processes[String(step.response.ProcessId)];
  assert.equal(process?.user, { uid: 0, gid: 0, name: 'root' });
  assert.equal(process?.groups.map((g) => g.id), [0]);
});

test('guest/containers: DeleteContainerState checks the container ID under a policy only', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const bad = world.step(state, plain('DeleteContainerState', 'not-an-id'));
  assertRefused(bad, state, { layer: 'structure', check: 'container_id_format' });
  assert.is(bad.refusal?.reason,
    'invalid container id: "not-an-id" (must match ^[0-9a-fA-F]{64}$)');
  const missing = world.step(state, plain('DeleteContainerState', OTHER_ID));
  assert.is(missing.refusal?.reason, `container ${OTHER_ID} not found`);
  const open = new TestWorld();
  const { states } = run(open, bootedGuest(text('no policy yet'), 'delete-open'), [negotiate()]);
  const start = states[1]!;
  const unchecked = open.step(start, plain('DeleteContainerState', 'not-an-id'));
  assertRefused(unchecked, start, { layer: 'state' });
  assert.is(unchecked.refusal?.reason, 'container not-an-id not found');
  assert.is(unchecked.response.Result, VMCOMPUTE_SYSTEM_NOT_FOUND);
});

test('guest/containers: the UVM ID is not a container to wait in', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const step = world.step(state, waitFor(UVM_CONTAINER_ID, state.containers[APP_ID]!.context
    .initPid!));
  assertRefused(step, state, { layer: 'state', reason: 'not found' });
  assert.is(step.response.Result, E_NOT_FOUND, 'the app\'s init is no external process');
});

test.run();
