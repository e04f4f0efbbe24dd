/**
 * Goal: the process and lifecycle requests (agent-process.ts) answer as the GCS does: protocol
 * negotiation's version range and capabilities, external processes and their stdio rule, waits
 * and signals with their HRESULTs and exit codes (128 + signal; signal 0 is SIGKILL; SIGCONT does
 * not end a process), container shutdowns, properties, stack dumps, and DeleteContainerState
 * with its delete_requires_stopped check on and off; each traced by its event.
 * Method: the benign run of agent-support.ts (both containers running; generatedPolicy() allows
 * signal 15 to the app, /bin/ls as an external process without stdio, and no stack dumps unless
 * its flag is set); HRESULTs are spec (d)'s numbers written out as int32 here; capabilities are
 * bridge_v2.go's `capabilities` as spec (d) lists them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_AGENT_OPTIONS } from '../../models/guest/agent.js';
import { environmentList } from '../../models/guest/agent-process.js';
import { bridgeMessage } from '../../models/guest/bridge-protocol.js';
import { UVM_CONTAINER_ID, type GuestState } from '../../models/guest/guest-state.js';
import {
  APP_ID, BENIGN, SANDBOX_ID, benignPrefix, combinedLayers, exec, generatedPolicy, negotiate,
  plain, signal, waitFor, type TestWorld,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const VMCOMPUTE_UNSUPPORTED_PROTOCOL = -1070137076;   // 0xc037010c
const VMCOMPUTE_SYSTEM_NOT_FOUND = -1070137074;       // 0xc037010e
const VMCOMPUTE_TIMEOUT = -1070137079;                // 0xc0370109
const E_NOT_FOUND = -2147023728;                      // 0x80070490
const OTHER_ID = 'ef'.repeat(32);

const running = (): { world: TestWorld; state: GuestState } => benignPrefix(BENIGN.all);

test('guest/process: negotiation needs version 4 in range and returns the GCS capabilities', () => {
  const { world, state } = benignPrefix(BENIGN.negotiate);
  const nego = (min: number, max: number) => world.step(state, bridgeMessage('NegotiateProtocol',
    3, { ContainerId: UVM_CONTAINER_ID, ActivityId: '', MinimumVersion: min,
      MaximumVersion: max }));
  for (const [min, max] of [[5, 6], [1, 3]] as const) {
    const step = nego(min, max);
    assertRefused(step, state, { layer: 'message' });
    assert.is(step.refusal?.reason, `no common protocol version in [${min}, ${max}]`);
    assert.is(step.response.Result, VMCOMPUTE_UNSUPPORTED_PROTOCOL);
  }
  for (const [min, max] of [[4, 4], [3, 5]] as const) {
    const step = nego(min, max);
    assertAccepted(step);
    assert.is(step.response.Version, 4);
    assert.equal(step.response.Capabilities, { SendHostCreateMessage: false,
      SendHostStartMessage: false, HvSocketConfigOnStartup: false,
      SupportedSchemaVersions: [{ Major: 2, Minor: 1 }], RuntimeOsType: 'Linux',
      GuestDefinedCapabilities: { NamespaceAddRequestSupported: true,
        SignalProcessSupported: true, DumpStacksSupported: true,
        DeleteContainerStateSupported: true } });
    assert.is(step.state.uvm.value, 'awaiting_policy');
  }
  const again = world.step(nego(4, 4).state, negotiate());
  assertAccepted(again);
});

test('guest/process: the environment map becomes K=V entries sorted by name', () => {
  assert.equal(environmentList({ PATH: '/bin', A: 'x=y', Z: '' }), ['A=x=y', 'PATH=/bin', 'Z=']);
  assert.equal(environmentList({}), []);
});

const external = (args: readonly string[], console = false, line = '') =>
  bridgeMessage('ExecuteProcess', 60, { ContainerId: UVM_CONTAINER_ID, ActivityId: '',
    Settings: { ProcessParameters: JSON.stringify({ CommandArgs: args, CommandLine: line,
      WorkingDirectory: '/', Environment: {}, EmulateConsole: console,
      CreateInUtilityVM: true }) } });

test('guest/process: an external process the policy names runs as root in the UVM; with a '
  + 'console it is refused (no stdio)', () => {
  const { world, state } = running();
  const step = world.step(state, external(['/bin/ls']));
  assertAccepted(step);
  const pid = state.nextPid;
  assert.is(step.response.ProcessId, pid);
  assert.equal(step.state.processes[String(pid)], { pid, containerId: null, kind: 'external',
    argv: ['/bin/ls'], env: [], cwd: '/', user: { uid: 0, gid: 0, name: 'root' },
    groups: [{ id: 0, name: 'root' }], capabilities: null, noNewPrivileges: false,
    stdio: false, terminal: false, status: 'running', exitCode: null });
  assert.equal(step.events.find((e) => e.type === 'process_started')?.data,
    { pid, containerId: null, kind: 'external', argv: ['/bin/ls'] });
  const tty = world.step(state, external(['/bin/ls'], true));
  assertRefused(tty, state, { layer: 'policy', rule: 'exec_external' });
  assert.is(tty.refusal?.reason, 'exec of process that requires terminal access denied due to '
    + 'policy not allowing stdio access');
  const wait = world.step(step.state, waitFor(UVM_CONTAINER_ID, pid));
  assert.is(wait.response.Result, VMCOMPUTE_TIMEOUT, 'an external process is waited for too');
});

test('guest/process: waits name what is missing with the GCS HRESULT, and return 128 + signal',
  () => {
  const { world, state } = running();
  const noContainer = world.step(state, waitFor(OTHER_ID, 1));
  assertRefused(noContainer, state, { layer: 'state' });
  assert.is(noContainer.refusal?.reason, `container ${OTHER_ID} not found`);
  assert.is(noContainer.response.Result, VMCOMPUTE_SYSTEM_NOT_FOUND);
  const noProcess = world.step(state, waitFor(APP_ID, 999));
  assert.is(noProcess.refusal?.reason, 'process 999 not found');
  assert.is(noProcess.response.Result, E_NOT_FOUND);
  const init = state.containers[SANDBOX_ID]!.context.initPid!;
  const otherOwner = world.step(state, waitFor(APP_ID, init));
  assert.is(otherOwner.response.Result, E_NOT_FOUND, 'the pause init is not the app\'s');
  const busy = world.step(state, waitFor(SANDBOX_ID, init));
  assert.is(busy.refusal?.reason, `process ${init} is still running: the wait timed out`);
  const stopped = world.step(state, plain('ShutdownForced', SANDBOX_ID));
  assertAccepted(stopped);
  assert.equal(stopped.events.find((e) => e.type === 'container_stopped')?.data,
    { containerId: SANDBOX_ID, signal: 9 });
  assert.is(world.step(stopped.state, waitFor(SANDBOX_ID, init)).response.ExitCode, 137);
  const graceful = world.step(state, plain('ShutdownGraceful', SANDBOX_ID));
  assert.is(world.step(graceful.state, waitFor(SANDBOX_ID, init)).response.ExitCode, 143);
  const twice = world.step(stopped.state, plain('ShutdownGraceful', SANDBOX_ID));
  assertRefused(twice, stopped.state, { layer: 'state', changes: true });
  assert.is(twice.refusal?.reason, `container ${SANDBOX_ID} is not running`);
  const nobody = world.step(state, plain('ShutdownGraceful', OTHER_ID));
  assert.is(nobody.response.Result, VMCOMPUTE_SYSTEM_NOT_FOUND);
});

test('guest/process: a signal to an exec ends only that process; a signal to a process that '
  + 'exited is refused', () => {
  const policy = generatedPolicy({}, { exec_processes: [{ command: ['/bin/sh', '-c', 'echo ok'],
    signals: [15] }] });
  const { world, state } = benignPrefix(BENIGN.all, policy);
  const probe = world.step(state, exec(APP_ID, ['/bin/sh', '-c', 'echo ok']));
  assertAccepted(probe);
  const pid = probe.response.ProcessId!;
  const hit = world.step(probe.state, signal(APP_ID, pid, 15));
  assertAccepted(hit);
  assert.equal(hit.events.find((e) => e.type === 'process_signalled')?.data,
    { pid, signal: 15 });
  assert.is(hit.state.processes[String(pid)]?.exitCode, 143);
  assert.is(hit.state.containers[APP_ID]?.value, 'running', 'the container runs on');
  const again = world.step(hit.state, signal(APP_ID, pid, 15));
  assertRefused(again, hit.state, { layer: 'state', changes: true });
  assert.is(again.refusal?.reason, `process ${pid} has exited`);
  const missing = world.step(state, signal(APP_ID, 999, 15));
  assert.is(missing.refusal?.reason, 'process 999 not found');
  assert.is(missing.response.Result, E_NOT_FOUND);
  assert.is(world.step(state, signal(OTHER_ID, pid, 15)).response.Result,
    VMCOMPUTE_SYSTEM_NOT_FOUND);
});

test('guest/process: signal 0 is delivered as SIGKILL; SIGCONT leaves the process running', () => {
  const policy = generatedPolicy({}, { signals: [9, 15, 18] });
  const { world, state } = benignPrefix(BENIGN.all, policy);
  const init = state.containers[APP_ID]!.context.initPid!;
  const cont = world.step(state, signal(APP_ID, init, 18));
  assertAccepted(cont);
  assert.is(cont.state.processes[String(init)]?.status, 'running');
  assert.is(cont.state.containers[APP_ID]?.value, 'running');
  const zero = world.step(state, signal(APP_ID, init, 0));
  assertAccepted(zero);
  assert.equal(zero.events.find((e) => e.type === 'process_signalled')?.data,
    { pid: init, signal: 9 });
  assert.is(zero.state.containers[APP_ID]?.value, 'exited');
  assert.is(zero.state.processes[String(init)]?.exitCode, 137);
});

test('guest/process: console resizes need the container and the process', () => {
  const { world, state } = running();
  const init = state.containers[APP_ID]!.context.initPid!;
  const resize = (id: string, pid: number) => world.step(state, bridgeMessage('ResizeConsole',
    70, { ContainerId: id, ActivityId: '', ProcessId: pid, Height: 24, Width: 80 }));
  assertAccepted(resize(APP_ID, init));
  assert.is(resize(OTHER_ID, init).response.Result, VMCOMPUTE_SYSTEM_NOT_FOUND);
  const noProcess = resize(APP_ID, 999);
  assert.is(noProcess.refusal?.reason, 'process 999 not found');
  assert.is(noProcess.response.Result, E_NOT_FOUND);
});

test('guest/process: properties list the container\'s running processes, only when asked; not '
  + 'for the UVM', () => {
  const { world, state } = running();
  const props = (id: string, types: string[]) => world.step(state, bridgeMessage('GetProperties',
    71, { ContainerId: id, ActivityId: '', Query: JSON.stringify({ PropertyTypes: types }) }));
  const init = state.containers[SANDBOX_ID]!.context.initPid!;
  assert.is(props(SANDBOX_ID, ['ProcessList']).response.Properties,
    JSON.stringify({ ProcessList: [{ ProcessId: init }] }));
  assert.is(props(SANDBOX_ID, ['Statistics']).response.Properties, '{}');
  const uvm = props(UVM_CONTAINER_ID, ['ProcessList']);
  assertRefused(uvm, state, { layer: 'state' });
  assert.is(uvm.refusal?.reason, 'getPropertiesV2 is not supported against the UVM');
  assert.is(props(OTHER_ID, ['ProcessList']).response.Result, VMCOMPUTE_SYSTEM_NOT_FOUND);
});

test('guest/process: stack dumps, when the policy allows them, return the guest stacks', () => {
  const { world, state } = benignPrefix(BENIGN.all,
    generatedPolicy({ allow_dump_stacks: true }));
  const step = world.step(state, plain('DumpStacks', UVM_CONTAINER_ID));
  assertAccepted(step);
  assert.is(step.response.GuestStacks, 'goroutine 1 [running]:\nmain.main()\n');
});

test('guest/process: deleting a running container, or one whose overlay is mounted, is refused '
  + '(delete_requires_stopped); off, the record is forgotten', () => {
  const { world, state } = running();
  const live = world.step(state, plain('DeleteContainerState', SANDBOX_ID));
  assertRefused(live, state, { layer: 'structure', check: 'delete_requires_stopped' });
  assert.is(live.refusal?.reason,
    `Denied deleting state of a running container ${JSON.stringify(SANDBOX_ID)}`);
  const stopped = world.step(state, plain('ShutdownForced', SANDBOX_ID)).state;
  const mounted = world.step(stopped, plain('DeleteContainerState', SANDBOX_ID));
  assertRefused(mounted, stopped, { layer: 'structure', check: 'delete_requires_stopped' });
  assert.is(mounted.refusal?.reason,
    'Denied deleting state of a container with a overlay mount still active');
  const unmounted = world.step(stopped, combinedLayers(SANDBOX_ID, [], 'Remove'));
  assertAccepted(unmounted);
  const deleted = world.step(unmounted.state, plain('DeleteContainerState', SANDBOX_ID));
  assertAccepted(deleted);
  assert.equal(deleted.events.find((e) => e.type === 'container_deleted')?.data,
    { containerId: SANDBOX_ID });
  assert.is(world.step(state, plain('DeleteContainerState', OTHER_ID)).response.Result,
    VMCOMPUTE_SYSTEM_NOT_FOUND);
  const options = { ...DEFAULT_AGENT_OPTIONS, checks: { delete_requires_stopped: false } };
  const relaxed = benignPrefix(BENIGN.all, generatedPolicy(), options);
  const forgot = relaxed.world.step(relaxed.state, plain('DeleteContainerState', SANDBOX_ID));
  assertRefused(forgot, relaxed.state, { layer: 'state', changes: true });
  assert.is(forgot.refusal?.reason, `deleting container ${SANDBOX_ID} failed: it is running`);
  assert.equal(forgot.events.find((e) => e.type === 'container_forgotten')?.data,
    { containerId: SANDBOX_ID, phase: 'running' });
});

test.run();
