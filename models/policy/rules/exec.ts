/**
 * Models: framework.rego exec_in_container, exec_external and shutdown_container. Spec (c).
 * Real counterpart: those rules.
 * Differs: the exec error helpers here test the container-level working_dir / no_new_privileges /
 *   user that the narrowing really uses (the Rego helpers read per-process fields that generated
 *   exec entries lack, so their messages can mislead). A second shutdown of an ID is denied with a
 *   parma-sim reason (the metadata remove would fail).
 * Invariants: exec needs started[id] and only narrows matches[id]; exec_external writes no
 *   metadata; shutdown removes matches[id] but never started[id], so IDs are single-use.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { InputReader, parseExecInContainerInput } from '../input-shapes.js';
import { has, lookup } from '../metadata.js';
import type { PolicyContainer } from '../policy-model.js';
import { invalidEnvNames, missingRequired } from '../match/env.js';
import { commandOk, noNewPrivilegesOk, userOk } from '../match/process.js';
import { agreedStdio, narrowByEnv, narrowProcess } from './narrowing.js';
import {
  absentNote, allow, candidateExternalProcesses, deny, withVersionReason, type RuleContext,
    type RuleResult,
} from './rule-context.js';

export function execInContainer(ctx: RuleContext, input: unknown): RuleResult {
  const { value: req, absent } = parseExecInContainerInput('exec_in_container', input);
  const startedEntry = lookup(ctx.metadata.started, req.containerID);
  if (startedEntry === undefined) return deny(['container not started']);
  const matches = lookup(ctx.metadata.matches, req.containerID) ?? [];
  const anchored = ctx.dialect === 'head';
  const wd = (c: PolicyContainer) => c.working_dir === req.workingDir;
  const nnp = (c: PolicyContainer) => noNewPrivilegesOk(c.no_new_privileges, req.noNewPrivileges);
  const user = (c: PolicyContainer) => userOk(c.user, req, anchored);
  const cmd = (c: PolicyContainer) => c.exec_processes.some((p) =>
    commandOk(p.command, req.argList));
  const initial = matches.filter((c) => wd(c) && nnp(c) && user(c) && cmd(c));
  const stageReasons: string[] = [];
  if (initial.length > 0) {
    const narrowed = narrowProcess(initial, {
      envList: req.envList, capabilities: req.capabilities, privileged: startedEntry.privileged,
    }, ctx.policy.flags);
    if (!narrowed.ok) stageReasons.push(...narrowed.reasons);
    else {
      assert(narrowed.containers.length <= matches.length, 'exec only narrows');
      return allow([{ name: 'matches', action: 'update', key: req.containerID,
        value: narrowed.containers }],
        { env_list: narrowed.env_list, caps_list: narrowed.caps_list });
    }
  }
  const reasons: string[] = [];
  const none = (check: (c: PolicyContainer) => boolean) => !matches.some(check);
  if (matches.length === 0) {
    reasons.push(`no candidate containers for ${req.containerID}: it was shut down`);
  }
  if (none(cmd)) reasons.push('invalid command');
  const badEnvs = invalidEnvNames(matches, req.envList);
  if (badEnvs.length > 0) reasons.push(`invalid env list: ${badEnvs.join(',')}`);
  if (initial.some((c) => missingRequired(c.env_rules, req.envList))) {
    reasons.push('missing required environment variable');
  }
  if (none(wd)) reasons.push('invalid working directory');
  if (none(nnp)) reasons.push('invalid noNewPrivileges');
  if (none(user)) reasons.push('invalid user');
  for (const r of stageReasons) if (!reasons.includes(r)) reasons.push(r);
  if (reasons.length === 0) {
    reasons.push('no candidate container accepts every field of the request together');
  }
  const note = absentNote(absent);
  if (note !== undefined) reasons.push(note);
  return deny(reasons);
}

export function execExternal(ctx: RuleContext, input: unknown): RuleResult {
  const r = new InputReader('exec_external', input);
  const argList = r.strList('argList');
  const envList = r.strList('envList');
  const workingDir = r.str('workingDir');
  const candidates = candidateExternalProcesses(ctx);
  const initial = candidates.filter((p) => p.working_dir === workingDir
    && commandOk(p.command, argList));
  const reasons: string[] = [];
  if (initial.length > 0) {
    const env = narrowByEnv(initial, envList, ctx.policy.flags.allow_environment_variable_dropping);
    if (!env.ok) reasons.push(...env.reasons);
    else {
      const stdio = agreedStdio(env.items);
      if (stdio !== undefined) {
        return allow([], { env_list: env.env_list, allow_stdio_access: stdio });
      }
      reasons.push('external processes only distinguishable by allow_stdio_access');
    }
  }
  if (!candidates.some((p) => commandOk(p.command, argList))) reasons.unshift('invalid command');
  const badEnvs = invalidEnvNames(candidates, envList);
  if (badEnvs.length > 0) reasons.push(`invalid env list: ${badEnvs.join(',')}`);
  if (initial.some((p) => missingRequired(p.env_rules, envList))) {
    reasons.push('missing required environment variable');
  }
  if (!candidates.some((p) => p.working_dir === workingDir)) {
    reasons.push('invalid working directory');
  }
  if (reasons.length === 0) {
    reasons.push('no external process accepts every field of the request together');
  }
  return deny(withVersionReason(ctx, reasons));
}

export function shutdownContainer(ctx: RuleContext, input: unknown): RuleResult {
  const containerID = new InputReader('shutdown_container', input).str('containerID');
  if (!has(ctx.metadata.started, containerID)) return deny(['container not started']);
  if (!has(ctx.metadata.matches, containerID)) {
    return deny([`container ${containerID} was already shut down`]);
  }
  return allow([{ name: 'matches', action: 'remove', key: containerID }]);
}
