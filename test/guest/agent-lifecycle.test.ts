/**
 * Goal: the UVM and container lifecycles are defined by their xstate machines, and the plain
 * reducers the agent uses on its hot path agree with the machines on every (state, event) pair,
 * including the events a state refuses; persisted `{value, context}` round-trips through the
 * state codec.
 * Method: enumerate every phase with a representative context and every event (with payloads
 * that pass and fail the guards), take one pure xstate `transition` and one reducer step from
 * the same stored state, and compare value and context. Expected phases of the walk come from
 * the spec's lifecycle (booting → awaiting_policy → serving → poisoned | stopped; overlay_mounted
 * → created → running → exited → deleted), written here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { roundTrip } from '../../sim/kernel/codec.js';
import {
  UVM_PHASES, initialUvmState, uvmMachine, uvmMachineTransition, uvmTransition, type UvmEvent,
} from '../../models/guest/uvm-lifecycle.js';
import {
  CONTAINER_PHASES, containerMachine, containerMachineTransition, containerTransition,
  initialContainerRecord, type ContainerEvent, type CreatedFields,
} from '../../models/guest/container-lifecycle.js';
import type { ContainerConfig, ContainerRecord, UvmState } from '../../models/guest/guest-state.js';

const UVM_EVENTS: readonly UvmEvent[] = [
  { type: 'BOOTED' }, { type: 'NEGOTIATED', version: 4 }, { type: 'NEGOTIATED', version: 3 },
  { type: 'POLICY_SET' }, { type: 'UNMOUNT_FAILED', cause: 'umount: EBUSY' },
  { type: 'SHUTDOWN' },
];

function uvmAt(value: UvmState['value']): UvmState {
  return { value, context: { protocolVersion: value === 'booting' ? null : 4,
    poisonCause: value === 'poisoned' ? 'an earlier failure' : null } };
}

test('guest/uvm-lifecycle: the reducer agrees with the machine on every (phase, event)', () => {
  let compared = 0;
  for (const phase of UVM_PHASES) {
    for (const event of UVM_EVENTS) {
      const from = uvmAt(phase);
      const machine = uvmMachineTransition(from, event);
      const reducer = uvmTransition(from, event);
      assert.equal(reducer, machine, `${phase} + ${JSON.stringify(event)}`);
      if (reducer.value === from.value) assert.equal(reducer.context, machine.context);
      compared++;
    }
  }
  assert.is(compared, UVM_PHASES.length * UVM_EVENTS.length);
});

test('guest/uvm-lifecycle: the machine has exactly the spec\'s phases; stopped is final', () => {
  assert.equal(Object.keys(uvmMachine.config.states!).sort(), [...UVM_PHASES].sort());
  assert.is(uvmMachine.config.states!['stopped']!.type, 'final');
  assert.is(initialUvmState().value, 'booting');
});

test('guest/uvm-lifecycle: the benign walk and the poisoning walk', () => {
  const walk = (events: readonly UvmEvent[]): string[] => {
    let state = initialUvmState();
    return events.map((e) => (state = uvmTransition(state, e)).value);
  };
  assert.equal(walk([{ type: 'BOOTED' }, { type: 'NEGOTIATED', version: 4 },
    { type: 'POLICY_SET' }, { type: 'SHUTDOWN' }]),
  ['awaiting_policy', 'awaiting_policy', 'serving', 'stopped']);
  assert.equal(walk([{ type: 'BOOTED' }, { type: 'UNMOUNT_FAILED', cause: 'x' },
    { type: 'POLICY_SET' }, { type: 'UNMOUNT_FAILED', cause: 'y' }, { type: 'POLICY_SET' }]),
  ['awaiting_policy', 'awaiting_policy', 'serving', 'poisoned', 'poisoned']);
});

test('guest/uvm-lifecycle: a refused event returns the very state object', () => {
  const stopped = uvmAt('stopped');
  assert.ok(uvmTransition(stopped, { type: 'BOOTED' }) === stopped);
  const serving = uvmAt('serving');
  assert.ok(uvmTransition(serving, { type: 'POLICY_SET' }) === serving);
});

const CONFIG: ContainerConfig = {
  args: ['/app'], env: ['A=1'], cwd: '/', user: { uid: 0, gid: 0, name: 'root' },
  groups: [{ id: 0, name: 'root' }], umask: '0022', username: '', capabilities: null,
  noNewPrivileges: false,
  privileged: false, mounts: [], devices: ['/dev/sev-guest'], seccompProfileSHA256: '',
  hostname: 'h', terminal: false,
};
const FIELDS: CreatedFields = { sandboxId: 'ab'.repeat(32), isSandbox: true,
  rootfs: '/run/gcs/c/x/rootfs', layers: ['11'.repeat(32)], scratchDir: '/s', config: CONFIG,
  stdio: true };

const CONTAINER_EVENTS: readonly ContainerEvent[] = [
  { type: 'CREATE', fields: FIELDS }, { type: 'CREATE_FAILED' }, { type: 'OVERLAY_UNMOUNTED' },
  { type: 'START', initPid: 101 }, { type: 'START', initPid: 0 }, { type: 'EXIT', exitCode: 137 },
  { type: 'DELETE' }, { type: 'FORGET' },
];

function containerAt(value: ContainerRecord['value'], created = true): ContainerRecord {
  const base = initialContainerRecord();
  if (value === 'overlay_mounted') return base;
  return { value, context: { ...base.context, ...(created ? FIELDS : {}),
    initPid: value === 'running' || value === 'exited' ? 100 : null,
    exitCode: value === 'exited' ? 143 : null } };
}

test('guest/container-lifecycle: the reducer agrees with the machine on every (phase, event)',
  () => {
    let compared = 0;
    for (const phase of CONTAINER_PHASES) {
      for (const created of [true, false]) {
        for (const event of CONTAINER_EVENTS) {
          const from = containerAt(phase, created);
          assert.equal(containerTransition(from, event), containerMachineTransition(from, event),
            `${phase}${created ? '' : ' (no config)'} + ${event.type}`);
          compared++;
        }
      }
    }
    assert.is(compared, CONTAINER_PHASES.length * 2 * CONTAINER_EVENTS.length);
  });

test('guest/container-lifecycle: the spec\'s walk, and deleted is final', () => {
  let record = initialContainerRecord();
  const seen: string[] = [];
  for (const event of [CONTAINER_EVENTS[0]!, CONTAINER_EVENTS[3]!, CONTAINER_EVENTS[5]!,
    CONTAINER_EVENTS[6]!]) {
    record = containerTransition(record, event);
    seen.push(record.value);
  }
  assert.equal(seen, ['created', 'running', 'exited', 'deleted']);
  for (const event of CONTAINER_EVENTS) assert.ok(containerTransition(record, event) === record);
  assert.is(containerMachine.config.states!['deleted']!.type, 'final');
});

test('guest/lifecycles: persisted states round-trip through the codec', () => {
  for (const phase of UVM_PHASES) assert.equal(roundTrip(uvmAt(phase)), uvmAt(phase));
  for (const phase of CONTAINER_PHASES) {
    assert.equal(roundTrip(containerAt(phase)), containerAt(phase));
  }
});

test.run();
