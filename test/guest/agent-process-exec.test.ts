/**
 * Goal: an exec in a container (agent-process.ts execInContainer) records the process the policy
 * allowed (argv, env, cwd, the user the image names, capabilities, stdio of its container) and
 * traces it; it is refused in a container that has exited, and with a terminal in a container
 * whose policy gives no stdio access.
 * Method: the benign run of agent-support.ts; the probe `/bin/sh -c "echo ok"` that
 * generatedPolicy() allows in the app container; the expected record is written from the exec's
 * own fields and the app image's /etc/passwd (app = 1000:1000).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  APP_ID, BENIGN, CAPS, benignPrefix, exec, generatedPolicy, signal,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const PROBE = ['/bin/sh', '-c', 'echo ok'];

test('guest/exec: an allowed exec is recorded as the policy saw it, and traced', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const step = world.step(state, exec(APP_ID, PROBE));
  assertAccepted(step);
  const pid = state.nextPid;
  assert.is(step.response.ProcessId, pid);
  assert.equal(step.state.processes[String(pid)], { pid, containerId: APP_ID, kind: 'exec',
    argv: PROBE, env: ['PATH=/usr/bin'], cwd: '/app', user: { uid: 1000, gid: 1000, name: 'app' },
    groups: [{ id: 1000, name: 'app' }], capabilities: CAPS, noNewPrivileges: false,
    stdio: true, terminal: false, status: 'running', exitCode: null });
  assert.equal(step.events.find((e) => e.type === 'process_started')?.data,
    { pid, containerId: APP_ID, kind: 'exec', argv: PROBE });
  assert.is(step.state.nextPid, pid + 1);
});

test('guest/exec: no exec in a container that has exited (after the policy allowed it)', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const init = state.containers[APP_ID]!.context.initPid!;
  const stopped = world.step(state, signal(APP_ID, init, 15)).state;
  const step = world.step(stopped, exec(APP_ID, PROBE));
  assertRefused(step, stopped, { layer: 'state', changes: true });
  assert.is(step.refusal?.reason, `container ${APP_ID} is exited: exec failed`);
  assert.ok(step.decision?.allowed, 'the policy was asked and allowed it');
});

test('guest/exec: a terminal exec needs stdio access from the container\'s policy', () => {
  const policy = generatedPolicy({}, { allow_stdio_access: false });
  const { world, state } = benignPrefix(BENIGN.all, policy);
  assert.is(state.containers[APP_ID]!.context.stdio, false);
  const tty = world.step(state, exec(APP_ID, PROBE, { terminal: true }));
  assertRefused(tty, state, { layer: 'policy', rule: 'exec_in_container', changes: true });
  assert.is(tty.refusal?.reason, 'exec in container of process that requires terminal access '
    + 'denied due to policy not allowing stdio access');
  const plain = world.step(state, exec(APP_ID, PROBE));
  assertAccepted(plain);
  assert.is(plain.state.processes[String(state.nextPid)]?.stdio, false);
});

test.run();
