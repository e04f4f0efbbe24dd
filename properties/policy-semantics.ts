/**
 * Goal: what a policy entry permits, restated for the invariant checkers from the spec (policy.md
 * b, c) and never from the engine: env rules (string, anchored re2, required), user and group
 * rules, capability sets, mount constraints (sandbox://, hugepages://, plan9://, literal, and the
 * platform's default mounts), fragment SVNs.
 * Method: small pure predicates over properties/policy-data.ts; RE2 through re2js (the library,
 * not the engine's wrapper), compiled once per pattern in the kernel memo.
 * Differs from the engine on purpose (the specification is simpler than the system): env and
 * capability checks are "never more than the policy allows" (an accepted env list, a subset of
 * the allowed capability sets) rather than the engine's dropping procedure; a default mount is
 * any of the platform's pseudo-filesystems at its usual destination, read-only where /sys and the
 * cgroup tree are concerned unless the entry allows elevation.
 */
import { RE2JS } from 're2js';
import { assert } from '../sim/kernel/assert.js';
import { memo } from '../sim/kernel/memo.js';
import type {
  CapabilitySetsData, ContainerData, EnvRuleData, IdNameRuleData, MountRuleData, UserRuleData,
} from './policy-data.js';

// ---------------------------------------------------------------------------------------------
// Regular expressions (spec c: every pattern anchored, `^`/`$` added when missing)

/** `^pattern$` with each anchor added only when missing (the framework's anchor_pattern). */
export function anchored(pattern: string): string {
  return `${pattern.startsWith('^') ? '' : '^'}${pattern}${pattern.endsWith('$') ? '' : '$'}`;
}

/** RE2 find over the anchored pattern; a pattern RE2 rejects matches nothing (Rego undefined). */
export function re2Anchored(pattern: string, value: string): boolean {
  const compiled = memo('properties/re2', pattern, () => {
    try {
      return RE2JS.compile(anchored(pattern));
    } catch {
      return null;
    }
  }, 4096);
  return compiled !== null && compiled.matcher(value).find();
}

// ---------------------------------------------------------------------------------------------
// Environment

export function envRuleAccepts(rule: EnvRuleData, env: string): boolean {
  if (rule.strategy === 'string') return rule.pattern === env;
  if (rule.strategy === 're2') return re2Anchored(rule.pattern, env);
  return false;
}

/** The first variable no rule accepts, or the first required rule nothing meets; null if fine. */
export function envProblem(rules: readonly EnvRuleData[], env: readonly string[]): string | null {
  for (const item of env) {
    if (!rules.some((rule) => envRuleAccepts(rule, item))) {
      return `environment variable ${item.split('=')[0]!} is allowed by no env rule`;
    }
  }
  for (const rule of rules) {
    if (rule.required && !env.some((item) => envRuleAccepts(rule, item))) {
      return `required env rule ${rule.pattern} is met by no variable`;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Users and groups (spec b `user`: any / id / name / re2 on the name)

export function idNameAccepts(rule: IdNameRuleData, id: number, name: string): boolean {
  switch (rule.strategy) {
    case 'any': return true;
    case 'id': return rule.pattern === String(id);
    case 'name': return rule.pattern === name;
    case 're2': return re2Anchored(rule.pattern, name);
    default: return false;
  }
}

export type RunAs = Readonly<{
  user: Readonly<{ uid: number; gid: number; name: string }>;
  groups: readonly Readonly<{ id: number; name: string }>[];
  umask: string | null;
}>;

export function userProblem(rule: UserRuleData, runAs: RunAs): string | null {
  const { user } = runAs;
  if (!idNameAccepts(rule.user_idname, user.uid, user.name)) {
    return `user ${user.name} (${user.uid}) is not the policy's ${rule.user_idname.strategy} `
      + `${JSON.stringify(rule.user_idname.pattern)}`;
  }
  for (const group of runAs.groups) {
    if (!rule.group_idnames.some((g) => idNameAccepts(g, group.id, group.name))) {
      return `group ${group.name} (${group.id}) is allowed by no group rule`;
    }
  }
  if (runAs.umask !== null && runAs.umask !== rule.umask) {
    return `umask ${runAs.umask} is not the policy's ${rule.umask}`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Capabilities (spec b: null → the unprivileged defaults, or for a privileged container that
// allows elevation every capability in every set but ambient)

/** The 14 capabilities a container gets by default (containerd's unprivileged set). */
export const UNPRIVILEGED_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_MKNOD', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP',
  'CAP_SETUID', 'CAP_SYS_CHROOT',
]);

/** Every Linux capability (linux/capability.h, 0 … 40). */
export const ALL_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
]);
assert(UNPRIVILEGED_CAPABILITIES.length === 14, 'containerd grants 14 capabilities by default');
assert(ALL_CAPABILITIES.length === 41 && new Set(ALL_CAPABILITIES).size === 41, '41 capabilities');
assert(UNPRIVILEGED_CAPABILITIES.every((c) => ALL_CAPABILITIES.includes(c)));

export const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted',
  'ambient'] as const;

/** The sets a policy entry allows a (privileged or not) container. */
export function allowedCapabilities(entry: Pick<ContainerData, 'capabilities' | 'allow_elevated'>,
  privileged: boolean): CapabilitySetsData {
  if (entry.capabilities !== null) return entry.capabilities;
  const base = privileged && entry.allow_elevated ? ALL_CAPABILITIES : UNPRIVILEGED_CAPABILITIES;
  return { bounding: base, effective: base, permitted: base,
    inheritable: privileged && entry.allow_elevated ? base : [], ambient: [] };
}

/** The first capability held beyond what is allowed, or null (null sets hold nothing). */
export function capabilityProblem(held: CapabilitySetsData | null,
  allowed: CapabilitySetsData): string | null {
  if (held === null) return null;
  for (const set of CAPABILITY_SETS) {
    const extra = held[set].find((cap) => !allowed[set].includes(cap));
    if (extra !== undefined) return `${extra} in the ${set} set is not allowed`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Mounts (spec c create_container "Mount matching detail")

export type MountRequest = Readonly<{
  destination: string; source: string; type: string; options: readonly string[];
}>;

export type MountPlace = Readonly<{
  /** `/run/gcs/c/<sandboxId>` (sandbox:// and hugepages:// sources resolve under it). */
  sandboxRoot: string | null;
  containerId: string;
  /** plan9 mount targets currently mounted (plan9:// sources must be one of these). */
  plan9Targets: readonly string[];
}>;

/** Pseudo-filesystems a container gets without asking: destination → [type, source]. */
const PLATFORM_MOUNTS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  '/proc': [['proc', 'proc']], '/dev': [['tmpfs', 'tmpfs']], '/dev/pts': [['devpts', 'devpts']],
  '/dev/shm': [['tmpfs', 'shm']], '/dev/mqueue': [['mqueue', 'mqueue']],
  '/sys': [['sysfs', 'sysfs']], '/run': [['tmpfs', 'tmpfs']],
  '/sys/fs/cgroup': [['cgroup', 'cgroup'], ['cgroup2', 'cgroup2']],
};

/** Where read-write would give the container the kernel's knobs: allowed only when elevated. */
const READ_ONLY_UNLESS_ELEVATED = ['/sys', '/sys/fs/cgroup'];

/** The GCS's networking binds from the sandbox root (ExtendDefaultMounts). */
const NETWORK_FILES = ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf'];

function sameOptions(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((o) => b.includes(o)) && b.every((o) => a.includes(o));
}

function sourceAccepted(rule: string, source: string, place: MountPlace): boolean {
  for (const [prefix, dir] of [['sandbox://', 'sandboxMounts'], ['hugepages://', 'hugepages']]) {
    if (rule.startsWith(prefix!)) {
      return place.sandboxRoot !== null
        && re2Anchored(rule.split(prefix!).join(`${place.sandboxRoot}/${dir!}`), source);
    }
  }
  if (rule.startsWith('plan9://')) {
    return place.plan9Targets.includes(source)
      && source.startsWith(`/run/gcs/c/${place.containerId}/`);
  }
  return rule === source;
}

export function mountRuleAccepts(rule: MountRuleData, mount: MountRequest,
  place: MountPlace): boolean {
  return mount.type === rule.type && mount.destination !== ''
    && mount.destination === rule.destination && sameOptions(mount.options, rule.options)
    && sourceAccepted(rule.source, mount.source, place);
}

function platformMount(mount: MountRequest, elevated: boolean, sandbox: boolean,
  place: MountPlace): boolean {
  if (NETWORK_FILES.includes(mount.destination)) {
    return mount.type === 'bind' && place.sandboxRoot !== null
      && mount.source === `${place.sandboxRoot}${mount.destination.replace('/etc', '')}`;
  }
  const kinds = PLATFORM_MOUNTS[mount.destination];
  if (kinds === undefined || !kinds.some(([t, s]) => mount.type === t && mount.source === s)) {
    return false;
  }
  if (!READ_ONLY_UNLESS_ELEVATED.includes(mount.destination)) return true;
  return mount.options.includes('ro') || elevated
    || (sandbox && mount.destination === '/sys');
}

/** Why `mount` is not allowed for `entry`, or null. */
export function mountProblem(entry: ContainerData, mount: MountRequest, place: MountPlace,
  sandbox: boolean): string | null {
  if (entry.mounts.some((rule) => mountRuleAccepts(rule, mount, place))) return null;
  if (platformMount(mount, entry.allow_elevated, sandbox, place)) return null;
  return `mount ${mount.source} at ${mount.destination} (${mount.type}, `
    + `${mount.options.join(',')}) is allowed by no mount rule`;
}

// ---------------------------------------------------------------------------------------------
// Fragment SVNs (spec c load_fragment: semvers compare as versions, otherwise as numbers)

const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;
const NUMBER = /^\d+(\.\d+)?$/;

/** svn ≥ minimum; false when they are of different kinds or not versions at all. */
export function svnAtLeast(svn: string, minimum: string): boolean {
  const a = SEMVER.exec(svn);
  const b = SEMVER.exec(minimum);
  if (a !== null && b !== null) {
    for (let i = 1; i <= 3; i++) {
      if (Number(a[i]) !== Number(b[i])) return Number(a[i]) > Number(b[i]);
    }
    return true;
  }
  return NUMBER.test(svn) && NUMBER.test(minimum) && Number(svn) >= Number(minimum);
}
