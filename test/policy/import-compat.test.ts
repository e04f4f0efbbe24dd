/**
 * Goal: the compatibility rules of older framework versions and the documented decisions for odd
 * cases hold: signals kept as written, field defaults by version, missing 0.2.x fields, ignored
 * newer fields, `command: null`, the plural `allow_capabilities_dropping`, integer minimum_svn,
 * old `api_svn`/`framework_svn` spellings, constant rules, defaults, fragments, legacy JSON.
 * Method: small hand-written policies whose expected import is stated in spec policy.md (b) and in
 * the module headers of compat.ts / import-legacy-json.ts; shared files where SOURCES.md names the
 * edge case.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { importSecurityPolicy } from '../../models/policy/load-policy.js';
import type { SecurityPolicy } from '../../models/policy/policy-model.js';
import { shared, sharedTest } from '../support/requires.js';

const LAYER = 'cd'.repeat(32);

function rego(lines: string): SecurityPolicy {
  return importSecurityPolicy(new TextEncoder().encode(lines));
}

/** A policy with one container carrying `fields` (JSON members) for framework `version`. */
function oneContainer(version: string, fields: string, extra = ''): SecurityPolicy {
  return rego(`package policy
api_version := "0.10.0"
framework_version := "${version}"
containers := [{
  "command": ["/app"], "env_rules": [], "layers": ["${LAYER}"], "mounts": [], "exec_processes": [],
  "working_dir": "/", "allow_elevated": false, "allow_stdio_access": false,
  ${fields}
}]
${extra}`);
}

const FULL = '"signals": [], "no_new_privileges": true, "seccomp_profile_sha256": "aa", '
  + '"capabilities": null, ' +
  '"user": {"user_idname": {"pattern": "1000", "strategy": "id"}, "group_idnames": [], "umask": '
    + '"0077"}';

test('policy/compat: signals are imported exactly as written at every framework version (the '
    + 'implicit 9 and 15 below 0.4.1 are the engine\'s, per dialect)', () => {
  for (const version of ['0.2.3', '0.4.0', '0.4.1', '0.5.0']) {
    assert.equal(oneContainer(version, FULL.replace('"signals": []', '"signals": [2]'))
      .containers[0]!.signals, [2], version);
  }
  assert.equal(oneContainer('0.1.0', '"signals": []').containers[0]!.signals, []);
});

test('policy/compat: a 0.1.0 container without 0.2.x fields gets every default and no note', () => {
  const policy = oneContainer('0.1.0', '"signals": []');
  const container = policy.containers[0]!;
  assert.is(container.no_new_privileges, false);
  assert.equal(container.user, { user_idname: { pattern: '', strategy: 'any' },
    group_idnames: [{ pattern: '', strategy: 'any' }], umask: '0022' });
  assert.is(container.capabilities, null);
  assert.is(container.seccomp_profile_sha256, '');
  assert.equal(policy.notes, []);
});

test('policy/compat: fields newer than the declared version are ignored, with a note for each',
    () => {
  const policy = oneContainer('0.2.0', FULL);
  const container = policy.containers[0]!;
  assert.is(container.no_new_privileges, true);                // 0.2.0 knows it
  assert.is(container.user.umask, '0022');                     // 0.2.1: ignored, default
  assert.is(container.seccomp_profile_sha256, '');             // 0.2.3: ignored, default
  assert.is(policy.notes.length, 3);
  assert.ok(policy.notes.every((note) => note.includes('is ignored')));
});

test('policy/compat: 0.2.x fields missing under a version that has them are listed as absent, '
    + 'with a note each', () => {
  const policy = oneContainer('0.2.3', '"signals": []');
  assert.is(policy.containers.length, 1);
  assert.equal(policy.containers[0]!.absent_fields, ['no_new_privileges', 'user', 'capabilities',
    'seccomp_profile_sha256']);
  assert.is(policy.notes.length, 4);
  assert.ok(policy.notes.every((note) =>
    note.includes('missing although framework_version 0.2.3')
      && note.includes('drops this container')));
});

test('policy/compat: a container with every field of its version lists nothing as absent', () => {
  assert.is(oneContainer('0.2.3', FULL).containers[0]!.absent_fields, undefined);
  assert.is(oneContainer('0.1.0', '"signals": []').containers[0]!.absent_fields, undefined);
});

test('policy/compat: a field of the declared version is read as written', () => {
  const container = oneContainer('0.2.3', FULL).containers[0]!;
  assert.equal(container.user.user_idname, { pattern: '1000', strategy: 'id' });
  assert.is(container.seccomp_profile_sha256, 'aa');
  assert.is(container.no_new_privileges, true);
});

test('policy/compat: command null is kept as null (no argv known; nothing widened)', () => {
  const policy = oneContainer('0.2.3', FULL).containers[0]!;
  assert.equal(policy.command, ['/app']);
  const nullCommand = rego(`package policy
api_version := "0.10.0"
framework_version := "0.2.3"
containers := [{"command": null, "env_rules": [], "layers": ["${LAYER}"], "mounts": [], `
+ `"exec_processes": [],
  "working_dir": "/", "allow_elevated": false, "allow_stdio_access": false, ${FULL}}]`);
  assert.is(nullCommand.containers[0]!.command, null);
  assert.equal(nullCommand.notes, []);
});

test('policy/compat: allow_capabilities_dropping (plural) is recognised, not honoured, and noted',
    () => {
  const policy = oneContainer('0.2.3', FULL, 'allow_capabilities_dropping := true');
  assert.is(policy.flags.allow_capability_dropping, false);
  assert.is(policy.notes.length, 1);
  assert.ok(policy.notes[0]!.includes('allow_capabilities_dropping (plural)'));
});

test('policy/compat: allow_capability_dropping is honoured from framework 0.2.2 and ignored before',
    () => {
  assert.is(oneContainer('0.2.2', FULL.replace(', "seccomp_profile_sha256": "aa"', ''),
    'allow_capability_dropping := true').flags.allow_capability_dropping, true);
  const old = oneContainer('0.2.1', '"signals": [], "no_new_privileges": false',
    'allow_capability_dropping := true');
  assert.is(old.flags.allow_capability_dropping, false);
  assert.ok(old.notes.some((note) => note.includes('allow_capability_dropping is ignored')));
});

test('policy/compat: a missing flag is false (undefined in Rego reads as false)', () => {
  const flags = oneContainer('0.2.3', FULL).flags;
  assert.equal(Object.values(flags), [false, false, false, false, false, false, false]);
});

test('policy/compat: api_svn / framework_svn old spellings are honoured', () => {
  const policy = rego('package policy\napi_svn := "0.10.0"\nframework_svn := "0.1.0"\n');
  assert.is(policy.api_version, '0.10.0');
  assert.is(policy.framework_version, '0.1.0');
});

test('policy/compat: api_version and api_svn that disagree are an error, not a silent choice',
    () => {
  assert.throws(() => rego('package policy\napi_version := "0.10.0"\napi_svn := "0.11.0"\n'),
    /disagrees/);
});

test('policy/compat: integer and string minimum_svn are kept as written', () => {
  const policy = rego(`package policy
api_version := "0.10.0"
fragments := [
  {"issuer": "did:web:a", "feed": "f/a", "minimum_svn": 1, "includes": ["containers"]},
  {"issuer": "did:web:b", "feed": "f/b", "minimum_svn": "4", "includes": ["containers", `
  + `"fragments",],},
]`);
  assert.is(policy.fragments[0]!.minimum_svn, 1);
  assert.is(policy.fragments[1]!.minimum_svn, '4');
});

test('policy/compat: constant rules keep their other outputs; all-constant-allow Rego is not '
    + 'allow_all',
    () => {
  const policy = rego(`package policy
api_version := "0.10.0"
mount_device := {"allowed": true}
create_container := {"allowed": true, "env_list": null, "allow_stdio_access": true}
`);
  assert.equal(policy.rules['create_container'], { kind: 'constant', allowed: true,
    outputs: { env_list: null, allow_stdio_access: true } });
  assert.is(policy.allow_all, false);   // open door is legacy JSON only; Rego goes rule by rule
});

test('policy/compat: default applies only when the name has no other definition', () => {
  const policy = rego(`package policy
api_version := "0.10.0"
default allow_dump_stacks := true
default get_properties := {"allowed": false}
get_properties := data.framework.get_properties
`);
  assert.is(policy.flags.allow_dump_stacks, true);
  assert.equal(policy.rules['get_properties'], { kind: 'framework' });
});

test('policy/compat: comments, raw strings, trailing commas and semicolons are read', () => {
  const policy = rego(`# a comment
package policy # trailing comment
api_version := "0.10.0"; framework_version := "0.3.0"
containers := [
  {"command": [\`/bin/sh\`, "-c"], "env_rules": [{"pattern": \`A=.+\`, "strategy": "re2", `
  + `"required": true},],
   "layers": ["${LAYER.toUpperCase()}"], "mounts": [], "exec_processes": [], "working_dir": "/",
   "allow_elevated": false, "allow_stdio_access": true, ${FULL},},
]
`);
  assert.equal(policy.containers[0]!.command, ['/bin/sh', '-c']);
  assert.equal(policy.containers[0]!.env_rules, [{ pattern: 'A=.+', strategy: 're2',
    required: true }]);
  assert.is(policy.containers[0]!.layers[0], LAYER);      // lower-cased
});

test('policy/compat: a fragment keeps its package name and svn', () => {
  const policy = rego('package contoso\nsvn := "3"\nframework_version := "0.2.3"\n');
  assert.is(policy.package_name, 'contoso');
  assert.is(policy.svn, '3');
  assert.is(policy.api_version, '');
});

test('policy/compat: legacy JSON allow_all with containers is rejected (hcsshim '
    + 'ErrInvalidOpenDoorPolicy)', () => {
  const text = `{"allow_all": true, "containers": {"length": 1, "elements": {"0": {"command": `
    + `{"length": 1, "elements": {"0": "a"}},
    "env_rules": {"length": 0, "elements": {}}, "layers": {"length": 1, `
    + `"elements": {"0": "${LAYER}"}}, "working_dir": "/"}}}}`;
  assert.throws(() => importSecurityPolicy(new TextEncoder().encode(text)),
    /allow_all cannot be true/);
});

test('policy/compat: legacy JSON {length, elements} containers import in index order with legacy '
    + 'defaults', () => {
  const text = `{"allow_all": false, "containers": {"length": 1, "elements": {"0": {
    "command": {"length": 2, "elements": {"1": "--help", "0": "rustc"}},
    "env_rules": {"length": 1, "elements": {"0": {"strategy": "re2", "rule": "PATH=.+", `
    + `"required": true}}},
    "layers": {"length": 2, "elements": {"0": "${'01'.repeat(32)}", "1": "${'02'.repeat(32)}"}},
    "working_dir": "/w", "allow_elevated": true}}}}`;
  const policy = importSecurityPolicy(new TextEncoder().encode(text));
  const container = policy.containers[0]!;
  assert.equal(container.command, ['rustc', '--help']);
  assert.equal(container.layers, ['01'.repeat(32), '02'.repeat(32)]);
  assert.equal(container.env_rules, [{ pattern: 'PATH=.+', strategy: 're2', required: true }]);
  assert.equal(container.signals, []);
  assert.is(policy.format, 'legacy-json');
  assert.is(policy.rules['create_container']!.kind, 'framework');
});

const load = (file: string): SecurityPolicy =>
  importSecurityPolicy(new Uint8Array(readFileSync(shared('policies', file))));

sharedTest('policy/compat: sample-template-output (SOURCES.md: 0.2.3 without 0.2.x fields, integer '
    + 'minimum_svn 1) imports every container, each marked with its absent fields', () => {
  const policy = load('confcom/sample-template-output.ccePolicy.decoded.rego');
  assert.is(policy.framework_version, '0.2.3');
  assert.is(policy.containers.length, 2);
  assert.ok(policy.containers.every((c) => c.absent_fields?.length === 4));
  assert.is(policy.fragments[0]!.minimum_svn, 1);
  assert.is(policy.notes.length, 4 * policy.containers.length);
});

sharedTest('policy/compat: a generated policy with command null keeps it null (SOURCES.md edge '
  + 'case)',
    () => {
  const policy = load('confcom/minimal.policy.rego');
  assert.ok(policy.containers.some((c) => c.command === null));
  assert.ok(policy.containers.some((c) => c.command !== null && c.command[0] === '/pause'));
});

sharedTest('policy/compat: the sidecar legacy JSON (num/l0 shape) imports with its services block '
    + 'noted', () => {
  const policy = load('confidential-sidecar-containers/legacy_json_policy_tampered.decoded.json');
  assert.equal(policy.containers.map((c) => c.name), ['pause', 'c0']);
  assert.equal(policy.containers[1]!.command, ['rustc', '--help']);
  assert.is(policy.containers[1]!.layers.length, 6);
  assert.ok(policy.notes[0]!.startsWith('services:'));
});

sharedTest('policy/compat: the CCF allow-all legacy JSON is allow_all with constant allows', () => {
  const policy = load('ccf/json_allow_all_policy.json');
  assert.is(policy.allow_all, true);
  assert.equal(policy.rules['create_container'],
    { kind: 'constant', allowed: true, outputs: { allow_stdio_access: true } });
});

test.run();
