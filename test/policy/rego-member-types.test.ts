/**
 * Goal: every member of a Rego policy's data (containers and their env rules, mounts, exec
 * processes and user; external processes; fragment references) that has the wrong JSON type is
 * refused with the path of that member in the message, at the member's line:column.
 * Method: one-item Rego policies written here (framework 0.2.3, so every versioned container
 * field is read), one member replaced by 4242 at a time, so the position is that of the one
 * "4242" in the text; expected messages written out by hand from policy-fields' wording
 * ("<path> must be <type>, found <value>").
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importSecurityPolicy } from '../../models/policy/load-policy.js';
import { failure, positionOf } from '../support/failure.js';

const HEAD = 'package policy\napi_version := "0.10.0"\nframework_version := "0.2.3"\n';

const CONTAINER: Readonly<Record<string, string>> = {
  command: '["/app"]', env_rules: '[]', layers: `["${'6e'.repeat(32)}"]`, mounts: '[]',
  exec_processes: '[]', signals: '[]', working_dir: '"/"', allow_elevated: 'false',
  allow_stdio_access: 'true', no_new_privileges: 'false', seccomp_profile_sha256: '""',
  capabilities: 'null', user: '{"user_idname": {"pattern": "", "strategy": "any"}, '
    + '"group_idnames": [], "umask": "0022"}',
};

const object = (members: Readonly<Record<string, string>>): string => '{' + Object.entries(members)
  .map(([k, v]) => `"${k}": ${v}`).join(', ') + '}';

const withContainer = (members: Readonly<Record<string, string>>): string =>
  `${HEAD}containers := [${object({ ...CONTAINER, ...members })}]\n`;

function loadFails(text: string, message: string): void {
  const error = failure(() => importSecurityPolicy(new TextEncoder().encode(text)));
  const { line, column } = positionOf(text, '4242');
  assert.is(error.message, `POLICY_PARSE: ${line}:${column}: ${message}`);
  assert.is(error.code, 'POLICY_PARSE');
  assert.equal([error.detail['line'], error.detail['column']], [line, column]);
}

test('policy/rego-types: the policy written here loads (the edits below are the faults)', () => {
  const policy = importSecurityPolicy(new TextEncoder().encode(withContainer({})));
  assert.equal(policy.containers.map((c) => [c.command, c.working_dir]), [[['/app'], '/']]);
  assert.is(policy.framework_version, '0.2.3');
});

test('policy/rego-types: a containers value that is not a list is named', () => {
  loadFails(`${HEAD}containers := 4242\n`, 'containers must be an array, found number 4242');
});

test('policy/rego-types: each container member of the wrong type is named by index', () => {
  const fails = (key: string, says: string): void =>
    loadFails(withContainer({ [key]: '4242' }), `containers[0].${key} must be ${says}`);
  fails('signals', 'an array, found number 4242');
  fails('allow_elevated', 'true or false, found number 4242');
  fails('allow_stdio_access', 'true or false, found number 4242');
  fails('no_new_privileges', 'true or false, found number 4242');
  fails('seccomp_profile_sha256', 'a string, found number 4242');
});

test('policy/rego-types: env rule, mount and exec process members are named by index', () => {
  const fails = (key: string, item: string, says: string): void =>
    loadFails(withContainer({ [key]: `[${item}]` }), `containers[0].${key}[0].${says}`);
  fails('env_rules', '{"pattern": 4242, "strategy": "string"}', 'pattern must be a string, '
    + 'found number 4242');
  fails('env_rules', '{"pattern": "A=1", "strategy": 4242}', 'strategy must be a string, '
    + 'found number 4242');
  const mount = (members: Readonly<Record<string, string>>): string => object({
    destination: '"/d"', options: '[]', source: '"/s"', type: '"bind"', ...members });
  fails('mounts', mount({ destination: '4242' }), 'destination must be a string, found number '
    + '4242');
  fails('mounts', mount({ options: '4242' }), 'options must be an array, found number 4242');
  fails('mounts', mount({ type: '4242' }), 'type must be a string, found number 4242');
  fails('exec_processes', '{"command": 4242}', 'command must be an array, found number 4242');
});

test('policy/rego-types: user members of the wrong type are named', () => {
  const user = (members: Readonly<Record<string, string>>): string => object({
    user_idname: '{"pattern": "", "strategy": "any"}', group_idnames: '[]', umask: '"0022"',
    ...members });
  const fails = (members: Readonly<Record<string, string>>, message: string): void =>
    loadFails(withContainer({ user: user(members) }), `containers[0].user.${message}`);
  fails({ group_idnames: '4242' }, 'group_idnames must be an array, found number 4242');
  fails({ umask: '4242' }, 'umask must be a string, found number 4242');
  fails({ user_idname: '{"pattern": 4242, "strategy": "name"}' },
    'user_idname.pattern must be a string, found number 4242');
});

test('policy/rego-types: external process members of the wrong type are named by index', () => {
  const fails = (key: string, says: string): void => loadFails(`${HEAD}external_processes := [`
    + object({ command: '["/bin/sh"]', env_rules: '[]', working_dir: '"/"',
      allow_stdio_access: 'false', [key]: '4242' }) + ']\n',
  `external_processes[0].${key} must be ${says}`);
  fails('command', 'an array, found number 4242');
  fails('env_rules', 'an array, found number 4242');
  fails('working_dir', 'a string, found number 4242');
  fails('allow_stdio_access', 'true or false, found number 4242');
});

test('policy/rego-types: fragment reference members of the wrong type are named by index', () => {
  const fails = (key: string, says: string): void => loadFails(`${HEAD}fragments := [`
    + object({ issuer: '"did:web:example.com"', feed: '"example.com/app"', minimum_svn: '"1"',
      includes: '["containers"]', [key]: '4242' }) + ']\n',
  `fragments[0].${key} must be ${says}`);
  fails('includes', 'an array, found number 4242');
  fails('issuer', 'a string, found number 4242');
  fails('feed', 'a string, found number 4242');
});

test.run();
