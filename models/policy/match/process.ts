/**
 * Models: framework.rego command_ok, workingDirectory_ok, noNewPrivileges_ok, privileged_ok,
 * seccomp_ok, user_ok / idName_ok (Linux branches), with HEAD's is_linux conjuncts passed in as
 * `linux`.
 * Real counterpart: the same Rego rules (HEAD and v0.14.1).
 * Differs: nothing deliberate. `command: null` follows the framework by default: count(null) is
 *   undefined, so no argv matches, not even the empty one; the `empty-argv` reading (an explicit
 *   option) lets exactly the empty argv through. An absent request field, or a container field
 *   listed in `absent_fields`, fails the check that reads it, as an undefined value does in Rego.
 * Invariants: argv compares element-wise with equal length; user re2 patterns are anchored only
 *   where the dialect anchors them.
 */
import { assert } from '../../../sim/kernel/assert.js';
import type { IdNameRule, PolicyContainer, UserRule, VersionedFieldName } from '../policy-model.js';
import type { IdName, ProcessSecurityInput } from '../input-shapes.js';
import type { NullCommandReading } from '../rules/rule-context.js';
import { regoRegexMatch } from './rego-regex.js';

export function commandOk(command: readonly string[] | null, argList: readonly string[],
    nullCommand: NullCommandReading): boolean {
  if (command === null) return nullCommand === 'empty-argv' && argList.length === 0;
  return command.length === argList.length && command.every((arg, i) => arg === argList[i]);
}

/** Whether the container's text has `field` (a missing one reads as undefined). */
export function hasField(container: PolicyContainer, field: VersionedFieldName): boolean {
  return container.absent_fields === undefined || !container.absent_fields.includes(field);
}

/** noNewPrivileges_ok: a policy that demands it needs the request to set it. */
export function noNewPrivilegesOk(container: PolicyContainer, requested: boolean | undefined,
    linux: boolean): boolean {
  if (!linux || !hasField(container, 'no_new_privileges')) return false;
  return container.no_new_privileges ? requested === true : true;
}

/** privileged_ok: an unprivileged request always; a privileged one needs allow_elevated. */
export function privilegedOk(allowElevated: boolean, requested: boolean | undefined,
    linux: boolean): boolean {
  if (!linux) return false;
  return requested === true ? allowElevated : true;
}

export function seccompOk(container: PolicyContainer, requested: string | undefined,
    linux: boolean): boolean {
  if (!linux || !hasField(container, 'seccomp_profile_sha256')) return false;
  return container.seccomp_profile_sha256 === requested;   // a string never equals undefined
}

/** idName_ok: a call with an undefined value is undefined, even for the `any` strategy. */
export function idNameOk(rule: IdNameRule, value: IdName | undefined, anchored: boolean): boolean {
  if (value === undefined) return false;
  switch (rule.strategy) {
    case 'any': return true;
    case 'id': return value.id === rule.pattern;
    case 'name': return value.name === rule.pattern;
    case 're2': return value.name !== undefined
      && regoRegexMatch(rule.pattern, value.name, anchored);
  }
}

function userRuleOk(rule: UserRule, request: ProcessSecurityInput,
    anchored: boolean): boolean {
  if (rule.umask !== request.umask) return false;   // an absent umask equals no rule's string
  if (!idNameOk(rule.user_idname, request.user, anchored)) return false;
  for (const group of request.groups) {
    if (!rule.group_idnames.some((g) => idNameOk(g, group, anchored))) return false;
  }
  assert(request.umask === rule.umask);
  return true;
}

/** user_ok(container.user) with HEAD's is_linux and a possibly absent `user` field. */
export function userOk(container: PolicyContainer, request: ProcessSecurityInput, linux: boolean,
    anchored: boolean): boolean {
  if (!linux || !hasField(container, 'user')) return false;
  return userRuleOk(container.user, request, anchored);
}
