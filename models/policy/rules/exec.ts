/**
 * Models: framework.rego exec_in_container, exec_external and shutdown_container, with their
 * error helpers. Spec (c).
 * Real counterpart: those rules at HEAD and v0.14.1.
 * Differs: nothing deliberate. Faithfully, the exec error helpers read per-process working_dir,
 *   no_new_privileges and user fields that exec_processes never have, so every exec_in_container
 *   denial carries "invalid noNewPrivileges" (HEAD: with is_linux) and "invalid user"; a note
 *   says so. The narrowing itself uses the container-level fields.
 * Invariants: exec needs started[id] and only narrows matches[id]; exec_external writes no
 *   metadata; shutdown removes matches[id] but never started[id], so IDs are single-use (a
 *   second shutdown of an ID is allowed: removing an absent key is no error).
 */
import { assert } from '../../../sim/kernel/assert.js';
import {
  InputReader, parseExecInContainerInput, type ExecExternalInput, type ExecInContainerInput,
} from '../input-shapes.js';
import { has, lookup } from '../metadata.js';
import type { PolicyContainer } from '../policy-model.js';
import { invalidEnvNames, missingRequired } from '../match/env.js';
import { commandOk, noNewPrivilegesOk, userOk } from '../match/process.js';
import { capsOk, getCapabilities, validCapsForAll } from '../match/capabilities.js';
import { agreedStdio, narrowByEnv, narrowProcess } from './narrowing.js';
import { candidateExternalProcesses } from './candidates.js';
import { LINUX_NOTE } from './container.js';
import {
  allow, defineRule, deny, isLinux, type RuleContext, type RuleOutcome,
} from './rule-context.js';

type ExecParsed = Readonly<{ req: ExecInContainerInput; absent: readonly string[] }>;

const EXEC_HELPER_NOTE = 'the framework\'s exec error helpers read per-process '
  + 'working_dir / no_new_privileges / user fields that exec_processes do not have, so "invalid '
  + 'noNewPrivileges" and "invalid user" accompany every exec_in_container denial';

function execChecks(ctx: RuleContext, req: ExecInContainerInput) {
  const linux = isLinux(ctx);
  const anchored = ctx.dialect.anchoredPatterns;
  const wd = (c: PolicyContainer) => c.working_dir === req.workingDir;
  const nnp = (c: PolicyContainer) => noNewPrivilegesOk(c, req.noNewPrivileges, linux);
  const user = (c: PolicyContainer) => userOk(c, req, linux, anchored);
  const cmd = (c: PolicyContainer) => c.exec_processes.some((p) =>
    commandOk(p.command, req.argList, ctx.nullCommand));
  return { linux, wd, nnp, user, cmd,
    initial: (c: PolicyContainer) => wd(c) && nnp(c) && user(c) && cmd(c) };
}

/** container_privileged: started[id].privileged (HEAD: and is_linux); asked of started IDs only. */
function containerPrivileged(ctx: RuleContext, containerID: string, linux: boolean): boolean {
  const entry = lookup(ctx.metadata.started, containerID);
  assert(entry !== undefined, 'only a started container has a privileged flag');
  return linux && entry.privileged;
}

function decideExec(ctx: RuleContext, { req, absent }: ExecParsed): RuleOutcome {
  const c = execChecks(ctx, req);
  if (!c.linux) return deny([LINUX_NOTE]);
  if (!has(ctx.metadata.started, req.containerID)) return deny();
  const matches = lookup(ctx.metadata.matches, req.containerID) ?? [];
  const initial = matches.filter(c.initial);
  const notes = [EXEC_HELPER_NOTE];
  if (matches.length === 0) notes.push(`no candidate containers for ${req.containerID}: it was `
    + 'shut down');
  if (absent.length > 0) notes.push(`input lacks ${absent.join(', ')}`);
  if (initial.length === 0) return deny(notes);
  const narrowed = narrowProcess(initial, {
    envList: req.envList, capabilities: req.capabilities,
    privileged: containerPrivileged(ctx, req.containerID, c.linux),
  }, ctx.policy.flags, ctx.dialect);
  if (!narrowed.ok) return deny([narrowed.note, ...notes]);
  assert(narrowed.containers.length <= matches.length, 'exec only narrows');
  return allow([{ name: 'matches', action: 'update', key: req.containerID,
    value: narrowed.containers }],
    { env_list: narrowed.env_list, caps_list: narrowed.caps_list });
}

function execErrors(ctx: RuleContext, { req }: ExecParsed): readonly string[] {
  const c = execChecks(ctx, req);
  const started = has(ctx.metadata.started, req.containerID);
  const matches = lookup(ctx.metadata.matches, req.containerID) ?? [];
  const out: string[] = [];
  if (!started) out.push('container not started');
  if (!matches.some(c.cmd)) out.push('invalid command');
  const badEnvs = invalidEnvNames(matches, req.envList);
  if (badEnvs.length > 0) out.push(`invalid env list: ${badEnvs.join(',')}`);
  const initial = matches.filter(c.initial);
  if (started && initial.some((k) => missingRequired(k.env_rules, req.envList))) {
    out.push('missing required environment variable');
  }
  if (!matches.some(c.wd)) out.push('invalid working directory');
  // noNewPrivileges_matches / user_matches need process.working_dir, which is never defined.
  if (c.linux) out.push('invalid noNewPrivileges');
  out.push('invalid user');
  if (c.linux && started && initial.length > 0 && capsMismatch(ctx, req, initial, c.linux)) {
    out.push("capabilities don't match");
  }
  assert(out.includes('invalid user'), 'the per-process user helper never matches');
  assert(new Set(out).size === out.length, 'an errors set names each error once');
  return out;
}

/** The exec "capabilities don't match" helper: the env stage passes, the caps stage empties. */
function capsMismatch(ctx: RuleContext, req: ExecInContainerInput,
    initial: readonly PolicyContainer[], linux: boolean): boolean {
  const flags = ctx.policy.flags;
  const env = narrowByEnv(initial, req.envList, flags.allow_environment_variable_dropping,
    ctx.dialect);
  if (!env.ok) return false;
  const privileged = containerPrivileged(ctx, req.containerID, linux);
  const caps = validCapsForAll(env.items, req.capabilities, privileged,
    flags.allow_capability_dropping);
  if (caps.kind === 'null-request') return true;
  if (caps.kind !== 'ok') return false;
  return !env.items.some((k) => capsOk(getCapabilities(k, privileged), caps.caps));
}

export const execInContainer = defineRule<ExecParsed>({
  parse: (input) => {
    const { value, absent } = parseExecInContainerInput('exec_in_container', input);
    return { req: value, absent };
  },
  decide: decideExec,
  errors: execErrors,
});

function parseExecExternal(input: unknown): ExecExternalInput {
  const r = new InputReader('exec_external', input);
  return { argList: r.strList('argList'), envList: r.strList('envList'),
    workingDir: r.str('workingDir') };
}

export const execExternal = defineRule<ExecExternalInput>({
  parse: parseExecExternal,
  decide: (ctx, req) => {
    const possible = candidateExternalProcesses(ctx).filter((p) => p.working_dir === req.workingDir
      && commandOk(p.command, req.argList, ctx.nullCommand));
    if (possible.length === 0) return deny();
    const env = narrowByEnv(possible, req.envList,
      ctx.policy.flags.allow_environment_variable_dropping, ctx.dialect);
    if (!env.ok) return deny([env.note]);
    const stdio = agreedStdio(env.items);
    if (stdio === undefined) return deny();
    return allow([], { env_list: env.env_list, allow_stdio_access: stdio });
  },
  errors: (ctx, req) => {
    const candidates = candidateExternalProcesses(ctx);
    const cmd = (p: (typeof candidates)[number]) => commandOk(p.command, req.argList,
      ctx.nullCommand);
    const possible = candidates.filter((p) => p.working_dir === req.workingDir && cmd(p));
    const out: string[] = [];
    if (!candidates.some(cmd)) out.push('invalid command');
    const badEnvs = invalidEnvNames(candidates, req.envList);
    if (badEnvs.length > 0) out.push(`invalid env list: ${badEnvs.join(',')}`);
    if (possible.some((p) => missingRequired(p.env_rules, req.envList))) {
      out.push('missing required environment variable');
    }
    if (!candidates.some((p) => p.working_dir === req.workingDir)) {
      out.push('invalid working directory');
    }
    if (possible.length > 0) {
      const env = narrowByEnv(possible, req.envList,
        ctx.policy.flags.allow_environment_variable_dropping, ctx.dialect);
      if (env.ok && agreedStdio(env.items) === undefined) {
        out.push('external processes only distinguishable by allow_stdio_access');
      }
    }
    return out;
  },
});

export const shutdownContainer = defineRule<string>({
  parse: (input) => new InputReader('shutdown_container', input).str('containerID'),
  decide: (ctx, containerID) => {
    if (!has(ctx.metadata.started, containerID)) return deny();
    return allow([{ name: 'matches', action: 'remove', key: containerID }]);
  },
  errors: (ctx, containerID) => has(ctx.metadata.started, containerID)
    ? [] : ['container not started'],
});
