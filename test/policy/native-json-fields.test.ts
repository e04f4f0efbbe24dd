/**
 * Goal: parma-sim's native JSON policy (models/policy/import-native-json.ts) is read exactly:
 * every key required, no other key allowed, versions checked when not empty, `format` kept,
 * rule bindings of the two kinds, optional absent_fields, and each problem reported with the
 * documented message at its place.
 * Method: a native document written out here by hand (not produced by `policy show`), edited one
 * member at a time; expected values and messages by hand; positions found with `at` in the text.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimError } from '../../sim/kernel/errors.js';
import { importSecurityPolicy } from '../../models/policy/load-policy.js';
import type { SecurityPolicy } from '../../models/policy/policy-model.js';
import { failure, positionOf as at } from '../support/failure.js';

const LAYER = '3c'.repeat(32);
const CONTAINER = '{"id": "img", "name": "web", "command": ["/app"], "env_rules": [], '
  + `"layers": ["${LAYER}"], "mounts": [], "exec_processes": [], "signals": [9], `
  + '"working_dir": "/", "allow_elevated": false, "allow_stdio_access": true, '
  + '"no_new_privileges": true, "user": {"user_idname": {"pattern": "", "strategy": "any"}, '
  + '"group_idnames": [], "umask": "0022"}, "capabilities": null, "seccomp_profile_sha256": ""}';
const FLAGS = '{"allow_properties_access": true, "allow_dump_stacks": false, '
  + '"allow_runtime_logging": false, "allow_environment_variable_dropping": true, '
  + '"allow_unencrypted_scratch": false, "allow_capability_dropping": true, '
  + '"allow_host_network": false}';

const MEMBERS: Readonly<Record<string, string>> = {
  format: '"rego"', api_version: '"0.10.0"', framework_version: '"0.2.3"',
  containers: `[${CONTAINER}]`, external_processes: '[]', fragments: '[]', flags: FLAGS,
  rules: '{"mount_device": {"kind": "framework"}, "exec_external": {"kind": "constant", '
    + '"allowed": false, "outputs": {"x": [1]}}}',
  allow_all: 'false', package_name: '"policy"', svn: 'null', notes: '["n1"]',
  reason_errors: 'true',
};

function doc(edits: Readonly<Record<string, string | undefined>> = {}): string {
  const all = { ...MEMBERS, ...edits };
  return '{' + Object.entries(all).filter(([, v]) => v !== undefined)
    .map(([k, v]) => `"${k}": ${v}`).join(',\n ') + '}';
}

function load(text: string): SecurityPolicy {
  return importSecurityPolicy(new TextEncoder().encode(text));
}

function fails(text: string, marker: string, message: string, offset = 0): SimError {
  const error = failure(() => load(text));
  const { line, column: start } = at(text, marker);
  const column = start + offset;
  assert.is(error.message, `POLICY_PARSE: ${line}:${column}: ${message}`);
  assert.equal([error.detail['line'], error.detail['column']], [line, column]);
  return error;
}

test('policy/native: a native document is read member by member', () => {
  assert.equal(load(doc()), {
    format: 'rego', api_version: '0.10.0', framework_version: '0.2.3',
    containers: [{ id: 'img', name: 'web', command: ['/app'], env_rules: [], layers: [LAYER],
      mounts: [], exec_processes: [], signals: [9], working_dir: '/', allow_elevated: false,
      allow_stdio_access: true, no_new_privileges: true,
      user: { user_idname: { pattern: '', strategy: 'any' }, group_idnames: [], umask: '0022' },
      capabilities: null, seccomp_profile_sha256: '' }],
    external_processes: [], fragments: [],
    flags: { allow_properties_access: true, allow_dump_stacks: false,
      allow_runtime_logging: false, allow_environment_variable_dropping: true,
      allow_unencrypted_scratch: false, allow_capability_dropping: true,
      allow_host_network: false },
    rules: { mount_device: { kind: 'framework' },
      exec_external: { kind: 'constant', allowed: false, outputs: { x: [1] } } },
    allow_all: false, package_name: 'policy', svn: null, notes: ['n1'], reason_errors: true,
  });
});

test('policy/native: format, svn, allow_all and the versions keep what is written', () => {
  for (const format of ['rego', 'legacy-json', 'native-json']) {
    assert.is(load(doc({ format: `"${format}"` })).format, format);
  }
  assert.is(load(doc({ svn: '3' })).svn, 3);
  assert.is(load(doc({ svn: '"3"' })).svn, '3');
  assert.is(load(doc({ allow_all: 'true' })).allow_all, true);
  assert.is(load(doc({ reason_errors: 'false' })).reason_errors, false);
  const empty = load(doc({ api_version: '""', framework_version: '""', package_name: '"frag"' }));
  assert.equal([empty.api_version, empty.framework_version, empty.package_name], ['', '', 'frag']);
});

test('policy/native: a bad member is refused at its place', () => {
  const text = doc({ format: '"yaml"' });
  fails(text, '"yaml"', 'format: "yaml" is not one of "rego", "legacy-json", "native-json"');
  fails(doc({ api_version: '"1.0"' }), '"1.0"', 'api_version: "1.0" is not a major.minor.patch '
    + 'version');
  fails(doc({ framework_version: '"x"' }), '"x"', 'framework_version: "x" is not a '
    + 'major.minor.patch version');
  fails(doc({ api_version: '1' }), '1,', 'api_version must be a string, found number 1');
  fails(doc({ svn: 'true' }), '"svn": true', 'svn must be a string or a non-negative integer, '
    + 'found boolean true', 7);
  fails(doc({ notes: '[1]' }), '"notes": [1]', 'notes[0] must be a string, found number 1', 10);
  fails(doc({ allow_all: '0' }), '0,', 'allow_all must be true or false, found number 0');
  fails(doc({ package_name: 'null' }), 'null,\n "svn"', 'package_name must be a string, found '
    + 'null');
  fails(doc({ reason_errors: '"yes"' }), '"yes"', 'reason_errors must be true or false, found '
    + 'string "yes"');
});

test('policy/native: every member is required and no other is allowed', () => {
  for (const key of Object.keys(MEMBERS).filter((k) => k !== 'format' && k !== 'rules')) {
    const error = fails(doc({ [key]: undefined }), '{', `(policy): missing field "${key}"`);
    assert.is(error.detail['missing'], key);
  }
  fails(doc({ extra: '1' }), '"extra"', '(policy): unknown field "extra" (known: format, '
    + 'api_version, framework_version, containers, external_processes, fragments, flags, rules, '
    + 'allow_all, package_name, svn, notes, reason_errors)');
});

test('policy/native: every container member is required; absent_fields is optional', () => {
  const keys = ['id', 'name', 'command', 'env_rules', 'layers', 'mounts', 'exec_processes',
    'signals', 'working_dir', 'allow_elevated', 'allow_stdio_access', 'no_new_privileges',
    'user', 'capabilities', 'seccomp_profile_sha256'];
  for (const key of keys) {
    const container = CONTAINER.replace(new RegExp(`"${key}": ("[^"]*"|\\[[^\\]]*\\]|null|true|`
      + 'false|\\{"user_idname.*"umask": "0022"\\})(, )?'), '').replace(/, \}$/, '}');
    assert.not.ok(container.includes(`"${key}":`), key);
    fails(doc({ containers: `[${container}]` }), '[{"', `containers[0]: missing field "${key}"`, 1);
  }
  const withAbsent = CONTAINER.replace('{"id"', '{"absent_fields": ["user", "capabilities"], '
    + '"id"');
  assert.equal(load(doc({ containers: `[${withAbsent}]` })).containers[0]!.absent_fields,
    ['user', 'capabilities']);
  assert.ok(!('absent_fields' in load(doc({ containers: `[${CONTAINER.replace('{"id"',
    '{"absent_fields": [], "id"')}]` })).containers[0]!));
  fails(doc({ containers: `[${CONTAINER.replace('{"id"', '{"absent_fields": ["id"], "id"')}]` }),
    '"id"]', 'containers[0].absent_fields[0]: "id" is not one of "no_new_privileges", "user", '
      + '"capabilities", "seccomp_profile_sha256"');
  fails(doc({ containers: `[${CONTAINER.replace('{"id"', '{"x": 1, "id"')}]` }), '"x"',
    'containers[0]: unknown field "x" (known: id, name, command, env_rules, layers, mounts, '
      + 'exec_processes, signals, working_dir, allow_elevated, allow_stdio_access, '
      + 'no_new_privileges, user, capabilities, seccomp_profile_sha256, absent_fields)');
});

test('policy/native: container members are typed', () => {
  const edit = (from: string, to: string): string =>
    doc({ containers: `[${CONTAINER.replace(from, to)}]` });
  fails(edit('"id": "img"', '"id": 1'), '1,', 'containers[0].id must be a string, found number 1');
  fails(edit('"name": "web"', '"name": 2'), '2,', 'containers[0].name must be a string, found '
    + 'number 2');
  assert.is(load(edit('"command": ["/app"]', '"command": null')).containers[0]!.command, null);
  fails(edit('"signals": [9]', '"signals": [-9]'), '-9', 'containers[0].signals[0] must be a '
    + 'non-negative integer, found number -9');
  fails(edit('"working_dir": "/"', '"working_dir": 0'), '0,', 'containers[0].working_dir must be '
    + 'a string, found number 0');
  for (const key of ['allow_elevated', 'allow_stdio_access', 'no_new_privileges']) {
    const text = doc({ containers: `[${CONTAINER.replace(new RegExp(`"${key}": (true|false)`),
      `"${key}": 5`)}]` });
    fails(text, '5,', `containers[0].${key} must be true or false, found number 5`);
  }
  fails(edit('"seccomp_profile_sha256": ""', '"seccomp_profile_sha256": []'), '[]}',
    'containers[0].seccomp_profile_sha256 must be a string, found an array');
  fails(edit(`"layers": ["${LAYER}"]`, '"layers": ["x"]'), '"x"', 'containers[0].layers[0]: "x" '
    + 'is not a 64-hex dm-verity root hash');
  fails(edit('"capabilities": null', '"capabilities": 1'), '1,', 'containers[0].capabilities '
    + 'must be an object, found number 1');
});

test('policy/native: flags are all seven booleans', () => {
  fails(doc({ flags: FLAGS.replace(', "allow_host_network": false', '') }), '{"allow_prop',
    'flags: missing field "allow_host_network"');
  fails(doc({ flags: FLAGS.replace('"allow_dump_stacks": false', '"allow_dump_stacks": 0') }),
    '0,', 'flags.allow_dump_stacks must be true or false, found number 0');
  fails(doc({ flags: FLAGS.replace('}', ', "allow_all": true}') }), '"allow_all": true}',
    'flags: unknown field "allow_all" (known: allow_properties_access, allow_dump_stacks, '
      + 'allow_runtime_logging, allow_environment_variable_dropping, allow_unencrypted_scratch, '
      + 'allow_capability_dropping, allow_host_network)');
  fails(doc({ flags: '[]' }), '[],\n "rules"', 'flags must be an object, found an array');
});

test('policy/native: rule bindings are framework or constant, of enforcement points only', () => {
  const rules = (value: string): string => doc({ rules: value });
  assert.equal(load(rules('{}')).rules, {});
  fails(rules('{"allow": {"kind": "framework"}}'), '"allow"', 'rules: "allow" is not an '
    + 'enforcement point');
  fails(rules('{"mount_device": {"kind": "rego"}}'), '"kind": "rego"', 'rules.mount_device.kind: '
    + '"rego" is not one of "framework", "constant"', 8);
  fails(rules('{"mount_device": {"kind": "framework", "allowed": true}}'), '"allowed"',
    'rules.mount_device: unknown field "allowed" (known: kind)');
  fails(rules('{"mount_device": {"kind": "constant", "allowed": true}}'), '{"kind"',
    'rules.mount_device: missing field "outputs"');
  fails(rules('{"mount_device": {"kind": "constant", "outputs": {}}}'), '{"kind"',
    'rules.mount_device: missing field "allowed"');
  fails(rules('{"mount_device": {"kind": "constant", "allowed": true, "outputs": {}, "x": 1}}'),
    '"x"', 'rules.mount_device: unknown field "x" (known: kind, allowed, outputs)');
  fails(rules('{"mount_device": {"kind": "constant", "allowed": true, "outputs": []}}'), '[]}',
    'rules.mount_device.outputs must be an object, found an array');
  fails(rules('{"mount_device": {"kind": "constant", "allowed": true, "outputs": '
    + '{"allowed": true}}}'), '{"allowed"', 'rules.mount_device.outputs: "allowed" belongs next '
    + 'to outputs, not in it');
  fails(rules('{"mount_device": {"kind": "constant", "allowed": "y", "outputs": {}}}'), '"y"',
    'rules.mount_device.allowed must be true or false, found string "y"');
  fails(rules('{"mount_device": "framework"}'), '"framework"}', 'rules.mount_device must be an '
    + 'object, found string "framework"');
  fails(rules('[]'), '[],\n "allow_all"', 'rules must be an object, found an array');
});

test('policy/native: a document needs both format and rules to be native', () => {
  const none = 'POLICY_PARSE: 1:1: a JSON document that is none of: a legacy JSON policy '
    + '({"allow_all", "containers"}), an ARM template with a ccePolicy, parma-sim native JSON '
    + '(`policy show` output)';
  assert.is(failure(() => load(doc({ rules: undefined }))).message, none);
  assert.is(failure(() => load(doc({ format: undefined }))).message, none);
});

test.run();
