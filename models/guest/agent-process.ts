/**
 * Models: the GCS's process and container-control requests (spec d): NegotiateProtocol,
 * ExecuteProcess (external in the UVM, or exec in a container: exec_external /
 * exec_in_container), WaitForProcess, SignalProcess (signal_container_process; signal 0 becomes
 * SIGKILL), ShutdownGraceful/Forced (shutdown_container then SIGTERM/SIGKILL; for the UVM ID a
 * power-off without any policy check), ResizeConsole, GetProperties (get_properties),
 * DumpStacks (dump_stacks) and DeleteContainerState.
 * Real counterpart: bridge_v2.go handlers and hcsv2 Host (ExecProcess, SignalContainerProcess,
 * ShutdownContainer, GetProperties, GetStacks, DeleteContainerState).
 * Differs: processes do not run: a process is a record that exits only when signalled (a
 * terminating signal: exit code 128 + signal) or when its container stops; a wait on a running
 * process answers at once with the timeout HRESULT; the environment map of ProcessParameters is
 * turned into a list sorted by name (Go iterates the map in random order); CommandLine is split
 * on spaces (shellwords in Go); external processes run as root.
 * Invariants: the policy is asked before any effect; a request that fails after the policy
 * allowed it keeps the metadata the policy wrote (the GCS does not roll these back); a process
 * belongs to at most one container; pids are never reused.
 */
import { assert } from '../../sim/kernel/assert.js';
import { HRESULT, PROTOCOL_VERSION_V4, type BridgeRequestOf } from './bridge-protocol.js';
import { containerIdFailure } from './confidential-checks.js';
import { refusal, type AgentStep } from './agent-step.js';
import {
  checkOn, denied, emit, enforce, refuse, structural, succeed, type StepContext,
} from './agent-context.js';
import { overlayAt, startInit, userInfoOf } from './agent-create.js';
import { confidential, poisonedRefusal } from './agent-storage.js';
import { containerTransition } from './container-lifecycle.js';
import {
  UVM_CONTAINER_ID, lookupRecord, withRecord, type ContainerRecord, type GuestState,
  type ProcessRecord,
} from './guest-state.js';
import { isRefusal } from './layer-reads.js';
import { decodeOciProcess, execInContainerInput } from './oci-spec.js';
import { uvmTransition } from './uvm-lifecycle.js';

export const SIGKILL = 9;
export const SIGTERM = 15;
/** Signals whose default action does not end the process (SIGCHLD, SIGCONT, SIGSTOP, ...). */
const NON_TERMINATING: readonly number[] = Object.freeze([17, 18, 19, 20, 21, 22, 23, 28]);

/** The GCS's capabilities (bridge_v2.go `capabilities`), as NegotiateProtocol returns them. */
export const GCS_CAPABILITIES = Object.freeze({
  SendHostCreateMessage: false, SendHostStartMessage: false, HvSocketConfigOnStartup: false,
  SupportedSchemaVersions: Object.freeze([Object.freeze({ Major: 2, Minor: 1 })]),
  RuntimeOsType: 'Linux',
  GuestDefinedCapabilities: Object.freeze({ NamespaceAddRequestSupported: true,
    SignalProcessSupported: true, DumpStacksSupported: true,
    DeleteContainerStateSupported: true }),
});

export function negotiateProtocol(ctx: StepContext,
  req: BridgeRequestOf<'NegotiateProtocol'>): AgentStep {
  if (req.MaximumVersion < PROTOCOL_VERSION_V4 || PROTOCOL_VERSION_V4 < req.MinimumVersion) {
    return refuse(ctx, ctx.start, refusal('message', `no common protocol version in [${
      req.MinimumVersion}, ${req.MaximumVersion}]`), HRESULT.VMCOMPUTE_UNSUPPORTED_PROTOCOL);
  }
  const uvm = uvmTransition(ctx.start.uvm, { type: 'NEGOTIATED', version: PROTOCOL_VERSION_V4 });
  return succeed(ctx, Object.freeze({ ...ctx.start, uvm }),
    { Version: PROTOCOL_VERSION_V4, Capabilities: GCS_CAPABILITIES });
}

/** hcsv2 GetCreatedContainer / GetInitializedContainer: a container that Create made. */
function createdContainer(state: GuestState, id: string): ContainerRecord | null {
  const record = lookupRecord(state.containers, id);
  if (record === undefined) return null;
  return record.value === 'created' || record.value === 'running' || record.value === 'exited'
    ? record : null;
}

function notFound(ctx: StepContext, what: string): AgentStep {
  return refuse(ctx, ctx.start, refusal('state', `${what} not found`),
    HRESULT.VMCOMPUTE_SYSTEM_NOT_FOUND);
}

function processOf(state: GuestState, containerId: string | null,
  pid: number): ProcessRecord | null {
  const p = lookupRecord(state.processes, String(pid));
  return p !== undefined && p.containerId === containerId ? p : null;
}

function withPid(state: GuestState, process: ProcessRecord): GuestState {
  assert(process.pid === state.nextPid, 'the next pid');
  return Object.freeze({ ...state, nextPid: process.pid + 1,
    processes: withRecord(state.processes, String(process.pid), process) });
}

/** Environment map → "K=V" list, sorted by name (processParamEnvToOCIEnv, made deterministic). */
export function environmentList(environment: Readonly<Record<string, string>>): string[] {
  return Object.keys(environment).sort().map((k) => `${k}=${environment[k]!}`);
}

export function executeProcess(ctx: StepContext,
  req: BridgeRequestOf<'ExecuteProcess'>): AgentStep {
  const params = req.ProcessParameters;
  if (params.CreateInUtilityVM || req.ContainerId === UVM_CONTAINER_ID) {
    return execExternal(ctx, req);
  }
  const record = createdContainer(ctx.start, req.ContainerId);
  if (record === null) return notFound(ctx, `container ${req.ContainerId}`);
  if (params.OciProcess === null) return startInit(ctx, req.ContainerId, record);
  return execInContainer(ctx, req.ContainerId, record, params.OciProcess);
}

function execExternal(ctx: StepContext, req: BridgeRequestOf<'ExecuteProcess'>): AgentStep {
  const state = ctx.start;
  const params = req.ProcessParameters;
  const envList = environmentList(params.Environment);
  const asked = enforce(ctx, state, state.metadata, 'exec_external', {
    argList: params.CommandArgs, envList, workingDir: params.WorkingDirectory });
  if (!asked.ok) return denied(ctx, state, asked);
  const stdio = asked.decision.allow_stdio_access ?? true;
  assert(asked.decision.allowed, 'exec_external allowed it');
  if (params.EmulateConsole && !stdio) {
    return refuse(ctx, state, refusal('policy', 'exec of process that requires terminal access '
      + 'denied due to policy not allowing stdio access', { rule: 'exec_external' }));
  }
  const argv = params.CommandArgs.length > 0 ? params.CommandArgs
    : params.CommandLine.split(' ').filter((a) => a !== '');
  if (argv.length === 0) return refuse(ctx, state, refusal('state', 'no command to run'));
  const process: ProcessRecord = Object.freeze({ pid: state.nextPid, containerId: null,
    kind: 'external', argv: Object.freeze([...argv]),
    env: Object.freeze([...(asked.decision.env_list ?? envList)]), cwd: params.WorkingDirectory,
    user: Object.freeze({ uid: 0, gid: 0, name: 'root' }),
    groups: Object.freeze([Object.freeze({ id: 0, name: 'root' })]), capabilities: null,
    noNewPrivileges: false, stdio, terminal: params.EmulateConsole, status: 'running',
    exitCode: null });
  emit(ctx, 'process_started', { pid: process.pid, containerId: null, kind: 'external',
    argv: [...argv] });
  return succeed(ctx, withPid(state, process), { ProcessId: process.pid });
}

function execInContainer(ctx: StepContext, id: string, record: ContainerRecord,
  rawProcess: unknown): AgentStep {
  const state = ctx.start;
  const process = decodeOciProcess(rawProcess, 'OciProcess');
  const userInfo = userInfoOf(ctx, state, record.context.rootfs, process);
  if (isRefusal(userInfo)) return refuse(ctx, state, userInfo);
  const asked = enforce(ctx, state, state.metadata, 'exec_in_container',
    execInContainerInput(id, process, userInfo));
  if (!asked.ok) return denied(ctx, state, asked);
  const committed: GuestState = Object.freeze({ ...state, metadata: asked.metadata });
  assert(asked.decision.allowed, 'exec_in_container allowed it');
  if (process.terminal && !record.context.stdio) {
    return refuse(ctx, committed, refusal('policy', 'exec in container of process that requires '
      + 'terminal access denied due to policy not allowing stdio access',
      { rule: 'exec_in_container' }));
  }
  if (record.value !== 'running') {
    return refuse(ctx, committed, refusal('state', `container ${id} is ${record.value}: exec `
      + 'failed'));
  }
  // Container.ExecProcess: an exec with its own username runs as what it resolves to (as the
  // policy was told); one without runs as the container's user when the container had a
  // username (the policy was told the ids the exec carried), else with the ids it carried.
  const config = record.context.config;
  assert(config !== null, 'a created container has the config Create recorded');
  const runs = process.user.username === '' && config.username !== ''
    ? { user: config.user, groups: config.groups } : userInfo;
  const exec: ProcessRecord = Object.freeze({ pid: state.nextPid, containerId: id, kind: 'exec',
    argv: process.args, env: Object.freeze([...(asked.decision.env_list ?? process.env)]),
    cwd: process.cwd, user: runs.user, groups: runs.groups,
    capabilities: asked.decision.caps_list ?? process.capabilities,
    noNewPrivileges: process.noNewPrivileges, stdio: record.context.stdio,
    terminal: process.terminal, status: 'running', exitCode: null });
  emit(ctx, 'process_started', { pid: exec.pid, containerId: id, kind: 'exec',
    argv: [...exec.argv] });
  return succeed(ctx, withPid(committed, exec), { ProcessId: exec.pid });
}

export function waitForProcess(ctx: StepContext,
  req: BridgeRequestOf<'WaitForProcess'>): AgentStep {
  const external = req.ContainerId === UVM_CONTAINER_ID;
  if (!external && createdContainer(ctx.start, req.ContainerId) === null) {
    return notFound(ctx, `container ${req.ContainerId}`);
  }
  const process = processOf(ctx.start, external ? null : req.ContainerId, req.ProcessId);
  if (process === null) {
    return refuse(ctx, ctx.start, refusal('state', `process ${req.ProcessId} not found`),
      HRESULT.E_NOT_FOUND);
  }
  if (process.status === 'running') {
    return refuse(ctx, ctx.start, refusal('state', `process ${req.ProcessId} is still running: `
      + 'the wait timed out'), HRESULT.VMCOMPUTE_TIMEOUT);
  }
  return succeed(ctx, ctx.start, { ExitCode: process.exitCode! >>> 0 });
}

/** Every running process of `id` exits with `exitCode`; its record moves to exited. */
function stopContainer(state: GuestState, id: string, exitCode: number): GuestState {
  const record = state.containers[id]!;
  let processes = state.processes;
  for (const [pid, p] of Object.entries(state.processes)) {
    if (p.containerId === id && p.status === 'running') {
      processes = withRecord(processes, pid, Object.freeze({ ...p, status: 'exited', exitCode }));
    }
  }
  const exited = containerTransition(record, { type: 'EXIT', exitCode });
  assert(exited.value === 'exited', 'a created or running container exits');
  return Object.freeze({ ...state, processes,
    containers: withRecord(state.containers, id, exited) });
}

/** `signal` to `process` of container `id` (whose init is `initPid`). */
function deliver(state: GuestState, id: string, process: ProcessRecord, signal: number,
  initPid: number | null): GuestState {
  assert(process.containerId === id, 'a process of that container');
  if (NON_TERMINATING.includes(signal)) return state;
  const exitCode = 128 + signal;
  if (process.pid === initPid) return stopContainer(state, id, exitCode);
  return Object.freeze({ ...state, processes: withRecord(state.processes, String(process.pid),
    Object.freeze({ ...process, status: 'exited', exitCode })) });
}

/** The UVM powers off: every container stops, every process (external ones too) ends. */
function powerOff(state: GuestState): GuestState {
  let next = state;
  for (const [id, record] of Object.entries(state.containers)) {
    if (record.value === 'created' || record.value === 'running') {
      next = stopContainer(next, id, 128 + SIGKILL);
    }
  }
  let processes = next.processes;
  for (const [pid, p] of Object.entries(next.processes)) {
    if (p.status === 'running') {
      processes = withRecord(processes, pid, Object.freeze({ ...p, status: 'exited',
        exitCode: 128 + SIGKILL }));
    }
  }
  const off: GuestState = Object.freeze({ ...next, processes,
    uvm: uvmTransition(next.uvm, { type: 'SHUTDOWN' }) });
  assert(off.uvm.value === 'stopped', 'powered off');
  assert(Object.values(off.processes).every((p) => p.status === 'exited'), 'nothing runs');
  return off;
}

export function signalProcess(ctx: StepContext, req: BridgeRequestOf<'SignalProcess'>): AgentStep {
  const state = ctx.start;
  const record = createdContainer(state, req.ContainerId);
  if (record === null) return notFound(ctx, `container ${req.ContainerId}`);
  const process = processOf(state, req.ContainerId, req.ProcessId);
  if (process === null) {
    return refuse(ctx, state, refusal('state', `process ${req.ProcessId} not found`),
      HRESULT.E_NOT_FOUND);
  }
  const signal = req.Signal === 0 ? SIGKILL : req.Signal;
  const isInit = process.pid === record.context.initPid;
  assert(process.containerId === req.ContainerId, 'the process belongs to the container');
  assert(signal !== 0, 'signal 0 is never delivered as 0');
  const asked = enforce(ctx, state, state.metadata, 'signal_container_process', {
    containerID: req.ContainerId, signal, isInitProcess: isInit, argList: process.argv });
  if (!asked.ok) return denied(ctx, state, asked);
  const committed: GuestState = Object.freeze({ ...state, metadata: asked.metadata });
  if (process.status !== 'running') {
    return refuse(ctx, committed, refusal('state', `process ${process.pid} has exited`));
  }
  emit(ctx, 'process_signalled', { pid: process.pid, signal });
  return succeed(ctx, deliver(committed, req.ContainerId, process, signal,
    record.context.initPid));
}

export function shutdown(ctx: StepContext,
  req: BridgeRequestOf<'ShutdownGraceful' | 'ShutdownForced'>): AgentStep {
  const state = ctx.start;
  if (req.ContainerId === UVM_CONTAINER_ID) {
    emit(ctx, 'uvm_shutdown', {});
    return succeed(ctx, powerOff(state));
  }
  const record = createdContainer(state, req.ContainerId);
  if (record === null) return notFound(ctx, `container ${req.ContainerId}`);
  const asked = enforce(ctx, state, state.metadata, 'shutdown_container',
    { containerID: req.ContainerId });
  if (!asked.ok) return denied(ctx, state, asked);
  const committed: GuestState = Object.freeze({ ...state, metadata: asked.metadata });
  if (record.value === 'exited') {
    return refuse(ctx, committed, refusal('state', `container ${req.ContainerId} is not running`));
  }
  const signal = req.kind === 'ShutdownGraceful' ? SIGTERM : SIGKILL;
  emit(ctx, 'container_stopped', { containerId: req.ContainerId, signal });
  return succeed(ctx, stopContainer(committed, req.ContainerId, 128 + signal));
}

export function resizeConsole(ctx: StepContext, req: BridgeRequestOf<'ResizeConsole'>): AgentStep {
  if (createdContainer(ctx.start, req.ContainerId) === null) {
    return notFound(ctx, `container ${req.ContainerId}`);
  }
  if (processOf(ctx.start, req.ContainerId, req.ProcessId) === null) {
    return refuse(ctx, ctx.start, refusal('state', `process ${req.ProcessId} not found`),
      HRESULT.E_NOT_FOUND);
  }
  return succeed(ctx, ctx.start);
}

export function getProperties(ctx: StepContext, req: BridgeRequestOf<'GetProperties'>): AgentStep {
  const state = ctx.start;
  const asked = enforce(ctx, state, state.metadata, 'get_properties', {});
  if (!asked.ok) return denied(ctx, state, asked);
  if (req.ContainerId === UVM_CONTAINER_ID) {
    return refuse(ctx, state, refusal('state', 'getPropertiesV2 is not supported against the UVM'));
  }
  if (createdContainer(state, req.ContainerId) === null) {
    return notFound(ctx, `container ${req.ContainerId}`);
  }
  const pids = Object.values(state.processes)
    .filter((p) => p.containerId === req.ContainerId && p.status === 'running')
    .map((p) => ({ ProcessId: p.pid }));
  const properties = req.PropertyTypes.includes('ProcessList') ? { ProcessList: pids } : {};
  return succeed(ctx, state, { Properties: JSON.stringify(properties) });
}

export function dumpStacks(ctx: StepContext): AgentStep {
  const state = ctx.start;
  const asked = enforce(ctx, state, state.metadata, 'dump_stacks', {});
  if (!asked.ok) return denied(ctx, state, asked);
  return succeed(ctx, state, { GuestStacks: 'goroutine 1 [running]:\nmain.main()\n' });
}

export function deleteContainerState(ctx: StepContext,
  req: BridgeRequestOf<'DeleteContainerState'>): AgentStep {
  const state = ctx.start;
  const id = req.ContainerId;
  if (confidential(state)) {
    const bad = structural(ctx, [containerIdFailure(id, 'container')]);
    if (bad !== null) return refuse(ctx, state, bad);
  }
  const poisoned = poisonedRefusal(state);
  if (poisoned !== null) return refuse(ctx, state, poisoned);
  const record = createdContainer(state, id);
  if (record === null) return notFound(ctx, `container ${id}`);
  if (confidential(state) && checkOn(ctx, 'delete_requires_stopped')) {
    if (record.value !== 'exited') {
      return refuse(ctx, state, refusal('structure', `Denied deleting state of a running `
        + `container ${JSON.stringify(id)}`, { check: 'delete_requires_stopped' }));
    }
    if (overlayAt(state, record.context.rootfs) !== null) {
      return refuse(ctx, state, refusal('structure', 'Denied deleting state of a container with '
        + 'a overlay mount still active', { check: 'delete_requires_stopped' }));
    }
  }
  if (record.value !== 'exited') {   // the pre-fix GCS: delete fails, the record is dropped
    emit(ctx, 'container_forgotten', { containerId: id, phase: record.value });
    return refuse(ctx, Object.freeze({ ...state, containers: withRecord(state.containers, id,
      containerTransition(record, { type: 'FORGET' })) }),
    refusal('state', `deleting container ${id} failed: it is ${record.value}`));
  }
  assert(record.value === 'exited', 'only an exited container is deleted');
  assert(!confidential(state) || !checkOn(ctx, 'delete_requires_stopped')
    || overlayAt(state, record.context.rootfs) === null, 'its overlay is gone');
  emit(ctx, 'container_deleted', { containerId: id });
  return succeed(ctx, Object.freeze({ ...state, containers: withRecord(state.containers, id,
    containerTransition(record, { type: 'DELETE' })) }));
}
