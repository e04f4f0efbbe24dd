/**
 * Models: nothing real. The world's port to the guest agent (models/guest/agent.ts), in one place
 * so the world does not depend on the agent's internals: create a booted guest from its own report,
 * and run one bridge frame through the agent.
 * Method: INTERIM stand-in until the guest agent lands on main: the guest boots and refuses every
 * bridge frame (layer 'state'). Replaced by re-exports of the agent when it lands.
 */
import type { Hex } from './kernel/bytes.js';
import type { Json } from './kernel/canonical-json.js';
import type { RngState } from './kernel/rng.js';

export type OwnReport = Readonly<{ host_data: Hex; measurement: Hex }>;
export type GuestState = Readonly<{ phase: string; ownReport: OwnReport | null; rng: RngState }>;
export type IoError = Readonly<{ io_error: string }>;
export type AgentIo = Readonly<{
  deviceBytes(lun: number): Uint8Array | IoError;
  deviceId(lun: number): string | IoError;
  scratchDisk(lun: number): Readonly<{ blockCount: number;
    sealed: Readonly<Record<string, Hex>> }> | IoError;
  load(digest: Hex): Uint8Array | undefined;
  declaredRoot(realRoot: Hex): Hex | null;
}>;
export type AgentOptions = Readonly<Record<string, Json>>;
export type AgentFault = 'mount' | 'unmount';
export type AgentEnv = Readonly<{ options: AgentOptions; fault: AgentFault | null }>;
export type Refusal = Readonly<{ layer: string; check: string | null; rule: string | null;
  reason: string; code: string | null }>;
export type GuestEvent = Readonly<{ source: 'guest' | 'policy'; type: string; data: Json }>;
export type DiskWrite = Readonly<{ lun: number; index: number; block: Hex }>;
export type DecisionSummary = Readonly<{ rule: string; allowed: boolean;
  reasons: readonly string[] }>;
export type GuestStep = Readonly<{
  state: GuestState;
  response: Readonly<Record<string, Json>>;
  decision: DecisionSummary | null;
  refusal: Refusal | null;
  events: readonly GuestEvent[];
  writes: readonly DiskWrite[];
  blobs: readonly Readonly<{ digest: Hex; bytes: Uint8Array }>[];
  faultUsed: boolean;
}>;

export const DEFAULT_AGENT_OPTIONS: AgentOptions = Object.freeze({});

/** A guest that has booted and read its own report. */
export function bootGuest(rng: RngState, ownReport: OwnReport): GuestState {
  return Object.freeze({ phase: 'awaiting_policy', ownReport: Object.freeze(ownReport), rng });
}

/** One bridge frame through the agent. */
export function stepGuest(state: GuestState, frame: Json, _io: AgentIo,
  _env: AgentEnv): GuestStep {
  const record = typeof frame === 'object' && frame !== null && !Array.isArray(frame)
    ? frame as Readonly<Record<string, Json>> : {};
  const id = typeof record['id'] === 'number' ? record['id'] : 0;
  return {
    state, response: { MessageId: id, Result: -2147467259, ErrorMessage: 'agent not integrated' },
    decision: null,
    refusal: { layer: 'state', check: null, rule: null, reason: 'agent not integrated',
      code: null },
    events: [], writes: [], blobs: [], faultUsed: false,
  };
}

/** Whether the guest is still running (not stopped). */
export function guestRunning(state: GuestState): boolean {
  return state.phase !== 'stopped';
}
