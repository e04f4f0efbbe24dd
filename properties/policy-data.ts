/**
 * Models: the data part of a Confidential ACI execution policy (spec/policy.md b: `package
 * policy`, `api_version`, `framework_version`, `containers`, `external_processes`, `fragments`,
 * the flags, the rule bindings) as the invariant checkers read it — independently of the policy
 * engine (models/policy), which this module never imports.
 * Real counterpart: the `name := <json>` assignments az confcom writes (and the fragments it
 * signs), i.e. `data.policy` as OPA sees it before any framework rule runs.
 * Differs: a reader for data assignments only: a top-level `name := value` whose value is JSON
 * (possibly over several lines) is data; anything else (`data.framework.x`, `{"errors": ...}`)
 * is recorded as a binding by its text. The compatibility shim's defaults for fields that older
 * framework versions lack are applied (spec b "Compatibility shim"), nothing more.
 * Invariants: pure; the same text gives the same data; a field of the wrong type is a
 * PolicyDataError naming it (the checkers then answer `unknown`, never `holds`).
 */
import { assert } from '../sim/kernel/assert.js';

export type EnvRuleData = Readonly<{ pattern: string; strategy: string; required: boolean }>;
export type IdNameRuleData = Readonly<{ pattern: string; strategy: string }>;
export type UserRuleData = Readonly<{
  user_idname: IdNameRuleData; group_idnames: readonly IdNameRuleData[]; umask: string;
}>;
export type CapabilitySetsData = Readonly<{
  bounding: readonly string[]; effective: readonly string[]; inheritable: readonly string[];
  permitted: readonly string[]; ambient: readonly string[];
}>;
export type MountRuleData = Readonly<{
  destination: string; source: string; type: string; options: readonly string[];
}>;
export type ExecProcessData = Readonly<{ command: readonly string[]; signals: readonly number[] }>;

export type ContainerData = Readonly<{
  name: string;
  /** null: confcom wrote `null` (no argv ever matches it). */
  command: readonly string[] | null;
  /** dm-verity root hashes, base layer first. */
  layers: readonly string[];
  env_rules: readonly EnvRuleData[];
  mounts: readonly MountRuleData[];
  exec_processes: readonly ExecProcessData[];
  signals: readonly number[];
  working_dir: string;
  allow_elevated: boolean;
  allow_stdio_access: boolean;
  no_new_privileges: boolean;
  user: UserRuleData;
  capabilities: CapabilitySetsData | null;
  seccomp_profile_sha256: string;
}>;

export type ExternalProcessData = Readonly<{
  command: readonly string[]; env_rules: readonly EnvRuleData[]; working_dir: string;
  allow_stdio_access: boolean;
}>;

export type FragmentRefData = Readonly<{
  issuer: string; feed: string; minimum_svn: string; includes: readonly string[];
}>;

/** The flags of spec b "Flags"; a missing flag is false (undefined in Rego). */
export const POLICY_FLAGS = ['allow_properties_access', 'allow_dump_stacks',
  'allow_runtime_logging', 'allow_environment_variable_dropping', 'allow_unencrypted_scratch',
  'allow_capability_dropping', 'allow_host_network'] as const;
export type PolicyFlag = (typeof POLICY_FLAGS)[number];

export type PolicyData = Readonly<{
  /** The package line's name (`policy`, or a fragment's namespace). */
  packageName: string;
  api_version: string | null;
  framework_version: string | null;
  /** A fragment's own svn (string or number as written), or null. */
  svn: string | null;
  containers: readonly ContainerData[];
  external_processes: readonly ExternalProcessData[];
  fragments: readonly FragmentRefData[];
  flags: Readonly<Record<PolicyFlag, boolean>>;
  /** Non-data assignments by name (e.g. `mount_device` → `data.framework.mount_device`). */
  bindings: Readonly<Record<string, string>>;
}>;

export class PolicyDataError extends Error {
  constructor(readonly field: string, what: string) {
    super(`policy data: ${field}: ${what}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the assignments

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)[ \t]*:=[ \t]*/;

/** The end (exclusive) of the balanced expression starting at `start` (brackets and strings). */
function expressionEnd(text: string, start: number): number {
  let depth = 0;
  let i = start;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '[' || c === '{' || c === '(') {
      depth++;
    } else if (c === ']' || c === '}' || c === ')') {
      depth--;
      if (depth === 0) return i + 1;
    } else if (c === '\n' && depth === 0) {
      return i;
    }
  }
  return i;
}

type Raw = {
  packageName: string; values: Record<string, unknown>; bindings: Record<string, string>;
};

/** Every top-level `name := value` of a Rego module: JSON values as data, others as text. */
export function readRegoAssignments(text: string): Raw {
  const raw: Raw = { packageName: '', values: {}, bindings: {} };
  let at = 0;
  let statements = 0;
  while (at < text.length) {
    assert(statements++ < 100_000, 'a bounded number of statements');
    const lineEnd = text.indexOf('\n', at) === -1 ? text.length : text.indexOf('\n', at);
    const line = text.slice(at, lineEnd);
    const pkg = /^package[ \t]+([A-Za-z_][A-Za-z0-9_]*)/.exec(line);
    if (pkg !== null && raw.packageName === '') raw.packageName = pkg[1]!;
    const assignment = ASSIGNMENT.exec(line);
    if (assignment === null) {
      at = lineEnd + 1;
      continue;
    }
    const valueStart = at + assignment[0].length;
    const valueEnd = expressionEnd(text, valueStart);
    const source = text.slice(valueStart, valueEnd).trim();
    try {
      raw.values[assignment[1]!] = JSON.parse(source) as unknown;
    } catch {
      raw.bindings[assignment[1]!] = source;
    }
    const next = text.indexOf('\n', valueEnd);
    at = next === -1 ? text.length : next + 1;
  }
  return raw;
}

// ---------------------------------------------------------------------------------------------
// Typed fields

function isObject(v: unknown): v is Readonly<Record<string, unknown>> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown, field: string, fallback?: string): string {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string') throw new PolicyDataError(field, 'must be a string');
  return v;
}

function bool(v: unknown, field: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new PolicyDataError(field, 'must be a boolean');
  return v;
}

function list<T>(v: unknown, field: string, item: (x: unknown, f: string) => T): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new PolicyDataError(field, 'must be a list');
  return v.map((x, i) => item(x, `${field}[${i}]`));
}

function strList(v: unknown, field: string): string[] {
  return list(v, field, (x, f) => str(x, f));
}

function obj(v: unknown, field: string): Readonly<Record<string, unknown>> {
  if (!isObject(v)) throw new PolicyDataError(field, 'must be an object');
  return v;
}

function envRule(v: unknown, field: string): EnvRuleData {
  const o = obj(v, field);
  return { pattern: str(o['pattern'], `${field}.pattern`),
    strategy: str(o['strategy'], `${field}.strategy`),
    required: bool(o['required'], `${field}.required`, false) };
}

function idName(v: unknown, field: string): IdNameRuleData {
  const o = obj(v, field);
  return { pattern: str(o['pattern'], `${field}.pattern`, ''),
    strategy: str(o['strategy'], `${field}.strategy`) };
}

const ANY_USER: UserRuleData = Object.freeze({
  user_idname: { pattern: '', strategy: 'any' }, group_idnames: [{ pattern: '', strategy: 'any' }],
  umask: '0022',
});

function userRule(v: unknown, field: string): UserRuleData {
  if (v === undefined) return ANY_USER;
  const o = obj(v, field);
  return { user_idname: idName(o['user_idname'], `${field}.user_idname`),
    group_idnames: list(o['group_idnames'], `${field}.group_idnames`, idName),
    umask: str(o['umask'], `${field}.umask`, '0022') };
}

function capabilities(v: unknown, field: string): CapabilitySetsData | null {
  if (v === undefined || v === null) return null;
  const o = obj(v, field);
  return { bounding: strList(o['bounding'], `${field}.bounding`),
    effective: strList(o['effective'], `${field}.effective`),
    inheritable: strList(o['inheritable'], `${field}.inheritable`),
    permitted: strList(o['permitted'], `${field}.permitted`),
    ambient: strList(o['ambient'], `${field}.ambient`) };
}

function mountRule(v: unknown, field: string): MountRuleData {
  const o = obj(v, field);
  return { destination: str(o['destination'], `${field}.destination`),
    source: str(o['source'], `${field}.source`), type: str(o['type'], `${field}.type`),
    options: strList(o['options'], `${field}.options`) };
}

function signal(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new PolicyDataError(field, 'must be an integer');
  }
  return v;
}

function execProcess(v: unknown, field: string): ExecProcessData {
  const o = obj(v, field);
  return { command: strList(o['command'], `${field}.command`),
    signals: list(o['signals'], `${field}.signals`, signal) };
}

function container(v: unknown, field: string): ContainerData {
  const o = obj(v, field);
  const command = o['command'] === null ? null : strList(o['command'], `${field}.command`);
  return {
    name: str(o['name'], `${field}.name`, ''), command,
    layers: strList(o['layers'], `${field}.layers`),
    env_rules: list(o['env_rules'], `${field}.env_rules`, envRule),
    mounts: list(o['mounts'], `${field}.mounts`, mountRule),
    exec_processes: list(o['exec_processes'], `${field}.exec_processes`, execProcess),
    signals: list(o['signals'], `${field}.signals`, signal),
    working_dir: str(o['working_dir'], `${field}.working_dir`),
    allow_elevated: bool(o['allow_elevated'], `${field}.allow_elevated`, false),
    allow_stdio_access: bool(o['allow_stdio_access'], `${field}.allow_stdio_access`, false),
    no_new_privileges: bool(o['no_new_privileges'], `${field}.no_new_privileges`, false),
    user: userRule(o['user'], `${field}.user`),
    capabilities: capabilities(o['capabilities'], `${field}.capabilities`),
    seccomp_profile_sha256: str(o['seccomp_profile_sha256'], `${field}.seccomp_profile_sha256`,
      ''),
  };
}

function externalProcess(v: unknown, field: string): ExternalProcessData {
  const o = obj(v, field);
  return { command: strList(o['command'], `${field}.command`),
    env_rules: list(o['env_rules'], `${field}.env_rules`, envRule),
    working_dir: str(o['working_dir'], `${field}.working_dir`),
    allow_stdio_access: bool(o['allow_stdio_access'], `${field}.allow_stdio_access`, false) };
}

function svnText(v: unknown, field: string): string {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  return str(v, field);
}

function fragmentRef(v: unknown, field: string): FragmentRefData {
  const o = obj(v, field);
  return { issuer: str(o['issuer'], `${field}.issuer`), feed: str(o['feed'], `${field}.feed`),
    minimum_svn: svnText(o['minimum_svn'], `${field}.minimum_svn`),
    includes: strList(o['includes'], `${field}.includes`) };
}

/** The policy data of a Rego module's text (a policy, or a fragment). */
export function readPolicyData(text: string): PolicyData {
  const raw = readRegoAssignments(text);
  const v = raw.values;
  const version = (a: string, b: string): string | null => {
    const value = v[a] ?? v[b];
    return typeof value === 'string' ? value : null;
  };
  const flags = Object.fromEntries(POLICY_FLAGS.map((flag) => [flag, v[flag] === true])) as
    Record<PolicyFlag, boolean>;
  const data: PolicyData = {
    packageName: raw.packageName,
    api_version: version('api_version', 'api_svn'),
    framework_version: version('framework_version', 'framework_svn'),
    svn: v['svn'] === undefined ? null : svnText(v['svn'], 'svn'),
    containers: list(v['containers'], 'containers', container),
    external_processes: list(v['external_processes'], 'external_processes', externalProcess),
    fragments: list(v['fragments'], 'fragments', fragmentRef),
    flags, bindings: raw.bindings,
  };
  assert(data.containers.every((c) => Array.isArray(c.layers)), 'layers are lists');
  assert(Object.keys(data.flags).length === POLICY_FLAGS.length, 'every flag has a value');
  return data;
}
