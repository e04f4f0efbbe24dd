/**
 * Models: framework.rego command_ok, workingDirectory_ok, noNewPrivileges_ok, privileged_ok,
 * seccomp_ok, user_ok / idName_ok (Linux branches).
 * Real counterpart: the same Rego rules.
 * Differs: `command: null`, which az confcom writes when the image sets no command override,
 *   matches exactly the empty argv (the image's own default process, nothing injected). Real
 *   OPA evaluates count(null) as undefined and so denies every create of such a container, which
 *   would make the generated policies undeployable (a C1 violation); allowing only [] keeps the
 *   host from choosing any command while letting the benign deployment through.
 *   An absent request field fails the check that reads it.
 * Invariants: argv compares element-wise with equal length; user re2 patterns are anchored at HEAD.
 */
import { assert } from '../../../sim/kernel/assert.js';
import type { IdNameRule, UserRule } from '../policy-model.js';
import type { IdName, ProcessSecurityInput } from '../input-shapes.js';
import { re2Match } from './regex.js';

export function commandOk(command: readonly string[] | null, argList: readonly string[]): boolean {
  if (command === null) return argList.length === 0;
  if (command.length !== argList.length) return false;
  for (let i = 0; i < argList.length; i++) if (command[i] !== argList[i]) return false;
  return true;
}

/** noNewPrivileges_ok: a policy that demands it needs the request to set it. */
export function noNewPrivilegesOk(required: boolean, requested: boolean | undefined): boolean {
  return required ? requested === true : true;
}

/** privileged_ok: an unprivileged request always; a privileged one needs allow_elevated. */
export function privilegedOk(allowElevated: boolean, requested: boolean | undefined): boolean {
  return requested === true ? allowElevated : true;
}

export function idNameOk(rule: IdNameRule, value: IdName | undefined, anchored: boolean): boolean {
  switch (rule.strategy) {
    case 'any': return true;
    case 'id': return value !== undefined && value.id === rule.pattern;
    case 'name': return value !== undefined && value.name === rule.pattern;
    case 're2': return value !== undefined && value.name !== undefined
      && re2Match(rule.pattern, value.name, anchored);
  }
}

export function userOk(rule: UserRule, request: ProcessSecurityInput, anchored: boolean): boolean {
  if (request.umask === undefined || rule.umask !== request.umask) return false;
  if (!idNameOk(rule.user_idname, request.user, anchored)) return false;
  for (const group of request.groups) {
    if (!rule.group_idnames.some((g) => idNameOk(g, group, anchored))) return false;
  }
  assert(request.umask === rule.umask);
  return true;
}
