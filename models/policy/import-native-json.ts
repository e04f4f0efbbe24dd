/**
 * Models: parma-sim's native JSON policy: the normalised SecurityPolicy written as JSON, exactly
 * what `parma-sim policy show` prints, so that show → import → show gives the same text.
 * Real counterpart: none (the real GCS takes Rego, or legacy JSON before 2025).
 * Differs: the compatibility shim does not run again: the document is already normalised, so every
 * field must be present with its type and no other field may appear. `format` keeps the dialect
 * the policy was first written in (engine behaviour must not change by a round trip); a
 * hand-written document may say "native-json".
 * Invariants: every key of SecurityPolicy and of each nested record is required; unknown keys are
 * errors; the result re-serialises to the same canonical JSON as its input, when the input was
 * canonical.
 */
import { assert } from '../../sim/kernel/assert.js';
import type { Json } from '../../sim/kernel/canonical-json.js';
import type {
  PolicyContainer, PolicyFlags, PolicyFormat, RuleBinding, SecurityPolicy
} from './policy-model.js';
import { VERSIONED_FIELD_NAMES } from './policy-model.js';
import {
  readCapabilities, readCommand, readEnvRules, readExecProcesses, readLayers, readMounts, readUser,
} from './compat.js';
import {
  BINDABLE_RULE_NAMES, FLAG_NAMES, readExternalProcesses, readFragments
} from './import-rego.js';
import {
  checkKeys, field, fieldError, readArray, readBoolean, readEnum, readIntegerArray, readObject,
    readSemver,
  readString, readStringArray, requireField, type ObjectNode,
} from './policy-fields.js';
import { nodeToJson, type ValueNode } from './policy-syntax.js';
import { readSvnValue } from './import-rego.js';

const POLICY_KEYS = [
  'format', 'api_version', 'framework_version', 'containers', 'external_processes', 'fragments',
    'flags',
  'rules', 'allow_all', 'package_name', 'svn', 'notes', 'reason_errors',
] as const satisfies readonly (keyof SecurityPolicy)[];

const CONTAINER_KEYS = [
  'id', 'name', 'command', 'env_rules', 'layers', 'mounts', 'exec_processes', 'signals',
    'working_dir',
  'allow_elevated', 'allow_stdio_access', 'no_new_privileges', 'user', 'capabilities',
    'seccomp_profile_sha256',
] as const satisfies readonly (keyof PolicyContainer)[];

/** Optional container keys: present only when they say something (see PolicyContainer). */
const OPTIONAL_CONTAINER_KEYS = ['absent_fields'] as const satisfies readonly (keyof
  PolicyContainer)[];

const FORMATS: readonly PolicyFormat[] = ['rego', 'legacy-json', 'native-json'];

/** True when a JSON policy object is a native policy (it has parma-sim's `format` key). */
export function isNativeJsonPolicy(root: ObjectNode): boolean {
  return field(root, 'format') !== undefined && field(root, 'rules') !== undefined;
}

export function importNativeJsonPolicy(root: ValueNode): SecurityPolicy {
  const object = readObject(root, '(policy)');
  checkKeys(object, '(policy)', POLICY_KEYS);
  const get = (key: (typeof POLICY_KEYS)[number]): ValueNode =>
    requireField(object, key, '(policy)');
  const apiVersion = readString(get('api_version'), 'api_version');
  const frameworkVersion = readString(get('framework_version'), 'framework_version');
  if (apiVersion !== '') readSemver(get('api_version'), 'api_version');
  if (frameworkVersion !== '') readSemver(get('framework_version'), 'framework_version');
  const svnNode = get('svn');
  const policy: SecurityPolicy = {
    format: readEnum(get('format'), 'format', FORMATS),
    api_version: apiVersion,
    framework_version: frameworkVersion,
    containers: readArray(get('containers'), 'containers').map((item, i) =>
      readNativeContainer(item, `containers[${i}]`)),
    external_processes: readExternalProcesses(get('external_processes'), 'external_processes'),
    fragments: readFragments(get('fragments'), 'fragments'),
    flags: readNativeFlags(get('flags')),
    rules: readNativeRules(get('rules')),
    allow_all: readBoolean(get('allow_all'), 'allow_all'),
    package_name: readString(get('package_name'), 'package_name'),
    svn: svnNode.kind === 'null' ? null : readSvnValue(svnNode, 'svn'),
    notes: readStringArray(get('notes'), 'notes'),
    reason_errors: readBoolean(get('reason_errors'), 'reason_errors'),
  };
  assert(Object.keys(policy).length === POLICY_KEYS.length);
  assert(policy.containers.length === readArray(get('containers'), 'containers').length);
  return policy;
}

function readNativeContainer(node: ValueNode, path: string): PolicyContainer {
  const object = readObject(node, path);
  checkKeys(object, path, [...CONTAINER_KEYS, ...OPTIONAL_CONTAINER_KEYS]);
  const get = (key: (typeof CONTAINER_KEYS)[number]): ValueNode => requireField(object, key, path);
  const absentNode = field(object, 'absent_fields');
  const absent = absentNode === undefined ? [] : readArray(absentNode, `${path}.absent_fields`)
    .map((item, i) => readEnum(item, `${path}.absent_fields[${i}]`, VERSIONED_FIELD_NAMES));
  const container: PolicyContainer = {
    id: readString(get('id'), `${path}.id`),
    name: readString(get('name'), `${path}.name`),
    command: readCommand(get('command'), `${path}.command`),
    env_rules: readEnvRules(get('env_rules'), `${path}.env_rules`),
    layers: readLayers(get('layers'), `${path}.layers`),
    mounts: readMounts(get('mounts'), `${path}.mounts`),
    exec_processes: readExecProcesses(get('exec_processes'), `${path}.exec_processes`),
    signals: readIntegerArray(get('signals'), `${path}.signals`),
    working_dir: readString(get('working_dir'), `${path}.working_dir`),
    allow_elevated: readBoolean(get('allow_elevated'), `${path}.allow_elevated`),
    allow_stdio_access: readBoolean(get('allow_stdio_access'), `${path}.allow_stdio_access`),
    no_new_privileges: readBoolean(get('no_new_privileges'), `${path}.no_new_privileges`),
    user: readUser(get('user'), `${path}.user`),
    capabilities: readCapabilities(get('capabilities'), `${path}.capabilities`),
    seccomp_profile_sha256: readString(get('seccomp_profile_sha256'),
      `${path}.seccomp_profile_sha256`),
    ...(absent.length > 0 ? { absent_fields: absent } : {}),
  };
  assert(Object.keys(container).length === CONTAINER_KEYS.length + (absent.length > 0 ? 1 : 0));
  return container;
}

function readNativeFlags(node: ValueNode): PolicyFlags {
  const object = readObject(node, 'flags');
  checkKeys(object, 'flags', FLAG_NAMES);
  const flag = (name: (typeof FLAG_NAMES)[number]): boolean =>
    readBoolean(requireField(object, name, 'flags'), `flags.${name}`);
  const flags = Object.fromEntries(FLAG_NAMES.map((name) => [name, flag(name)])) as PolicyFlags;
  assert(Object.keys(flags).length === FLAG_NAMES.length);
  return flags;
}

function readNativeRules(node: ValueNode): Record<string, RuleBinding> {
  const object = readObject(node, 'rules');
  const rules: Record<string, RuleBinding> = {};
  for (const entry of object.entries) {
    const path = `rules.${entry.key}`;
    if (!(BINDABLE_RULE_NAMES as readonly string[]).includes(entry.key)) {
      fieldError(entry.keyPos, 'rules', `"${entry.key}" is not an enforcement point`);
    }
    const binding = readObject(entry.value, path);
    const kind = readEnum(requireField(binding, 'kind', path), `${path}.kind`,
      ['framework', 'constant'] as const);
    if (kind === 'framework') {
      checkKeys(binding, path, ['kind']);
      rules[entry.key] = { kind };
      continue;
    }
    checkKeys(binding, path, ['kind', 'allowed', 'outputs']);
    const outputsNode = requireField(binding, 'outputs', path);
    // The data of an object node is a plain object.
    const outputs = nodeToJson(readObject(outputsNode, `${path}.outputs`)) as Readonly<Record<
      string, Json>>;
    if ('allowed' in outputs) {
      fieldError(outputsNode.pos, `${path}.outputs`,
        '"allowed" belongs next to outputs, not in it');
    }
    rules[entry.key] = { kind, allowed: readBoolean(requireField(binding, 'allowed', path),
      `${path}.allowed`), outputs };
  }
  assert(Object.keys(rules).length === object.entries.length);
  return rules;
}
