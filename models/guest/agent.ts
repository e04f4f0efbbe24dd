/**
 * Models: the Linux guest agent (hcsshim GCS) in confidential mode, one bridge request per step
 * (spec d, e): decode the request, refuse it if the UVM is not up, dispatch it to its handler,
 * and answer with the GCS response, the policy decision, the refusal (layer, check or rule,
 * reason), trace events and the sealed scratch blocks the host will hold.
 * Real counterpart: the GCS bridge (internal/guest/bridge) over hcsv2.Host, with requests
 * handled sequentially as in confidential mode since 2e97c9bb3.
 * Differs: a pure step over plain state (guest-state.ts): `stepAgent(state, request, io, env)`;
 * the host's disks are read through `io`, writes are returned; the guest's own report arrives
 * through `bootGuest` (the guest-message channel is the world's); responses are returned at
 * once (WaitForProcess on a running process answers with the timeout HRESULT). With the
 * `sequential_requests` check off (the concurrent agent before 2e97c9bb3) a Create's act waits
 * for the next request that is not ModifySettings and runs before it.
 * Invariants: any JSON value gets a typed response and never an exception; a malformed request
 * is GUEST_BAD_MESSAGE; a refused request that changed nothing returns the input state object
 * itself; a step that is not refused has a response Result of S_OK.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import {
  HRESULT, bridgeResponse, decodeBridgeRequest, rawMessageId, rawMessageKind,
  type BridgeRequest,
} from './bridge-protocol.js';
import {
  refusal, type AgentEnv, type AgentIo, type AgentStep,
} from './agent-step.js';
import { emit, newContext, refuse, succeed, type StepContext } from './agent-context.js';
import { completePendingCreate, createContainer } from './agent-create.js';
import {
  deleteContainerState, dumpStacks, executeProcess, getProperties, negotiateProtocol,
  resizeConsole, shutdown, signalProcess, waitForProcess,
} from './agent-process.js';
import { modifySettings } from './agent-storage.js';
import type { GuestState, OwnReport } from './guest-state.js';
import { uvmTransition } from './uvm-lifecycle.js';

export type {
  AgentEnv, AgentIo, AgentOptions, AgentStep, DiskWrite, GuestEvent, IoError, Refusal,
  RefusalLayer, StoredBlob,
} from './agent-step.js';
export { DEFAULT_AGENT_OPTIONS, isIoError } from './agent-step.js';

/**
 * The guest finished booting and fetched its own report (HOST_DATA, MEASUREMENT) through the
 * guest-message channel: the GCS connects and the closed-door enforcer is in place.
 */
export function bootGuest(state: GuestState, ownReport: OwnReport): GuestState {
  assert(/^[0-9a-f]{64}$/.test(ownReport.host_data), 'HOST_DATA is 32 bytes of hex');
  assert(/^[0-9a-f]{96}$/.test(ownReport.measurement), 'MEASUREMENT is 48 bytes of hex');
  const uvm = uvmTransition(state.uvm, { type: 'BOOTED' });
  if (uvm === state.uvm) return state;
  return Object.freeze({ ...state, uvm, ownReport: Object.freeze({ ...ownReport }) });
}

function dispatch(ctx: StepContext, request: BridgeRequest): AgentStep {
  switch (request.kind) {
    case 'NegotiateProtocol': return negotiateProtocol(ctx, request);
    case 'Create': return createContainer(ctx, request);
    case 'Start': return succeed(ctx, ctx.start);   // a no-op: init starts by ExecuteProcess
    case 'ExecuteProcess': return executeProcess(ctx, request);
    case 'WaitForProcess': return waitForProcess(ctx, request);
    case 'SignalProcess': return signalProcess(ctx, request);
    case 'ShutdownGraceful':
    case 'ShutdownForced': return shutdown(ctx, request);
    case 'ResizeConsole': return resizeConsole(ctx, request);
    case 'GetProperties': return getProperties(ctx, request);
    case 'ModifySettings': return modifySettings(ctx, request);
    case 'DumpStacks': return dumpStacks(ctx);
    case 'DeleteContainerState': return deleteContainerState(ctx, request);
  }
}

/** A request refused before it was decoded (not connected, or not a valid message). */
function unhandled(state: GuestState, raw: unknown, reason: string, layer: 'message' | 'state',
  result: number): AgentStep {
  const why = refusal(layer, reason, layer === 'message' ? { code: 'GUEST_BAD_MESSAGE' } : {});
  const response = bridgeResponse(rawMessageKind(raw), rawMessageId(raw), result, reason);
  return Object.freeze({ state, response, decision: null, refusal: why,
    events: Object.freeze([Object.freeze({ source: 'guest' as const, type: 'refused',
      data: { layer, check: null, rule: null, reason, code: why.code } })]),
    writes: Object.freeze([]), blobs: Object.freeze([]), faultUsed: false });
}

/**
 * One bridge request from the host. `request` is any JSON value (the host is hostile): a frame
 * `{type, id, message}` as bridgeMessage() builds it. Never throws on input.
 */
export function stepAgent(state: GuestState, request: unknown, io: AgentIo,
  env: AgentEnv): AgentStep {
  const phase = state.uvm.value;
  if (phase === 'booting' || phase === 'stopped') {
    return unhandled(state, request, phase === 'booting' ? 'the GCS is not connected yet: the '
      + 'UVM is booting' : 'the UVM is powered off', 'state', HRESULT.E_FAIL);
  }
  let decoded: BridgeRequest;
  try {
    decoded = decodeBridgeRequest(request);
  } catch (error) {
    assert(error instanceof SimError && error.code === 'GUEST_BAD_MESSAGE',
      `the decoder throws only badMessage() errors: ${String(error)}`);
    const result = error.detail['result'];
    assert(typeof result === 'number', 'badMessage() gives the HRESULT the GCS answers with');
    return unhandled(state, request, error.message, 'message', result);
  }
  let current = state;
  const early = newContext(state, decoded, io, env);
  if (state.pendingCreate !== null && decoded.kind !== 'ModifySettings') {
    current = completePendingCreate(early, state);   // the concurrent agent's delayed act
  }
  const ctx = newContext(current, decoded, io, env);
  ctx.events.push(...early.events);
  ctx.writes.push(...early.writes);
  emit(ctx, 'request', { message: decoded.kind, id: decoded.MessageId,
    containerId: decoded.ContainerId.slice(0, 80) });
  let step: AgentStep;
  try {
    step = dispatch(ctx, decoded);
  } catch (error) {   // a nested JSON document (the OCI spec or process) Go could not unmarshal
    if (!(error instanceof SimError) || error.code !== 'GUEST_BAD_MESSAGE') throw error;
    const retry = newContext(current, decoded, io, env);
    retry.events.push(...early.events);
    retry.writes.push(...early.writes);
    return refuse(retry, current, refusal('message', error.message, { code: error.code }),
      HRESULT.VMCOMPUTE_INVALID_JSON);
  }
  if (step.refusal === null) assert(step.response.Result === HRESULT.S_OK, 'success is S_OK');
  else assert(step.response.Result !== HRESULT.S_OK, 'a refusal is not S_OK');
  return step;
}
