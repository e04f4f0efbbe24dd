/**
 * Models: the OCI runtime spec (opencontainers/runtime-spec specs-go, the JSON names) that Create
 * carries in ContainerConfig.OciSpecification and ExecuteProcess in OciProcess, and how the GCS
 * turns it into the `input` of create_container and exec_in_container (hcsshim hcsv2
 * CreateContainer / ExecProcess and securitypolicyenforcer_rego EnforceCreateContainerPolicyV2).
 * Real counterpart: encoding/json into specs.Spec, then the enforcer's input map.
 * Differs: only the fields the GCS or the policy reads are decoded (process, root, hostname,
 * mounts, hooks, annotations, linux.devices, linux.seccomp); the seccomp profile is measured as
 * SHA-256 of its JSON text as the host sent it (Go re-marshals the struct first); an annotation
 * for a virtual pod is not modelled.
 * Invariants: decoding follows Go: a missing or null field is the zero value, a wrong JSON type
 * is GUEST_BAD_MESSAGE naming the field; the sandbox ID, sandboxDir and hugePagesDir are derived
 * the way the GCS derives them; nothing here asks the policy.
 */
import { createHash } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import type { CapabilitySets } from '../policy/policy-model.js';
import { GoFields, badMessage } from './bridge-protocol.js';
import { LCOW_ROOT_PREFIX } from './confidential-checks.js';
import type { ContainerMountSpec, ResolvedGroup, ResolvedUser } from './guest-state.js';
import type { OciUserIds, UserInfo } from './passwd.js';

/** pkg/annotations names the GCS reads. */
export const ANNOTATIONS = Object.freeze({
  containerType: 'io.kubernetes.cri.container-type',
  sandboxId: 'io.kubernetes.cri.sandbox-id',
  privileged: 'io.microsoft.virtualmachine.lcow.privileged',
});

/** The device node the GCS adds to every unprivileged confidential container (AddDevSev). */
export const DEV_SEV_GUEST = '/dev/sev-guest';

export type OciProcess = Readonly<{
  terminal: boolean;
  user: OciUserIds;
  args: readonly string[];
  env: readonly string[];
  cwd: string;
  /** null when the spec has no capabilities object. */
  capabilities: CapabilitySets | null;
  noNewPrivileges: boolean;
}>;

export type OciSpec = Readonly<{
  process: OciProcess | null;
  rootPath: string | null;
  hostname: string;
  mounts: readonly ContainerMountSpec[];
  /** `hooks` present and not null (Go: a non-nil *Hooks, even when empty). */
  hooksPresent: boolean;
  annotations: Readonly<Record<string, string>>;
  /** linux.devices paths, as sent. */
  devices: readonly string[];
  /** SHA-256 hex of linux.seccomp's JSON, or "" when there is none. */
  seccompProfileSHA256: string;
}>;

const U32 = 0xffff_ffff;
const CAP_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

function decodeCapabilities(fields: GoFields, key: string): CapabilitySets | null {
  if (fields.raw(key) === null) return null;
  const caps = fields.obj(key);
  const out: Record<string, readonly string[]> = {};
  for (const set of CAP_SETS) out[set] = caps.strList(set);
  return Object.freeze(out) as CapabilitySets;
}

function decodeUids(where: string, value: unknown): readonly number[] {
  if (value === null) return Object.freeze([]);
  if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v) && v >= 0 && v <= U32)) {
    throw badMessage(where, 'must be an array of uint32');
  }
  return Object.freeze([...value as number[]]);
}

/** specs.Process from JSON (an OciProcess of an exec, or a spec's `process`). */
export function decodeOciProcess(value: unknown, where: string): OciProcess {
  const p = new GoFields(value, where);
  const user = p.obj('user');
  const umask = user.raw('umask');
  return Object.freeze({
    terminal: p.bool('terminal'),
    user: Object.freeze({
      uid: user.int('uid', 0, U32), gid: user.int('gid', 0, U32),
      additionalGids: decodeUids(`${where}.user.additionalGids`, user.raw('additionalGids')),
      umask: umask === null ? null : user.int('umask', 0, U32),
      username: user.str('username'),
    }),
    args: p.strList('args'), env: p.strList('env'), cwd: p.str('cwd'),
    capabilities: decodeCapabilities(p, 'capabilities'),
    noNewPrivileges: p.bool('noNewPrivileges'),
  });
}

function decodeMounts(spec: GoFields): readonly ContainerMountSpec[] {
  const mounts = spec.raw('mounts');
  if (mounts === null) return Object.freeze([]);
  if (!Array.isArray(mounts)) throw badMessage('OciSpecification.mounts', 'must be an array');
  return Object.freeze(mounts.map((m: unknown, i: number) => {
    const f = new GoFields(m, `OciSpecification.mounts[${i}]`);
    return Object.freeze({ destination: f.str('destination'), source: f.str('source'),
      type: f.str('type'), options: f.strList('options') });
  }));
}

function decodeDevices(linux: GoFields): readonly string[] {
  const devices = linux.raw('devices');
  if (devices === null) return Object.freeze([]);
  if (!Array.isArray(devices)) {
    throw badMessage('OciSpecification.linux.devices', 'must be an array');
  }
  return Object.freeze(devices.map((d: unknown, i: number) =>
    new GoFields(d, `OciSpecification.linux.devices[${i}]`).str('path')));
}

/** specs.Spec from ContainerConfig.OciSpecification (null → a spec with no process or root). */
export function decodeOciSpec(value: unknown): OciSpec {
  const spec = new GoFields(value, 'OciSpecification');
  const processValue = spec.raw('process');
  const root = spec.raw('root');
  const linux = spec.obj('linux');
  const seccomp = linux.raw('seccomp');
  const decoded: OciSpec = Object.freeze({
    process: processValue === null ? null
      : decodeOciProcess(processValue, 'OciSpecification.process'),
    rootPath: root === null ? null : spec.obj('root').str('path'),
    hostname: spec.str('hostname'),
    mounts: decodeMounts(spec),
    hooksPresent: spec.raw('hooks') !== null,
    annotations: spec.strMap('annotations'),
    devices: decodeDevices(linux),
    seccompProfileSHA256: seccomp === null ? ''
      : createHash('sha256').update(JSON.stringify(seccomp)).digest('hex'),
  });
  assert(decoded.seccompProfileSHA256.length === 0 || decoded.seccompProfileSHA256.length === 64);
  return decoded;
}

/** oci.ParseAnnotationsBool: strconv.ParseBool's accepted spellings; anything else → default. */
export function annotationBool(annotations: Readonly<Record<string, string>>, key: string,
  fallback: boolean): boolean {
  const value = Object.hasOwn(annotations, key) ? annotations[key] : undefined;
  if (value === undefined) return fallback;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return fallback;
}

export type ContainerRole = Readonly<{
  /** CRI container-type: "sandbox", "container", or null for a standalone container. */
  criType: string | null;
  sandboxId: string;
  isSandbox: boolean;
}>;

/** hcsv2 CreateContainer: the sandbox ID is the container's own unless CRI names another. */
export function containerRole(id: string, spec: OciSpec): ContainerRole {
  const a = spec.annotations;
  const criType = Object.hasOwn(a, ANNOTATIONS.containerType) ? a[ANNOTATIONS.containerType]!
    : null;
  const sandboxId = criType === 'container'
    ? (Object.hasOwn(a, ANNOTATIONS.sandboxId) ? a[ANNOTATIONS.sandboxId]! : '') : id;
  return Object.freeze({ criType, sandboxId, isSandbox: criType === 'sandbox' });
}

function idNames(user: ResolvedUser, groups: readonly ResolvedGroup[]) {
  return {
    user: { id: String(user.uid), name: user.name },
    groups: groups.map((g) => ({ id: String(g.id), name: g.name })),
  };
}

/** The create_container input the GCS builds (EnforceCreateContainerPolicyV2). */
export function createContainerInput(id: string, spec: OciSpec, process: OciProcess,
  role: ContainerRole, userInfo: UserInfo): Readonly<Record<string, unknown>> {
  const sandboxRoot = `${LCOW_ROOT_PREFIX}/${role.sandboxId}`;
  const input = {
    containerID: id, argList: process.args, envList: process.env, workingDir: process.cwd,
    sandboxDir: `${sandboxRoot}/sandboxMounts`, hugePagesDir: `${sandboxRoot}/hugepages`,
    mounts: spec.mounts, devices: spec.devices.map((path) => ({ path })),
    privileged: annotationBool(spec.annotations, ANNOTATIONS.privileged, false),
    noNewPrivileges: process.noNewPrivileges, ...idNames(userInfo.user, userInfo.groups),
    umask: userInfo.umask, capabilities: process.capabilities,
    seccompProfileSHA256: spec.seccompProfileSHA256, isSandboxContainer: role.isSandbox,
  };
  assert(input.groups.length >= 1, 'the primary group is always named');
  return input;
}

/** The exec_in_container input the GCS builds (EnforceExecInContainerPolicy). */
export function execInContainerInput(id: string, process: OciProcess,
  userInfo: UserInfo): Readonly<Record<string, unknown>> {
  return {
    containerID: id, argList: process.args, envList: process.env, workingDir: process.cwd,
    noNewPrivileges: process.noNewPrivileges, ...idNames(userInfo.user, userInfo.groups),
    umask: userInfo.umask, capabilities: process.capabilities,
  };
}
