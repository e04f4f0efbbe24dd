/**
 * Models: framework.rego create_container (Linux) and its error helpers. Spec (c)
 * "create_container": narrowing of matches[containerID] by security fields, command, working dir,
 * mounts, seccomp and (HEAD) device nodes, then env (with dropping), capabilities (with dropping),
 * stdio agreement.
 * Real counterpart: that rule and errors[...] at HEAD and v0.14.1; the Go side (bundle/rootfs
 *   paths, hooks, hostname) is the guest's.
 * Differs: HEAD's plain "invalid env list" error is inferred from the framework's recorded
 *   decisions (policy-decisions.json): a create whose candidates pass every check before the env
 *   stage, none of which accepts the request's env list as sent, gets it. The Windows branches
 *   are not modelled (a HEAD metadata without a "linux" operatingsystem denies).
 * Invariants: on allow, matches[id] only shrinks and started[id] is added exactly once (so an ID is
 *   never created twice, even after shutdown); env_list ⊆ envList; caps_list ⊆ requested caps.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { parseCreateContainerInput, type CreateContainerInput } from '../input-shapes.js';
import { has, lookup } from '../metadata.js';
import type { PolicyContainer } from '../policy-model.js';
import { envListOk, invalidEnvNames, missingRequired } from '../match/env.js';
import { mountListOk, mountOk, type MountContext } from '../match/mounts.js';
import {
  commandOk, noNewPrivilegesOk, privilegedOk, seccompOk, userOk,
} from '../match/process.js';
import { capsOk, getCapabilities, validCapsForAll } from '../match/capabilities.js';
import { agreedStdio, narrowByEnv, narrowProcess } from './narrowing.js';
import {
  allow, defineRule, deny, isLinux, type RuleContext, type RuleOutcome,
} from './rule-context.js';

type Parsed = Readonly<{ req: CreateContainerInput; absent: readonly string[] }>;
type Check = (c: PolicyContainer) => boolean;

function checks(ctx: RuleContext, req: CreateContainerInput) {
  const linux = isLinux(ctx);
  const mctx: MountContext = {
    containerID: req.containerID, sandboxDir: req.sandboxDir, hugePagesDir: req.hugePagesDir,
    isSandboxContainer: req.isSandboxContainer, p9mounts: ctx.metadata.p9mounts,
    dialect: ctx.dialect,
  };
  const anchored = ctx.dialect.anchoredPatterns;
  return {
    linux, mctx,
    nnp: (c: PolicyContainer) => noNewPrivilegesOk(c, req.noNewPrivileges, linux),
    user: (c: PolicyContainer) => userOk(c, req, linux, anchored),
    privileged: (c: PolicyContainer) => privilegedOk(c.allow_elevated, req.privileged, linux),
    workingDir: (c: PolicyContainer) => c.working_dir === req.workingDir,
    command: (c: PolicyContainer) => commandOk(c.command, req.argList, ctx.nullCommand),
    mounts: (c: PolicyContainer) => mountListOk(c, req.mounts, mctx, linux),
    seccomp: (c: PolicyContainer) => seccompOk(c, req.seccompProfileSHA256, linux),
  } satisfies Record<string, unknown>;
}

type Checks = ReturnType<typeof checks>;

/** The narrowing conditions before the env stage (without seccomp / devices). */
function beforeEnv(c: Checks): Check {
  return (k) => c.nnp(k) && c.user(k) && c.privileged(k) && c.workingDir(k) && c.command(k)
    && c.mounts(k);
}

/** devices_ok([], input.devices): no device node at all (HEAD only). */
function devicesOk(ctx: RuleContext, req: CreateContainerInput): boolean {
  if (!ctx.dialect.deviceNodeCheck) return true;
  return req.devices !== undefined && req.devices.length === 0;
}

function decide(ctx: RuleContext, { req, absent }: Parsed): RuleOutcome {
  const c = checks(ctx, req);
  if (!c.linux) return deny([LINUX_NOTE]);
  if (has(ctx.metadata.started, req.containerID)) return deny();
  const matches = lookup(ctx.metadata.matches, req.containerID) ?? [];
  const before = beforeEnv(c);
  const initial = devicesOk(ctx, req) ? matches.filter((k) => before(k) && c.seccomp(k)) : [];
  if (initial.length === 0) return deny(initialNotes(ctx, req, matches, absent));
  const privileged = req.privileged === true;
  const narrowed = narrowProcess(initial, {
    envList: req.envList, capabilities: req.capabilities, privileged,
  }, ctx.policy.flags, ctx.dialect);
  if (!narrowed.ok) return deny([narrowed.note]);
  const stdio = agreedStdio(narrowed.containers);
  if (stdio === undefined) return deny();
  assert(narrowed.containers.length <= matches.length, 'create only narrows');
  return allow([
    { name: 'matches', action: 'update', key: req.containerID, value: narrowed.containers },
    { name: 'started', action: 'add', key: req.containerID, value: { privileged } },
  ], { env_list: narrowed.env_list, caps_list: narrowed.caps_list, allow_stdio_access: stdio });
}

export const LINUX_NOTE = 'metadata.operatingsystem names no "linux" entry: is_linux is false, '
  + 'so no Linux rule branch applies (the HEAD GCS records "linux" when it installs the policy)';

function initialNotes(ctx: RuleContext, req: CreateContainerInput,
    matches: readonly PolicyContainer[], absent: readonly string[]): string[] {
  const notes: string[] = [];
  if (matches.length === 0) {
    notes.push(`no candidate containers for ${req.containerID}: no overlay was mounted for this `
      + `ID`);
  } else if (matches.some((k) => k.command === null) && ctx.nullCommand === 'framework') {
    notes.push('a candidate\'s command is null: the framework matches no argv against it '
      + '(count(null) is undefined); see the empty-argv null-command option');
  }
  const missing = absent.filter((f) => f !== 'isSandboxContainer'
    && (f !== 'devices' || ctx.dialect.deviceNodeCheck));
  if (missing.length > 0) {
    notes.push(`input lacks ${missing.join(', ')}: the GCS always sends them; an absent field `
      + 'fails the checks that read it');
  }
  return notes;
}

/** framework.rego errors[...] for input.rule == "create_container". */
function errors(ctx: RuleContext, { req }: Parsed): readonly string[] {
  const c = checks(ctx, req);
  const started = has(ctx.metadata.started, req.containerID);
  const matches = lookup(ctx.metadata.matches, req.containerID) ?? [];
  const none = (check: Check) => !matches.some(check);
  const out: string[] = [];
  const before = matches.filter(beforeEnv(c));
  if (started) out.push('container already started');
  if (c.linux && none(c.privileged)) out.push('privileged escalation not allowed');
  if (none(c.command)) out.push('invalid command');
  const badEnvs = invalidEnvNames(matches, req.envList);
  if (badEnvs.length > 0) out.push(`invalid env list: ${badEnvs.join(',')}`);
  if (ctx.dialect.plainEnvListError && c.linux && before.length > 0
      && !before.some((k) => envListOk(k.env_rules, req.envList, ctx.dialect))) {
    out.push('invalid env list');
  }
  if (c.linux && !started && before.some((k) => missingRequired(k.env_rules, req.envList))) {
    out.push('missing required environment variable');
  }
  if (none(c.workingDir)) out.push('invalid working directory');
  const badMounts = c.linux ? req.mounts.filter((m) => none((k) => mountOk(k, m, c.mctx))) : [];
  if (badMounts.length > 0) {
    out.push(`invalid mount list: ${badMounts.map((m) => m.destination).join(',')}`);
  }
  if (c.linux && none(c.nnp)) out.push('invalid noNewPrivileges');
  if (none(c.user)) out.push('invalid user');
  if (c.linux && ctx.dialect.deviceNodeCheck && !devicesOk(ctx, req)) {
    out.push('devices not supported');
  }
  if (c.linux && none(c.seccomp)) out.push('invalid seccomp');
  if (c.linux && !started) {
    // Its strings are none of the ones above, so the set stays one of each.
    out.push(...pipelineErrors(ctx, req, matches, c));
  }
  assert(new Set(out).size === out.length, 'an errors set names each error once');
  assert(!started || out[0] === 'container already started');
  return out;
}

/**
 * The errors that rerun the narrowing: "capabilities don't match", "containers only
 * distinguishable by allow_stdio_access" and "... by capabilties" (sic). None checks devices.
 */
function pipelineErrors(ctx: RuleContext, req: CreateContainerInput,
    matches: readonly PolicyContainer[], c: Checks): readonly string[] {
  const out: string[] = [];
  const flags = ctx.policy.flags;
  const privileged = req.privileged === true;
  const before = matches.filter(beforeEnv(c));
  if (flags.allow_capability_dropping && before.length > 0) {
    const env = narrowByEnv(before, req.envList, flags.allow_environment_variable_dropping,
      ctx.dialect);
    if (env.ok && validCapsForAll(env.items, req.capabilities, privileged, true).kind === 'tie') {
      out.push('containers only distinguishable by capabilties');
    }
  }
  const initial = before.filter(c.seccomp);
  if (initial.length === 0) return out;
  const env = narrowByEnv(initial, req.envList, flags.allow_environment_variable_dropping,
    ctx.dialect);
  if (!env.ok) return out;
  const caps = validCapsForAll(env.items, req.capabilities, privileged,
    flags.allow_capability_dropping);
  if (caps.kind === 'null-request') out.push("capabilities don't match");
  if (caps.kind !== 'ok') return out;
  const kept = env.items.filter((k) => capsOk(getCapabilities(k, privileged), caps.caps));
  if (kept.length === 0) out.push("capabilities don't match");
  else if (agreedStdio(kept) === undefined) {
    out.push('containers only distinguishable by allow_stdio_access');
  }
  return out;
}

export const createContainer = defineRule<Parsed>({
  parse: (input) => {
    const { value, absent } = parseCreateContainerInput('create_container', input);
    return { req: value, absent };
  },
  decide,
  errors,
});
