/**
 * Models: the step between a customer's container group and the policy confcom generated for it,
 * run backwards: given a security policy, the container group whose benign deployment the policy
 * was written for (what the customer asked the host to run). The world's shim deploys this group.
 * Real counterpart: the ARM container-group definition `az confcom acipolicygen` reads; the
 * policy is a function of it (image layers, command, env, working dir, user, mounts, probes).
 * Differs: only what the policy determines is recovered: string env rules become the variables
 * (they are the image's and the template's own env), a required re2 rule becomes a sample value,
 * a `sandbox://` mount source regex becomes a sample path under it; the account the image's
 * /etc/passwd resolves the user to is chosen here (root unless the policy names a user).
 * Invariants: the pause container (command ["/pause"]) is the sandbox and comes first; a
 * container with `command: null`, or without fields its framework version requires, is kept as
 * not deployable, with the framework's reason, never given an invented command or fields; the
 * result is plain data.
 */
import { assert } from './kernel/assert.js';
import type {
  ContainerGroup, GroupContainer, OciMountSpec,
} from '../models/host/container-group.js';
import { DEFAULT_UNPRIVILEGED_CAPABILITIES } from '../models/policy/match/capabilities.js';
import type {
  EnvRule, IdNameRule, MountRule, PolicyContainer, SecurityPolicy,
} from '../models/policy/policy-model.js';

/** The framework's reason a `command: null` container never deploys (spec/policy.md b). */
export const NULL_COMMAND_REASON = 'create_container would be denied ("invalid command"): the '
  + 'policy\'s command is null, and framework.rego compares count(null), which is undefined, '
  + 'with the length of any argv the host sends (confcom writes null when the image has no '
  + 'command override)';

/**
 * Why a container the policy's framework version requires fields of, but which lacks them, never
 * deploys (spec/policy.md b, compatibility shim).
 */
export function absentFieldsReason(fields: readonly string[], frameworkVersion: string): string {
  return 'mount_overlay and create_container would be denied ("no matching containers for '
    + `overlay"): the policy declares framework_version ${frameworkVersion} but this container `
    + `lacks ${fields.join(', ')}, so framework.rego's compatibility rebuild of it is undefined `
    + 'and it matches no request';
}

/** A sample string a simple regex accepts: `.+` → "x", `.*` → "", `\.` → ".", anchors dropped. */
export function sampleOfRegex(pattern: string): string {
  let out = pattern.replace(/^\^/, '').replace(/\$$/, '');
  out = out.replace(/\(\?i\)/g, '').replace(/\.\+/g, 'x').replace(/\.\*/g, '');
  out = out.replace(/\[[^\]]*\]\+/g, 'x').replace(/\\(.)/g, '$1');
  return out.replace(/[()]/g, '').replace(/\?/g, '');
}

function envOf(rules: readonly EnvRule[]): string[] {
  const env: string[] = [];
  for (const rule of rules) {
    if (rule.strategy === 'string') env.push(rule.pattern);
    else if (rule.required) env.push(sampleOfRegex(rule.pattern));
  }
  return env;
}

/**
 * The source the host sends for a rule's source. framework.rego replaces `hugepages://` by the
 * hugepages directory (no trailing slash), so a rule that can match carries the slash itself
 * (`hugepages:///2M/...`); the GCS takes the page size from the first part after the prefix, so
 * the host's source has none (`hugepages://2M/...`). `sandbox://` sources keep theirs (the GCS
 * joins the rest as a path).
 */
function sourceOf(rule: MountRule): string {
  if (rule.source.startsWith('hugepages://')) {
    return sampleOfRegex(rule.source).replace(/x$/, 'volume').replace(/^hugepages:\/\/\/+/,
      'hugepages://');
  }
  if (!rule.source.startsWith('sandbox://')) return rule.source;
  return sampleOfRegex(rule.source).replace(/x$/, 'volume');
}

function mountsOf(rules: readonly MountRule[]): OciMountSpec[] {
  return rules.map((rule) => ({
    destination: rule.destination, type: rule.type, options: [...rule.options],
    source: sourceOf(rule),
  }));
}

/** The OCI Username and the image account for a policy user rule (any/name/id/re2). */
function accountOf(userRule: IdNameRule, groupRule: IdNameRule | undefined): Pick<GroupContainer,
  'username' | 'account'> {
  let username = '';
  let account = { user: 'root', uid: 0, group: 'root', gid: 0 };
  if (userRule.strategy === 'name' && userRule.pattern !== 'root') {
    username = userRule.pattern;
    account = { user: userRule.pattern, uid: 1000, group: userRule.pattern, gid: 1000 };
  } else if (userRule.strategy === 'id' && /^[0-9]+$/.test(userRule.pattern)
    && userRule.pattern !== '0') {
    const id = Number(userRule.pattern);
    username = userRule.pattern;
    account = { user: `user${id}`, uid: id, group: `user${id}`, gid: id };
  }
  if (groupRule?.strategy === 'name') account = { ...account, group: groupRule.pattern };
  if (groupRule?.strategy === 'id' && /^[0-9]+$/.test(groupRule.pattern)) {
    account = { ...account, gid: Number(groupRule.pattern), group: `group${groupRule.pattern}` };
  }
  return { username, account };
}

/** The group container a policy container was generated from. */
export function groupContainerOf(c: PolicyContainer, index: number,
  frameworkVersion = ''): GroupContainer {
  const sandbox = c.command !== null && c.command.length === 1 && c.command[0] === '/pause';
  const caps = c.capabilities ?? {
    bounding: DEFAULT_UNPRIVILEGED_CAPABILITIES, effective: DEFAULT_UNPRIVILEGED_CAPABILITIES,
    permitted: DEFAULT_UNPRIVILEGED_CAPABILITIES, inheritable: [], ambient: [],
  };
  const container: GroupContainer = {
    name: c.name !== '' ? c.name : sandbox ? 'pause' : `container${index}`,
    sandbox, layers: [...c.layers], command: c.command === null ? null : [...c.command],
    env: envOf(c.env_rules), workingDir: c.working_dir,
    ...accountOf(c.user.user_idname, c.user.group_idnames[0]),
    capabilities: {
      bounding: [...caps.bounding], effective: [...caps.effective],
      inheritable: [...caps.inheritable], permitted: [...caps.permitted],
      ambient: [...caps.ambient],
    },
    noNewPrivileges: c.no_new_privileges, privileged: false, mounts: mountsOf(c.mounts),
    execProbes: c.exec_processes.map((p) => [...p.command]),
    signals: [...c.signals],
    notDeployable: c.command === null ? NULL_COMMAND_REASON
      : c.absent_fields !== undefined && c.absent_fields.length > 0
        ? absentFieldsReason(c.absent_fields, frameworkVersion)
        : c.layers.length === 0 ? 'the policy container has no layers' : null,
  };
  assert(container.layers.length === c.layers.length, 'every layer kept');
  return container;
}

/** The container group of a policy: its containers, the sandbox first, names made unique. */
export function groupOfPolicy(policy: SecurityPolicy): ContainerGroup {
  const containers = policy.containers.map((c, i) => groupContainerOf(c, i,
    policy.framework_version));
  const seen = new Map<string, number>();
  const named = containers.map((c) => {
    const count = seen.get(c.name) ?? 0;
    seen.set(c.name, count + 1);
    return count === 0 ? c : { ...c, name: `${c.name}-${count}` };
  });
  const ordered = [...named.filter((c) => c.sandbox), ...named.filter((c) => !c.sandbox)];
  assert(ordered.length === policy.containers.length, 'every container kept');
  return { containers: ordered };
}
