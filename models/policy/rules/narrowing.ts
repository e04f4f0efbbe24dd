/**
 * Models: the env / capability / stdio stages that framework.rego create_container,
 * exec_in_container and exec_external share (valid_envs_for_all → envList_ok,
 * valid_caps_for_all → caps_ok, allow_stdio_access agreement).
 * Real counterpart: those Rego stages.
 * Differs: a stage that empties the candidates says why in a parma-sim note (the framework's
 *   errors are computed separately, by each rule's error helpers).
 * Invariants: each stage keeps a subset of the previous one; `ok` results are non-empty.
 */
import { assert } from '../../../sim/kernel/assert.js';
import type { CapabilitySets, PolicyContainer } from '../policy-model.js';
import type { DialectInfo } from '../dialect.js';
import { envListOk, validEnvsForAll, type HasEnvRules } from '../match/env.js';
import { capsOk, getCapabilities, validCapsForAll } from '../match/capabilities.js';

const ENV_TIE_NOTE =
  'environment variables undecidable: the largest env subsets the remaining candidates accept '
    + 'differ';
const ENV_EMPTY_NOTE = 'no remaining candidate accepts the environment variables';
const CAPS_TIE_NOTE = 'capabilities undecidable: the largest capability sets the remaining '
  + 'candidates accept differ';
const CAPS_NONE_NOTE = 'no remaining candidate allows exactly these capabilities';
const NO_CAPS_NOTE = 'no capability list to judge: the request carries no capabilities '
  + 'object (null or absent), or no remaining candidate has capability sets';

export type EnvStage<T> =
  | Readonly<{ ok: true; items: readonly T[]; env_list: readonly string[] }>
  | Readonly<{ ok: false; note: string }>;

export function narrowByEnv<T extends HasEnvRules>(items: readonly T[], envList: readonly string[],
    dropping: boolean, dialect: DialectInfo): EnvStage<T> {
  assert(items.length > 0);
  const env_list = validEnvsForAll(items, envList, dropping);
  if (env_list === undefined) return { ok: false, note: ENV_TIE_NOTE };
  const kept = items.filter((item) => envListOk(item.env_rules, env_list, dialect));
  if (kept.length === 0) return { ok: false, note: ENV_EMPTY_NOTE };
  assert(kept.length <= items.length);
  return { ok: true, items: kept, env_list };
}

export type CapsStage =
  | Readonly<{ ok: true; containers: readonly PolicyContainer[]; caps_list: CapabilitySets }>
  | Readonly<{ ok: false; note: string }>;

export function narrowByCaps(
  containers: readonly PolicyContainer[], requested: CapabilitySets | null | undefined,
    privileged: boolean, dropping: boolean,
): CapsStage {
  assert(containers.length > 0);
  const choice = validCapsForAll(containers, requested, privileged, dropping);
  if (choice.kind === 'none' || choice.kind === 'null-request') {
    return { ok: false, note: NO_CAPS_NOTE };
  }
  if (choice.kind === 'tie') return { ok: false, note: CAPS_TIE_NOTE };
  const kept = containers.filter((c) => capsOk(getCapabilities(c, privileged), choice.caps));
  if (kept.length === 0) return { ok: false, note: CAPS_NONE_NOTE };
  return { ok: true, containers: kept, caps_list: choice.caps };
}

export type ProcessStage =
  | Readonly<{
    ok: true; containers: readonly PolicyContainer[]; env_list: readonly string[];
    caps_list: CapabilitySets;
  }>
  | Readonly<{ ok: false; note: string }>;

/** The env stage, then the capability stage on its survivors (create and exec share this order). */
export function narrowProcess(
  containers: readonly PolicyContainer[],
  request: Readonly<{
    envList: readonly string[]; capabilities: CapabilitySets | null | undefined;
    privileged: boolean;
  }>,
  flags: Readonly<{
    allow_environment_variable_dropping: boolean; allow_capability_dropping: boolean;
  }>,
  dialect: DialectInfo,
): ProcessStage {
  const env = narrowByEnv(containers, request.envList, flags.allow_environment_variable_dropping,
    dialect);
  if (!env.ok) return { ok: false, note: env.note };
  const caps = narrowByCaps(env.items, request.capabilities, request.privileged,
    flags.allow_capability_dropping);
  if (!caps.ok) return { ok: false, note: caps.note };
  assert(caps.containers.length <= containers.length, 'each stage only narrows');
  return {
    ok: true, containers: caps.containers, env_list: env.env_list, caps_list: caps.caps_list,
  };
}

/** All survivors must agree on allow_stdio_access; undefined = they do not (undecidable). */
export function agreedStdio(items: readonly Readonly<{ allow_stdio_access: boolean }>[]): boolean
    | undefined {
  assert(items.length > 0);
  const first = items[0]!.allow_stdio_access;
  return items.every((item) => item.allow_stdio_access === first) ? first : undefined;
}
