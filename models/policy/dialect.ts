/**
 * Models: the two hcsshim policy frameworks parma-sim judges by, as data: which framework.rego /
 * api.rego version the GCS embeds, what its data document holds (data.defaultMounts,
 * data.privilegedMounts) and each behaviour that differs between them. Spec (c) and
 * shared/testdata/vectors/policy-decisions.SOURCES.md ("What was evaluated").
 * Real counterpart: hcsshim pkg/securitypolicy at HEAD (7c9ff7f, framework 0.5.0, API 0.12.0)
 *   and at tag v0.14.1 (framework 0.3.0, API 0.10.0), with the Go constants of the same version
 *   (DefaultCRIMounts, DefaultCRIPrivilegedMounts, the enforcer's UpdateOSType).
 * Differs: the GCS's run-time ExtendDefaultMounts (per-sandbox /etc/hostname, /etc/hosts,
 *   /etc/resolv.conf binds) is not in either table.
 * Invariants: one row per dialect; every flag names one difference and the rule it changes;
 *   the tables are frozen at load.
 */
import { assert } from '../../sim/kernel/assert.js';
import type { MountRule } from './policy-model.js';

/** `head`: hcsshim HEAD semantics. `v0.14.1`: the framework most generated policies target. */
export type PolicyDialect = 'head' | 'v0.14.1';

export const POLICY_DIALECTS: readonly PolicyDialect[] = Object.freeze(['head', 'v0.14.1']);

export type DialectInfo = Readonly<{
  name: PolicyDialect;
  /** framework.rego `version` (the policy's framework_version is compared with it). */
  frameworkVersion: string;
  /** api.rego `version`. */
  apiVersion: string;
  /** The GCS's UpdateOSType("linux") at enforcer creation: metadata.operatingsystem.ostype. */
  initialOsType: string | null;
  /** Linux rule branches and several error rules require is_linux (operatingsystem metadata). */
  linuxGate: boolean;
  /** user/group re2, sandbox:// and hugepages:// sources, plan9 targets are anchored (^...$). */
  anchoredPatterns: boolean;
  /** mount_device / rw_mount_device check the target against input.mountPathRegex. */
  mountTargetCheck: boolean;
  /** device_mounted also looks at rw_devices; unmount_device names RO/RW confusion. */
  rwDevices: boolean;
  /** create_container requires input.devices to be empty (devices_ok([], input.devices)). */
  deviceNodeCheck: boolean;
  /** mount_overlay checks `not overlay_mounted(input.target)` before it emits its ops. */
  overlayTargetCheck: boolean;
  /** The sandbox (pause) container may mount /sys rw (containerd v2, privileged pods). */
  sandboxSysfs: boolean;
  /**
   * envList_ok: `required-rules` = every required rule is met and every env is allowed (HEAD);
   * `every-rule-needs-an-env` = every rule needs some env (`rule_ok` of a non-required rule holds
   * for any env, so an empty env list fails), and every env is allowed (v0.14.1).
   */
  envListOk: 'required-rules' | 'every-rule-needs-an-env';
  /** check_signals: below this policy framework_version 9 and 15 join every init's signals. */
  implicitInitSignalsBefore: string | null;
  /** signal_allowed (the error helper) tells init from exec processes by input.isInitProcess. */
  signalErrorByProcessKind: boolean;
  /** errors["invalid env list"]: the plain string when no candidate's rules accept the list. */
  plainEnvListError: boolean;
  /**
   * HEAD: policy_containers defaults to [] and fragment containers are always added. v0.14.1:
   * candidate_containers itself defaults to [], so an unusable framework_version drops the
   * fragments' containers too.
   */
  fragmentsNeedPolicyVersion: boolean;
  /** Enforcement points api.rego does not list (the GCS gets "does not exist"). */
  pointsAbsent: readonly string[];
  defaultMounts: readonly MountRule[];
  privilegedMounts: readonly MountRule[];
}>;

const mount = (destination: string, type: string, source: string,
    options: readonly string[]): MountRule =>
  Object.freeze({ destination, type, source, options: Object.freeze([...options]) });

const CGROUP_OPTIONS = ['nosuid', 'noexec', 'nodev', 'relatime'];

/** DefaultCRIMounts, the part both versions share (containerd's Linux spec defaults). */
const SHARED_DEFAULT_MOUNTS: readonly MountRule[] = [
  mount('/proc', 'proc', 'proc', ['nosuid', 'noexec', 'nodev']),
  mount('/dev', 'tmpfs', 'tmpfs', ['nosuid', 'strictatime', 'mode=755', 'size=65536k']),
  mount('/dev/pts', 'devpts', 'devpts', ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666',
    'mode=0620', 'gid=5']),
  mount('/dev/shm', 'tmpfs', 'shm', ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k']),
  mount('/dev/mqueue', 'mqueue', 'mqueue', ['nosuid', 'noexec', 'nodev']),
  mount('/sys', 'sysfs', 'sysfs', ['nosuid', 'noexec', 'nodev', 'ro']),
  mount('/run', 'tmpfs', 'tmpfs', ['nosuid', 'strictatime', 'mode=755', 'size=65536k']),
  mount('/sys/fs/cgroup', 'cgroup', 'cgroup', [...CGROUP_OPTIONS, 'ro']),
];

const SHARED_PRIVILEGED_MOUNTS: readonly MountRule[] = [
  mount('/sys', 'sysfs', 'sysfs', ['nosuid', 'noexec', 'nodev', 'rw']),
  mount('/sys/fs/cgroup', 'cgroup', 'cgroup', [...CGROUP_OPTIONS, 'rw']),
];

export const DIALECTS: Readonly<Record<PolicyDialect, DialectInfo>> = Object.freeze({
  head: Object.freeze({
    name: 'head', frameworkVersion: '0.5.0', apiVersion: '0.12.0', initialOsType: 'linux',
    linuxGate: true, anchoredPatterns: true, mountTargetCheck: true, rwDevices: true,
    deviceNodeCheck: true, overlayTargetCheck: true, sandboxSysfs: true,
    envListOk: 'required-rules', implicitInitSignalsBefore: '0.4.1',
    signalErrorByProcessKind: true, plainEnvListError: true, fragmentsNeedPolicyVersion: false,
    pointsAbsent: Object.freeze([]),
    // HEAD adds the cgroup v2 form; its source is `cgroup2` (DefaultCRIMounts at 7c9ff7f).
    defaultMounts: Object.freeze([...SHARED_DEFAULT_MOUNTS,
      mount('/sys/fs/cgroup', 'cgroup2', 'cgroup2', [...CGROUP_OPTIONS, 'ro'])]),
    privilegedMounts: Object.freeze([...SHARED_PRIVILEGED_MOUNTS,
      mount('/sys/fs/cgroup', 'cgroup2', 'cgroup2', [...CGROUP_OPTIONS, 'rw'])]),
  }),
  'v0.14.1': Object.freeze({
    name: 'v0.14.1', frameworkVersion: '0.3.0', apiVersion: '0.10.0', initialOsType: null,
    linuxGate: false, anchoredPatterns: false, mountTargetCheck: false, rwDevices: false,
    deviceNodeCheck: false, overlayTargetCheck: false, sandboxSysfs: false,
    envListOk: 'every-rule-needs-an-env', implicitInitSignalsBefore: null,
    signalErrorByProcessKind: false, plainEnvListError: false, fragmentsNeedPolicyVersion: true,
    pointsAbsent: Object.freeze(['rw_mount_device', 'rw_unmount_device', 'mount_blockdev',
      'unmount_blockdev', 'host_network']),
    defaultMounts: Object.freeze([...SHARED_DEFAULT_MOUNTS]),
    privilegedMounts: Object.freeze([...SHARED_PRIVILEGED_MOUNTS]),
  }),
});

for (const name of POLICY_DIALECTS) {
  const info = DIALECTS[name];
  assert(info.name === name, `dialect row ${name} names itself`);
  assert(info.defaultMounts.every((m) => m.options.includes('ro') || !m.destination
    .startsWith('/sys')), `${name}: default /sys mounts are read-only`);
  assert(info.privilegedMounts.every((m) => m.options.includes('rw')),
    `${name}: privileged mounts are the rw forms`);
}
