/**
 * Goal: build SecurityPolicy values and enforcement-point inputs for the engine tests by hand, so
 * each test states its policy and request and the expected verdict comes from spec (c).
 * Method: small builders with generated-policy defaults (confcom shapes), overridable per test.
 */
import type {
  CapabilitySets, EnvRule, PolicyContainer, SecurityPolicy
} from '../../models/policy/policy-model.js';
import {
  evaluateEnforcementPoint, type Decision, type EngineOptions,
} from '../../models/policy/engine.js';
import { emptyMetadata, type PolicyMetadata } from '../../models/policy/metadata.js';
import { ENFORCEMENT_POINT_NAMES } from '../../models/policy/enforcement-points.js';

export const hash = (n: number): string => n.toString(16).padStart(2, '0').repeat(32);
export const ID = (n: number): string => `${n}`.padStart(2, '0').repeat(32);
export const SANDBOX = 'ab'.repeat(32);
export const SANDBOX_DIR = `/run/gcs/c/${SANDBOX}/sandboxMounts`;
export const HUGEPAGES_DIR = `/run/gcs/c/${SANDBOX}/hugepages`;

export const UNPRIVILEGED_14 = [
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
    'CAP_MKNOD',
  'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID',
    'CAP_SYS_CHROOT',
];

export const caps = (list: readonly string[], inheritable: readonly string[] = [],
  ambient: readonly string[] = []): CapabilitySets =>
  ({ bounding: list, effective: list, permitted: list, inheritable, ambient });

export const env = (pattern: string, strategy: 'string' | 're2' = 'string',
  required = false): EnvRule => ({ pattern, strategy, required });

export function container(overrides: Partial<PolicyContainer> = {}): PolicyContainer {
  return {
    id: 'example.azurecr.io/app@sha256:00', name: 'app', command: ['/app', '--serve'],
    env_rules: [env('PATH=/usr/bin'), env('TERM=xterm')], layers: [hash(1), hash(2)],
    mounts: [], exec_processes: [{ command: ['echo', 'hello'], signals: [] }], signals: [15],
    working_dir: '/', allow_elevated: false, allow_stdio_access: true, no_new_privileges: false,
    user: { user_idname: { pattern: '', strategy: 'any' },
      group_idnames: [{ pattern: '', strategy: 'any' }], umask: '0022' },
    capabilities: caps(UNPRIVILEGED_14), seccomp_profile_sha256: '',
    ...overrides,
  };
}

const FLAGS = {
  allow_properties_access: true, allow_dump_stacks: false, allow_runtime_logging: false,
  allow_environment_variable_dropping: false, allow_unencrypted_scratch: false,
    allow_capability_dropping: false,
  allow_host_network: false,
};

type PolicyOverrides = Partial<Omit<SecurityPolicy, 'flags'>>
  & { flags?: Partial<SecurityPolicy['flags']> };

export function securityPolicy(overrides: PolicyOverrides = {}): SecurityPolicy {
  const { flags, ...rest } = overrides;
  const rules: Record<string, { kind: 'framework' }> = {};
  for (const name of ENFORCEMENT_POINT_NAMES) rules[name] = { kind: 'framework' };
  return {
    format: 'native-json', api_version: '0.12.0', framework_version: '0.5.0',
      containers: [container()],
    external_processes: [], fragments: [], rules, allow_all: false, package_name: 'policy',
      svn: null, notes: [], reason_errors: true,
    ...rest, flags: { ...FLAGS, ...flags },
  };
}

/** Runs calls in order and returns every decision; the metadata is threaded. */
export function run(policy: SecurityPolicy, calls: readonly (readonly [string, unknown])[],
    start: PolicyMetadata = emptyMetadata(), options: EngineOptions = {}): Decision[] {
  let metadata = start;
  return calls.map(([rule, input]) => {
    const d = evaluateEnforcementPoint(policy, metadata, rule, input, options);
    metadata = d.metadata;
    return d;
  });
}

export const last = <T>(xs: readonly T[]): T => xs[xs.length - 1]!;

/** mount each layer (base first into m<base+i>), then the overlay (top first) for `id`. */
export function mountCalls(layers: readonly string[], id: string,
    base = 0): (readonly [string, unknown])[] {
  const targets = layers.map((_, i) => `/run/mounts/scsi/m${base + i}`);
  return [
    ...layers.map((h, i) => ['mount_device', { target: targets[i], deviceHash: h }] as const),
    ['mount_overlay', { containerID: id, layerPaths: [...targets].reverse(),
      target: `/run/gcs/c/${id}/rootfs` }] as const,
  ];
}

export function createInput(c: PolicyContainer, id: string, overrides: Record<string,
    unknown> = {}): Record<string, unknown> {
  return {
    containerID: id, argList: c.command, envList: c.env_rules.filter((r) =>
      r.strategy === 'string').map((r) => r.pattern),
    workingDir: c.working_dir, sandboxDir: SANDBOX_DIR, hugePagesDir: HUGEPAGES_DIR, mounts: [],
      devices: [],
    privileged: false, noNewPrivileges: c.no_new_privileges, user: { id: '0', name: 'root' },
    groups: [{ id: '0', name: 'root' }], umask: c.user.umask, capabilities: c.capabilities
      ?? caps(UNPRIVILEGED_14),
    seccompProfileSHA256: c.seccomp_profile_sha256, isSandboxContainer: false,
    ...overrides,
  };
}

export function execInput(c: PolicyContainer, id: string, argList: readonly string[],
    overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { containerID, envList, workingDir, noNewPrivileges, user, groups, umask,
    capabilities } = createInput(c, id);
  return { containerID, argList, envList, workingDir, noNewPrivileges, user, groups, umask,
    capabilities, ...overrides };
}
