/**
 * Goal: the bridge decoder reads every GCS request of spec (d) with the real GCS's JSON field
 * names and message identifiers, refuses what Go's unmarshalling would refuse with
 * GUEST_BAD_MESSAGE and the GCS's HRESULT, and the agent answers any JSON value the host sends
 * with a typed response and never an exception; a refusal by the bridge, a Go-side check, the
 * policy, dm-verity or dm-crypt leaves the state object unchanged.
 * Method: frames built by the bridge-protocol builders (the names are checked against spec (d)
 * here), hand-made malformed frames, and fast-check (fixed seeds) over arbitrary JSON and over
 * mutations of the benign requests at every point of the benign run.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fingerprint } from '../../sim/kernel/codec.js';
import {
  GCS_REQUEST_IDS, HRESULT, bridgeMessage, decodeBridgeRequest, modifySettingsMessage,
  responseIdentifier,
} from '../../models/guest/bridge-protocol.js';
import { errorCode } from '../../sim/kernel/errors.js';
import { UVM_CONTAINER_ID } from '../../models/guest/guest-state.js';
import { stepAgent } from '../../models/guest/agent.js';
import {
  BENIGN, SANDBOX_ID, benignPrefix, benignRequests, policyBytes, generatedPolicy, negotiate,
  run, benignWorld, bootedGuest,
} from './agent-support.js';
import { assertRefused } from './agent-assert.js';

test('guest/bridge: message identifiers are spec (d)\'s, and responses echo them as type 2',
  () => {
    const spec: Record<string, number> = { NegotiateProtocol: 0x10100b01, Create: 0x10100101,
      Start: 0x10100201, ExecuteProcess: 0x10100501, ShutdownGraceful: 0x10100301,
      ShutdownForced: 0x10100401, SignalProcess: 0x10100701, WaitForProcess: 0x10100601,
      ResizeConsole: 0x10100801, GetProperties: 0x10100901, ModifySettings: 0x10100a01,
      DumpStacks: 0x10100c01, DeleteContainerState: 0x10100d01 };
    assert.equal({ ...GCS_REQUEST_IDS }, spec);
    assert.is(responseIdentifier(0x10100a01), 0x20100a01);
  });

test('guest/bridge: a MappedVirtualDisk request decodes with its Go field names', () => {
  const request = decodeBridgeRequest(modifySettingsMessage(5, UVM_CONTAINER_ID,
    'MappedVirtualDisk', '', { MountPath: '/run/mounts/scsi/m0', Lun: 3, Controller: 1,
      ReadOnly: true, Options: ['ro'], Unknown: 'ignored' }));
  assert.is(request.kind, 'ModifySettings');
  if (request.kind !== 'ModifySettings') return;
  assert.is(request.Request.RequestType, 'Add', 'an empty RequestType means Add');
  assert.is(request.Request.ResourceType, 'MappedVirtualDisk');
  const s = request.Request.Settings as Record<string, unknown>;
  assert.equal([s['MountPath'], s['Lun'], s['Controller'], s['ReadOnly'], s['Encrypted']],
    ['/run/mounts/scsi/m0', 3, 1, true, false]);
  assert.is(request.MessageId, 5);
});

test('guest/bridge: nested JSON strings (ContainerConfig, ProcessParameters, Query) are decoded',
  () => {
    const create = decodeBridgeRequest(bridgeMessage('Create', 1, { ContainerId: SANDBOX_ID,
      ContainerConfig: JSON.stringify({ SchemaVersion: { Major: 2, Minor: 1 },
        OciBundlePath: '/b', ScratchDirPath: '/s' }) }));
    assert.ok(create.kind === 'Create' && create.ContainerConfig.OciBundlePath === '/b');
    const props = decodeBridgeRequest(bridgeMessage('GetProperties', 2, { ContainerId: SANDBOX_ID,
      Query: JSON.stringify({ PropertyTypes: ['ProcessList'] }) }));
    assert.ok(props.kind === 'GetProperties' && props.PropertyTypes[0] === 'ProcessList');
    const proc = decodeBridgeRequest(bridgeMessage('ExecuteProcess', 3, { ContainerId: SANDBOX_ID,
      Settings: { ProcessParameters: JSON.stringify({ CommandArgs: ['ls'],
        Environment: { B: '2', A: '1' }, CreateInUtilityVM: true }) } }));
    assert.ok(proc.kind === 'ExecuteProcess' && proc.ProcessParameters.CreateInUtilityVM);
  });

const MALFORMED: readonly (readonly [string, unknown])[] = [
  ['not an object', 42],
  ['an unknown message type', { type: 0x10100e01, id: 1, message: {} }],
  ['a response type', { type: 0x20100101, id: 1, message: {} }],
  ['a negative id', { type: 0x10100201, id: -1, message: {} }],
  ['a body that is an array', { type: 0x10100201, id: 1, message: [] }],
  ['a ContainerId that is a number', { type: 0x10100201, id: 1, message: { ContainerId: 7 } }],
  ['a Lun above 255', modifySettingsMessage(1, UVM_CONTAINER_ID, 'MappedVirtualDisk', 'Add',
    { Lun: 300 })],
  ['a Lun as text', modifySettingsMessage(1, UVM_CONTAINER_ID, 'MappedVirtualDisk', 'Add',
    { Lun: '1' })],
  ['an unknown ResourceType', modifySettingsMessage(1, UVM_CONTAINER_ID, 'Printer', 'Add', {})],
  ['a ContainerConfig that is not JSON', bridgeMessage('Create', 1, { ContainerConfig: '{' })],
  ['a ContainerConfig object instead of a string',
    bridgeMessage('Create', 1, { ContainerConfig: { SchemaVersion: {} } })],
  ['a signal that is a fraction', bridgeMessage('SignalProcess', 1, { Options: { Signal: 1.5 } })],
];

test('guest/bridge: what Go would fail to unmarshal is GUEST_BAD_MESSAGE, the state unchanged',
  () => {
    const { world, state } = benignPrefix(BENIGN.pauseLayer);
    for (const [what, raw] of MALFORMED) {
      assert.is(errorCode(() => decodeBridgeRequest(raw)), 'GUEST_BAD_MESSAGE', what);
      const step = world.step(state, raw);
      assertRefused(step, state, { layer: 'message', code: 'GUEST_BAD_MESSAGE' });
    }
    const unknown = world.step(state, MALFORMED[1]![1]);
    assert.is(unknown.response.Result, HRESULT.VMCOMPUTE_UNKNOWN_MESSAGE);
    const json = world.step(state, MALFORMED[6]![1]);
    assert.is(json.response.Result, HRESULT.VMCOMPUTE_INVALID_JSON);
    assert.is(json.response.MessageId, 1);
  });

test('guest/bridge: an OCI spec Go could not unmarshal is a bad message at Create', () => {
  const { world, state } = benignPrefix(BENIGN.pauseCreate);
  const raw = bridgeMessage('Create', 9, { ContainerId: SANDBOX_ID, ContainerConfig:
    JSON.stringify({ SchemaVersion: { Major: 2, Minor: 1 }, OciSpecification: {
      process: { args: 'not a list' } } }) });
  assertRefused(world.step(state, raw), state, { layer: 'message', reason: 'args' });
});

test('guest/bridge: NegotiateProtocol answers V4 with the GCS capabilities; no V4, no deal', () => {
  const { world, state } = benignPrefix(0);
  const ok = world.step(state, negotiate());
  assert.is(ok.response.Version, 4);
  assert.is(ok.state.uvm.context.protocolVersion, 4);
  const old = world.step(state, bridgeMessage('NegotiateProtocol', 2,
    { MinimumVersion: 1, MaximumVersion: 3 }));
  assertRefused(old, state, { layer: 'message' });
  assert.is(old.response.Result, HRESULT.VMCOMPUTE_UNSUPPORTED_PROTOCOL);
});

test('guest/bridge: a booting or stopped UVM answers every request with a failure', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const stopped = world.step(state, bridgeMessage('ShutdownGraceful', 3,
    { ContainerId: UVM_CONTAINER_ID }));
  assert.is(stopped.state.uvm.value, 'stopped');
  assertRefused(world.step(stopped.state, negotiate()), stopped.state, { layer: 'state',
    reason: 'powered off' });
});

const STRICT_LAYERS = new Set(['message', 'structure', 'policy', 'verity', 'crypt']);

test('guest/bridge: any JSON value gets a typed response and never throws (property)', () => {
  const { world, state } = benignPrefix(BENIGN.all);
  const before = fingerprint(state);
  fc.assert(fc.property(fc.jsonValue(), (value) => {
    const step = world.step(state, value);
    assert.ok(typeof step.response.Result === 'number');
    assert.ok(step.refusal !== null);
    assert.ok(step.state === state);
  }), { seed: 8, numRuns: 400 });
  assert.is(fingerprint(state), before);
});

/** Replaces one value somewhere inside `value` (a JSON tree) by `replacement`. */
function mutate(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (value === null || typeof value !== 'object' || path.length === 0) return replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const)
    : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [key, child] = entries[path[0]! % entries.length]!;
  const copy = (Array.isArray(value) ? [...value as unknown[]] : { ...value }) as
    Record<string | number, unknown>;
  const inner = typeof child === 'string' && child.startsWith('{') && path.length > 1
    ? JSON.stringify(mutate(JSON.parse(child) as unknown, path.slice(1), replacement))
    : mutate(child, path.slice(1), replacement);
  copy[key] = inner;
  return copy;
}

test('guest/bridge: mutated benign requests at every step never throw, and a refusal by the '
  + 'bridge, a check, the policy, verity or crypt changes nothing (property)', () => {
  const bytes = policyBytes(generatedPolicy());
  const requests = benignRequests(bytes);
  const world = benignWorld();
  const { states } = run(world, bootedGuest(bytes), requests);
  fc.assert(fc.property(fc.nat(requests.length - 1), fc.array(fc.nat(20), { minLength: 1,
    maxLength: 6 }), fc.jsonValue(), (at, path, replacement) => {
    const start = states[at]!;
    // The pure step: writes are not applied, so every case sees the benign run's disks.
    const step = stepAgent(start, mutate(requests[at], path, replacement), world.io, world.env());
    if (step.refusal !== null && STRICT_LAYERS.has(step.refusal.layer)) {
      assert.ok(step.state === start, `${step.refusal.layer}: ${step.refusal.reason}`);
    }
    assert.is(step.refusal === null, step.response.Result === 0);
  }), { seed: 11, numRuns: 600 });
});


test('guest/bridge: every request kind and the unenforced resource types get a typed response',
  () => {
    const { world, state } = benignPrefix(BENIGN.all);
    const init = state.containers[SANDBOX_ID]!.context.initPid!;
    const uvm = (resourceType: string, requestType: string, settings: unknown = {}) =>
      modifySettingsMessage(70, UVM_CONTAINER_ID, resourceType, requestType, settings);
    const cases: readonly (readonly [string, unknown, boolean])[] = [
      ['Start', bridgeMessage('Start', 60, { ContainerId: SANDBOX_ID }), true],
      ['ResizeConsole', bridgeMessage('ResizeConsole', 61, { ContainerId: SANDBOX_ID,
        ProcessId: init, Height: 40, Width: 120 }), true],
      ['ResizeConsole of no process', bridgeMessage('ResizeConsole', 62,
        { ContainerId: SANDBOX_ID, ProcessId: 4242 }), false],
      ['GetProperties of the UVM', bridgeMessage('GetProperties', 63,
        { ContainerId: UVM_CONTAINER_ID }), false],
      ['SCSIDevice Remove (unplug)', uvm('SCSIDevice', 'Remove', { Controller: 0, Lun: 9 }), true],
      ['SCSIDevice Add', uvm('SCSIDevice', 'Add', {}), false],
      ['Network Add', uvm('Network', 'Add', { NamespaceID: 'ns', ID: 'eth0' }), true],
      ['VPCIDevice Add', uvm('VPCIDevice', 'Add', { VMBusGUID: 'x' }), true],
      ['ContainerConstraints of a container', modifySettingsMessage(71, SANDBOX_ID,
        'ContainerConstraints', 'Update', { Linux: {} }), true],
      ['ContainerConstraints of the UVM', uvm('ContainerConstraints', 'Update', {}), false],
      ['PodCgroupMemoryLimit', uvm('PodCgroupMemoryLimit', 'Update', null), false],
      ['VPMemDevice', uvm('VPMemDevice', 'Add', { DeviceNumber: 0, MountPath: '/x' }), false],
      ['WaitForProcess of no external process', bridgeMessage('WaitForProcess', 64,
        { ContainerId: UVM_CONTAINER_ID, ProcessId: 5 }), false],
    ];
    for (const [what, raw, ok] of cases) {
      const step = world.step(state, raw);
      assert.is(step.refusal === null, ok, `${what}: ${step.refusal?.reason ?? 'accepted'}`);
      assert.is(step.response.MessageId, (raw as { id: number }).id, what);
      assert.ok(step.state === state, `${what}: nothing changes`);
    }
  });

test.run();
