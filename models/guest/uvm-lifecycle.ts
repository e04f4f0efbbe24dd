/**
 * Models: the lifecycle of the utility VM as its guest agent sees it (spec c "What makes the
 * invariant inductive" 1, spec d): booting (the GCS is not connected), awaiting_policy (the
 * closed-door enforcer denies everything), serving (a policy bound to HOST_DATA is installed),
 * poisoned (an unmount failed half-way: hcsv2 uvmConsistencyError), stopped (powered off).
 * Real counterpart: the GCS process state plus Host.uvmError and SecurityOptions.PolicyEnforcerSet.
 * Differs: an xstate machine defines and visualises the transitions; the agent's hot path uses
 * `uvmTransition`, a plain reducer, which a test checks against the machine on every (state,
 * event) pair. What is stored is `{value, context}` (UvmState).
 * Invariants: stopped is final; a policy is installed only from awaiting_policy; poisoning
 * needs an installed policy (hcsv2 setUVMInconsistent is a no-op without one) and keeps the
 * first cause; an event a state does not accept leaves the state object unchanged.
 */
import { assign, setup, transition } from 'xstate';
import { assert } from '../../sim/kernel/assert.js';
import { PROTOCOL_VERSION_V4 } from './bridge-protocol.js';
import type { UvmContext, UvmPhase, UvmState } from './guest-state.js';

export type UvmEvent =
  | Readonly<{ type: 'BOOTED' }>
  | Readonly<{ type: 'NEGOTIATED'; version: number }>
  | Readonly<{ type: 'POLICY_SET' }>
  | Readonly<{ type: 'UNMOUNT_FAILED'; cause: string }>
  | Readonly<{ type: 'SHUTDOWN' }>;

export const UVM_PHASES: readonly UvmPhase[] =
  Object.freeze(['booting', 'awaiting_policy', 'serving', 'poisoned', 'stopped']);

const INITIAL_CONTEXT: UvmContext = Object.freeze({ protocolVersion: null, poisonCause: null });

export const uvmMachine = setup({
  types: { context: {} as UvmContext, events: {} as UvmEvent },
  guards: {
    /** prot.PvV4 is the only protocol the GCS speaks. */
    isProtocolV4: ({ event }) => event.type === 'NEGOTIATED'
      && event.version === PROTOCOL_VERSION_V4,
  },
  actions: {
    recordVersion: assign(({ event }) => {
      assert(event.type === 'NEGOTIATED');
      return { protocolVersion: event.version };
    }),
    recordPoisonCause: assign(({ event }) => {
      assert(event.type === 'UNMOUNT_FAILED');
      return { poisonCause: event.cause };
    }),
  },
}).createMachine({
  id: 'gcs_uvm',
  initial: 'booting',
  context: INITIAL_CONTEXT,
  states: {
    booting: { on: { BOOTED: 'awaiting_policy', SHUTDOWN: 'stopped' } },
    awaiting_policy: {
      on: {
        NEGOTIATED: { guard: 'isProtocolV4', actions: 'recordVersion' },
        POLICY_SET: 'serving',
        SHUTDOWN: 'stopped',
      },
    },
    serving: {
      on: {
        NEGOTIATED: { guard: 'isProtocolV4', actions: 'recordVersion' },
        UNMOUNT_FAILED: { target: 'poisoned', actions: 'recordPoisonCause' },
        SHUTDOWN: 'stopped',
      },
    },
    poisoned: {
      on: {
        NEGOTIATED: { guard: 'isProtocolV4', actions: 'recordVersion' },
        SHUTDOWN: 'stopped',
      },
    },
    stopped: { type: 'final' },
  },
});

/** The persisted state of a new UVM (the machine's initial snapshot). */
export function initialUvmState(): UvmState {
  const state: UvmState = Object.freeze({ value: 'booting', context: INITIAL_CONTEXT });
  assert(uvmMachine.config.initial === state.value, 'the machine starts where we do');
  return state;
}

/**
 * The hot-path reducer: the same transitions as `uvmMachine`. Returns `state` itself when the
 * event is not accepted in its phase.
 */
export function uvmTransition(state: UvmState, event: UvmEvent): UvmState {
  const phase = state.value;
  switch (event.type) {
    case 'BOOTED':
      return phase === 'booting' ? next('awaiting_policy', state.context) : state;
    case 'NEGOTIATED':
      if (phase !== 'awaiting_policy' && phase !== 'serving' && phase !== 'poisoned') return state;
      if (event.version !== PROTOCOL_VERSION_V4) return state;
      return next(phase, { ...state.context, protocolVersion: event.version });
    case 'POLICY_SET':
      return phase === 'awaiting_policy' ? next('serving', state.context) : state;
    case 'UNMOUNT_FAILED':
      return phase === 'serving'
        ? next('poisoned', { ...state.context, poisonCause: event.cause }) : state;
    case 'SHUTDOWN':
      return phase === 'stopped' ? state : next('stopped', state.context);
  }
}

function next(value: UvmPhase, context: UvmContext): UvmState {
  assert(UVM_PHASES.includes(value), 'a UVM phase');
  return Object.freeze({ value, context: Object.freeze({ ...context }) });
}

/** One xstate transition from a stored state (tests compare it with `uvmTransition`). */
export function uvmMachineTransition(state: UvmState, event: UvmEvent): UvmState {
  const snapshot = uvmMachine.resolveState({ value: state.value, context: state.context });
  const [after] = transition(uvmMachine, snapshot, event);
  const value = after.value as UvmPhase;
  assert(UVM_PHASES.includes(value), 'the machine stays in a UVM phase');
  return Object.freeze({ value, context: Object.freeze({ ...after.context }) });
}
