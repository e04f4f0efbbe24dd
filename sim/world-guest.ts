/**
 * Models: nothing real. The world's port to the guest agent (models/guest/agent.ts): create a
 * booted guest from its own report, and run one bridge frame through the agent, in one place so
 * the world depends only on the agent's entry points and types.
 * Method: re-exports and thin wrappers; the policy decision is summarised for the world's result
 * (rule, allowed, reasons), the full decision stays in the agent's events.
 */
import { assert } from './kernel/assert.js';
import type { RngState } from './kernel/rng.js';
import {
  DEFAULT_AGENT_OPTIONS, type AgentEnv, type AgentIo, type AgentOptions, type AgentStep,
  type PolicyEngine, type Refusal,
} from '../models/guest/agent-step.js';
import {
  createGuestState, type GuestState, type OwnReport,
} from '../models/guest/guest-state.js';
import { bootGuest as agentBoot, stepAgent } from '../models/guest/agent.js';

export { DEFAULT_AGENT_OPTIONS };
export type { AgentEnv, AgentIo, AgentOptions, GuestState, OwnReport, PolicyEngine, Refusal };

/** The policy decision of a step, as the world reports it. */
export type DecisionSummary = Readonly<{ rule: string; allowed: boolean;
  reasons: readonly string[] }>;

export type GuestStep = Omit<AgentStep, 'decision'> & Readonly<{
  decision: DecisionSummary | null;
}>;

/** A guest that has booted and read its own report (UVM booting → awaiting_policy). */
export function bootGuest(rng: RngState, ownReport: OwnReport): GuestState {
  const booted = agentBoot(createGuestState(rng), ownReport);
  assert(booted.ownReport !== null, 'a booted guest knows its report');
  return booted;
}

/** One bridge frame through the agent. */
export function stepGuest(state: GuestState, frame: unknown, io: AgentIo,
  env: AgentEnv): GuestStep {
  const step = stepAgent(state, frame, io, env);
  const decision = step.decision === null ? null : { rule: step.decision.rule,
    allowed: step.decision.allowed, reasons: step.decision.reasons };
  return { ...step, decision };
}
