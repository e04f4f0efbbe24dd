/**
 * Models: container creation and the start of its init process in the GCS (spec c
 * create_container, spec d Create / ExecuteProcess without OciProcess): hcsv2 CreateContainer in
 * its order — the poisoned check, the container and sandbox ID checks, the hostname, the
 * container settings (bundle, rootfs, scratch dir, hooks), extra devices, the user and groups
 * from the container's own /etc/passwd and /etc/group, the policy, then the act (config.json
 * written, /dev/sev-guest added) — and Container.Start.
 * Real counterpart: uvm.go CreateContainer, writeSpecToFile, runc create / start.
 * Differs: config.json goes to <ScratchDirPath>/config.json on the scratch disk (the real bundle
 * is /run/gcs/c/<id>, on that disk only for a sandbox) so every container's config lands on the
 * encrypted disk; the init process's start leaves a marker file next to it after reading the
 * config back through dm-crypt (runc reads config.json at create; a read here is what exposes a
 * tampered scratch disk). Container creation is not wrapped in a metadata rollback (as in the
 * GCS): a create that fails after the policy allowed it still uses up its ID.
 * Invariants: the container's rootfs layers are the overlay mounted at its Root.Path when it was
 * created; its env and capabilities are the policy's lists when the policy returned them; its
 * user and group names come from verified reads of its own layers, top layer first.
 */
import { assert } from '../../sim/kernel/assert.js';
import { HRESULT, type BridgeRequestOf } from './bridge-protocol.js';
import {
  containerIdFailure, containerSettingsFailures, extraDevicesFailure, hostnameFailure,
} from './confidential-checks.js';
import { refusal, type AgentStep, type Refusal } from './agent-step.js';
import {
  checkOn, denied, emit, enforce, refuse, structural, succeed, type StepContext,
} from './agent-context.js';
import { confidential, poisonedRefusal, scratchDeviceOf } from './agent-storage.js';
import { containerTransition, initialContainerRecord } from './container-lifecycle.js';
import {
  lookupRecord, withRecord, type ContainerConfig, type ContainerRecord, type GuestState,
  type OverlayLayer, type OverlayMount, type PendingCreate, type ProcessRecord,
} from './guest-state.js';
import { memo } from '../../sim/kernel/memo.js';
import { isRefusal, readRootfsFile } from './layer-reads.js';
import {
  DEV_SEV_GUEST, annotationBool, ANNOTATIONS, containerRole, createContainerInput, decodeOciSpec,
  type ContainerRole, type OciProcess, type OciSpec,
} from './oci-spec.js';
import { parseUserStr, resolveUserInfo, type UserFiles, type UserInfo } from './passwd.js';
import { rewriteSandboxMounts } from './workload-spec.js';
import { readScratchFile, writeScratchFile } from './scratch-files.js';

type Create = BridgeRequestOf<'Create'>;

/** The overlay mounted at `path` (a container's Root.Path), if any (none at a null path). */
export function overlayAt(state: GuestState, path: string | null): OverlayMount | null {
  return Object.values(state.overlays).find((o) => o.target === path) ?? null;
}

/**
 * GetUserInfo over the container's rootfs (the overlay at `rootPath`; none: no files), memoised
 * by the content of its layer devices (content id and table) and the ids asked for.
 */
export function userInfoOf(ctx: StepContext, state: GuestState, rootPath: string | null,
  process: Pick<OciProcess, 'user'>): UserInfo | Refusal {
  const layers = overlayAt(state, rootPath)?.layers ?? [];
  let key = '';
  for (const layer of layers) {
    const device = lookupRecord(state.devices, layer.path);
    const id = device === undefined ? undefined : ctx.io.deviceId(device.lun);
    if (device?.kind !== 'ro_verity' || typeof id !== 'string') {
      return readUserInfo(ctx, state, layers, process, rootPath);   // fails: not memoised
    }
    key += `${id}|${device.table.root_digest}|${device.table.hash_start_block};`;
  }
  const u = process.user;
  // A JSON tuple: one key per input, a null Root.Path apart from an empty one.
  return memo('guest/user-info', JSON.stringify([key, u.uid, u.gid, u.additionalGids, u.umask,
    u.username, rootPath]), () => readUserInfo(ctx, state, layers, process, rootPath), 1024);
}

/** /etc/passwd and /etc/group of a rootfs, read through dm-verity (null: no such file). */
function readUserFiles(ctx: StepContext, state: GuestState, layers: readonly OverlayLayer[],
  rootPath: string | null): UserFiles | Refusal {
  const passwd = readRootfsFile(state, ctx.io, layers, '/etc/passwd');
  if (isRefusal(passwd)) return passwd;
  const group = readRootfsFile(state, ctx.io, layers, '/etc/group');
  if (isRefusal(group)) return group;
  return { passwd, group, root: rootPath ?? '' };
}

function readUserInfo(ctx: StepContext, state: GuestState, layers: readonly OverlayLayer[],
  process: Pick<OciProcess, 'user'>, rootPath: string | null): UserInfo | Refusal {
  const files = readUserFiles(ctx, state, layers, rootPath);
  if (isRefusal(files)) return files;
  const lookup = resolveUserInfo(files, process.user);
  if (!lookup.ok) return refusal('state', `resolving the user of ${rootPath ?? '(no rootfs)'}: `
    + lookup.reason);
  return lookup.info;
}

/**
 * The user and groups a process runs as: the policy's view when runc is given the same ids;
 * otherwise the names of the ids it is given (GetUserInfo's uid/gid lookup; "" when absent),
 * for the records the invariant checkers read.
 */
export function runningUser(ctx: StepContext, state: GuestState, rootPath: string | null,
  user: OciProcess['user'], policyView: UserInfo): Pick<UserInfo, 'user' | 'groups'> {
  if (user.uid === policyView.user.uid && user.gid === policyView.groups[0]!.id) return policyView;
  const byIds = userInfoOf(ctx, state, rootPath, { user: { ...user, username: '' } });
  if (!isRefusal(byIds)) return byIds;
  return { user: Object.freeze({ uid: user.uid, gid: user.gid, name: '' }),
    groups: Object.freeze([user.gid, ...user.additionalGids].map((id) =>
      Object.freeze({ id, name: '' }))) };
}

type Prepared = Readonly<{ state: GuestState; spec: OciSpec; refusal: Refusal | null }>;

/**
 * setupWorkloadContainerSpec for a CRI workload container: sandbox and hugepages mount sources
 * rewritten (directories made), then the OCI username resolved to uid:gid (SetUserStr).
 */
function prepareWorkload(ctx: StepContext, state: GuestState, id: string, spec: OciSpec,
  role: ContainerRole): Prepared {
  if (role.criType !== 'container') return { state, spec, refusal: null };
  const rewrite = rewriteSandboxMounts({ containerId: id, sandboxId: role.sandboxId },
    spec.mounts, state.mountSources);
  const made = rewrite.mountSources === state.mountSources ? state
    : Object.freeze({ ...state, mountSources: rewrite.mountSources });
  if (made !== state) {
    emit(ctx, 'mount_sources_made', { paths: Object.keys(rewrite.mountSources)
      .filter((path) => !Object.hasOwn(state.mountSources, path)) });
  }
  if (rewrite.failure !== null) {
    return { state: made, spec, refusal: refusal('state', rewrite.failure) };
  }
  let process = spec.process;
  assert(process !== null, 'earlyRefusal refused a nil process');
  if (process.user.username !== '') {
    const files = readUserFiles(ctx, made, overlayAt(made, spec.rootPath)?.layers ?? [],
      spec.rootPath);
    if (isRefusal(files)) return { state: made, spec, refusal: files };
    const parsed = parseUserStr(files, process.user.username);
    if (!parsed.ok) return { state: made, spec, refusal: refusal('state', parsed.reason) };
    process = Object.freeze({ ...process, user: Object.freeze({ ...process.user,
      uid: parsed.result.uid, gid: parsed.result.gid }) });
  }
  const ready: OciSpec = Object.freeze({ ...spec, mounts: rewrite.mounts, process });
  assert(ready.mounts.length === spec.mounts.length, 'every mount kept');
  return { state: made, spec: ready, refusal: null };
}

/** hcsv2 CreateContainer's checks before the policy, in its order. */
function createChecks(ctx: StepContext, req: Create, spec: OciSpec,
  role: ContainerRole): Refusal | null {
  const id = req.ContainerId;
  if (!confidential(ctx.start)) return null;
  // hcsv2 checks the sandbox ID of a workload container only; containerRole makes any other
  // container's sandboxId its own ID, so for those the second check repeats the first.
  const checks = [containerIdFailure(id, 'container'),
    containerIdFailure(role.sandboxId, 'sandbox')];
  checks.push(hostnameFailure(spec.hostname));
  checks.push(...containerSettingsFailures(role.sandboxId, id, {
    ociBundlePath: req.ContainerConfig.OciBundlePath, rootPath: spec.rootPath,
    scratchDirPath: req.ContainerConfig.ScratchDirPath, hooksPresent: spec.hooksPresent }));
  checks.push(extraDevicesFailure(spec.devices));
  return structural(ctx, checks);
}

function earlyRefusal(ctx: StepContext, req: Create, spec: OciSpec,
  role: ContainerRole): Refusal | null {
  const version = req.ContainerConfig.SchemaVersion;
  if (version.Major < 2 || (version.Major === 2 && version.Minor < 1)) {
    return refusal('message', `invalid schema version: ${version.Major}.${version.Minor}`,
      { code: 'GUEST_BAD_MESSAGE' });
  }
  const poisoned = poisonedRefusal(ctx.start);
  if (poisoned !== null) return poisoned;
  if (role.criType !== null && role.criType !== 'sandbox' && role.criType !== 'container') {
    return refusal('state', `unsupported 'io.kubernetes.cri.container-type': '${role.criType}'`);
  }
  if (role.sandboxId === '') {
    return refusal('state', "unsupported 'io.kubernetes.cri.sandbox-id': ''");
  }
  const checked = createChecks(ctx, req, spec, role);
  if (checked !== null) return checked;
  if (spec.process === null) return refusal('state', 'spec.Process is nil');
  return null;
}

/** Create: the GCS's checks, GetUserInfo, create_container, then the act. */
export function createContainer(ctx: StepContext, req: Create): AgentStep {
  const state = ctx.start;
  const id = req.ContainerId;
  if (req.ContainerConfig.OciSpecification === null) {
    return refuse(ctx, state, refusal('message', 'OCISpecification is nil',
      { code: 'GUEST_BAD_MESSAGE' }), HRESULT.VMCOMPUTE_INVALID_JSON);
  }
  const spec = memo('guest/oci-spec', req.ContainerConfigText,
    () => decodeOciSpec(req.ContainerConfig.OciSpecification), 1024);
  const role = containerRole(id, spec);
  const early = earlyRefusal(ctx, req, spec, role);
  if (early !== null) return refuse(ctx, state, early, early.layer === 'message'
    ? HRESULT.VMCOMPUTE_INVALID_JSON : HRESULT.E_FAIL);
  const existing = lookupRecord(state.containers, id);
  if (existing !== undefined && existing.value !== 'overlay_mounted'
    && existing.value !== 'deleted') {
    return refuse(ctx, state, refusal('state', `container ${id} already exists`),
      HRESULT.VMCOMPUTE_SYSTEM_ALREADY_EXISTS);
  }
  const prepared = prepareWorkload(ctx, state, id, spec, role);
  if (prepared.refusal !== null) return refuse(ctx, prepared.state, prepared.refusal);
  const ready = prepared.spec;
  const process = ready.process!;
  const userInfo = userInfoOf(ctx, prepared.state, ready.rootPath, process);
  if (isRefusal(userInfo)) return refuse(ctx, prepared.state, userInfo);
  const asked = enforce(ctx, prepared.state, prepared.state.metadata, 'create_container',
    createContainerInput(id, ready, process, role, userInfo));
  if (!asked.ok) return denied(ctx, prepared.state, asked);
  const committed: GuestState = Object.freeze({ ...prepared.state, metadata: asked.metadata });
  const config = containerConfig(ready, process, { ...userInfo,
    ...runningUser(ctx, prepared.state, ready.rootPath, process.user, userInfo) },
  asked.decision);
  const pending: PendingCreate = Object.freeze({ containerId: id,
    configText: configText(req, ready, config),
    fields: Object.freeze({ sandboxId: role.sandboxId, isSandbox: role.isSandbox,
      rootfs: spec.rootPath ?? '', layers: null, scratchDir: req.ContainerConfig.ScratchDirPath,
      config, stdio: asked.decision.allow_stdio_access ?? true }) });
  if (!checkOn(ctx, 'sequential_requests')) {
    // The pre-2e97c9bb3 agent: the policy has been checked; runc create runs later, on whatever
    // is mounted by then (the host's mounts and unmounts are handled in between).
    emit(ctx, 'create_pending', { containerId: id });
    return succeed(ctx, Object.freeze({ ...committed, pendingCreate: pending }));
  }
  const acted = actCreate(ctx, committed, pending);
  if (isRefusal(acted)) return refuse(ctx, createFailed(committed, id), acted);
  return succeed(ctx, acted);
}

/** The record of a container whose create failed after the policy allowed it: ID used up. */
function createFailed(state: GuestState, id: string): GuestState {
  const record = lookupRecord(state.containers, id) ?? initialContainerRecord();
  return Object.freeze({ ...state, containers: withRecord(state.containers, id,
    containerTransition(record, { type: 'CREATE_FAILED' })) });
}

/**
 * Runs the act of a Create left pending by the concurrent (non-sequential) agent, before the
 * request that follows it is handled. Mounts and unmounts (ModifySettings) do not wait for it.
 */
export function completePendingCreate(ctx: StepContext, state: GuestState): GuestState {
  const pending = state.pendingCreate;
  assert(pending !== null, 'a pending create');
  const cleared: GuestState = Object.freeze({ ...state, pendingCreate: null });
  const acted = actCreate(ctx, cleared, pending);
  if (!isRefusal(acted)) return acted;
  emit(ctx, 'create_failed', { containerId: pending.containerId, reason: acted.reason });
  return createFailed(cleared, pending.containerId);
}

function containerConfig(spec: OciSpec, process: OciProcess, userInfo: UserInfo,
  decision: Readonly<{ env_list?: readonly string[]; caps_list?: ContainerConfig['capabilities'] }>,
): ContainerConfig {
  const privileged = annotationBool(spec.annotations, ANNOTATIONS.privileged, false);
  return Object.freeze({
    args: process.args, env: Object.freeze([...(decision.env_list ?? process.env)]),
    cwd: process.cwd, user: userInfo.user, groups: userInfo.groups, umask: userInfo.umask,
    username: process.user.username, capabilities: decision.caps_list ?? process.capabilities,
    noNewPrivileges: process.noNewPrivileges, privileged, mounts: spec.mounts,
    devices: Object.freeze(privileged ? [...spec.devices] : [...spec.devices, DEV_SEV_GUEST]),
    seccompProfileSHA256: spec.seccompProfileSHA256, hostname: spec.hostname,
    terminal: process.terminal,
  });
}

/**
 * The config.json text, derived once per ContainerConfig text (the host's string: its hash is
 * computed once); the amendments that the text does not fix (the decision's env and caps, the
 * ids resolved in the image) are checked on a hit, so another drop list recomputes. The devices
 * are not: the text fixes them (its linux.devices and privileged annotation).
 */
function configText(req: Create, spec: OciSpec, c: ContainerConfig): string {
  const amend = `${c.env.join('\0')}|${JSON.stringify(c.capabilities)}|${c.user.uid}:${c.user.gid}`;
  const cached = memo('guest/config-json', req.ContainerConfigText,
    () => ({ amend, text: configJson(req, spec, c) }), 1024);
  return cached.amend === amend ? cached.text : configJson(req, spec, c);
}

/** runc create over the overlay at Root.Path now, config.json to the scratch disk. */
function actCreate(ctx: StepContext, committed: GuestState,
  pending: PendingCreate): GuestState | Refusal {
  const { containerId: id, fields } = pending;
  const overlay = overlayAt(committed, fields.rootfs);
  if (overlay === null) {
    return refusal('state', `failed to create container: no rootfs is mounted at ${fields.rootfs}`);
  }
  const record = lookupRecord(committed.containers, id) ?? initialContainerRecord();
  const layers = Object.freeze(overlay.layers.map((l) => l.rootHash));
  const created = containerTransition(record, { type: 'CREATE', fields: { ...fields, layers } });
  if (created === record) return refusal('state', `container ID ${id} was already used`);
  let state: GuestState = Object.freeze({ ...committed,
    containers: withRecord(committed.containers, id, created) });
  const device = scratchDeviceOf(state, fields.scratchDir);
  if (device !== null) {
    const written = writeScratchFile(state, device,
      `${fields.scratchDir.slice(device.target.length + 1)}/config.json`, pending.configText);
    if (isRefusal(written)) return written;
    ctx.writes.push(...written.writes);
    state = Object.freeze({ ...state, devices: withRecord(state.devices, device.target,
      written.device) });
  }
  assert(state.containers[id]!.value === 'created', 'the container is created');
  emit(ctx, 'container_created', { containerId: id, layers: [...layers],
    user: fields.config.user.name, env: [...fields.config.env] });
  return state;
}

/**
 * The OCI spec as the GCS writes it: mount sources as rewritten, the user's uid and gid as
 * resolved, env and caps after dropping, devices as amended.
 */
function configJson(req: Create, spec: OciSpec, config: ContainerConfig): string {
  const raw = req.ContainerConfig.OciSpecification as Readonly<Record<string, unknown>>;
  const process = (raw['process'] ?? {}) as Readonly<Record<string, unknown>>;
  const user = (process['user'] ?? {}) as Readonly<Record<string, unknown>>;
  const linux = (raw['linux'] ?? {}) as Readonly<Record<string, unknown>>;
  const mounts = Array.isArray(raw['mounts']) ? (raw['mounts'] as unknown[]).map((m, i) => ({
    ...(m as Readonly<Record<string, unknown>>), source: spec.mounts[i]!.source })) : raw['mounts'];
  return JSON.stringify({ ...raw, mounts,
    process: { ...process, user: { ...user, uid: config.user.uid, gid: config.user.gid },
      env: config.env, capabilities: config.capabilities },
    linux: { ...linux, devices: config.devices.map((path) => ({ path })) } });
}

// ---------------------------------------------------------------------------------------------
// The init process

/** ExecuteProcess without OciProcess: start the created container's init process. */
export function startInit(ctx: StepContext, id: string, record: ContainerRecord): AgentStep {
  const state = ctx.start;
  const context = record.context;
  if (record.value !== 'created') {
    return refuse(ctx, state, refusal('state', `container ${id} is ${record.value}, not created`),
      HRESULT.VMCOMPUTE_INVALID_STATE);
  }
  const { config: c, scratchDir } = context;
  assert(c !== null && scratchDir !== null, 'CREATE recorded the config and the scratch dir');
  if (overlayAt(state, context.rootfs) === null) {
    return refuse(ctx, state, refusal('state', `the rootfs of ${id} is no longer mounted`));
  }
  const pid = state.nextPid;
  let next: GuestState = state;
  const device = scratchDeviceOf(state, scratchDir);
  if (device !== null) {
    const dir = scratchDir.slice(device.target.length + 1);
    const config = readScratchFile(state, ctx.io, device, `${dir}/config.json`, ctx.writes);
    if (isRefusal(config)) return refuse(ctx, state, config);
    const marker = JSON.stringify({ pid, args: c.args });
    const written = writeScratchFile(state, device, `${dir}/init.started`, marker);
    if (isRefusal(written)) return refuse(ctx, state, written);
    ctx.writes.push(...written.writes);
    next = Object.freeze({ ...next, devices: withRecord(next.devices, device.target,
      written.device) });
  }
  const init: ProcessRecord = Object.freeze({ pid, containerId: id, kind: 'init', argv: c.args,
    env: c.env, cwd: c.cwd, user: c.user, groups: c.groups, capabilities: c.capabilities,
    noNewPrivileges: c.noNewPrivileges, stdio: context.stdio, terminal: c.terminal,
    status: 'running', exitCode: null });
  const started = containerTransition(record, { type: 'START', initPid: pid });
  assert(started.value === 'running', 'a created container starts');
  emit(ctx, 'process_started', { pid, containerId: id, kind: 'init', argv: [...c.args] });
  return succeed(ctx, Object.freeze({ ...next, nextPid: pid + 1,
    processes: withRecord(next.processes, String(pid), init),
    containers: withRecord(next.containers, id, started) }), { ProcessId: pid });
}
