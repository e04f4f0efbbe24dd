/**
 * Models: a Confidential ACI security policy written in Rego, as `az confcom` generates it and as
 * hcsshim's tests write it (spec policy.md section b): `package policy`, `import
 * future.keywords.*`,
 * comments, `name := <JSON value>` data assignments, rule bindings
 * `mount_device := data.framework.mount_device`, constant rules `rule := {"allowed": true, ...}`,
 * `default name := value`, and `reason := {"errors": data.framework.errors, ...}`.
 * Also fragments (`package <name>` with `svn`), which share the data part.
 * Real counterpart: OPA compiling the policy module next to framework.rego and api.rego in the GCS
 * (hcsshim internal/regopolicyinterpreter), which then reads `data.policy.*`.
 * Differs: only that data subset is understood; every other construct (rule bodies, functions,
 * comprehensions, operators, unknown names) is a POLICY_PARSE error at its line:column rather than
 * code that runs. Recognised but unsupported constructs (templates, fragment parameters, platform
 * rules, transparency trust lists, Windows-only fields) are POLICY_UNSUPPORTED naming the
 * construct.
 * Invariants: a statement is never dropped: each one either lands in the SecurityPolicy or stops
 * the import; a name is defined at most once (plus at most one `default`).
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { Json } from '../../sim/kernel/canonical-json.js';
import type {
  ExternalProcess, FragmentReference, PolicyFlags, RuleBinding, SecurityPolicy,
} from './policy-model.js';
import {
  OLDEST_FRAMEWORK_VERSION, effectiveCapabilityDropping, normaliseContainer,
    readEnvRules,
  type CompatContext,
} from './compat.js';
import {
  checkKeys, fieldError, readArray, readBoolean, readEnum, readNonNegativeInteger, readObject,
    readSemver, readString,
  readStringArray, requireField, unsupported, wrongType,
} from './policy-fields.js';
import { DIALECTS } from './dialect.js';
import {
  TokenStream, describeToken, nodeToJson, parseValue, syntaxError, templatePlaceholder, tokenize,
  type TextPosition, type Token, type ValueNode,
} from './policy-syntax.js';

/**
 * Enforcement-point names a policy may bind (framework.rego HEAD, Linux and Windows). The
 * engine owns their semantics; the importer only checks that a bound name is one of them.
 */
export const BINDABLE_RULE_NAMES = [
  'mount_device', 'rw_mount_device', 'unmount_device', 'rw_unmount_device', 'mount_blockdev',
  'unmount_blockdev', 'mount_overlay', 'unmount_overlay', 'scratch_mount', 'scratch_unmount',
  'create_container', 'exec_in_container', 'exec_external', 'shutdown_container',
  'signal_container_process', 'plan9_mount', 'plan9_unmount', 'get_properties', 'dump_stacks',
  'runtime_logging', 'load_fragment', 'host_network', 'load_transparency_trust_list',
  'mount_cims', 'registry_changes', 'log_provider',
] as const;

export const FLAG_NAMES = [
  'allow_properties_access', 'allow_dump_stacks', 'allow_runtime_logging',
  'allow_environment_variable_dropping', 'allow_unencrypted_scratch', 'allow_capability_dropping',
  'allow_host_network',
] as const satisfies readonly (keyof PolicyFlags)[];

/** Names recognised but not supported, with the reason the error gives. */
const UNSUPPORTED_NAMES: Readonly<Record<string, string>> = {
  platform_rules: 'platform_rules (framework 0.5.0: extra env rules and mounts fanned out over '
    + 'every container) are not supported',
  transparency_trust_lists: 'transparency_trust_lists (framework 0.5.0) are not supported',
  parameters_api: 'fragment parameters (framework 0.5.0 parameters_api / parameter()) are not '
    + 'supported',
  allow_log_provider_dropping: 'allow_log_provider_dropping is a Windows (C-WCOW) flag; parma-sim '
    + 'models Linux only',
  allowed_log_providers: 'allowed_log_providers is a Windows (C-WCOW) setting; parma-sim models '
    + 'Linux only',
};

const DATA_NAMES = [
  'api_version', 'api_svn', 'framework_version', 'framework_svn', 'containers',
    'external_processes',
  'fragments', 'svn', 'reason', 'allow_capabilities_dropping', ...FLAG_NAMES,
] as const;

const ALLOWED_IMPORTS = ['future.keywords', 'future.keywords.every', 'future.keywords.in',
  'future.keywords.if', 'future.keywords.contains', 'rego.v1'];

const FRAGMENT_INCLUDES = ['containers', 'fragments', 'external_processes', 'namespace',
  'transparency_trust_lists', 'platform_rules'];

export type RegoStatement = Readonly<{
  name: string;
  namePos: TextPosition;
  isDefault: boolean;
  value: ValueNode;
}>;

export type RegoModule = Readonly<{
  package_name: string;
  imports: readonly string[];
  statements: readonly RegoStatement[];
}>;

/** Parses the Rego subset into statements; no meaning is given to names yet. */
export function parseRegoModule(text: string): RegoModule {
  rejectTemplate(text);
  // rejectTemplate found any `@@NAME@@`, so the tokens hold no placeholder.
  const stream = new TokenStream(tokenize(text, 'rego'), 'rego');
  const packageName = parsePackage(stream);
  const imports: string[] = [];
  const statements: RegoStatement[] = [];
  while (stream.peek().kind !== 'eof') {
    // Only an identifier token has a word as its text (tokenize), so the text alone tells.
    if (stream.peek().text === 'import') {
      imports.push(parseImport(stream));
    } else {
      statements.push(parseStatement(stream));
    }
    endOfStatement(stream);
  }
  assert(stream.peek().kind === 'eof');
  assert(packageName.length > 0);
  return { package_name: packageName, imports, statements };
}

/** A text with a `@@NAME@@` anywhere (also inside strings) is a template, not a policy. */
export function rejectTemplate(text: string): void {
  const match = /@@[A-Za-z0-9_]+@@/.exec(text);
  if (match === null) return;
  const before = text.slice(0, match.index).split('\n');
  const pos = { line: before.length, column: before[before.length - 1]!.length + 1 };
  templatePlaceholder({ kind: 'placeholder', text: match[0], value: match[0], pos });
}

function parsePackage(stream: TokenStream): string {
  const first = stream.next();
  if (first.kind === 'string' && stream.isPunct(':')) {
    throw new SimError('POLICY_UNSUPPORTED', { line: first.pos.line, column: first.pos.column,
      construct: 'include file' },
      `${first.pos.line}:${first.pos.column}: this is an include file (JSON object members spliced `
        + `into a ` +
      'template at a @@...@@ placeholder), not a policy');
  }
  if (first.text !== 'package') {
    syntaxError(first.pos,
      `a Rego policy must start with 'package <name>', found ${describeToken(first)}`);
  }
  const parts = dottedName(stream, (part) => {
    if (part.kind !== 'ident') {
      syntaxError(part.pos, `expected a package name, found ${describeToken(part)}`);
    }
    if (part.pos.line !== first.pos.line) {
      syntaxError(part.pos, "the package name must be on the 'package' line");
    }
  });
  endOfStatement(stream);
  return parts.join('.');
}

/** Names separated by '.', each checked by `check` before it is taken. */
function dottedName(stream: TokenStream, check: (part: Token) => void): string[] {
  const parts: string[] = [];
  for (;;) {
    const part = stream.next();
    check(part);
    parts.push(part.text);
    if (!stream.isPunct('.')) return parts;
    stream.next();
  }
}

function parseImport(stream: TokenStream): string {
  const keyword = stream.next();
  assert(keyword.kind === 'ident' && keyword.text === 'import');
  const path = dottedName(stream, (part) => {
    if (part.kind !== 'ident') {
      syntaxError(part.pos, `expected an import path, found ${describeToken(part)}`);
    }
  }).join('.');
  if (!ALLOWED_IMPORTS.includes(path)) {
    unsupported(keyword.pos, 'import',
      `import ${path} is not supported (only future.keywords.* and rego.v1)`);
  }
  return path;
}

function parseStatement(stream: TokenStream): RegoStatement {
  let head = stream.next();
  let isDefault = false;
  if (head.text === 'default') {
    isDefault = true;
    head = stream.next();
  }
  if (head.kind !== 'ident') {
    syntaxError(head.pos, `expected a statement 'name := value', found ${describeToken(head)}`);
  }
  const operator = stream.peek();
  if (!stream.isPunct(':=') && !stream.isPunct('=')) {
    syntaxError(operator.pos,
      `unsupported Rego construct after '${head.text}': found ${describeToken(operator)} ` +
      "where ':=' was expected; parma-sim imports only 'name := value' statements (data and rule "
        + "bindings)");
  }
  stream.next();
  const value = parseValue(stream);
  return { name: head.text, namePos: head.pos, isDefault, value };
}

/** A statement ends at a new line, a ';' or the end of the input. */
function endOfStatement(stream: TokenStream): void {
  const next = stream.peek();
  if (next.kind === 'eof') return;
  if (stream.isPunct(';')) { stream.next(); return; }
  const previous: Token | undefined = stream.previous();
  assert(previous !== undefined);
  if (next.pos.line > lastLineOf(previous)) return;
  syntaxError(next.pos,
    `unsupported Rego construct: unexpected ${describeToken(next)} after a complete statement ` +
    '(operators, rule bodies and expressions are not supported)');
}

function lastLineOf(token: Token): number {
  let newlines = 0;
  for (const char of token.text) if (char === '\n') newlines++;
  return token.pos.line + newlines;
}

/** Imports Rego policy (or fragment) text into the normalised SecurityPolicy. */
export function importRegoPolicy(text: string): SecurityPolicy {
  const module = parseRegoModule(text);
  const definitions = collectDefinitions(module);
  const notes: string[] = [];
  const rules: Record<string, RuleBinding> = {};
  for (const [name, statement] of definitions) {
    if ((BINDABLE_RULE_NAMES as readonly string[]).includes(name)) {
      rules[name] = readRuleBinding(statement);
      continue;
    }
    const reason = UNSUPPORTED_NAMES[name];
    if (reason !== undefined) unsupported(statement.namePos, name, reason);
    if (!(DATA_NAMES as readonly string[]).includes(name)) {
      fieldError(statement.namePos, name,
        `unknown policy name '${name}': not a policy field, flag or enforcement point`);
    }
  }
  const value = (name: string): ValueNode | undefined => definitions.get(name)?.value;
  const reasonErrors = checkReason(definitions.get('reason'));
  const apiVersion = readVersion(definitions, 'api_version', 'api_svn');
  const frameworkVersion = readVersion(definitions, 'framework_version', 'framework_svn');
  const context: CompatContext = { frameworkVersion: frameworkVersion === ''
    ? OLDEST_FRAMEWORK_VERSION : frameworkVersion, notes };
  const containersNode = value('containers');
  const containers = containersNode === undefined ? [] : readArray(containersNode, 'containers')
    .map((item, i) => normaliseContainer(item, `containers[${i}]`, context));
  if (frameworkVersion === '' && containers.length > 0) {
    notes.push('framework_version is missing: the compatibility defaults of the oldest framework '
      + 'apply');
  }
  if (apiVersion === '' && module.package_name === 'policy') {
    notes.push(`api_version is missing: the real GCS denies every request of such a policy (it `
      + `cannot look up rule defaults; current API ${DIALECTS.head.apiVersion})`);
  }
  const externalNode = value('external_processes');
  const fragmentsNode = value('fragments');
  const policy: SecurityPolicy = {
    format: 'rego',
    api_version: apiVersion,
    framework_version: frameworkVersion,
    containers,
    external_processes: externalNode === undefined
      ? [] : readExternalProcesses(externalNode, 'external_processes'),
    fragments: fragmentsNode === undefined ? [] : readFragments(fragmentsNode, 'fragments'),
    flags: readFlags(definitions, context),
    rules,
    allow_all: false,   // an open door exists only in legacy JSON; Rego goes through `rules`
    package_name: module.package_name,
    svn: readSvn(value('svn')),
    notes,
    reason_errors: reasonErrors,
  };
  assert(Object.keys(policy.rules).every((name) => definitions.has(name)));
  assert(policy.containers.length === (containersNode === undefined
    ? 0 : readArray(containersNode, 'containers').length));
  return policy;
}

/** One statement per name; a `default` counts only when the name has no other definition. */
function collectDefinitions(module: RegoModule): Map<string, RegoStatement> {
  const plain = new Map<string, RegoStatement>();
  const defaults = new Map<string, RegoStatement>();
  for (const statement of module.statements) {
    const target = statement.isDefault ? defaults : plain;
    const first = target.get(statement.name);
    if (first !== undefined) {
      fieldError(statement.namePos, statement.name,
        `'${statement.name}' is defined twice (first at `
          + `${first.namePos.line}:${first.namePos.column})`);
    }
    target.set(statement.name, statement);
  }
  const out = new Map(plain);
  for (const [name, statement] of defaults) if (!out.has(name)) out.set(name, statement);
  assert(out.size >= plain.size);
  return out;
}

function readRuleBinding(statement: RegoStatement): RuleBinding {
  const { name, value } = statement;
  if (value.kind === 'ref') {
    const path = value.path.join('.');
    if (path === `data.framework.${name}`) return { kind: 'framework' };
    if (value.path[0] === 'data' && value.path[1] === 'framework') {
      unsupported(value.pos, 'cross binding', `${name} is bound to ${path}: binding an enforcement `
        + `point to a different framework rule is not supported`);
    }
    unsupported(value.pos, 'reference',
      `${name} := ${path}: only data.framework.${name} or a constant object is supported`);
  }
  if (value.kind !== 'object') {
    wrongType(value, name, `data.framework.${name} or an object {"allowed": true|false, ...}`);
  }
  const allowedNode = requireField(value, 'allowed', name);
  const allowed = readBoolean(allowedNode, `${name}.allowed`);
  assert(allowedNode.kind === 'boolean');
  const outputs: Record<string, Json> = {};
  for (const entry of value.entries) {
    if (entry.key === 'allowed') continue;
    outputs[entry.key] = nodeToJson(entry.value);
  }
  assert(!('allowed' in outputs));
  return { kind: 'constant', allowed, outputs };
}

/**
 * `reason` only shapes denial messages; it must delegate to data.framework. Returns whether its
 * `errors` is data.framework.errors (`reason := data.framework.reason` has it too).
 */
function checkReason(statement: RegoStatement | undefined): boolean {
  if (statement === undefined) return false;
  const isFrameworkRef = (node: ValueNode, name?: string): boolean =>
    node.kind === 'ref' && node.path[0] === 'data' && node.path[1] === 'framework'
      && node.path.length === 3 && (name === undefined || node.path[2] === name);
  const { value } = statement;
  if (isFrameworkRef(value)) return isFrameworkRef(value, 'reason');
  if (value.kind === 'object' && value.entries.every((entry) => isFrameworkRef(entry.value))) {
    return value.entries.some((entry) => entry.key === 'errors'
      && isFrameworkRef(entry.value, 'errors'));
  }
  unsupported(value.pos, 'reason',
    'reason must be data.framework.<name> or an object of data.framework.<name> references');
}

function readVersion(definitions: ReadonlyMap<string, RegoStatement>, name: string,
    oldName: string): string {
  const current = definitions.get(name);
  const old = definitions.get(oldName);
  const currentText = current === undefined ? undefined : readSemver(current.value, name);
  const oldText = old === undefined ? undefined : readSemver(old.value, oldName);
  if (currentText !== undefined && oldText !== undefined && currentText !== oldText) {
    fieldError(old!.namePos, oldName,
      `${oldName} "${oldText}" disagrees with ${name} "${currentText}"`);
  }
  return currentText ?? oldText ?? '';
}

function readFlags(definitions: ReadonlyMap<string, RegoStatement>,
    context: CompatContext): PolicyFlags {
  const flag = (name: (typeof FLAG_NAMES)[number]): boolean => {
    const statement = definitions.get(name);
    return statement === undefined ? false : readBoolean(statement.value, name);
  };
  const plural = definitions.get('allow_capabilities_dropping');
  if (plural !== undefined) {
    const written = readBoolean(plural.value, 'allow_capabilities_dropping');
    context.notes.push(`allow_capabilities_dropping (plural) = ${written} is not read by the `
      + `framework, which reads only ` +
      'allow_capability_dropping; it has no effect (rename it to allow_capability_dropping to '
        + 'enable dropping)');
  }
  const written = Object.fromEntries(FLAG_NAMES.map((name) => [name, flag(name)])) as PolicyFlags;
  const flags: PolicyFlags = {
    ...written,
    allow_capability_dropping: effectiveCapabilityDropping(written.allow_capability_dropping,
      context.frameworkVersion, context.notes),
  };
  assert(Object.keys(flags).length === FLAG_NAMES.length);
  return flags;
}

export function readExternalProcesses(node: ValueNode, path: string): ExternalProcess[] {
  return readArray(node, path).map((item, i) => {
    const itemPath = `${path}[${i}]`;
    const object = readObject(item, itemPath);
    checkKeys(object, itemPath, ['command', 'env_rules', 'working_dir', 'allow_stdio_access']);
    return {
      command: readStringArray(requireField(object, 'command', itemPath), `${itemPath}.command`),
      env_rules: readEnvRules(requireField(object, 'env_rules', itemPath), `${itemPath}.env_rules`),
      working_dir: readString(requireField(object, 'working_dir', itemPath),
        `${itemPath}.working_dir`),
      allow_stdio_access: readBoolean(requireField(object, 'allow_stdio_access', itemPath),
        `${itemPath}.allow_stdio_access`),
    };
  });
}

export function readFragments(node: ValueNode, path: string): FragmentReference[] {
  return readArray(node, path).map((item, i) => {
    const itemPath = `${path}[${i}]`;
    const object = readObject(item, itemPath);
    checkKeys(object, itemPath, ['issuer', 'feed', 'minimum_svn', 'includes'], {
      parameters: 'fragment parameters (framework 0.5.0)',
      required_receipts: 'transparency receipts (framework 0.5.0)',
    });
    const includesNode = requireField(object, 'includes', itemPath);
    const includes = readArray(includesNode, `${itemPath}.includes`)
      .map((include, j) => readEnum(include, `${itemPath}.includes[${j}]`, FRAGMENT_INCLUDES));
    return {
      issuer: readString(requireField(object, 'issuer', itemPath), `${itemPath}.issuer`),
      feed: readString(requireField(object, 'feed', itemPath), `${itemPath}.feed`),
      minimum_svn: readSvnValue(requireField(object, 'minimum_svn', itemPath),
        `${itemPath}.minimum_svn`),
      includes,
    };
  });
}

/** An SVN as written: a string (generated policies) or a non-negative integer (old ones). */
export function readSvnValue(node: ValueNode, path: string): string | number {
  if (node.kind === 'number') return readNonNegativeInteger(node, path);
  if (node.kind === 'string') return node.value;
  return wrongType(node, path, 'a string or a non-negative integer');
}

function readSvn(node: ValueNode | undefined): string | number | null {
  return node === undefined ? null : readSvnValue(node, 'svn');
}
