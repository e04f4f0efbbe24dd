/**
 * Goal: the agent's entry point (agent.ts stepAgent, bootGuest, isIoError) answers a request it
 * cannot handle with the GCS's HRESULT and a refusal that names its layer and error code, traces
 * every decoded request by kind, id and (bounded) container ID, and boots once.
 * Method: a guest that has not booted, one powered off by ShutdownForced, frames with a bad
 * header or a nested document Go cannot unmarshal, and a request with a 200-character container
 * ID; the HRESULTs are spec (d)'s numbers written out here, the reasons the agent's own texts for
 * a UVM that is not up.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rngStateOf } from '../../sim/kernel/rng.js';
import { bootGuest, isIoError, stepAgent } from '../../models/guest/agent.js';
import { bridgeMessage } from '../../models/guest/bridge-protocol.js';
import { UVM_CONTAINER_ID, createGuestState } from '../../models/guest/guest-state.js';
import {
  APP_ID, BENIGN, MEASUREMENT, SANDBOX_ID, TestWorld, benignPrefix, bootedGuest, negotiate, plain,
  sha256Hex, text,
} from './agent-support.js';
import { assertRefused } from './agent-assert.js';

const E_FAIL = -2147467259;                     // 0x80004005 as int32
const VMCOMPUTE_INVALID_JSON = -1070137075;     // 0xc037010d as int32
const VMCOMPUTE_UNKNOWN_MESSAGE = -1070137077;  // 0xc037010b as int32

test('guest/entry: an I/O error is an object with its own io_error field, nothing else', () => {
  assert.ok(isIoError({ io_error: 'nothing at 3' }));
  assert.not.ok(isIoError(null));
  assert.not.ok(isIoError({ error: 'x' }));
  assert.not.ok(isIoError('io_error'));
  assert.not.ok(isIoError(Object.assign(() => 0, { io_error: 'a function' })));
  assert.not.ok(isIoError(new Uint8Array(4)), 'device bytes are not an error');
});

test('guest/entry: a guest boots once; a second report does not replace the first', () => {
  const booted = bootedGuest(text('policy'), 'entry-boot');
  assert.is(booted.uvm.value, 'awaiting_policy');
  const again = bootGuest(booted, { host_data: '11'.repeat(32), measurement: MEASUREMENT });
  assert.ok(again === booted, 'the same state object');
  assert.is(again.ownReport?.host_data, sha256Hex(text('policy')));
});

test('guest/entry: a request before the GCS connects is refused at the state layer with E_FAIL '
  + 'and no error code', () => {
  const world = new TestWorld();
  const booting = createGuestState(rngStateOf('parma-sim/guest-test/entry-booting'));
  const step = world.step(booting, negotiate());
  const reason = 'the GCS is not connected yet: the UVM is booting';
  assertRefused(step, booting, { layer: 'state', reason });
  assert.is(step.refusal?.code, null);
  assert.is(step.refusal?.reason, reason);
  assert.is(step.response.Result, E_FAIL);
  assert.equal(step.events.map((e) => [e.type, e.data]), [['refused',
    { layer: 'state', check: null, rule: null, reason, code: null }]]);
  assert.is(step.faultUsed, false);
  assert.equal([step.writes.length, step.blobs.length, step.decision], [0, 0, null]);
});

test('guest/entry: after a forced shutdown every request is refused: the UVM is powered off',
  () => {
  const { world, state } = benignPrefix(BENIGN.policy);
  const off = world.step(state, plain('ShutdownForced', UVM_CONTAINER_ID));
  assert.is(off.refusal, null);
  assert.is(off.state.uvm.value, 'stopped');
  const step = world.step(off.state, negotiate());
  assertRefused(step, off.state, { layer: 'state' });
  assert.is(step.refusal?.reason, 'the UVM is powered off');
  assert.is(step.response.Result, E_FAIL);
});

test('guest/entry: a frame Go cannot decode is GUEST_BAD_MESSAGE with the header\'s HRESULT',
  () => {
  const { world, state } = benignPrefix(BENIGN.policy);
  const unknown = world.step(state, { type: 0x12345678, id: 5, message: {} });
  assertRefused(unknown, state, { layer: 'message', code: 'GUEST_BAD_MESSAGE' });
  assert.is(unknown.response.Result, VMCOMPUTE_UNKNOWN_MESSAGE);
  assert.is(unknown.events[0]?.data && (unknown.events[0].data as { code: string }).code,
    'GUEST_BAD_MESSAGE');
  const badId = world.step(state, { type: 0x10100b01, id: -1, message: {} });
  assertRefused(badId, state, { layer: 'message', code: 'GUEST_BAD_MESSAGE' });
  assert.is(badId.response.Result, VMCOMPUTE_INVALID_JSON);
});

test('guest/entry: a ContainerConfig that is not JSON is refused by the decoder; only the '
  + 'refusal is traced', () => {
  const { world, state } = benignPrefix(BENIGN.pauseCreate);
  const request = bridgeMessage('Create', 900, { ContainerId: SANDBOX_ID, ActivityId: '',
    ContainerConfig: '{not json' });
  const step = world.step(state, request);
  assertRefused(step, state, { layer: 'message', code: 'GUEST_BAD_MESSAGE' });
  assert.is(step.response.Result, VMCOMPUTE_INVALID_JSON);
  assert.equal(step.events.map((e) => [e.type, e.data]), [['refused', { layer: 'message',
    check: null, rule: null, reason: 'GUEST_BAD_MESSAGE: bridge message: ContainerConfig is not '
      + 'valid JSON', code: 'GUEST_BAD_MESSAGE' }]]);
});

test('guest/entry: a nested document a handler cannot unmarshal is a bad message; the step '
  + 'keeps only its refusal and response', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const request = bridgeMessage('ExecuteProcess', 901, { ContainerId: APP_ID, ActivityId: '',
    Settings: { ProcessParameters: JSON.stringify({ OciProcess: { args: 5 } }) } });
  const step = world.step(state, request);
  assertRefused(step, state, { layer: 'message', code: 'GUEST_BAD_MESSAGE' });
  assert.is(step.response.Result, VMCOMPUTE_INVALID_JSON);
  const reason = 'GUEST_BAD_MESSAGE: bridge message: OciProcess.args must be an array of strings';
  assert.equal(step.events.map((e) => [e.type, e.data]), [
    ['refused', { layer: 'message', check: null, rule: null, reason, code: 'GUEST_BAD_MESSAGE' }],
    ['response', { message: 'ExecuteProcess', Result: VMCOMPUTE_INVALID_JSON }]]);
});

test('guest/entry: the request event carries at most 80 characters of the container ID', () => {
  const { world, state } = benignPrefix(BENIGN.policy);
  const long = 'e'.repeat(200);
  const step = stepAgent(state, bridgeMessage('DumpStacks', 7, { ContainerId: long,
    ActivityId: '' }), world.io, world.env());
  const request = step.events.find((e) => e.type === 'request');
  assert.equal(request?.data, { message: 'DumpStacks', id: 7, containerId: 'e'.repeat(80) });
});

test.run();
