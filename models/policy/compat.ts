/**
 * Models: the framework-version compatibility shim of hcsshim's framework.rego (policy.md section
 * b,
 * "Compatibility shim"): containers of a policy written for an older framework_version are rebuilt
 * with the fields that version knew, and later fields get their defaults.
 * Real counterpart: the `*_for_policy_version` / `check_container` rebuilding rules in
 * pkg/securitypolicy/framework.rego (HEAD, framework 0.5.0) and the flag reads in the same file.
 * Differs (each decision is also in README "policy import"):
 *  - A field the declared framework_version should have but that is missing gets a display
 *    default, a note, and is listed in the container's `absent_fields`: the engine then does what
 *    the real framework does (the compatibility shim drops the container from every candidate
 *    set; at exactly the framework's own version the field reads as undefined).
 *  - A field the declared version predates is ignored, as the real framework does, with a note.
 *  - `signals` are kept as written. The implicit 9 and 15 that HEAD's shim adds for policies
 *    older than 0.4.1 are the engine's (dialect-dependent: v0.14.1 adds none).
 *  - `command: null` (confcom writes it when the image has no ENTRYPOINT/CMD and the deployment
 *    sets none) is kept as null, never widened to "any argv" nor rewritten to []. What a create
 *    with such a container means is the engine's decision (models/policy/match/process.ts: a null
 *    command matches no argList, as count(null) is undefined in the real framework).
 *  - `allow_capabilities_dropping` (plural, seen in a confcom doc and one public policy) is NOT
 *    honoured, as in the real framework, which reads only the singular; a note says so, because
 *    a user who wrote it believes dropping is on.
 *  - `allow_capability_dropping` is honoured only for framework_version >= 0.2.2, as in the real
 *    framework; when set but not honoured, a note says so.
 * Invariants: the output container has every field of PolicyContainer; `absent_fields` lists
 * exactly the versioned fields the text lacks although its version has them; nothing here reads
 * input other than the parsed policy nodes.
 */
import { assert } from '../../sim/kernel/assert.js';
import type {
  CapabilitySets, EnvRule, ExecProcess, IdNameRule, IdNameStrategy, MountRule, PolicyContainer,
    UserRule, VersionedFieldName,
} from './policy-model.js';
import { VERSIONED_FIELD_NAMES } from './policy-model.js';
import {
  checkKeys, checkRe2At, compareSemver, field, fieldError, readArray, readBoolean, readEnum,
  readIntegerArray, readObject,
  readString, readStringArray, requireField, unsupported, type ObjectNode,
} from './policy-fields.js';
import type { ValueNode } from './policy-syntax.js';

/** Stand-in for "no framework_version": older than every real version, so every default applies. */
export const OLDEST_FRAMEWORK_VERSION = '0.0.0';

/** Container fields and the framework_version that introduced them (framework.rego shim). */
export const VERSIONED_CONTAINER_FIELDS = [
  { name: 'no_new_privileges', introducedVersion: '0.2.0' },
  { name: 'user', introducedVersion: '0.2.1' },
  { name: 'capabilities', introducedVersion: '0.2.2' },
  { name: 'seccomp_profile_sha256', introducedVersion: '0.2.3' },
] as const;

assert(VERSIONED_CONTAINER_FIELDS.map((f) => f.name).join() === VERSIONED_FIELD_NAMES.join(),
  'the shim table and the model list the same versioned fields');


/** allow_capability_dropping is read only from this framework_version on. */
export const CAPABILITY_DROPPING_SINCE_VERSION = '0.2.2';

/** Fields every container of every framework version has (hcsshim test/cri-containerd 0.1.0). */
const BASE_CONTAINER_FIELDS = [
  'command', 'env_rules', 'layers', 'mounts', 'exec_processes', 'signals', 'working_dir',
  'allow_elevated', 'allow_stdio_access',
] as const;

/** Informational fields, read by no rule; "" when absent (no note: they never matter). */
const INFORMATIONAL_FIELDS = ['id', 'name'] as const;

const WINDOWS_ONLY: Readonly<Record<string, string>> = {
  mounted_cim: 'Windows (C-WCOW) container field; parma-sim models Linux containers only',
  registry_changes: 'Windows (C-WCOW) container field; parma-sim models Linux containers only',
};

export const DEFAULT_USER: UserRule = {
  user_idname: { pattern: '', strategy: 'any' },
  group_idnames: [{ pattern: '', strategy: 'any' }],
  umask: '0022',
};

export type CompatContext = Readonly<{
  /** The policy's framework_version, or OLDEST_FRAMEWORK_VERSION when it has none. */
  frameworkVersion: string;
  /** Collects notes; the caller stores them in SecurityPolicy.notes. */
  notes: string[];
}>;

/** Reads one container entry and applies the compatibility rules of `context.frameworkVersion`. */
export function normaliseContainer(node: ValueNode, path: string,
    context: CompatContext): PolicyContainer {
  const object = readObject(node, path);
  const known = [...BASE_CONTAINER_FIELDS, ...INFORMATIONAL_FIELDS,
    ...VERSIONED_CONTAINER_FIELDS.map((f) => f.name)];
  checkKeys(object, path, known, WINDOWS_ONLY);
  const label = containerLabel(object, path);
  const { fields: versioned, absent } = readVersionedFields(object, path, label, context);
  const signals = readIntegerArray(requireField(object, 'signals', path), `${path}.signals`);
  const container: PolicyContainer = {
    id: optionalString(object, 'id', path),
    name: optionalString(object, 'name', path),
    command: readCommand(requireField(object, 'command', path), `${path}.command`),
    env_rules: readEnvRules(requireField(object, 'env_rules', path), `${path}.env_rules`),
    layers: readLayers(requireField(object, 'layers', path), `${path}.layers`),
    mounts: readMounts(requireField(object, 'mounts', path), `${path}.mounts`),
    exec_processes: readExecProcesses(requireField(object, 'exec_processes', path),
      `${path}.exec_processes`),
    signals,
    working_dir: readString(requireField(object, 'working_dir', path), `${path}.working_dir`),
    allow_elevated: readBoolean(requireField(object, 'allow_elevated', path),
      `${path}.allow_elevated`),
    allow_stdio_access: readBoolean(requireField(object, 'allow_stdio_access', path),
      `${path}.allow_stdio_access`),
    ...versioned,
    ...(absent.length > 0 ? { absent_fields: absent } : {}),
  };
  assert(container.layers.every((layer) => /^[0-9a-f]{64}$/.test(layer)));
  assert(container.signals.length === signals.length, 'signals are kept as written');
  return container;
}

type VersionedFields = Pick<PolicyContainer, 'no_new_privileges' | 'user' | 'capabilities'
  | 'seccomp_profile_sha256'>;

function readVersionedFields(object: ObjectNode, path: string, label: string,
    context: CompatContext): Readonly<{ fields: VersionedFields;
      absent: readonly VersionedFieldName[] }> {
  const absent: VersionedFieldName[] = [];
  const present = (name: VersionedFieldName): ValueNode | undefined => {
    const spec = VERSIONED_CONTAINER_FIELDS.find((f) => f.name === name);
    assert(spec !== undefined);
    const value = field(object, name);
    const known = compareSemver(context.frameworkVersion, spec.introducedVersion) >= 0;
    if (known && value === undefined) {
      absent.push(name);
      context.notes.push(`${label}: ${name} is missing although framework_version `
        + `${versionText(context)} includes it (since ${spec.introducedVersion}): the `
        + 'framework\'s compatibility shim drops this container from every candidate set');
    }
    if (!known && value !== undefined) {
      context.notes.push(`${label}: ${name} is ignored: framework_version ${versionText(context)} `
        + `predates it ` +
        `(introduced in ${spec.introducedVersion}); the default applies, as in the real framework`);
    }
    return known ? value : undefined;
  };
  const noNewPrivileges = present('no_new_privileges');
  const user = present('user');
  const capabilities = present('capabilities');
  const seccomp = present('seccomp_profile_sha256');
  const fields: VersionedFields = {
    no_new_privileges: noNewPrivileges === undefined
      ? false : readBoolean(noNewPrivileges, `${path}.no_new_privileges`),
    user: user === undefined ? DEFAULT_USER : readUser(user, `${path}.user`),
    capabilities: capabilities === undefined ? null : readCapabilities(capabilities,
      `${path}.capabilities`),
    seccomp_profile_sha256: seccomp === undefined ? '' : readString(seccomp,
      `${path}.seccomp_profile_sha256`),
  };
  assert(noNewPrivileges !== undefined || !fields.no_new_privileges);
  assert(seccomp !== undefined || fields.seccomp_profile_sha256 === '');
  return { fields, absent };
}

function versionText(context: CompatContext): string {
  return context.frameworkVersion === OLDEST_FRAMEWORK_VERSION
    ? '(none)' : context.frameworkVersion;
}

function containerLabel(object: ObjectNode, path: string): string {
  const name = field(object, 'name');
  const id = field(object, 'id');
  const described = name?.kind === 'string' ? name.value : id?.kind === 'string' ? id.value : '';
  return described === '' ? path : `${path} (${described})`;
}

function optionalString(object: ObjectNode, key: string, path: string): string {
  const value = field(object, key);
  return value === undefined ? '' : readString(value, `${path}.${key}`);
}

/** An argv list, or null as written by confcom for an image without a command (see header). */
export function readCommand(node: ValueNode, path: string): readonly string[] | null {
  if (node.kind === 'null') return null;
  if (node.kind === 'call') {
    unsupported(node.pos, 'fragment parameters', `${path}: parameter() calls are fragment `
      + `parameters (framework 0.5.0), which parma-sim does not support`);
  }
  return readStringArray(node, path);
}

export function readEnvRules(node: ValueNode, path: string): EnvRule[] {
  return readArray(node, path).map((item, i) => readEnvRule(item, `${path}[${i}]`));
}

function readEnvRule(node: ValueNode, path: string): EnvRule {
  const object = readObject(node, path);
  if (field(object, 'name') !== undefined || field(object, 'value') !== undefined) {
    unsupported(object.pos, 'name/value env rule',
      `${path}: name/value env rules (framework 0.5.0: {name, name_strategy, value, `
        + `value_strategy}) are not supported; ` +
      'parma-sim supports {pattern, strategy, required}');
  }
  checkKeys(object, path, ['pattern', 'strategy', 'required']);
  const required = field(object, 'required');
  const rule: EnvRule = {
    pattern: readString(requireField(object, 'pattern', path), `${path}.pattern`),
    strategy: readEnum(requireField(object, 'strategy', path), `${path}.strategy`,
      ['string', 're2'] as const),
    required: required === undefined ? false : readBoolean(required, `${path}.required`),
  };
  if (rule.strategy === 're2') checkRe2At(object.pos, `${path}.pattern`, rule.pattern);
  return rule;
}

export function readLayers(node: ValueNode, path: string): string[] {
  const layers = readStringArray(node, path);
  const items = readArray(node, path);
  layers.forEach((layer, i) => {
    if (!/^[0-9a-fA-F]{64}$/.test(layer)) {
      fieldError(items[i]!.pos, `${path}[${i}]`,
        `"${layer.slice(0, 80)}" is not a 64-hex dm-verity root hash`);
    }
  });
  return layers.map((layer) => layer.toLowerCase());
}

export function readMounts(node: ValueNode, path: string): MountRule[] {
  return readArray(node, path).map((item, i) => {
    const itemPath = `${path}[${i}]`;
    const object = readObject(item, itemPath);
    checkKeys(object, itemPath, ['destination', 'options', 'source', 'type']);
    return {
      destination: readString(requireField(object, 'destination', itemPath),
        `${itemPath}.destination`),
      options: readStringArray(requireField(object, 'options', itemPath), `${itemPath}.options`),
      source: readMountSource(requireField(object, 'source', itemPath), `${itemPath}.source`),
      type: readString(requireField(object, 'type', itemPath), `${itemPath}.type`),
    };
  });
}

/** sandbox:// and hugepages:// sources are RE2 patterns after the prefix; check them at import. */
export function readMountSource(node: ValueNode, path: string): string {
  const source = readString(node, path);
  const prefix = ['sandbox://', 'hugepages://'].find((p) => source.startsWith(p));
  if (prefix !== undefined) checkRe2At(node.pos, path, source.slice(prefix.length));
  return source;
}

export function readExecProcesses(node: ValueNode, path: string): ExecProcess[] {
  return readArray(node, path).map((item, i) => {
    const itemPath = `${path}[${i}]`;
    const object = readObject(item, itemPath);
    checkKeys(object, itemPath, ['command', 'signals']);
    const signals = field(object, 'signals');
    return {
      command: readStringArray(requireField(object, 'command', itemPath), `${itemPath}.command`),
      signals: signals === undefined ? [] : readIntegerArray(signals, `${itemPath}.signals`),
    };
  });
}

export function readUser(node: ValueNode, path: string): UserRule {
  const object = readObject(node, path);
  checkKeys(object, path, ['user_idname', 'group_idnames', 'umask']);
  const groups = readArray(requireField(object, 'group_idnames', path), `${path}.group_idnames`);
  return {
    user_idname: readIdName(requireField(object, 'user_idname', path), `${path}.user_idname`),
    group_idnames: groups.map((group, i) => readIdName(group, `${path}.group_idnames[${i}]`)),
    umask: readString(requireField(object, 'umask', path), `${path}.umask`),
  };
}

function readIdName(node: ValueNode, path: string): IdNameRule {
  const object = readObject(node, path);
  checkKeys(object, path, ['pattern', 'strategy']);
  const strategies: readonly IdNameStrategy[] = ['any', 'id', 'name', 're2'];
  const rule: IdNameRule = {
    pattern: readString(requireField(object, 'pattern', path), `${path}.pattern`),
    strategy: readEnum(requireField(object, 'strategy', path), `${path}.strategy`, strategies),
  };
  if (rule.strategy === 're2') checkRe2At(object.pos, `${path}.pattern`, rule.pattern);
  return rule;
}

const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

export function readCapabilities(node: ValueNode, path: string): CapabilitySets | null {
  if (node.kind === 'null') return null;
  const object = readObject(node, path);
  checkKeys(object, path, CAPABILITY_SETS);
  const set = (name: (typeof CAPABILITY_SETS)[number]): string[] =>
    readStringArray(requireField(object, name, path), `${path}.${name}`);
  return {
    bounding: set('bounding'), effective: set('effective'), inheritable: set('inheritable'),
    permitted: set('permitted'), ambient: set('ambient'),
  };
}

/** allow_capability_dropping as the framework reads it for `frameworkVersion`. */
export function effectiveCapabilityDropping(written: boolean, frameworkVersion: string,
    notes: string[]): boolean {
  const honoured = compareSemver(frameworkVersion, CAPABILITY_DROPPING_SINCE_VERSION) >= 0;
  if (written && !honoured) {
    notes.push(`allow_capability_dropping is ignored: framework_version `
      + `${frameworkVersion === OLDEST_FRAMEWORK_VERSION ? '(none)' : frameworkVersion} ` +
      `predates it (honoured from ${CAPABILITY_DROPPING_SINCE_VERSION}); capability dropping `
        + `is off`);
  }
  return written && honoured;
}
