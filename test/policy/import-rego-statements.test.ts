/**
 * Goal: the Rego importer (models/policy/import-rego.ts) reads the statement subset exactly as
 * spec policy.md (b) describes and stops at every other construct with the documented error:
 * package and import lines, statement ends, names defined twice, rule bindings, `reason`,
 * version spellings, flags, external processes, fragment references and svn.
 * Method: small hand-written policies; expected policies and messages are written out here by
 * hand (positions counted in the text next to each case), never produced by the importer.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimError } from '../../sim/kernel/errors.js';
import { importSecurityPolicy } from '../../models/policy/load-policy.js';
import { importRegoPolicy, parseRegoModule } from '../../models/policy/import-rego.js';
import type { SecurityPolicy } from '../../models/policy/policy-model.js';
import { failure } from '../support/failure.js';

const P = 'package policy\napi_version := "0.10.0"\n';   // 2 lines: statements start on line 3

function load(text: string): SecurityPolicy {
  return importSecurityPolicy(new TextEncoder().encode(text));
}

function fails(text: string, code: string, line: number, column: number, message: string,
    construct?: string): SimError {
  const error = failure(() => load(text));
  assert.is(error.message, `${code}: ${line}:${column}: ${message}`);
  assert.is(error.code, code);
  assert.is(error.detail['line'], line);
  assert.is(error.detail['column'], column);
  if (construct !== undefined) assert.is(error.detail['construct'], construct);
  return error;
}

const NO_FLAGS = {
  allow_properties_access: false, allow_dump_stacks: false, allow_runtime_logging: false,
  allow_environment_variable_dropping: false, allow_unencrypted_scratch: false,
  allow_capability_dropping: false, allow_host_network: false,
};

test('policy/rego: a minimal policy imports to the documented empty policy', () => {
  assert.equal(load(P), {
    format: 'rego', api_version: '0.10.0', framework_version: '', containers: [],
    external_processes: [], fragments: [], flags: NO_FLAGS, rules: {}, allow_all: false,
    package_name: 'policy', svn: null, notes: [], reason_errors: false,
  });
});

test('policy/rego: a policy without api_version gets the note that the GCS denies it', () => {
  assert.equal(load('package policy\n').notes, ['api_version is missing: the real GCS denies '
    + 'every request of such a policy (it cannot look up rule defaults; current API 0.12.0)']);
  assert.equal(load('package frag\n').notes, []);   // a fragment has no api_version
});

test('policy/rego: a missing framework_version is noted only when there are containers', () => {
  const text = `${P}containers := [{"command": ["/a"], "env_rules": [], "layers": [], `
    + '"mounts": [], "exec_processes": [], "signals": [], "working_dir": "/", '
    + '"allow_elevated": false, "allow_stdio_access": false}]\n';
  assert.equal(load(text).notes, ['framework_version is missing: the compatibility defaults of '
    + 'the oldest framework apply']);
  assert.equal(load(`${P}containers := []\n`).notes, []);
  assert.equal(load(`${P}containers := []\n`).containers, []);
});

test('policy/rego: a template placeholder anywhere is refused at its line and column', () => {
  fails(`${P}x := "a @@IMAGE@@"\n`, 'POLICY_UNSUPPORTED', 3, 9, 'this is a template, not a '
    + 'policy: placeholder @@IMAGE@@ must be substituted before use', 'template');
  fails('@@P@@', 'POLICY_UNSUPPORTED', 1, 1, 'this is a template, not a policy: placeholder '
    + '@@P@@ must be substituted before use', 'template');
  assert.equal(parseRegoModule('package p\nx := "@@"\n').statements.length, 1);
});

test('policy/rego: a JSON include file is named as such', () => {
  fails('"containers": [],\n"x": 1\n', 'POLICY_UNSUPPORTED', 1, 1, 'this is an include file '
    + '(JSON object members spliced into a template at a @@...@@ placeholder), not a policy',
  'include file');
  fails('"containers"\n', 'POLICY_PARSE', 1, 1, "a Rego policy must start with 'package <name>', "
    + 'found string "containers"');
  fails('policy := 1\n', 'POLICY_PARSE', 1, 1, "a Rego policy must start with 'package <name>', "
    + "found 'policy'");
});

test('policy/rego: the package name is one dotted name on the package line', () => {
  assert.is(load('package a.b_c\n').package_name, 'a.b_c');
  assert.is(load('package p;\n').package_name, 'p');
  fails('package 1\n', 'POLICY_PARSE', 1, 9, "expected a package name, found '1'");
  fails('package\npolicy\n', 'POLICY_PARSE', 2, 1, "the package name must be on the 'package' "
    + 'line');
  fails('package a.\nb\n', 'POLICY_PARSE', 2, 1, "the package name must be on the 'package' "
    + 'line');
  fails('package a b\n', 'POLICY_PARSE', 1, 11, "unsupported Rego construct: unexpected 'b' "
    + 'after a complete statement (operators, rule bodies and expressions are not supported)');
});

test('policy/rego: only future.keywords imports and rego.v1 are accepted', () => {
  const module = parseRegoModule('package p\nimport future.keywords\nimport future.keywords.every'
    + '\nimport future.keywords.in\nimport future.keywords.if\nimport future.keywords.contains\n'
    + 'import rego.v1\n');
  assert.equal(module.imports, ['future.keywords', 'future.keywords.every', 'future.keywords.in',
    'future.keywords.if', 'future.keywords.contains', 'rego.v1']);
  assert.equal(module.statements, []);
  assert.is(module.package_name, 'p');
  fails('package p\n  import future.keywords.other\n', 'POLICY_UNSUPPORTED', 2, 3,
    'import future.keywords.other is not supported (only future.keywords.* and rego.v1)',
    'import');
  fails('package p\nimport future\n', 'POLICY_UNSUPPORTED', 2, 1,
    'import future is not supported (only future.keywords.* and rego.v1)', 'import');
  fails('package p\nimport "x"\n', 'POLICY_PARSE', 2, 8, 'expected an import path, found '
    + 'string "x"');
  fails('package p\nimport rego.v1 x\n', 'POLICY_PARSE', 2, 16, "unsupported Rego construct: "
    + "unexpected 'x' after a complete statement (operators, rule bodies and expressions are not "
    + 'supported)');
});

test('policy/rego: statements are name := value or name = value, optionally default', () => {
  const module = parseRegoModule('package p\nx := 1\ndefault y = "a"\n  z = [1]; w := {}\n');
  assert.equal(module.statements.map((s) => [s.name, s.isDefault, s.namePos.line,
    s.namePos.column, s.value.kind]), [['x', false, 2, 1, 'number'], ['y', true, 3, 9, 'string'],
    ['z', false, 4, 3, 'array'], ['w', false, 4, 12, 'object']]);
  fails(`${P}"x" := 1\n`, 'POLICY_PARSE', 3, 1, 'expected a statement \'name := value\', found '
    + 'string "x"');
  fails(`${P}default 1\n`, 'POLICY_PARSE', 3, 9, "expected a statement 'name := value', found "
    + "'1'");
  fails(`${P}allow {\n}\n`, 'POLICY_PARSE', 3, 7, "unsupported Rego construct after 'allow': "
    + "found '{' where ':=' was expected; parma-sim imports only 'name := value' statements "
    + '(data and rule bindings)');
  fails(`${P}allow`, 'POLICY_PARSE', 3, 6, "unsupported Rego construct after 'allow': found the "
    + "end of the input where ':=' was expected; parma-sim imports only 'name := value' "
    + 'statements (data and rule bindings)');
});

test('policy/rego: a statement ends at a new line, a semicolon or the end of the input', () => {
  assert.is(load(`${P}allow_dump_stacks := true; allow_runtime_logging := true`).flags
    .allow_runtime_logging, true);
  // A raw string spanning lines ends its statement on its last line, not its first.
  fails(`${P}svn := \`1\n2\` allow_dump_stacks := true\n`, 'POLICY_PARSE', 4, 4,
    "unsupported Rego construct: unexpected 'allow_dump_stacks' after a complete statement "
    + '(operators, rule bodies and expressions are not supported)');
  assert.is(load(`${P}svn := \`1\n2\`\nallow_dump_stacks := true\n`).svn, '1\n2');
});

test('policy/rego: an unknown name is an error naming it', () => {
  const error = fails(`${P}allow_all := true\n`, 'POLICY_PARSE', 3, 1, "allow_all: unknown policy "
    + "name 'allow_all': not a policy field, flag or enforcement point");
  assert.is(error.detail['field'], 'allow_all');
});

test('policy/rego: recognised but unsupported names are refused with their reason', () => {
  const reasons: Record<string, string> = {
    platform_rules: 'platform_rules (framework 0.5.0: extra env rules and mounts fanned out over '
      + 'every container) are not supported',
    transparency_trust_lists: 'transparency_trust_lists (framework 0.5.0) are not supported',
    parameters_api: 'fragment parameters (framework 0.5.0 parameters_api / parameter()) are not '
      + 'supported',
    allow_log_provider_dropping: 'allow_log_provider_dropping is a Windows (C-WCOW) flag; '
      + 'parma-sim models Linux only',
    allowed_log_providers: 'allowed_log_providers is a Windows (C-WCOW) setting; parma-sim models '
      + 'Linux only',
  };
  for (const [name, reason] of Object.entries(reasons)) {
    fails(`${P}${name} := []\n`, 'POLICY_UNSUPPORTED', 3, 1, reason, name);
  }
});

test('policy/rego: a name defined twice is an error at the second definition', () => {
  fails(`${P}svn := "1"\n svn := "1"\n`, 'POLICY_PARSE', 4, 2, "svn: 'svn' is defined twice "
    + '(first at 3:1)');
  fails(`${P}default svn := "1"\ndefault svn := "2"\n`, 'POLICY_PARSE', 4, 9,
    "svn: 'svn' is defined twice (first at 3:9)");
  assert.is(load(`${P}default svn := "1"\nsvn := "2"\n`).svn, '2');
  assert.is(load(`${P}svn := "2"\ndefault svn := "1"\n`).svn, '2');
  assert.is(load(`${P}default svn := "1"\n`).svn, '1');
});

test('policy/rego: every enforcement point can be bound to its framework rule', () => {
  const names = ['mount_device', 'rw_mount_device', 'unmount_device', 'rw_unmount_device',
    'mount_blockdev', 'unmount_blockdev', 'mount_overlay', 'unmount_overlay', 'scratch_mount',
    'scratch_unmount', 'create_container', 'exec_in_container', 'exec_external',
    'shutdown_container', 'signal_container_process', 'plan9_mount', 'plan9_unmount',
    'get_properties', 'dump_stacks', 'runtime_logging', 'load_fragment', 'host_network',
    'load_transparency_trust_list', 'mount_cims', 'registry_changes', 'log_provider'];
  const policy = load(P + names.map((n) => `${n} := data.framework.${n}\n`).join(''));
  assert.equal(Object.keys(policy.rules), names);
  assert.ok(Object.values(policy.rules).every((rule) => rule.kind === 'framework'));
});

test('policy/rego: a rule bound to anything but its framework rule or an object is refused', () => {
  fails(`${P}mount_device := data.framework.unmount_device\n`, 'POLICY_UNSUPPORTED', 3, 17,
    'mount_device is bound to data.framework.unmount_device: binding an enforcement point to a '
      + 'different framework rule is not supported', 'cross binding');
  fails(`${P}mount_device := data.policy.mount_device\n`, 'POLICY_UNSUPPORTED', 3, 17,
    'mount_device := data.policy.mount_device: only data.framework.mount_device or a constant '
      + 'object is supported', 'reference');
  fails(`${P}mount_device := input.framework.mount_device\n`, 'POLICY_UNSUPPORTED', 3, 17,
    'mount_device := input.framework.mount_device: only data.framework.mount_device or a '
      + 'constant object is supported', 'reference');
  fails(`${P}mount_device := true\n`, 'POLICY_PARSE', 3, 17, 'mount_device must be '
    + 'data.framework.mount_device or an object {"allowed": true|false, ...}, found boolean true');
  fails(`${P}mount_device := {"output": 1}\n`, 'POLICY_PARSE', 3, 17,
    'mount_device: missing field "allowed"');
  fails(`${P}mount_device := {"allowed": 1}\n`, 'POLICY_PARSE', 3, 29,
    'mount_device.allowed must be true or false, found number 1');
});

test('policy/rego: a constant rule keeps allowed apart from its outputs', () => {
  const policy = load(`${P}mount_device := {"allowed": false}\n`
    + 'exec_external := {"env_list": ["A=1"], "allowed": true, "n": {"x": null}}\n');
  assert.equal(policy.rules, {
    mount_device: { kind: 'constant', allowed: false, outputs: {} },
    exec_external: { kind: 'constant', allowed: true, outputs: { env_list: ['A=1'],
      n: { x: null } } },
  });
});

test('policy/rego: reason says whether denials carry the framework errors', () => {
  const reason = (value: string): boolean => load(`${P}reason := ${value}\n`).reason_errors;
  assert.is(reason('{"errors": data.framework.errors}'), true);
  assert.is(reason('data.framework.reason'), true);
  assert.is(reason('data.framework.errors'), false);
  assert.is(reason('{"errors": data.framework.reason}'), false);
  assert.is(reason('{"other": data.framework.errors}'), false);
  assert.is(reason('{}'), false);
  assert.is(reason('{"x": data.framework.x, "errors": data.framework.errors}'), true);
  const refused = 'reason must be data.framework.<name> or an object of data.framework.<name> '
    + 'references';
  for (const value of ['data.framework.errors.x', 'data.framework', 'data.policy.errors',
    'input.framework.errors', '{"errors": data.framework.errors, "n": 1}',
    '{"errors": data.policy.errors}', '"text"', '{"errors": data.framework}']) {
    fails(`${P}reason := ${value}\n`, 'POLICY_UNSUPPORTED', 3, 11, refused, 'reason');
  }
});

test('policy/rego: old version spellings are read and must agree with the current ones', () => {
  const both = load('package policy\napi_version := "0.10.0"\napi_svn := "0.10.0"\n'
    + 'framework_svn := "0.2.0"\nframework_version := "0.2.0"\n');
  assert.is(both.api_version, '0.10.0');
  assert.is(both.framework_version, '0.2.0');
  fails('package policy\nframework_version := "0.2.0"\n framework_svn := "0.2.1"\n',
    'POLICY_PARSE', 3, 2, 'framework_svn: framework_svn "0.2.1" disagrees with framework_version '
      + '"0.2.0"');
  fails('package policy\napi_svn := "1"\n', 'POLICY_PARSE', 2, 12,
    'api_svn: "1" is not a major.minor.patch version');
  fails('package policy\nframework_version := 3\n', 'POLICY_PARSE', 2, 22,
    'framework_version must be a string, found number 3');
});

test('policy/rego: each flag is read on its own', () => {
  const flags = ['allow_properties_access', 'allow_dump_stacks', 'allow_runtime_logging',
    'allow_environment_variable_dropping', 'allow_unencrypted_scratch',
    'allow_capability_dropping', 'allow_host_network'] as const;
  for (const flag of flags) {
    const policy = load(`${P}framework_version := "0.2.2"\n${flag} := true\n`);
    assert.equal(policy.flags, { ...NO_FLAGS, [flag]: true }, flag);
  }
  fails(`${P}allow_host_network := "true"\n`, 'POLICY_PARSE', 3, 23,
    'allow_host_network must be true or false, found string "true"');
});

test('policy/rego: the plural capabilities flag is read, not honoured, and explained', () => {
  const note = (value: boolean): string => `allow_capabilities_dropping (plural) = ${value} is `
    + 'not read by the framework, which reads only allow_capability_dropping; it has no effect '
    + '(rename it to allow_capability_dropping to enable dropping)';
  const on = load(`${P}framework_version := "0.5.0"\nallow_capabilities_dropping := true\n`);
  assert.equal(on.notes, [note(true)]);
  assert.equal(on.flags, NO_FLAGS);
  assert.equal(load(`${P}allow_capabilities_dropping := false\n`).notes, [note(false)]);
  fails(`${P}allow_capabilities_dropping := 1\n`, 'POLICY_PARSE', 3, 32,
    'allow_capabilities_dropping must be true or false, found number 1');
});

test('policy/rego: allow_capability_dropping before 0.2.2 is ignored with a note', () => {
  const policy = load(`${P}allow_capability_dropping := true\n`);
  assert.is(policy.flags.allow_capability_dropping, false);
  assert.equal(policy.notes, ['allow_capability_dropping is ignored: framework_version (none) '
    + 'predates it (honoured from 0.2.2); capability dropping is off']);
  const old = load(`${P}framework_version := "0.2.1"\nallow_capability_dropping := true\n`);
  assert.equal(old.notes, ['allow_capability_dropping is ignored: framework_version 0.2.1 '
    + 'predates it (honoured from 0.2.2); capability dropping is off']);
  assert.equal(load(`${P}framework_version := "0.2.1"\nallow_capability_dropping := false\n`)
    .notes, []);
});

test('policy/rego: external processes are read field by field', () => {
  const policy = load(`${P}external_processes := [{"command": ["ls", "-l"], "env_rules": `
    + '[{"pattern": "P=1", "strategy": "string", "required": true}], "working_dir": "/w", '
    + '"allow_stdio_access": true}, {"command": [], "env_rules": [], "working_dir": "", '
    + '"allow_stdio_access": false}]\n');
  assert.equal(policy.external_processes, [
    { command: ['ls', '-l'], env_rules: [{ pattern: 'P=1', strategy: 'string', required: true }],
      working_dir: '/w', allow_stdio_access: true },
    { command: [], env_rules: [], working_dir: '', allow_stdio_access: false },
  ]);
  fails(`${P}external_processes := [{"command": [], "env_rules": [], "working_dir": "", `
    + '"allow_stdio_access": false, "x": 1}]\n', 'POLICY_PARSE', 3, 105,
  'external_processes[0]: unknown field "x" (known: command, env_rules, working_dir, '
    + 'allow_stdio_access)');
  fails(`${P}external_processes := [{"command": [], "env_rules": [], "working_dir": ""}]\n`,
    'POLICY_PARSE', 3, 24, 'external_processes[0]: missing field "allow_stdio_access"');
  fails(`${P}external_processes := [1]\n`, 'POLICY_PARSE', 3, 24,
    'external_processes[0] must be an object, found number 1');
});

test('policy/rego: fragment references are read field by field', () => {
  const policy = load(`${P}fragments := [{"issuer": "did:x", "feed": "f", "minimum_svn": 0, `
    + '"includes": ["containers", "fragments", "external_processes", "namespace", '
    + '"transparency_trust_lists", "platform_rules"]}]\n');
  assert.equal(policy.fragments, [{ issuer: 'did:x', feed: 'f', minimum_svn: 0,
    includes: ['containers', 'fragments', 'external_processes', 'namespace',
      'transparency_trust_lists', 'platform_rules'] }]);
  const base = '{"issuer": "i", "feed": "f", "minimum_svn": "1", "includes": []';
  fails(`${P}fragments := [${base}, "parameters": {}}]\n`, 'POLICY_UNSUPPORTED', 3, 80,
    'fragments[0].parameters is not supported: fragment parameters (framework 0.5.0)',
    'parameters');
  fails(`${P}fragments := [${base}, "required_receipts": 1}]\n`, 'POLICY_UNSUPPORTED', 3, 80,
    'fragments[0].required_receipts is not supported: transparency receipts (framework 0.5.0)',
    'required_receipts');
  fails(`${P}fragments := [${base.replace('[]', '["policy"]')}}]\n`, 'POLICY_PARSE', 3, 77,
    'fragments[0].includes[0]: "policy" is not one of "containers", "fragments", '
      + '"external_processes", "namespace", "transparency_trust_lists", "platform_rules"');
  fails(`${P}fragments := [${base.replace('"1"', '-1')}}]\n`, 'POLICY_PARSE', 3, 59,
    'fragments[0].minimum_svn must be a non-negative integer, found number -1');
  fails(`${P}fragments := [${base.replace('"1"', 'null')}}]\n`, 'POLICY_PARSE', 3, 59,
    'fragments[0].minimum_svn must be a string or a non-negative integer, found null');
});

test('policy/rego: svn is a string or a non-negative integer', () => {
  assert.is(load('package f\nsvn := 7\n').svn, 7);
  assert.is(load('package f\nsvn := "07"\n').svn, '07');
  fails('package f\nsvn := 1.5\n', 'POLICY_PARSE', 2, 8,
    'svn must be a non-negative integer, found number 1.5');
  fails('package f\nsvn := true\n', 'POLICY_PARSE', 2, 8,
    'svn must be a string or a non-negative integer, found boolean true');
});

test('policy/rego: importRegoPolicy takes text and gives the same policy as the byte loader', () => {
  const text = `${P}svn := "2"\n`;
  assert.equal(importRegoPolicy(text), load(text));
  assert.is(importRegoPolicy(text).svn, '2');
});

test.run();
