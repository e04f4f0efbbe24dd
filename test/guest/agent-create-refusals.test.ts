/**
 * Goal: Create and the init process (agent-create.ts) refuse what hcsv2 refuses before the policy
 * is asked, each with the GCS's HRESULT and reason: a nil OCISpecification, a schema version
 * below 2.1, an unknown CRI container type, an empty sandbox ID, a nil process, a container that
 * already exists, and starting an init process that is not in the created state; and a created
 * and started container is traced with its layers, user, env, pid and argv.
 * Method: the benign prefix of agent-support.ts up to the pause container's Create, then a Create
 * with one field changed; the HRESULTs are spec (d)'s numbers written out here as int32.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_AGENT_OPTIONS } from '../../models/guest/agent.js';
import {
  BENIGN, SANDBOX_ID, benignPrefix, create, generatedPolicy, images, startInit,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const E_FAIL = -2147467259;                             // 0x80004005
const VMCOMPUTE_INVALID_JSON = -1070137075;             // 0xc037010d
const VMCOMPUTE_SYSTEM_ALREADY_EXISTS = -1070137073;    // 0xc037010f
const VMCOMPUTE_INVALID_STATE = -2143878907;            // 0x80370105

const pause = () => benignPrefix(BENIGN.pauseCreate);

test('guest/create: a nil OCISpecification is a bad message', () => {
  const { world, state } = pause();
  const step = world.step(state, create(SANDBOX_ID, { settings: { OciSpecification: null } }));
  assertRefused(step, state, { layer: 'message', code: 'GUEST_BAD_MESSAGE' });
  assert.is(step.refusal?.reason, 'OCISpecification is nil');
  assert.is(step.response.Result, VMCOMPUTE_INVALID_JSON);
});

test('guest/create: a schema version below 2.1 is refused as invalid JSON; 2.1 and 3.0 are '
  + 'accepted', () => {
  const { world, state } = pause();
  for (const [Major, Minor] of [[1, 9], [2, 0], [0, 5]]) {
    const step = world.step(state, create(SANDBOX_ID,
      { settings: { SchemaVersion: { Major, Minor } } }));
    assertRefused(step, state, { layer: 'message', code: 'GUEST_BAD_MESSAGE' });
    assert.is(step.refusal?.reason, `invalid schema version: ${Major}.${Minor}`);
    assert.is(step.response.Result, VMCOMPUTE_INVALID_JSON);
  }
  for (const [Major, Minor] of [[2, 1], [3, 0], [2, 7]]) {
    assertAccepted(world.step(state, create(SANDBOX_ID,
      { settings: { SchemaVersion: { Major, Minor } } })));
  }
});

test('guest/create: an unknown CRI container type, and a workload container without a sandbox '
  + 'ID, are refused', () => {
  const { world, state } = pause();
  const bogus = world.step(state, create(SANDBOX_ID, { spec: { annotations:
    { 'io.kubernetes.cri.container-type': 'bogus' } } }));
  assertRefused(bogus, state, { layer: 'state' });
  assert.is(bogus.refusal?.reason, 'unsupported \'io.kubernetes.cri.container-type\': \'bogus\'');
  assert.is(bogus.response.Result, E_FAIL);
  const empty = world.step(state, create(SANDBOX_ID, { spec: { annotations:
    { 'io.kubernetes.cri.container-type': 'container' } } }));
  assertRefused(empty, state, { layer: 'state' });
  assert.is(empty.refusal?.reason, 'unsupported \'io.kubernetes.cri.sandbox-id\': \'\'');
  assert.is(empty.response.Result, E_FAIL);
});

test('guest/create: a spec without a process is refused after the structural checks', () => {
  const { world, state } = pause();
  const step = world.step(state, create(SANDBOX_ID, { spec: { process: null } }));
  assertRefused(step, state, { layer: 'state' });
  assert.is(step.refusal?.reason, 'spec.Process is nil');
  const both = world.step(state, create(SANDBOX_ID, { spec: { process: null, hooks: {} } }));
  assertRefused(both, state, { layer: 'structure', check: 'oci_hooks_nil' });
});

test('guest/create: a container that exists cannot be created again (ALREADY_EXISTS)', () => {
  const { world, state } = benignPrefix(BENIGN.pauseStart);
  const step = world.step(state, create(SANDBOX_ID));
  assertRefused(step, state, { layer: 'state' });
  assert.is(step.refusal?.reason, `container ${SANDBOX_ID} already exists`);
  assert.is(step.response.Result, VMCOMPUTE_SYSTEM_ALREADY_EXISTS);
});

test('guest/create: a created container is traced with its layers, user and env; its init '
  + 'process with pid and argv', () => {
  const { world, state } = pause();
  const created = world.step(state, create(SANDBOX_ID));
  assertAccepted(created);
  assert.equal(created.events.find((e) => e.type === 'container_created')?.data,
    { containerId: SANDBOX_ID, layers: [images().pause.rootHash], user: 'root', env: [] });
  const started = world.step(created.state, startInit(SANDBOX_ID));
  assertAccepted(started);
  const pid = created.state.nextPid;
  assert.is(started.response.ProcessId, pid);
  assert.equal(started.events.find((e) => e.type === 'process_started')?.data,
    { pid, containerId: SANDBOX_ID, kind: 'init', argv: ['/pause'] });
  assert.is(started.state.nextPid, pid + 1);
  assert.is(started.state.processes[String(pid)]?.status, 'running');
  const again = world.step(started.state, startInit(SANDBOX_ID));
  assertRefused(again, started.state, { layer: 'state' });
  assert.is(again.refusal?.reason, `container ${SANDBOX_ID} is running, not created`);
  assert.is(again.response.Result, VMCOMPUTE_INVALID_STATE);
});

test('guest/create: the concurrent agent (sequential_requests off) leaves the create pending, '
  + 'traced', () => {
  const options = { ...DEFAULT_AGENT_OPTIONS, checks: { sequential_requests: false } };
  const { world, state } = benignPrefix(BENIGN.pauseCreate, generatedPolicy(), options);
  const step = world.step(state, create(SANDBOX_ID));
  assertAccepted(step);
  assert.equal(step.events.find((e) => e.type === 'create_pending')?.data,
    { containerId: SANDBOX_ID });
  assert.is(step.state.pendingCreate?.containerId, SANDBOX_ID);
  assert.is(step.state.containers[SANDBOX_ID]?.value, 'overlay_mounted',
    'runc create has not run');
  const next = world.step(step.state, startInit(SANDBOX_ID));
  assertAccepted(next);
  assert.is(next.state.pendingCreate, null);
  assert.is(next.state.containers[SANDBOX_ID]?.value, 'running');
});

test.run();
