/**
 * Models: `az confcom acipolicygen` for generated workloads: from a container group whose images
 * are built here (file trees → layer images, root hashes computed), the Rego execution policy the
 * generator would write (api 0.10.0 / framework 0.2.3, the pause container, the enforcement-point
 * bindings), so tests and the demo can deploy a workload whose every hash is real.
 * Real counterpart: confcom's template → policy path (internal_config.json defaults, the
 * `containers := [...]` JSON, the rule bindings and flags).
 * Differs: no infrastructure fragment is imported; env rules are the container's variables as
 * `string` rules (plus optional extra rules); capabilities are `null` (the framework's defaults);
 * the user rule is "any" unless the container names a user.
 * Invariants: the text is deterministic for the same input; every layer listed is the computed
 * root hash of an image returned alongside; the pause container comes first.
 */
import { assert } from '../../sim/kernel/assert.js';
import type { LayerFileTree } from '../guest/layer-image.js';
import type { ContainerGroup, GroupContainer } from './container-group.js';
import { generatedImage, type HostImage } from './images.js';

/** The default unprivileged capability set confcom writes out for `capabilities: null`. */
export const PAUSE_COMMAND = Object.freeze(['/pause']);
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type WorkloadContainer = Readonly<{
  name: string;
  /** File trees of the image's layers, base first. */
  layers: readonly LayerFileTree[];
  command: readonly string[];
  env: readonly string[];
  workingDir: string;
  /** A user name the image's /etc/passwd defines (uid/gid 1000), or undefined for root. */
  user?: string;
  execProbes?: readonly (readonly string[])[];
  signals?: readonly number[];
  /** Extra env rules as written in the policy (e.g. a re2 rule). */
  extraEnvRules?: readonly Readonly<{ pattern: string; strategy: 'string' | 're2';
    required: boolean }>[];
}>;

export type WorkloadFlags = Readonly<{
  allowEnvironmentVariableDropping: boolean;
  allowUnencryptedScratch: boolean;
  allowCapabilityDropping: boolean;
  allowPropertiesAccess: boolean;
  allowDumpStacks: boolean;
}>;

export const DEFAULT_WORKLOAD_FLAGS: WorkloadFlags = Object.freeze({
  allowEnvironmentVariableDropping: true, allowUnencryptedScratch: false,
  allowCapabilityDropping: true, allowPropertiesAccess: true, allowDumpStacks: false,
});

export type Workload = Readonly<{
  group: ContainerGroup;
  images: readonly HostImage[];
  policyText: string;
}>;

const utf8 = new TextEncoder();

/** The pause image: the /pause binary, and root's account. */
export function pauseLayerTree(): LayerFileTree {
  return {
    '/pause': { kind: 'file', content: utf8.encode('#!parma-sim pause\n'), mode: 0o755 },
    '/etc/passwd': { kind: 'file', content: utf8.encode('root:x:0:0:root:/root:/bin/sh\n') },
    '/etc/group': { kind: 'file', content: utf8.encode('root:x:0:\n') },
  };
}

const rules = ['mount_device', 'unmount_device', 'mount_overlay', 'unmount_overlay',
  'create_container', 'exec_in_container', 'exec_external', 'shutdown_container',
  'signal_container_process', 'plan9_mount', 'plan9_unmount', 'get_properties', 'dump_stacks',
  'runtime_logging', 'load_fragment', 'scratch_mount', 'scratch_unmount'];

function policyContainer(c: GroupContainer,
  extra: WorkloadContainer['extraEnvRules']): Record<string, unknown> {
  const userRule = c.username === '' ? { pattern: '', strategy: 'any' }
    : { pattern: c.username, strategy: 'name' };
  return {
    name: c.name, id: `parma-sim.test/${c.name}:generated`,
    command: c.command, layers: c.layers,
    env_rules: [...c.env.map((pattern) => ({ pattern, strategy: 'string', required: false })),
      ...(extra ?? [])],
    mounts: [], exec_processes: c.execProbes.map((command) => ({ command, signals: [] })),
    signals: c.signals, working_dir: c.workingDir, allow_elevated: false,
    allow_stdio_access: true, no_new_privileges: c.noNewPrivileges,
    user: { user_idname: userRule, group_idnames: [{ pattern: '', strategy: 'any' }],
      umask: '0022' },
    capabilities: null, seccomp_profile_sha256: '',
  };
}

function groupContainer(w: Pick<WorkloadContainer, 'name' | 'command' | 'env' | 'workingDir'
  | 'user' | 'execProbes' | 'signals'>, layers: readonly string[],
  sandbox: boolean): GroupContainer {
  const caps = ['CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID',
    'CAP_KILL', 'CAP_MKNOD', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID',
    'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'];
  const user = w.user;
  return {
    name: w.name, sandbox, layers: [...layers], command: [...w.command], env: [...w.env],
    workingDir: w.workingDir, username: user ?? '',
    account: user === undefined ? { user: 'root', uid: 0, group: 'root', gid: 0 }
      : { user, uid: 1000, group: user, gid: 1000 },
    capabilities: { bounding: caps, effective: caps, inheritable: [], permitted: caps,
      ambient: [] },
    noNewPrivileges: false, privileged: false, mounts: [],
    execProbes: (w.execProbes ?? []).map((argv) => [...argv]), signals: [...(w.signals ?? [])],
    notDeployable: null,
  };
}

/** Builds the images, the group and the policy text of a generated workload. */
export function generateWorkload(containers: readonly WorkloadContainer[],
  flags: WorkloadFlags = DEFAULT_WORKLOAD_FLAGS): Workload {
  const pauseImage = generatedImage(pauseLayerTree());
  const images: HostImage[] = [pauseImage];
  const group: GroupContainer[] = [groupContainer({ name: 'pause', command: PAUSE_COMMAND,
    env: [DEFAULT_PATH], workingDir: '/' }, [pauseImage.realRoot], true)];
  for (const w of containers) {
    const built = w.layers.map((tree) => generatedImage(tree));
    images.push(...built);
    group.push(groupContainer(w, built.map((image) => image.realRoot), false));
  }
  const policyContainers = group.map((c, i) =>
    policyContainer(c, i === 0 ? undefined : containers[i - 1]!.extraEnvRules));
  const flag = (value: boolean): string => (value ? 'true' : 'false');
  const policyText = [
    'package policy', '', 'api_version := "0.10.0"', 'framework_version := "0.2.3"', '',
    `containers := ${JSON.stringify(policyContainers)}`, '',
    `allow_properties_access := ${flag(flags.allowPropertiesAccess)}`,
    `allow_dump_stacks := ${flag(flags.allowDumpStacks)}`,
    'allow_runtime_logging := false',
    `allow_environment_variable_dropping := ${flag(flags.allowEnvironmentVariableDropping)}`,
    `allow_unencrypted_scratch := ${flag(flags.allowUnencryptedScratch)}`,
    `allow_capability_dropping := ${flag(flags.allowCapabilityDropping)}`, '',
    ...rules.map((rule) => `${rule} := data.framework.${rule}`),
    'reason := {"errors": data.framework.errors}', '',
  ].join('\n');
  assert(group[0]!.sandbox, 'the pause container comes first');
  assert(new Set(images.map((image) => image.realRoot)).size <= images.length);
  return { group: { containers: group }, images, policyText };
}
