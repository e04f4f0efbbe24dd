/**
 * Goal: what Create and the init process's start do once the checks and the policy are past
 * (agent-create.ts actCreate, startInit), and what decides them: a full scratch disk fails the
 * config.json write (the ID is used up) or the init marker (nothing starts); without a scratch
 * device nothing is written; a forgotten container's ID cannot be created again and its record
 * stays as it was; a Create with no Root.Path fails at runc create; stdio follows the decision
 * (kept when it says nothing); the record's devices get /dev/sev-guest unless privileged; the
 * app container is traced with its env; a standalone (non-CRI) container is created; and a
 * guest with no policy denies Create at the closed door before any structural check.
 * Method: the benign run of agent-support.ts with one thing changed (the scratch disk's size,
 * no scratch disk, a relaxed check, the open-door policy); reasons and HRESULTs written out here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_AGENT_OPTIONS } from '../../models/guest/agent.js';
import {
  APP_ID, BENIGN, LUN, SANDBOX_ID, TARGET, benignPrefix, benignRequests, benignWorld, bootedGuest,
  create, generatedPolicy, images, last, negotiate, plain, policyBytes, run, startInit,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const E_FAIL = -2147467259;                             // 0x80004005
const OPEN = { ...generatedPolicy(), allow_all: true };

/** The benign requests before `count` over a scratch disk of `blocks` blocks. */
function smallScratch(blocks: number, count: number) {
  const bytes = policyBytes(generatedPolicy());
  const world = benignWorld();
  world.attachScratch(LUN.scratch, blocks);
  return { world, state: last(run(world, bootedGuest(bytes),
    benignRequests(bytes).slice(0, count)).states) };
}

test('guest/create-act: a full scratch disk fails config.json after the policy allowed the '
  + 'Create: refused, the ID used up', () => {
  const { world, state } = smallScratch(2, BENIGN.appCreate);
  const step = world.step(state, create(APP_ID));
  assertRefused(step, state, { layer: 'io', changes: true });
  assert.is(step.refusal?.reason, `scratch disk at ${TARGET.scratch} is full (2 blocks)`);
  assert.is(step.response.Result, E_FAIL);
  assert.is(step.decision?.allowed, true, 'the policy allowed it');
  assert.is(step.state.containers[APP_ID]?.value, 'deleted');
  assert.is(step.writes.length, 0, 'nothing written');
});

test('guest/create-act: a full scratch disk fails the init marker: nothing starts', () => {
  const { world, state } = smallScratch(1, BENIGN.pauseStart);
  const step = world.step(state, startInit(SANDBOX_ID));
  assertRefused(step, state, { layer: 'io' });
  assert.is(step.refusal?.reason, `scratch disk at ${TARGET.scratch} is full (1 blocks)`);
  assert.is(step.state.containers[SANDBOX_ID]?.value, 'created');
});

test('guest/create-act: without a scratch device (unencrypted scratch allowed) containers are '
  + 'created and started with nothing written', () => {
  const bytes = policyBytes(generatedPolicy({ allow_unencrypted_scratch: true }));
  const requests = benignRequests(bytes);
  requests.splice(BENIGN.scratch, 1);
  const { steps, states } = run(benignWorld(), bootedGuest(bytes), requests);
  assert.equal(steps.map((s) => s.writes.length), requests.map(() => 0));
  assert.is(last(states).containers[APP_ID]?.value, 'running');
  assert.is(last(states).containers[SANDBOX_ID]?.value, 'running');
});

test('guest/create-act: a forgotten container\'s ID cannot be created again; its record stays '
  + 'as it was', () => {
  const options = { ...DEFAULT_AGENT_OPTIONS, checks: { delete_requires_stopped: false } };
  const { world, state } = benignPrefix(BENIGN.appStart, OPEN, options);
  const forgotten = world.step(state, plain('DeleteContainerState', APP_ID));
  assertRefused(forgotten, state, { layer: 'state', changes: true });
  const record = forgotten.state.containers[APP_ID];
  assert.is(record?.value, 'deleted');
  assert.is(record?.context.rootfs, `/run/gcs/c/${APP_ID}/rootfs`, 'the record keeps its context');
  const step = world.step(forgotten.state, create(APP_ID));
  assertRefused(step, forgotten.state, { layer: 'state', changes: true });
  assert.is(step.refusal?.reason, `container ID ${APP_ID} was already used`);
  assert.is(step.response.Result, E_FAIL);
  assert.equal(step.state.containers[APP_ID], record);
});

test('guest/create-act: a Create with no Root.Path (rootfs_path relaxed) fails at runc create, '
  + 'the ID used up', () => {
  const options = { ...DEFAULT_AGENT_OPTIONS, checks: { rootfs_path: false } };
  const { world, state } = benignPrefix(BENIGN.pauseCreate, OPEN, options);
  const step = world.step(state, create(SANDBOX_ID, { spec: { root: null } }));
  assertRefused(step, state, { layer: 'state', changes: true });
  assert.is(step.refusal?.reason, 'failed to create container: no rootfs is mounted at ');
  assert.is(step.state.containers[SANDBOX_ID]?.value, 'deleted');
});

test('guest/create-act: stdio follows the decision, and is kept when it says nothing', () => {
  for (const [policy, stdio] of [[OPEN, true],
    [generatedPolicy({}, { allow_stdio_access: false }), false]] as const) {
    const { world, state } = benignPrefix(BENIGN.appCreate, policy);
    const created = world.step(state, create(APP_ID));
    assertAccepted(created);
    assert.is(created.state.containers[APP_ID]?.context.stdio, stdio);
    const started = world.step(created.state, startInit(APP_ID));
    assertAccepted(started);
    assert.is(started.state.processes[String(started.response.ProcessId)]?.stdio, stdio);
  }
});

test('guest/create-act: /dev/sev-guest is added to an unprivileged container\'s devices only '
  + '(no_extra_devices relaxed)', () => {
  const options = { ...DEFAULT_AGENT_OPTIONS, checks: { no_extra_devices: false } };
  const { world, state } = benignPrefix(BENIGN.appCreate, OPEN, options);
  const fuse = { linux: { devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }] } };
  for (const [privileged, devices] of [['true', ['/dev/fuse']],
    ['false', ['/dev/fuse', '/dev/sev-guest']]] as const) {
    const step = world.step(state, create(APP_ID, { spec: { ...fuse, annotations: {
      'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': SANDBOX_ID,
      'io.microsoft.virtualmachine.lcow.privileged': privileged } } }));
    assertAccepted(step);
    assert.equal(step.state.containers[APP_ID]?.context.config?.devices, devices);
  }
});

test('guest/create-act: the app container is traced with its layers, user and env', () => {
  const { world, state } = benignPrefix(BENIGN.appCreate);
  const step = world.step(state, create(APP_ID));
  assertAccepted(step);
  assert.equal(step.events.find((e) => e.type === 'container_created')?.data,
    { containerId: APP_ID, layers: [images().appTop.rootHash, images().appBase.rootHash],
      user: 'app', env: ['PATH=/usr/bin', 'MODE=fast'] });
});

test('guest/create-act: a standalone container (no CRI annotations) is created as its own '
  + 'sandbox', () => {
  const { world, state } = benignPrefix(BENIGN.pauseCreate);
  const step = world.step(state, create(SANDBOX_ID, { spec: { annotations: {} } }));
  assertAccepted(step);
  const context = step.state.containers[SANDBOX_ID]?.context;
  assert.is(context?.sandboxId, SANDBOX_ID);
  assert.is(context?.isSandbox, false);
});

test('guest/create-act: a guest without a policy denies Create at the closed door, before any '
  + 'structural check', () => {
  const bytes = policyBytes(generatedPolicy());
  const world = benignWorld();
  const state = last(run(world, bootedGuest(bytes), [negotiate()]).states);
  const step = world.step(state, create(SANDBOX_ID, { spec: { hostname: 'bad host!' } }));
  assertRefused(step, state, { layer: 'policy', rule: 'create_container' });
  assert.is(step.refusal?.reason,
    'no security policy has been set: the closed-door enforcer denies every request');
});

test.run();
