/**
 * Models: the lifecycle of one container ID in the guest (spec c, d): overlay_mounted (its rootfs
 * overlay is mounted: CombinedLayers add), created (Create passed the policy: hcsv2
 * containerCreated), running (its init process was started by ExecuteProcess), exited (its init
 * process exited or it was shut down), deleted (DeleteContainerState, or the ID was used up
 * without a container: overlay unmounted before create, or a create that failed after the
 * policy allowed it).
 * Real counterpart: hcsv2 Container status (creating/created/running, terminated) and the
 * host's container map; `started` in the policy metadata for "used up".
 * Differs: an xstate machine defines the transitions; the agent uses `containerTransition`, a
 * plain reducer checked against the machine in tests. A record is stored as `{value, context}`.
 * FORGET is the pre-fix DeleteContainerState on a container that had not exited: the GCS
 * dropped its record although its processes kept running.
 * Invariants: deleted is final (an ID is never reused); only a created container starts; a
 * container is created once; an event a phase does not accept leaves the record unchanged.
 */
import { and, assign, setup, transition } from 'xstate';
import { assert } from '../../sim/kernel/assert.js';
import type { Hex } from '../../sim/kernel/bytes.js';
import type {
  ContainerConfig, ContainerContext, ContainerPhase, ContainerRecord,
} from './guest-state.js';

export type CreatedFields = Readonly<{
  sandboxId: string;
  isSandbox: boolean;
  rootfs: string;
  layers: readonly Hex[] | null;
  scratchDir: string;
  config: ContainerConfig;
  stdio: boolean;
}>;

export type ContainerEvent =
  | Readonly<{ type: 'CREATE'; fields: CreatedFields }>
  | Readonly<{ type: 'CREATE_FAILED' }>
  | Readonly<{ type: 'OVERLAY_UNMOUNTED' }>
  | Readonly<{ type: 'START'; initPid: number }>
  | Readonly<{ type: 'EXIT'; exitCode: number }>
  | Readonly<{ type: 'DELETE' }>
  | Readonly<{ type: 'FORGET' }>;

export const CONTAINER_PHASES: readonly ContainerPhase[] =
  Object.freeze(['overlay_mounted', 'created', 'running', 'exited', 'deleted']);

const EMPTY_CONTEXT: ContainerContext = Object.freeze({
  sandboxId: null, isSandbox: false, rootfs: null, layers: null, scratchDir: null, config: null,
  initPid: null, stdio: false, exitCode: null,
});

export const containerMachine = setup({
  types: { context: {} as ContainerContext, events: {} as ContainerEvent },
  guards: {
    /** Start needs the config Create recorded. */
    wasCreated: ({ context }) => context.config !== null,
    /** A pid is a positive integer. */
    validPid: ({ event }) => event.type === 'START' && Number.isSafeInteger(event.initPid)
      && event.initPid > 0,
  },
  actions: {
    recordCreate: assign(({ event }) => {
      assert(event.type === 'CREATE');
      return { ...event.fields };
    }),
    recordStart: assign(({ event }) => {
      assert(event.type === 'START');
      return { initPid: event.initPid };
    }),
    recordExit: assign(({ event }) => {
      assert(event.type === 'EXIT');
      return { exitCode: event.exitCode };
    }),
  },
}).createMachine({
  id: 'gcs_container',
  initial: 'overlay_mounted',
  context: EMPTY_CONTEXT,
  states: {
    overlay_mounted: {
      on: {
        CREATE: { target: 'created', actions: 'recordCreate' },
        CREATE_FAILED: 'deleted',
        OVERLAY_UNMOUNTED: 'deleted',
      },
    },
    created: {
      on: {
        START: { target: 'running', guard: and(['wasCreated', 'validPid']),
          actions: 'recordStart' },
        EXIT: { target: 'exited', actions: 'recordExit' },
        FORGET: 'deleted',
      },
    },
    running: { on: { EXIT: { target: 'exited', actions: 'recordExit' }, FORGET: 'deleted' } },
    exited: { on: { DELETE: 'deleted', FORGET: 'deleted' } },
    deleted: { type: 'final' },
  },
});

/** A record for an ID whose overlay was just mounted (the machine's initial snapshot). */
export function initialContainerRecord(): ContainerRecord {
  const record: ContainerRecord = Object.freeze({ value: 'overlay_mounted',
    context: EMPTY_CONTEXT });
  assert(containerMachine.config.initial === record.value, 'the machine starts where we do');
  return record;
}

function moved(value: ContainerPhase, context: ContainerContext): ContainerRecord {
  assert(CONTAINER_PHASES.includes(value), 'a container phase');
  return Object.freeze({ value, context: Object.freeze(context) });
}

/** The hot-path reducer: the transitions of `containerMachine`; `record` itself if refused. */
export function containerTransition(record: ContainerRecord,
  event: ContainerEvent): ContainerRecord {
  const { value, context } = record;
  switch (event.type) {
    case 'CREATE':
      return value === 'overlay_mounted'
        ? moved('created', { ...context, ...event.fields }) : record;
    case 'CREATE_FAILED':
    case 'OVERLAY_UNMOUNTED':
      return value === 'overlay_mounted' ? moved('deleted', context) : record;
    case 'START':
      if (value !== 'created' || context.config === null) return record;
      if (!Number.isSafeInteger(event.initPid) || event.initPid <= 0) return record;
      return moved('running', { ...context, initPid: event.initPid });
    case 'EXIT':
      return value === 'created' || value === 'running'
        ? moved('exited', { ...context, exitCode: event.exitCode }) : record;
    case 'DELETE':
      return value === 'exited' ? moved('deleted', context) : record;
    case 'FORGET':
      return value === 'created' || value === 'running' || value === 'exited'
        ? moved('deleted', context) : record;
  }
}

/** One xstate transition from a stored record (tests compare it with `containerTransition`). */
export function containerMachineTransition(record: ContainerRecord,
  event: ContainerEvent): ContainerRecord {
  const snapshot = containerMachine.resolveState({ value: record.value, context: record.context });
  const [after] = transition(containerMachine, snapshot, event);
  return moved(after.value as ContainerPhase, { ...after.context });
}
