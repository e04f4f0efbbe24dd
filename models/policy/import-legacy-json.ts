/**
 * Models: the pre-Rego JSON security policy of hcsshim (`{"allow_all": ..., "containers":
 * {"length":
 * n, "elements": {"0": ...}}}`, every list written as a {length, elements} map, env rules as
 * {strategy, rule, required}, exec processes under the Go field name "ExecProcesses"), and the
 * older shape kept in confidential-sidecar-containers test data (`{"num": n, "<name>": {"command":
 * "<string>", "layers": {"num": n, "l0": ...}}}`).
 * Real counterpart: hcsshim pkg/securitypolicy SecurityPolicy/Containers JSON types (removed from
 * HEAD in 2025, commit f03c2fb23); GCS versions before that converted such a policy to Rego at
 * load.
 * Differs ([inferred]: the conversion code was not executed; each choice is what the old
 * enforcer allowed, which is what a user of such a policy relied on):
 *  - the result has api_version 0.10.0 and framework_version 0.3.0 (the v0.14.1 generation), so the
 *    compatibility defaults apply: user any/any/0022, capabilities null (defaults), seccomp "",
 *    no_new_privileges false, signals [] (HEAD's framework adds 9 and 15 below 0.4.1);
 *  - the converted policy carries the template's `reason` (framework errors) unless it is the
 *    open door;
 *  - flags: properties, dump_stacks, runtime_logging and unencrypted scratch allowed (the legacy
 *    enforcer gated none of them), env and capability dropping off, host network off;
 *  - allow_stdio_access true (legacy policies had no stdio control);
 *  - `allow_all: true` gives constant allows for every API 0.10.0 enforcement point, like
 *    hcsshim's open_door.rego; otherwise every such point is bound to the framework;
 *  - the sidecar shape's command string is split on spaces into argv; it has no working_dir,
 *    and "/" (the OCI default) is assumed;
 *  - a top-level "services" object (confidential-sidecar configuration the GCS never read) is
 *    recognised and ignored with a note; any other unknown key is an error.
 * Invariants: element maps hold exactly the keys 0..length-1 (or l0.. / num entries); layers keep
 * index order, base layer first; `allow_all` with containers is rejected (hcsshim
 * ErrInvalidOpenDoorPolicy).
 */
import { assert } from '../../sim/kernel/assert.js';
import type {
  EnvRule, MountRule, PolicyContainer, RuleBinding, SecurityPolicy
} from './policy-model.js';
import { DEFAULT_USER, readMountSource } from './compat.js';
import {
  checkKeys, checkRe2At, field, fieldError, readArray, readBoolean, readEnum,
  readNonNegativeInteger, readObject, readString,
  readStringArray, requireField, type ObjectNode,
} from './policy-fields.js';
import type { ValueNode } from './policy-syntax.js';

export const LEGACY_API_VERSION = '0.10.0';
export const LEGACY_FRAMEWORK_VERSION = '0.3.0';

/** The enforcement points of API 0.10.0, as bound by every generated 0.10.0 policy. */
export const LEGACY_ENFORCEMENT_POINTS = [
  'mount_device', 'unmount_device', 'mount_overlay', 'unmount_overlay', 'create_container',
  'exec_in_container', 'exec_external', 'shutdown_container', 'signal_container_process',
  'plan9_mount', 'plan9_unmount', 'get_properties', 'dump_stacks', 'runtime_logging',
  'load_fragment', 'scratch_mount', 'scratch_unmount',
] as const;

/** True when a JSON policy object has the legacy shape (containers is an object, not a list). */
export function isLegacyJsonPolicy(root: ObjectNode): boolean {
  const containers = field(root, 'containers');
  return field(root, 'allow_all') !== undefined && (containers === undefined
    || containers.kind === 'object');
}

export function importLegacyJsonPolicy(root: ValueNode): SecurityPolicy {
  const object = readObject(root, '(policy)');
  checkKeys(object, '(policy)', ['allow_all', 'containers', 'services']);
  const notes: string[] = [];
  if (field(object, 'services') !== undefined) {
    readObject(field(object, 'services')!, 'services');
    notes.push('services: confidential-sidecar configuration, not part of the security policy; '
      + 'ignored (the GCS never read it)');
  }
  const allowAll = readBoolean(requireField(object, 'allow_all', '(policy)'), 'allow_all');
  const containersNode = field(object, 'containers');
  const containers = containersNode === undefined
    ? [] : readLegacyContainers(readObject(containersNode, 'containers'));
  if (allowAll && containers.length > 0) {
    fieldError(containersNode!.pos, 'containers',
      'allow_all cannot be true when containers are listed ' +
      '(hcsshim rejects such a policy: ErrInvalidOpenDoorPolicy)');
  }
  const rules: Record<string, RuleBinding> = {};
  for (const name of LEGACY_ENFORCEMENT_POINTS) {
    const stdio = name === 'create_container' || name === 'exec_external';
    rules[name] = allowAll
      ? { kind: 'constant', allowed: true, outputs: stdio ? { allow_stdio_access: true } : {} }
      : { kind: 'framework' };
  }
  const policy: SecurityPolicy = {
    format: 'legacy-json',
    api_version: LEGACY_API_VERSION,
    framework_version: LEGACY_FRAMEWORK_VERSION,
    containers,
    external_processes: [],
    fragments: [],
    flags: {
      allow_properties_access: true, allow_dump_stacks: true, allow_runtime_logging: true,
      allow_environment_variable_dropping: false, allow_unencrypted_scratch: true,
      allow_capability_dropping: false, allow_host_network: false,
    },
    rules,
    allow_all: allowAll,
    package_name: 'policy',
    svn: null,
    notes,
    reason_errors: !allowAll,
  };
  assert(Object.keys(policy.rules).length === LEGACY_ENFORCEMENT_POINTS.length);
  assert(!allowAll || policy.containers.length === 0);
  return policy;
}

function readLegacyContainers(object: ObjectNode): PolicyContainer[] {
  if (field(object, 'length') !== undefined || field(object, 'elements') !== undefined) {
    return readElements(object, 'containers').map(([key, node]) =>
      readHcsshimContainer(node, `containers.elements.${key}`));
  }
  if (field(object, 'num') !== undefined) {
    return readNumbered(object, 'containers', (key) => key !== 'num')
      .map(([key, node]) => readSidecarContainer(node, `containers.${key}`, key));
  }
  return fieldError(object.pos, 'containers',
    'a legacy containers object needs "length" and "elements" (or "num")');
}

/** `{"length": n, "elements": {"0": v0, ...}}` → [["0", v0], ...] in index order. */
function readElements(object: ObjectNode, path: string): Array<[string, ValueNode]> {
  checkKeys(object, path, ['length', 'elements']);
  const length = readNonNegativeInteger(requireField(object, 'length', path), `${path}.length`);
  const elementsNode = requireField(object, 'elements', path);
  if (elementsNode.kind === 'null') {
    if (length !== 0) {
      fieldError(elementsNode.pos, `${path}.elements`, `is null but length is ${length}`);
    }
    return [];
  }
  const elements = readObject(elementsNode, `${path}.elements`);
  if (elements.entries.length !== length) {
    fieldError(elements.pos, `${path}.elements`,
      `holds ${elements.entries.length} entries but length is ${length}`);
  }
  const out: Array<[string, ValueNode]> = [];
  for (let i = 0; i < length; i++) {
    const node = field(elements, String(i));
    if (node === undefined) {
      fieldError(elements.pos, `${path}.elements`,
        `has no entry "${i}" (keys must be 0..${length - 1})`);
    }
    out.push([String(i), node]);
  }
  assert(out.length === length);
  return out;
}

/** `{"num": n, k1: v1, ...}` (sidecar shape) → entries in written order; count must equal num. */
function readNumbered(object: ObjectNode, path: string, isEntry: (key: string) =>
    boolean): Array<[string, ValueNode]> {
  const num = readNonNegativeInteger(requireField(object, 'num', path), `${path}.num`);
  const entries = object.entries.filter((entry) =>
    isEntry(entry.key)).map((entry): [string, ValueNode] => [entry.key, entry.value]);
  if (entries.length !== num) {
    fieldError(object.pos, path, `holds ${entries.length} entries but num is ${num}`);
  }
  return entries;
}

function readStringMap(node: ValueNode, path: string): string[] {
  return readElements(readObject(node, path), path).map(([key, value]) =>
    readString(value, `${path}.elements.${key}`));
}

function readHcsshimContainer(node: ValueNode, path: string): PolicyContainer {
  const object = readObject(node, path);
  checkKeys(object, path, ['command', 'env_rules', 'layers', 'working_dir', 'mounts',
    'allow_elevated', 'ExecProcesses']);
  const execNode = field(object, 'ExecProcesses');
  const execs = execNode === undefined || execNode.kind === 'null'
    ? [] : readArray(execNode, `${path}.ExecProcesses`);
  return legacyContainer({
    name: '',
    command: readStringMap(requireField(object, 'command', path), `${path}.command`),
    env_rules: readElements(readObject(requireField(object, 'env_rules', path),
      `${path}.env_rules`), `${path}.env_rules`)
      .map(([key, rule]) => readLegacyEnvRule(rule, `${path}.env_rules.elements.${key}`)),
    layers: readLegacyLayers(readStringMap(requireField(object, 'layers', path), `${path}.layers`),
      requireField(object, 'layers', path), `${path}.layers`),
    working_dir: readString(requireField(object, 'working_dir', path), `${path}.working_dir`),
    mounts: readLegacyMounts(field(object, 'mounts'), `${path}.mounts`),
    allow_elevated: field(object, 'allow_elevated') === undefined
      ? false : readBoolean(field(object, 'allow_elevated')!, `${path}.allow_elevated`),
    exec_processes: execs.map((exec, i) => {
      const execObject = readObject(exec, `${path}.ExecProcesses[${i}]`);
      checkKeys(execObject, `${path}.ExecProcesses[${i}]`, ['command']);
      return { command: readStringArray(requireField(execObject, 'command',
        `${path}.ExecProcesses[${i}]`), `${path}.ExecProcesses[${i}].command`), signals: [] };
    }),
  });
}

function readLegacyEnvRule(node: ValueNode, path: string): EnvRule {
  const object = readObject(node, path);
  checkKeys(object, path, ['strategy', 'rule', 'required']);
  const required = field(object, 'required');
  const rule: EnvRule = {
    pattern: readString(requireField(object, 'rule', path), `${path}.rule`),
    strategy: readEnum(requireField(object, 'strategy', path), `${path}.strategy`,
      ['string', 're2'] as const),
    required: required === undefined ? false : readBoolean(required, `${path}.required`),
  };
  if (rule.strategy === 're2') checkRe2At(object.pos, `${path}.rule`, rule.pattern);
  return rule;
}

function readLegacyMounts(node: ValueNode | undefined, path: string): MountRule[] {
  if (node === undefined) return [];
  return readElements(readObject(node, path), path).map(([key, mount]) => {
    const itemPath = `${path}.elements.${key}`;
    const object = readObject(mount, itemPath);
    checkKeys(object, itemPath, ['source', 'destination', 'type', 'options']);
    return {
      destination: readString(requireField(object, 'destination', itemPath),
        `${itemPath}.destination`),
      options: readStringMap(requireField(object, 'options', itemPath), `${itemPath}.options`),
      source: readMountSource(requireField(object, 'source', itemPath), `${itemPath}.source`),
      type: readString(requireField(object, 'type', itemPath), `${itemPath}.type`),
    };
  });
}

function readSidecarContainer(node: ValueNode, path: string, name: string): PolicyContainer {
  const object = readObject(node, path);
  checkKeys(object, path, ['command', 'layers']);
  const commandNode = requireField(object, 'command', path);
  const command = readString(commandNode, `${path}.command`).split(' ').filter((part) =>
    part !== '');
  if (command.length === 0) fieldError(commandNode.pos, `${path}.command`, 'is empty');
  const layersNode = requireField(object, 'layers', path);
  const layersObject = readObject(layersNode, `${path}.layers`);
  const layerEntries = readNumbered(layersObject, `${path}.layers`, (key) => key !== 'num');
  layerEntries.forEach(([key], i) => {
    if (key !== `l${i}`) {
      fieldError(layersObject.pos, `${path}.layers`, `entry ${i} is "${key}", expected "l${i}"`);
    }
  });
  const layers = layerEntries.map(([key, value]) => readString(value, `${path}.layers.${key}`));
  return legacyContainer({
    name, command, env_rules: [], layers: readLegacyLayers(layers, layersNode, `${path}.layers`),
      working_dir: '/',
    mounts: [], allow_elevated: false, exec_processes: [],
  });
}

function readLegacyLayers(layers: string[], node: ValueNode, path: string): string[] {
  for (const layer of layers) {
    if (!/^[0-9a-fA-F]{64}$/.test(layer)) {
      fieldError(node.pos, path, `"${layer.slice(0, 80)}" is not a 64-hex dm-verity root hash`);
    }
  }
  return layers.map((layer) => layer.toLowerCase());
}

type LegacyParts = Pick<PolicyContainer, 'name' | 'command' | 'env_rules' | 'layers' | 'working_dir'
  | 'mounts' | 'allow_elevated' | 'exec_processes'>;

function legacyContainer(parts: LegacyParts): PolicyContainer {
  const container: PolicyContainer = {
    id: '',
    ...parts,
    signals: [],
    allow_stdio_access: true,
    no_new_privileges: false,
    user: DEFAULT_USER,
    capabilities: null,
    seccomp_profile_sha256: '',
  };
  assert(container.layers.every((layer) => /^[0-9a-f]{64}$/.test(layer)));
  return container;
}
