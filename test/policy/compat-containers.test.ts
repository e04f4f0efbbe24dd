/**
 * Goal: the container reader and compatibility shim (models/policy/compat.ts) read every field
 * as documented and word their notes and errors as documented: the field defaults by
 * framework_version (exactly at the version that introduced a field, too), the container label
 * of notes, Windows-only fields, env rules, layers, mounts and their RE2 sources, exec processes,
 * users and capability sets.
 * Method: one-container Rego policies written here; expected values and texts by hand from spec
 * policy.md (b) and the module header; positions counted with `at` from the input text.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimError } from '../../sim/kernel/errors.js';
import { importSecurityPolicy } from '../../models/policy/load-policy.js';
import type { PolicyContainer, SecurityPolicy } from '../../models/policy/policy-model.js';
import { failure } from '../support/failure.js';

const LAYER = 'ef'.repeat(32);
const BASE = `"command": ["/app"], "env_rules": [], "layers": ["${LAYER}"], "mounts": [], `
  + '"exec_processes": [], "signals": [], "working_dir": "/", "allow_elevated": false, '
  + '"allow_stdio_access": false';
const V023 = '"no_new_privileges": false, "seccomp_profile_sha256": "", "capabilities": null, '
  + '"user": {"user_idname": {"pattern": "", "strategy": "any"}, "group_idnames": [], '
  + '"umask": "0022"}';
const ANY_USER = { user_idname: { pattern: '', strategy: 'any' },
  group_idnames: [{ pattern: '', strategy: 'any' }], umask: '0022' };

function text(version: string | undefined, members: string): string {
  return 'package policy\napi_version := "0.10.0"\n'
    + (version === undefined ? '' : `framework_version := "${version}"\n`)
    + `containers := [{${members}}]\n`;
}

function load(version: string | undefined, members: string): SecurityPolicy {
  return importSecurityPolicy(new TextEncoder().encode(text(version, members)));
}

function container(version: string | undefined, members: string): PolicyContainer {
  return load(version, members).containers[0]!;
}

/** Column of `marker` on the containers line (line 4 with a framework_version, else 3). */
function columnOf(members: string, marker: string): number {
  const line = `containers := [{${members}}]`;
  const index = line.indexOf(marker);
  if (index < 0) throw new Error(`marker ${marker} not found`);
  return index + 1;
}

function fails(version: string | undefined, members: string, code: string, marker: string,
    message: string): SimError {
  const error = failure(() => load(version, members));
  const line = version === undefined ? 3 : 4;
  const column = columnOf(members, marker);
  assert.is(error.message, `${code}: ${line}:${column}: ${message}`);
  assert.is(error.code, code);
  assert.is(error.detail['line'], line);
  assert.is(error.detail['column'], column);
  return error;
}

test('policy/compat-containers: a full 0.2.3 container is read exactly as written', () => {
  const members = `${BASE.replace('"/app"]', '"/app", "x"]').replace('"signals": []',
    '"signals": [15, 9]').replace('"working_dir": "/"', '"working_dir": "/srv"')
    .replace('"allow_elevated": false', '"allow_elevated": true')
    .replace('"allow_stdio_access": false', '"allow_stdio_access": true')}, "id": "img:1", `
    + '"name": "web", "no_new_privileges": true, "seccomp_profile_sha256": "abc", '
    + '"capabilities": {"bounding": ["A"], "effective": ["B"], "inheritable": [], '
    + '"permitted": ["C", "D"], "ambient": ["E"]}, "user": {"user_idname": {"pattern": "u", '
    + '"strategy": "name"}, "group_idnames": [{"pattern": "1", "strategy": "id"}, '
    + '{"pattern": "g.*", "strategy": "re2"}], "umask": "0077"}';
  assert.equal(container('0.2.3', members), {
    id: 'img:1', name: 'web', command: ['/app', 'x'], env_rules: [], layers: [LAYER],
    mounts: [], exec_processes: [], signals: [15, 9], working_dir: '/srv', allow_elevated: true,
    allow_stdio_access: true, no_new_privileges: true,
    user: { user_idname: { pattern: 'u', strategy: 'name' }, group_idnames: [
      { pattern: '1', strategy: 'id' }, { pattern: 'g.*', strategy: 're2' }], umask: '0077' },
    capabilities: { bounding: ['A'], effective: ['B'], inheritable: [], permitted: ['C', 'D'],
      ambient: ['E'] },
    seccomp_profile_sha256: 'abc',
  });
});

test('policy/compat-containers: id and name are "" when absent and strings when present', () => {
  const plain = container('0.2.3', `${BASE}, ${V023}`);
  assert.is(plain.id, '');
  assert.is(plain.name, '');
  assert.ok(!('absent_fields' in plain));
  fails('0.2.3', `${BASE}, ${V023}, "name": 5`, 'POLICY_PARSE', '5}',
    'containers[0].name must be a string, found number 5');
  fails('0.2.3', `${BASE}, ${V023}, "id": null`, 'POLICY_PARSE', 'null}',
    'containers[0].id must be a string, found null');
});

test('policy/compat-containers: each versioned field is known from the version that added it',
    () => {
  // Exactly at each introducing version the field is read; just before it, it is ignored.
  assert.is(container('0.2.0', `${BASE}, "no_new_privileges": true`).no_new_privileges, true);
  assert.is(container('0.1.9', `${BASE}, "no_new_privileges": true`).no_new_privileges, false);
  const user = '"user": {"user_idname": {"pattern": "7", "strategy": "id"}, "group_idnames": [], '
    + '"umask": "0000"}';
  assert.equal(container('0.2.1', `${BASE}, "no_new_privileges": false, ${user}`).user,
    { user_idname: { pattern: '7', strategy: 'id' }, group_idnames: [], umask: '0000' });
  assert.equal(container('0.2.0', `${BASE}, "no_new_privileges": false, ${user}`).user, ANY_USER);
  const caps = '"capabilities": {"bounding": [], "effective": [], "inheritable": [], '
    + '"permitted": [], "ambient": []}';
  assert.equal(container('0.2.2', `${BASE}, ${V023.replace('"capabilities": null', caps)}`
    .replace(', "seccomp_profile_sha256": ""', '')).capabilities,
  { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] });
  assert.is(container('0.2.1', `${BASE}, "no_new_privileges": false, ${caps}`).capabilities,
    null);
  assert.is(container('0.2.3', `${BASE}, ${V023.replace('"seccomp_profile_sha256": ""',
    '"seccomp_profile_sha256": "ff"')}`).seccomp_profile_sha256, 'ff');
  assert.is(container('0.2.2', `${BASE}, "seccomp_profile_sha256": "ff"`)
    .seccomp_profile_sha256, '');
});

test('policy/compat-containers: a field the version predates is ignored with a worded note', () => {
  const policy = load('0.1.0', `${BASE}, "name": "web", "seccomp_profile_sha256": "ff"`);
  assert.equal(policy.notes, ['containers[0] (web): seccomp_profile_sha256 is ignored: '
    + 'framework_version 0.1.0 predates it (introduced in 0.2.3); the default applies, as in the '
    + 'real framework']);
  const none = load(undefined, `${BASE}, "id": "img", "no_new_privileges": true`);
  assert.equal(none.notes, ['containers[0] (img): no_new_privileges is ignored: '
    + 'framework_version (none) predates it (introduced in 0.2.0); the default applies, as in '
    + 'the real framework', 'framework_version is missing: the compatibility defaults of the '
    + 'oldest framework apply']);
  assert.is(none.framework_version, '');
});

test('policy/compat-containers: a field the version has but the text lacks is listed absent',
    () => {
  // An empty name is still the name: the label falls back to the id only when name is absent.
  assert.ok(load('0.2.1', `${BASE}, "name": "", "id": "i"`).notes[0]!.startsWith('containers[0]: '));
  const policy = load('0.2.1', `${BASE}, "id": "img"`);
  assert.equal(policy.notes, ['no_new_privileges', 'user'].map((field, i) =>
    `containers[0] (img): ${field} is missing although framework_version 0.2.1 includes it `
      + `(since ${['0.2.0', '0.2.1'][i]}): the framework's compatibility shim drops this `
      + 'container from every candidate set'));
  const c = policy.containers[0]!;
  assert.equal(c.absent_fields, ['no_new_privileges', 'user']);
  assert.is(c.no_new_privileges, false);
  assert.equal(c.user, ANY_USER);
  assert.is(c.capabilities, null);
  assert.is(c.seccomp_profile_sha256, '');
  assert.equal(load('0.2.3', BASE).containers[0]!.absent_fields, ['no_new_privileges', 'user',
    'capabilities', 'seccomp_profile_sha256']);
  assert.ok(load('0.2.3', BASE).notes[0]!.startsWith('containers[0]: no_new_privileges is '));
});

test('policy/compat-containers: Windows-only and unknown container fields are refused', () => {
  for (const key of ['mounted_cim', 'registry_changes']) {
    const error = fails('0.2.3', `${BASE}, ${V023}, "${key}": []`, 'POLICY_UNSUPPORTED',
      `"${key}"`, `containers[0].${key} is not supported: Windows (C-WCOW) container field; `
        + 'parma-sim models Linux containers only');
    assert.is(error.detail['construct'], key);
  }
  fails('0.2.3', `${BASE}, ${V023}, "env": []`, 'POLICY_PARSE', '"env"', 'containers[0]: unknown '
    + 'field "env" (known: command, env_rules, layers, mounts, exec_processes, signals, '
    + 'working_dir, allow_elevated, allow_stdio_access, id, name, no_new_privileges, user, '
    + 'capabilities, seccomp_profile_sha256)');
});

test('policy/compat-containers: each base field is required', () => {
  const members: Record<string, string> = { command: '"command": ["/app"]',
    env_rules: '"env_rules": []', layers: `"layers": ["${LAYER}"]`, mounts: '"mounts": []',
    exec_processes: '"exec_processes": []', signals: '"signals": []',
    working_dir: '"working_dir": "/"', allow_elevated: '"allow_elevated": false',
    allow_stdio_access: '"allow_stdio_access": false' };
  assert.is(Object.values(members).join(', '), BASE);
  for (const key of Object.keys(members)) {
    const without = Object.entries(members).filter(([k]) => k !== key).map(([, m]) => m);
    const error = fails('0.2.3', `${without.join(', ')}, ${V023}`, 'POLICY_PARSE', '{',
      `containers[0]: missing field "${key}"`);
    assert.is(error.detail['missing'], key);
  }
});

test('policy/compat-containers: a parameter() call as command is a fragment parameter', () => {
  const error = fails('0.2.3', `${BASE.replace('["/app"]', 'parameter("cmd")')}, ${V023}`,
    'POLICY_UNSUPPORTED', 'parameter', 'containers[0].command: parameter() calls are fragment '
      + 'parameters (framework 0.5.0), which parma-sim does not support');
  assert.is(error.detail['construct'], 'fragment parameters');
  fails('0.2.3', `${BASE.replace('["/app"]', '"/app"')}, ${V023}`, 'POLICY_PARSE', '"/app"',
    'containers[0].command must be an array, found string "/app"');
});

test('policy/compat-containers: env rules default required to false and check RE2 patterns',
    () => {
  const rules = '[{"pattern": "A=1", "strategy": "string"}, {"pattern": "B=.*", "strategy": '
    + '"re2", "required": true}, {"pattern": "(?=x)", "strategy": "string", "required": false}]';
  assert.equal(container('0.2.3', `${BASE.replace('"env_rules": []', `"env_rules": ${rules}`)}, `
    + V023).env_rules, [{ pattern: 'A=1', strategy: 'string', required: false },
    { pattern: 'B=.*', strategy: 're2', required: true },
    { pattern: '(?=x)', strategy: 'string', required: false }]);
  const bad = `${BASE.replace('"env_rules": []', '"env_rules": [{"pattern": "(?=x)", '
    + '"strategy": "re2"}]')}, ${V023}`;
  const error = failure(() => load('0.2.3', bad));
  assert.is(error.code, 'POLICY_BAD_REGEX');
  assert.equal([error.detail['line'], error.detail['column'], error.detail['field']],
    [4, columnOf(bad, '{"pattern"'), 'containers[0].env_rules[0].pattern']);
  assert.ok(error.message.startsWith(`POLICY_BAD_REGEX: 4:${columnOf(bad, '{"pattern"')}: `
    + 'containers[0].env_rules[0].pattern: RE2 rejects pattern'), error.message);
  fails('0.2.3', `${BASE.replace('"env_rules": []', '"env_rules": [{"pattern": "A", '
    + '"strategy": "string", "required": 1}]')}, ${V023}`, 'POLICY_PARSE', '1}',
  'containers[0].env_rules[0].required must be true or false, found number 1');
  fails('0.2.3', `${BASE.replace('"env_rules": []', '"env_rules": [{"pattern": "A", '
    + '"strategy": "string", "x": 1}]')}, ${V023}`, 'POLICY_PARSE', '"x"',
  'containers[0].env_rules[0]: unknown field "x" (known: pattern, strategy, required)');
});

test('policy/compat-containers: name/value env rules of framework 0.5.0 are named', () => {
  for (const key of ['name', 'value']) {
    const members = `${BASE.replace('"env_rules": []', `"env_rules": [{"${key}": "A"}]`)}, `
      + V023;
    const error = fails('0.2.3', members, 'POLICY_UNSUPPORTED', `{"${key}"`,
      'containers[0].env_rules[0]: name/value env rules (framework 0.5.0: {name, name_strategy, '
        + 'value, value_strategy}) are not supported; parma-sim supports {pattern, strategy, '
        + 'required}');
    assert.is(error.detail['construct'], 'name/value env rule');
  }
});

test('policy/compat-containers: layers must be 64 hex digits and are lower-cased', () => {
  const two = `"layers": ["${LAYER.toUpperCase()}", "${'0'.repeat(64)}"]`;
  assert.equal(container('0.2.3', `${BASE.replace(`"layers": ["${LAYER}"]`, two)}, ${V023}`)
    .layers, [LAYER, '0'.repeat(64)]);
  const short = `"layers": ["${LAYER}", "${'a'.repeat(63)}"]`;
  fails('0.2.3', `${BASE.replace(`"layers": ["${LAYER}"]`, short)}, ${V023}`, 'POLICY_PARSE',
    `"${'a'.repeat(63)}"`, `containers[0].layers[1]: "${'a'.repeat(63)}" is not a 64-hex `
      + 'dm-verity root hash');
  const long = `"layers": ["${'g'.repeat(100)}"]`;
  fails('0.2.3', `${BASE.replace(`"layers": ["${LAYER}"]`, long)}, ${V023}`, 'POLICY_PARSE',
    `"${'g'}`, `containers[0].layers[0]: "${'g'.repeat(80)}" is not a 64-hex dm-verity root `
      + 'hash');
  fails('0.2.3', `${BASE.replace(`"layers": ["${LAYER}"]`, `"layers": [" ${LAYER}"]`)}, ${V023}`,
    'POLICY_PARSE', `" ${LAYER}"`, `containers[0].layers[0]: " ${LAYER}" is not a 64-hex `
      + 'dm-verity root hash');
  fails('0.2.3', `${BASE.replace(`"layers": ["${LAYER}"]`, `"layers": ["${LAYER}0"]`)}, ${V023}`,
    'POLICY_PARSE', `"${LAYER}0"`, `containers[0].layers[0]: "${LAYER}0" is not a 64-hex `
      + 'dm-verity root hash');
});

test('policy/compat-containers: mounts are read field by field; RE2 sources are checked', () => {
  const mounts = '[{"destination": "/d", "options": ["rbind", "ro"], "source": '
    + '"sandbox:///tmp/[a-z]+", "type": "bind"}, {"destination": "/h", "options": [], "source": '
    + '"hugepages://2M/x", "type": "bind"}, {"destination": "/e", "options": [], "source": '
    + '"(?=x)", "type": "bind"}]';
  assert.equal(container('0.2.3', `${BASE.replace('"mounts": []', `"mounts": ${mounts}`)}, `
    + V023).mounts, [
    { destination: '/d', options: ['rbind', 'ro'], source: 'sandbox:///tmp/[a-z]+', type: 'bind' },
    { destination: '/h', options: [], source: 'hugepages://2M/x', type: 'bind' },
    { destination: '/e', options: [], source: '(?=x)', type: 'bind' }]);
  for (const prefix of ['sandbox://', 'hugepages://']) {
    const bad = `${BASE.replace('"mounts": []', '"mounts": [{"destination": "/d", "options": [], '
      + `"source": "${prefix}(?=x)", "type": "bind"}]`)}, ${V023}`;
    const error = failure(() => load('0.2.3', bad));
    assert.is(error.code, 'POLICY_BAD_REGEX');
    assert.equal([error.detail['column'], error.detail['field']],
      [columnOf(bad, `"${prefix}`), 'containers[0].mounts[0].source']);
    assert.ok(error.message.includes('pattern "^(?=x)$"') || error.message.includes('(?=x)'),
      error.message);
    assert.not.ok(error.message.includes(prefix), error.message);
  }
  fails('0.2.3', `${BASE.replace('"mounts": []', '"mounts": [{"destination": "/d", "options": '
    + '[], "source": "s", "type": "bind", "propagation": "x"}]')}, ${V023}`, 'POLICY_PARSE',
  '"propagation"', 'containers[0].mounts[0]: unknown field "propagation" (known: destination, '
    + 'options, source, type)');
  fails('0.2.3', `${BASE.replace('"mounts": []', '"mounts": [{"destination": "/d", "options": '
    + '[], "source": "s"}]')}, ${V023}`, 'POLICY_PARSE', '{"destination"',
  'containers[0].mounts[0]: missing field "type"');
});

test('policy/compat-containers: exec processes default their signals to none', () => {
  const execs = '[{"command": ["sh"]}, {"command": ["ls", "/"], "signals": [9]}]';
  assert.equal(container('0.2.3', `${BASE.replace('"exec_processes": []',
    `"exec_processes": ${execs}`)}, ${V023}`).exec_processes, [
    { command: ['sh'], signals: [] }, { command: ['ls', '/'], signals: [9] }]);
  fails('0.2.3', `${BASE.replace('"exec_processes": []', '"exec_processes": [{"command": [], '
    + '"env": []}]')}, ${V023}`, 'POLICY_PARSE', '"env"', 'containers[0].exec_processes[0]: '
    + 'unknown field "env" (known: command, signals)');
  fails('0.2.3', `${BASE.replace('"exec_processes": []', '"exec_processes": [{"command": [], '
    + '"signals": [-1]}]')}, ${V023}`, 'POLICY_PARSE', '-1', 'containers[0].exec_processes[0]'
    + '.signals[0] must be a non-negative integer, found number -1');
});

test('policy/compat-containers: users are checked field by field; only re2 names are RE2', () => {
  const user = (idname: string, groups = '[]', extra = ''): string => `${BASE}, `
    + V023.replace(/"user": .*$/, `"user": {"user_idname": ${idname}, "group_idnames": ${groups}, `
      + `"umask": "0022"${extra}}`);
  assert.equal(container('0.2.3', user('{"pattern": "(?=x)", "strategy": "name"}')).user
    .user_idname, { pattern: '(?=x)', strategy: 'name' });
  const bad = user('{"pattern": "u", "strategy": "any"}',
    '[{"pattern": "(?=x)", "strategy": "re2"}]');
  const error = failure(() => load('0.2.3', bad));
  assert.is(error.code, 'POLICY_BAD_REGEX');
  assert.equal([error.detail['column'], error.detail['field']],
    [columnOf(bad, '{"pattern": "(?='), 'containers[0].user.group_idnames[0].pattern']);
  fails('0.2.3', user('{"pattern": "u", "strategy": "uid"}'), 'POLICY_PARSE', '"uid"',
    'containers[0].user.user_idname.strategy: "uid" is not one of "any", "id", "name", "re2"');
  fails('0.2.3', user('{"pattern": "u", "strategy": "id", "x": 1}'), 'POLICY_PARSE', '"x"',
    'containers[0].user.user_idname: unknown field "x" (known: pattern, strategy)');
  fails('0.2.3', user('{"pattern": "u", "strategy": "id"}', '[]', ', "x": 1'), 'POLICY_PARSE',
    '"x"', 'containers[0].user: unknown field "x" (known: user_idname, group_idnames, umask)');
  fails('0.2.3', user('{"pattern": "u", "strategy": "id"}', '[1]'), 'POLICY_PARSE', '1], "umask"',
    'containers[0].user.group_idnames[0] must be an object, found number 1');
});

test('policy/compat-containers: capability sets are all five lists or null', () => {
  const caps = (value: string): string => `${BASE}, ${V023.replace('"capabilities": null',
    `"capabilities": ${value}`)}`;
  fails('0.2.3', caps('{"bounding": [], "effective": [], "inheritable": [], "permitted": []}'),
    'POLICY_PARSE', '{"bounding"', 'containers[0].capabilities: missing field "ambient"');
  fails('0.2.3', caps('{"bounding": [], "effective": [], "inheritable": [], "permitted": [], '
    + '"ambient": [], "all": []}'), 'POLICY_PARSE', '"all"', 'containers[0].capabilities: '
    + 'unknown field "all" (known: bounding, effective, inheritable, permitted, ambient)');
  fails('0.2.3', caps('{"bounding": [1], "effective": [], "inheritable": [], "permitted": [], '
    + '"ambient": []}'), 'POLICY_PARSE', '1]', 'containers[0].capabilities.bounding[0] must be '
    + 'a string, found number 1');
  fails('0.2.3', caps('[]'), 'POLICY_PARSE', '[], "user"', 'containers[0].capabilities must be an '
    + 'object, found an array');
});

test.run();
