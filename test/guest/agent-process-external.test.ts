/**
 * Goal: external processes (ExecuteProcess in the UVM, exec_external) are started as the GCS
 * starts them: routed by the UVM's container ID or by CreateInUtilityVM, their argv from
 * CommandArgs or else CommandLine split on spaces, refused with "no command to run" when both are
 * empty, their environment the K=V list of the map (sorted) unless the policy returns its own, and
 * stdio allowed when the policy's decision does not say otherwise; a UVM power-off ends them with
 * 137 like every container process, and leaves the exit code of a process that had exited.
 * Method: the benign run of agent-support.ts; a policy whose exec_external is bound to a constant
 * (so the argv and environment reach the process record untouched by the framework's matching);
 * the engine seam of AgentEnv for a decision that omits allow_stdio_access. Expected argv,
 * environments and exit codes (128 + signal) are written out here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { stepAgent } from '../../models/guest/agent.js';
import type { PolicyEngine } from '../../models/guest/agent-step.js';
import { bridgeMessage } from '../../models/guest/bridge-protocol.js';
import { UVM_CONTAINER_ID } from '../../models/guest/guest-state.js';
import type { SecurityPolicy } from '../../models/policy/policy-model.js';
import {
  APP_ID, BENIGN, SANDBOX_ID, benignPrefix, exec, generatedPolicy, plain, signal,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

type External = Readonly<{ args?: readonly string[]; line?: string; env?: Record<string, string>;
  console?: boolean; inUvm?: boolean; containerId?: string }>;

const external = (e: External) => bridgeMessage('ExecuteProcess', 90, {
  ContainerId: e.containerId ?? UVM_CONTAINER_ID, ActivityId: '',
  Settings: { ProcessParameters: JSON.stringify({ CommandArgs: e.args ?? [],
    CommandLine: e.line ?? '', WorkingDirectory: '/', Environment: e.env ?? {},
    EmulateConsole: e.console ?? false, CreateInUtilityVM: e.inUvm ?? true }) } });

/** generatedPolicy() with exec_external bound to a constant allow with these outputs. */
function constantExternal(outputs: Record<string, unknown>): SecurityPolicy {
  const policy = generatedPolicy();
  return { ...policy, rules: { ...policy.rules,
    exec_external: { kind: 'constant', allowed: true, outputs: outputs as never } } };
}

test('guest/external: the UVM\'s container ID runs an external process even without '
  + 'CreateInUtilityVM, and CreateInUtilityVM runs one whatever the container ID', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const byId = world.step(state, external({ args: ['/bin/ls'], inUvm: false }));
  assertAccepted(byId);
  assert.equal(byId.state.processes[String(state.nextPid)]?.kind, 'external');
  assert.is(byId.response.ProcessId, state.nextPid);
  const byFlag = world.step(state, external({ args: ['/bin/ls'], containerId: APP_ID }));
  assertAccepted(byFlag);
  assert.equal(byFlag.state.processes[String(state.nextPid)]?.containerId, null);
});

test('guest/external: with no CommandArgs the CommandLine is split on spaces, empty words '
  + 'dropped', () => {
  const { world, state } = benignPrefix(BENIGN.all,
    constantExternal({ allow_stdio_access: true }));
  const step = world.step(state, external({ line: '  /bin/ls   -l /tmp ' }));
  assertAccepted(step);
  const pid = String(state.nextPid);
  assert.equal(step.state.processes[pid]?.argv, ['/bin/ls', '-l', '/tmp']);
  assert.equal(step.events.find((e) => e.type === 'process_started')?.data,
    { pid: state.nextPid, containerId: null, kind: 'external', argv: ['/bin/ls', '-l', '/tmp'] });
  const args = world.step(state, external({ args: ['/bin/echo', 'a  b'], line: '/bin/ls' }));
  assertAccepted(args);
  assert.equal(args.state.processes[pid]?.argv, ['/bin/echo', 'a  b'], 'CommandArgs win');
});

test('guest/external: a request with neither CommandArgs nor a CommandLine word is refused: no '
  + 'command to run', () => {
  const { world, state } = benignPrefix(BENIGN.all,
    constantExternal({ allow_stdio_access: true }));
  for (const line of ['', '   ']) {
    const step = world.step(state, external({ line }));
    assertRefused(step, state, { layer: 'state' });
    assert.is(step.refusal?.reason, 'no command to run');
    assert.is(step.events.some((e) => e.type === 'process_started'), false);
  }
});

test('guest/external: the environment map becomes the process\'s sorted K=V list unless the '
  + 'policy returns an env_list', () => {
  const { world, state } = benignPrefix(BENIGN.all,
    constantExternal({ allow_stdio_access: true }));
  const step = world.step(state, external({ args: ['/bin/ls'], env: { TERM: 'xterm', A: '1' } }));
  assertAccepted(step);
  assert.equal(step.state.processes[String(state.nextPid)]?.env, ['A=1', 'TERM=xterm']);
  assert.is(step.state.processes[String(state.nextPid)]?.stdio, true);
  const dropping = benignPrefix(BENIGN.all,
    constantExternal({ allow_stdio_access: true, env_list: ['A=1'] }));
  const dropped = dropping.world.step(dropping.state,
    external({ args: ['/bin/ls'], env: { TERM: 'xterm', A: '1' } }));
  assertAccepted(dropped);
  assert.equal(dropped.state.processes[String(dropping.state.nextPid)]?.env, ['A=1']);
});

test('guest/external: a decision that says nothing about stdio allows it, a console too', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const silent: PolicyEngine = (policy, metadata, rule, input, options) => {
    const { allow_stdio_access: said, ...rest } = evaluateEnforcementPoint(policy, metadata, rule,
      input, options);
    assert.is(said, rule === 'exec_external' ? false : said, 'the real policy denies stdio');
    return rest;
  };
  const env = { options: world.options, fault: null, engine: silent };
  const step = stepAgent(state, external({ args: ['/bin/ls'], console: true }), world.io, env);
  assertAccepted(step);
  const process = step.state.processes[String(state.nextPid)];
  assert.equal([process?.stdio, process?.terminal], [true, true]);
});

test('guest/external: a UVM power-off ends external processes with 137, stops every container, '
  + 'and keeps the exit code of a process that had exited', () => {
  const policy = generatedPolicy({}, { exec_processes: [{ command: ['/bin/sh', '-c', 'echo ok'],
    signals: [15] }] });
  const { world, state } = benignPrefix(BENIGN.all, policy);
  const ls = world.step(state, external({ args: ['/bin/ls'] }));
  const probe = world.step(ls.state, exec(APP_ID, ['/bin/sh', '-c', 'echo ok']));
  const termed = world.step(probe.state, signal(APP_ID, probe.response.ProcessId!, 15));
  assertAccepted(termed);
  const off = world.step(termed.state, plain('ShutdownForced', UVM_CONTAINER_ID));
  assertAccepted(off);
  const p = off.state.processes;
  assert.equal([p[String(ls.response.ProcessId)]?.status, p[String(ls.response.ProcessId)]
    ?.exitCode], ['exited', 137]);
  assert.equal([p[String(probe.response.ProcessId)]?.status,
    p[String(probe.response.ProcessId)]?.exitCode], ['exited', 143], 'SIGTERM\'s code stays');
  for (const id of [SANDBOX_ID, APP_ID]) {
    const init = String(state.containers[id]!.context.initPid);
    assert.equal([p[init]?.status, p[init]?.exitCode], ['exited', 137], id);
    assert.equal([off.state.containers[id]?.value, off.state.containers[id]?.context.exitCode],
      ['exited', 137], id);
  }
  assert.is(off.state.uvm.value, 'stopped');
  assert.equal(off.events.map((e) => e.type), ['request', 'uvm_shutdown', 'response']);
  assert.equal(off.events[1]?.data, {});
});

test('guest/external: a power-off stops a container that was created but not started', () => {
  const { world, state } = benignPrefix(BENIGN.appStart);
  assert.is(state.containers[APP_ID]?.value, 'created');
  const off = world.step(state, plain('ShutdownGraceful', UVM_CONTAINER_ID));
  assertAccepted(off);
  assert.equal([off.state.containers[APP_ID]?.value, off.state.containers[APP_ID]?.context
    .exitCode], ['exited', 137]);
});

test.run();
