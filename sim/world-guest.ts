/**
 * Models: nothing real. The world's port to the guest agent (models/guest): create a booted guest
 * from its own report, and run one bridge frame through the agent, in one place so the world
 * does not depend on the agent's internals.
 * Method: the types are the agent's (guest-state.ts, agent-step.ts). INTERIM until agent.ts lands
 * on main: `stepGuest` refuses every frame (layer 'state') and `bootGuest` records the report;
 * both become the agent's own stepAgent/bootGuest then.
 */
import { assert } from './kernel/assert.js';
import type { RngState } from './kernel/rng.js';
import type { Hex } from './kernel/bytes.js';
import {
  DEFAULT_AGENT_OPTIONS, refusal, type AgentEnv, type AgentIo, type AgentOptions, type AgentStep,
  type Refusal,
} from '../models/guest/agent-step.js';
import {
  createGuestState, type GuestState, type OwnReport,
} from '../models/guest/guest-state.js';
import { HRESULT, bridgeResponse, rawMessageId } from '../models/guest/bridge-protocol.js';

export { DEFAULT_AGENT_OPTIONS };
export type { AgentEnv, AgentOptions, GuestState, OwnReport, Refusal };

/** The agent's I/O plus what the world knows about stand-in images (see the design note). */
export type WorldAgentIo = AgentIo & Readonly<{ declaredRoot(realRoot: Hex): Hex | null }>;

/** The policy decision of a step, as the world reports it. */
export type DecisionSummary = Readonly<{ rule: string; allowed: boolean;
  reasons: readonly string[] }>;

export type GuestStep = Omit<AgentStep, 'decision'> & Readonly<{
  decision: DecisionSummary | null;
}>;

/** A guest that has booted and read its own report. */
export function bootGuest(rng: RngState, ownReport: OwnReport): GuestState {
  const booted: GuestState = Object.freeze({ ...createGuestState(rng),
    ownReport: Object.freeze({ ...ownReport }) });
  assert(booted.ownReport !== null, 'a booted guest knows its report');
  return booted;
}

/** One bridge frame through the agent. */
export function stepGuest(state: GuestState, frame: unknown, _io: WorldAgentIo,
  _env: AgentEnv): GuestStep {
  const id = rawMessageId(frame);
  return {
    state, decision: null,
    response: bridgeResponse(null, id, HRESULT.E_FAIL, 'agent not integrated'),
    refusal: refusal('state', 'agent not integrated'),
    events: [], writes: [], blobs: [], faultUsed: false,
  };
}
