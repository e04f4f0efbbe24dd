/**
 * Models: framework.rego create_container (Linux) and its error helpers. Spec (c)
 * "create_container": narrowing of matches[containerID] by security fields, command, working dir,
 * mounts and seccomp, then env (with dropping), capabilities (with dropping), stdio agreement.
 * Real counterpart: that rule; the Go side (bundle/rootfs paths, hooks, hostname) is the guest's.
 * Differs: the error helpers use one "initial" candidate set (the Rego's helpers differ slightly
 *   in whether seccomp is part of it); absent `privileged` is false for the capability defaults.
 *   v0.14.1 dialect: no device-node check, sandbox/hugepages/user patterns unanchored.
 * Invariants: on allow, matches[id] only shrinks and started[id] is added exactly once (so an ID is
 *   never created twice, even after shutdown); env_list ⊆ envList; caps_list ⊆ requested caps.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { parseCreateContainerInput, type CreateContainerInput } from '../input-shapes.js';
import { has, lookup } from '../metadata.js';
import type { PolicyContainer } from '../policy-model.js';
import { invalidEnvNames, missingRequired } from '../match/env.js';
import { mountListOk, mountOk, type MountContext } from '../match/mounts.js';
import { commandOk, noNewPrivilegesOk, privilegedOk, userOk } from '../match/process.js';
import { agreedStdio, narrowProcess } from './narrowing.js';
import {
  absentNote, allow, deny, withVersionReason, type RuleContext, type RuleResult
} from './rule-context.js';

type Check = (c: PolicyContainer) => boolean;

function checks(ctx: RuleContext, req: CreateContainerInput, mctx: MountContext) {
  const anchored = ctx.dialect === 'head';
  return {
    nnp: (c: PolicyContainer) => noNewPrivilegesOk(c.no_new_privileges, req.noNewPrivileges),
    user: (c: PolicyContainer) => userOk(c.user, req, anchored),
    privileged: (c: PolicyContainer) => privilegedOk(c.allow_elevated, req.privileged),
    workingDir: (c: PolicyContainer) => c.working_dir === req.workingDir,
    command: (c: PolicyContainer) => commandOk(c.command, req.argList),
    mounts: (c: PolicyContainer) => mountListOk(c, req.mounts, mctx),
    seccomp: (c: PolicyContainer) => req.seccompProfileSHA256 !== undefined
      && c.seccomp_profile_sha256 === req.seccompProfileSHA256,
  } satisfies Record<string, Check>;
}

export function createContainer(ctx: RuleContext, input: unknown): RuleResult {
  const { value: req, absent } = parseCreateContainerInput('create_container', input);
  const matches = lookup(ctx.metadata.matches, req.containerID) ?? [];
  const mctx: MountContext = {
    containerID: req.containerID, sandboxDir: req.sandboxDir, hugePagesDir: req.hugePagesDir,
    isSandboxContainer: req.isSandboxContainer, p9mounts: ctx.metadata.p9mounts,
      anchored: ctx.dialect === 'head',
  };
  const c = checks(ctx, req, mctx);
  const devicesOk = ctx.dialect === 'v0.14.1' || req.devices.length === 0;
  const started = has(ctx.metadata.started, req.containerID);
  const initial = started || !devicesOk ? [] : matches.filter((k) =>
    c.nnp(k) && c.user(k) && c.privileged(k) && c.workingDir(k) && c.command(k) && c.mounts(k)
      && c.seccomp(k));
  const stageReasons: string[] = [];
  if (initial.length > 0) {
    const narrowed = narrowProcess(initial, {
      envList: req.envList, capabilities: req.capabilities, privileged: req.privileged === true,
    }, ctx.policy.flags);
    if (!narrowed.ok) stageReasons.push(...narrowed.reasons);
    else {
      const stdio = agreedStdio(narrowed.containers);
      if (stdio === undefined) {
        stageReasons.push('containers only distinguishable by allow_stdio_access');
      } else {
        assert(narrowed.containers.length <= matches.length, 'create only narrows');
        return allow([
          { name: 'matches', action: 'update', key: req.containerID, value: narrowed.containers },
          { name: 'started', action: 'add', key: req.containerID,
            value: { privileged: req.privileged === true } },
        ], {
          env_list: narrowed.env_list, caps_list: narrowed.caps_list, allow_stdio_access: stdio,
        });
      }
    }
  }
  return deny(createReasons({ ctx, req, matches, c, mctx, started, devicesOk, initial, stageReasons,
    absent }));
}

type ReasonArgs = Readonly<{
  ctx: RuleContext; req: CreateContainerInput; matches: readonly PolicyContainer[];
    c: ReturnType<typeof checks>;
  mctx: MountContext; started: boolean; devicesOk: boolean; initial: readonly PolicyContainer[];
  stageReasons: readonly string[]; absent: readonly string[];
}>;

/** Every failing clause, with the framework's error strings. */
function createReasons(a: ReasonArgs): string[] {
  const reasons: string[] = [];
  const none = (check: Check) => !a.matches.some(check);
  if (a.started) reasons.push('container already started');
  if (a.matches.length === 0) {
    reasons.push(`no candidate containers for ${a.req.containerID}: no overlay was mounted for `
      + `this ID`);
  }
  if (none(a.c.privileged)) reasons.push('privileged escalation not allowed');
  if (none(a.c.command)) reasons.push('invalid command');
  const badEnvs = invalidEnvNames(a.matches, a.req.envList);
  if (badEnvs.length > 0) reasons.push(`invalid env list: ${badEnvs.join(',')}`);
  const preEnv = a.matches.filter((k) => a.c.nnp(k) && a.c.user(k) && a.c.privileged(k)
    && a.c.workingDir(k) && a.c.command(k) && a.c.mounts(k));
  if (!a.started && preEnv.some((k) => missingRequired(k.env_rules, a.req.envList))) {
    reasons.push('missing required environment variable');
  }
  if (none(a.c.workingDir)) reasons.push('invalid working directory');
  const badMounts = a.req.mounts.filter((m) => !a.matches.some((k) =>
    mountOk(k, m, a.mctx))).map((m) => m.destination);
  if (badMounts.length > 0) reasons.push(`invalid mount list: ${badMounts.join(',')}`);
  if (none(a.c.nnp)) reasons.push('invalid noNewPrivileges');
  if (none(a.c.user)) reasons.push('invalid user');
  if (none(a.c.seccomp)) reasons.push('invalid seccomp');
  if (!a.devicesOk) reasons.push('devices not supported');
  for (const r of a.stageReasons) if (!reasons.includes(r)) reasons.push(r);
  if (reasons.length === 0) {
    reasons.push('no candidate container accepts every field of the request together');
  }
  const note = absentNote(a.absent.filter((f) => f !== 'isSandboxContainer' && f !== 'devices'));
  if (note !== undefined) reasons.push(note);
  assert(a.initial.length === 0 || a.stageReasons.length > 0 || reasons.length > 0);
  return withVersionReason(a.ctx, reasons);
}
